public import ArtifactHashing
public import ModelRegistry
import OrderedJSON

/// An entry's own exclusions: `artifacts.exclude`, a list of glob patterns (see
/// ``PathExclusions``) of files under its artifact root that are not part of the model.
///
/// The curated layer's list wins when it has one (a person's reviewed choice; `artifacts` is a
/// tool-owned key, so the merge would otherwise keep the discovered copy); else the merged
/// entry's.
public enum EntryExclusions {
    /// The patterns of `entry`.
    ///
    /// - Throws: ``VersionLockError`` `invalidField` naming the entry and the field when
    ///   `artifacts.exclude` is not a list of strings, or a pattern is empty, too long or too many.
    public static func patterns(of entry: RegistryEntry, curated: RegistryEntry?) throws(VersionLockError) -> [String] {
        let fromCurated = curated?["artifacts"]?.objectValue?["exclude"]
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
