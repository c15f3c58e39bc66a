import OrderedJSON

/// One layer of the registry: the entries of one file, in file order.
public struct RegistryLayer: Sendable, Hashable {
    /// The entries, in the order of the file.
    public var entries: [RegistryEntry] {
        get { storage }
        set {
            storage = newValue
            index = Self.index(of: newValue)
        }
    }

    /// The entries, and where each name stands among them (names are unique in a layer).
    private var storage: [RegistryEntry]
    private var index: [String: Int]

    public init(entries: [RegistryEntry] = []) {
        storage = entries
        index = Self.index(of: entries)
    }

    private static func index(of entries: [RegistryEntry]) -> [String: Int] {
        Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public static func == (a: RegistryLayer, b: RegistryLayer) -> Bool { a.storage == b.storage }
    public func hash(into hasher: inout Hasher) { hasher.combine(storage) }

    /// The entry named `name`.
    public subscript(name: String) -> RegistryEntry? {
        index[name].map { storage[$0] }
    }

    /// Changes the entry named `name`. When the layer has none, one is added, starting from
    /// `seed` (the merged entry, so that the new discovered entry carries every field another
    /// tool needs to load it on its own, as ImageWorks' discovered layer does) or else the name alone.
    public mutating func modify<T>(_ name: String, seed: RegistryEntry? = nil, _ change: (inout RegistryEntry) throws -> T) rethrows -> T {
        if let i = index[name] {
            defer { if storage[i].name != name { index = Self.index(of: storage) } }
            return try change(&storage[i])
        }
        var entry = seed ?? RegistryEntry(name: name)
        let result = try change(&entry)
        storage.append(entry)
        index[entry.name] = storage.count - 1
        return result
    }

    /// The layer as file text: a JSON array, 2-space indent, trailing newline.
    public var fileText: String { String(decoding: fileBytes, as: UTF8.self) }

    /// ``fileText`` as the UTF-8 bytes written to disk.
    public var fileBytes: [UInt8] { JSON.serializeBytes(.array(storage.map { .object($0.json) })) + [0x0A] }
}
