public import OrderedJSON

/// One layer of the registry: the entries of one file, in file order.
public struct RegistryLayer: Sendable, Hashable {
    /// The entries, in the order of the file.
    public var entries: [RegistryEntry]

    public init(entries: [RegistryEntry] = []) { self.entries = entries }

    /// The entry named `name`.
    public subscript(name: String) -> RegistryEntry? {
        entries.first { $0.name == name }
    }

    /// Changes the entry named `name`. When the layer has none, one is added, starting from
    /// `seed` (the merged entry, so that the new discovered entry carries every field another
    /// tool needs to load it on its own, as ImageWorks' discovered layer does) or else the name alone.
    public mutating func modify<T>(_ name: String, seed: RegistryEntry? = nil, _ change: (inout RegistryEntry) throws -> T) rethrows -> T {
        if let i = entries.firstIndex(where: { $0.name == name }) {
            return try change(&entries[i])
        }
        var entry = seed ?? RegistryEntry(name: name)
        let result = try change(&entry)
        entries.append(entry)
        return result
    }

    /// The layer as file text: a JSON array, 2-space indent, trailing newline.
    public var fileText: String {
        JSON.serialize(.array(entries.map { .object($0.json) })) + "\n"
    }
}
