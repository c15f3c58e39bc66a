public import ArtifactHashing
public import ModelRegistry
import OrderedJSON

/// An entry's own exclusions: `artifacts.exclude`, a list of glob patterns (see
/// ``PathExclusions``) of files under its artifact root that are not part of the model.
///
/// The curated layer's list wins when it has one (a person's reviewed choice; `artifacts` is a
/// tool-owned key, so the merge would otherwise keep the discovered copy); else the merged
/// entry's, unless a curated pin stands over it (see ``ignoredUnderPin(_:curated:)``).
public enum EntryExclusions {
    /// The patterns of `entry`.
    ///
    /// - Throws: ``VersionLockError`` `invalidField` naming the entry and the field when
    ///   `artifacts.exclude` is not a list of strings, or a pattern is empty, too long or too many.
    public static func patterns(of entry: RegistryEntry, curated: RegistryEntry?) throws(VersionLockError) -> [String] {
        let fromCurated = curated?["artifacts"]?.objectValue?["exclude"]
        if fromCurated == nil, ignoredUnderPin(entry, curated: curated) != nil { return [] }
        let (value, layer) = fromCurated.map { ($0, "the curated file") } ?? (entry["artifacts"]?.objectValue?["exclude"], "the registry")
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw VersionLockError(.invalidField, "\(entry.name): field \"artifacts.exclude\" must be a list of glob patterns (strings), found \(value.typeDescription); fix it in \(layer)")
        }
        var patterns: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = item.stringValue else {
                throw VersionLockError(.invalidField, "\(entry.name): field \"artifacts.exclude[\(i)]\" must be a string (a glob pattern), found \(item.typeDescription); fix it in \(layer)")
            }
            patterns.append(text)
        }
        if let problem = PathExclusions.validate(patterns) {
            throw VersionLockError(.invalidField, "\(entry.name): field \"artifacts.exclude\" holds \(problem); fix it in \(layer)")
        }
        return patterns
    }

    /// Why the `artifacts.exclude` of `entry` is ignored, or `nil` when it is not. Under a curated
    /// pin (``RegistryMerge/isPinned(_:)``) only the curated file may exclude files: an exclude
    /// in the discovered layer, written by a machine, would hide a file the reviewed pin covers.
    public static func ignoredUnderPin(_ entry: RegistryEntry, curated: RegistryEntry?) -> String? {
        guard RegistryMerge.isPinned(curated), curated?["artifacts"]?.objectValue?["exclude"] == nil,
              let value = entry["artifacts"]?.objectValue?["exclude"], !value.isNull, value.arrayValue?.isEmpty != true
        else { return nil }
        let items = value.arrayValue ?? [value]
        let shown = items.prefix(5).map { $0.stringValue.map { "'\($0)'" } ?? $0.typeDescription }.joined(separator: ", ") + (items.count > 5 ? ", ..." : "")
        return "\(entry.name): artifacts.exclude [\(shown)] in \(RegistryStore.discoveredFileName) "
            + "is ignored under the curated version_lock pin; an exclude that narrows a curated pin must be written in \(RegistryStore.curatedFileName)"
    }

    /// `hasher` with `entry`'s patterns added, unless it hashes everything (`--include-all`).
    public static func hasher(_ hasher: ArtifactHasher, for entry: RegistryEntry, curated: RegistryEntry?) throws(VersionLockError) -> ArtifactHasher {
        guard !hasher.exclusions.excludesNothing else { return hasher }
        let patterns = try patterns(of: entry, curated: curated)
        guard !patterns.isEmpty else { return hasher }
        var out = hasher
        out.exclusions = hasher.exclusions.adding(patterns)
        return out
    }

    /// `entry`'s exclusions as model_signing ignore paths (literal paths from the root), so a
    /// signature leaves out the files the lock leaves out: a literal pattern is itself, and
    /// `DIR/**` is `DIR`.
    ///
    /// - Throws: ``VersionLockError`` `invalidField` for a pattern no literal path can express
    ///   (`**/*.md`): model_signing would not honour it, and a signature that silently covered
    ///   other files than the lock would be worse than none.
    public static func ignorePaths(of entry: RegistryEntry, curated: RegistryEntry?) throws(VersionLockError) -> [String] {
        try patterns(of: entry, curated: curated).map { (pattern: String) throws(VersionLockError) -> String in
            let path = pattern.hasSuffix("/**") ? String(pattern.dropLast(3)) : pattern
            guard !path.isEmpty, !path.contains(where: { "*?[\\".contains($0) }) else {
                throw VersionLockError(.invalidField, "\(entry.name): artifacts.exclude pattern '\(pattern)' cannot be written as a model_signing ignore path; to sign this entry, list the excluded paths literally (a directory as DIR or DIR/**)")
            }
            return path
        }
    }
}
