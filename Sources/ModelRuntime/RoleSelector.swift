public import ModelRegistry

/// Picks the entry that serves a role, with ImageWorks' rules.
///
/// Candidates are the entries whose `roles` contain the role (compared case-insensitively).
/// They rank by `role_priority[role]` (higher first; a missing priority counts as 0), then by
/// name in UTF-8 byte order. The best candidate that has every required capability wins.
///
/// - Required capabilities are the role's own (``defaultRequirements``, as ImageWorks'
///   `DEFAULT_ROLE_CAPABILITIES`: `vision` for `caption`, `keywords`, `description` and
///   `narration`) plus the caller's; a caller that passes `roleDefaults: false` drops the
///   role's own (`select --require none`).
/// - Deprecated entries are never chosen, as in ImageWorks, unless the caller allows them
///   (`--allow-deprecated`); then they rank after every entry that is not deprecated.
///
/// ```swift
/// let entry = try RoleSelector.select(role: "caption", from: snapshot.entries)  // needs vision
/// ```
public enum RoleSelector {
    /// The capabilities each role needs unless the caller says otherwise (ImageWorks'
    /// `model_loader/role_selection.py`, `DEFAULT_ROLE_CAPABILITIES`).
    public static let defaultRequirements: [String: [String]] = [
        "caption": ["vision"],
        "keywords": ["vision"],
        "description": ["vision"],
        "narration": ["vision"],
    ]

    /// The capabilities a selection for `role` requires: the role's defaults (when
    /// `roleDefaults`), then `required`, canonical names without duplicates.
    public static func requirements(forRole role: String, requiring required: [String] = [], roleDefaults: Bool = true) -> [String] {
        let defaults = roleDefaults ? defaultRequirements[role.trimmingWhitespace.lowercased()] ?? [] : []
        var out: [String] = []
        for name in (defaults + required).map(Capabilities.canonicalName) where !out.contains(name) { out.append(name) }
        return out
    }

    /// The entries that have `role`, best first (deprecated ones last).
    public static func ranked(role: String, from entries: [RegistryEntry]) -> [RegistryEntry] {
        let wanted = role.lowercased()
        let candidates = entries.filter { $0.roles.contains { $0.lowercased() == wanted } }
        return candidates
            .map { (entry: $0, priority: priority(of: $0, role: wanted)) }
            .sorted { a, b in
                if a.entry.deprecated != b.entry.deprecated { return !a.entry.deprecated }
                if a.priority != b.priority { return a.priority > b.priority }
                return Array(a.entry.name.utf8).lexicographicallyPrecedes(Array(b.entry.name.utf8))
            }
            .map(\.entry)
    }

    /// The best entry for `role` that has every capability of
    /// ``requirements(forRole:requiring:roleDefaults:)`` (any spelling).
    ///
    /// - Parameters:
    ///   - roleDefaults: whether the role's own requirements apply (default `true`).
    ///   - allowDeprecated: whether a deprecated entry may be chosen (default `false`).
    /// - Throws: ``RuntimeError`` `noModelForRole` naming the role and, when candidates exist,
    ///   what each of them has or that they are deprecated.
    public static func select(
        role: String, from entries: [RegistryEntry], requiring required: [String] = [], roleDefaults: Bool = true,
        allowDeprecated: Bool = false
    ) throws(RuntimeError) -> RegistryEntry {
        let ranked = ranked(role: role, from: entries)
        guard !ranked.isEmpty else {
            var known = Set<String>()
            for entry in entries { known.formUnion(entry.roles) }
            let list = known.isEmpty ? "no entry has any role" : "known roles: " + known.sorted().joined(separator: ", ")
            throw RuntimeError(.noModelForRole, "no model has role '\(role)' (\(list))")
        }
        let usable = allowDeprecated ? ranked : ranked.filter { !$0.deprecated }
        guard !usable.isEmpty else {
            let names = ranked.map { "'\($0.name)'" }.joined(separator: ", ")
            throw RuntimeError(.noModelForRole, "every model with role '\(role)' is deprecated (\(names)); pass --allow-deprecated to use one anyway")
        }
        let wanted = requirements(forRole: role, requiring: required, roleDefaults: roleDefaults)
        if let best = usable.first(where: { Capabilities(entry: $0).missing(wanted).isEmpty }) {
            return best
        }
        let described = usable.map { "'\($0.name)' has " + Capabilities(entry: $0).enabled.joined(separator: ", ") }
        let skipped = usable.count < ranked.count ? "; deprecated entries are left out without --allow-deprecated" : ""
        let defaults = roleDefaults && defaultRequirements[role.lowercased()] != nil
            ? "; role '\(role.lowercased())' requires \(defaultRequirements[role.lowercased()]!.joined(separator: ", ")) unless --require none" : ""
        throw RuntimeError(.noModelForRole, "no model with role '\(role)' has \(wanted.joined(separator: ", ")) (\(described.joined(separator: "; ")))\(skipped)\(defaults)")
    }

    private static func priority(of entry: RegistryEntry, role: String) -> Double {
        let priorities = entry.rolePriority
        if let exact = priorities[role] { return exact }
        return priorities.first { $0.key.lowercased() == role }?.value ?? 0
    }
}
