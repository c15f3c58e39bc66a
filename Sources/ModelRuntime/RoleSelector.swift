public import ModelRegistry

/// Picks the entry that serves a role.
///
/// Candidates are the entries whose `roles` contain the role (compared case-insensitively).
/// They rank by `role_priority[role]` (higher first; a missing priority counts as 0), then by
/// name in UTF-8 byte order. Deprecated entries rank after every entry that is not deprecated.
/// With required capabilities, the best candidate that has them all wins.
///
/// ```swift
/// let entry = try RoleSelector.select(role: "caption", from: snapshot.entries, requiring: ["vision"])
/// ```
public enum RoleSelector {
    /// The entries that have `role`, best first.
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

    /// The best entry for `role` that has every capability in `required` (any spelling).
    ///
    /// - Throws: ``RuntimeError`` `noModelForRole` naming the role (and, when candidates exist
    ///   but lack a capability, what each of them has).
    public static func select(role: String, from entries: [RegistryEntry], requiring required: [String] = []) throws(RuntimeError) -> RegistryEntry {
        let ranked = ranked(role: role, from: entries)
        guard !ranked.isEmpty else {
            var known = Set<String>()
            for entry in entries { known.formUnion(entry.roles) }
            let list = known.isEmpty ? "no entry has any role" : "known roles: " + known.sorted().joined(separator: ", ")
            throw RuntimeError(.noModelForRole, "no model has role '\(role)' (\(list))")
        }
        if let best = ranked.first(where: { Capabilities(entry: $0).missing(required).isEmpty }) {
            return best
        }
        let wanted = required.map(Capabilities.canonicalName)
        let described = ranked.map { "'\($0.name)' has " + Capabilities(entry: $0).enabled.joined(separator: ", ") }
        throw RuntimeError(.noModelForRole, "no model with role '\(role)' has \(wanted.joined(separator: ", ")) (\(described.joined(separator: "; ")))")
    }

    private static func priority(of entry: RegistryEntry, role: String) -> Double {
        let priorities = entry.rolePriority
        if let exact = priorities[role] { return exact }
        return priorities.first { $0.key.lowercased() == role }?.value ?? 0
    }
}
