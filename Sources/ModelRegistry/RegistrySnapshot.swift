import OrderedJSON
import SystemSupport
/// The registry as read at one moment: both layers and the merged entries.
public struct RegistrySnapshot: Sendable {
    /// The curated layer (written by people).
    public let curated: RegistryLayer
    /// The discovered layer (written by modelctl).
    public let discovered: RegistryLayer
    /// The merged entries: discovered order first, then curated-only entries in curated order.
    public let entries: [RegistryEntry]
    /// Where each merged entry stands in ``entries``.
    private let index: [String: Int]
    /// The files' identities (device, inode, size, times) when they were read, so a save can
    /// tell that nobody wrote them since and skip reading them again.
    var stamps: [[Int64]]?

    public init(curated: RegistryLayer, discovered: RegistryLayer) {
        self.curated = curated
        self.discovered = discovered
        var merged = discovered.entries.map { RegistryMerge.merge(discovered: $0, curated: curated[$0.name]) }
        for entry in curated.entries where discovered[entry.name] == nil {
            merged.append(RegistryMerge.merge(discovered: nil, curated: entry))
        }
        entries = merged
        index = Dictionary(merged.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether no registry file changed between the read of `earlier` and this one (same
    /// device, inode, size and times for each file), so that both hold the same entries.
    public func isUnchanged(since earlier: RegistrySnapshot) -> Bool {
        stamps != nil && stamps == earlier.stamps
    }

    /// The merged entry named `name`, if any.
    public subscript(name: String) -> RegistryEntry? {
        index[name].map { entries[$0] }
    }

    /// The merged entry named `name`.
    ///
    /// - Throws: ``RegistryError`` `unknownModel`, with the closest names as suggestions.
    public func entry(named name: String) throws(RegistryError) -> RegistryEntry {
        if let entry = self[name] { return entry }
        let close = NameSuggestions.closest(to: name, among: entries.map(\.name))
        let hint = close.isEmpty ? "" : "; did you mean " + close.map { "'\($0)'" }.joined(separator: ", ") + "?"
        throw RegistryError(.unknownModel, "unknown model '\(name)'\(hint)", suggestions: close)
    }

    /// The snapshot file's text (`model_registry.json`).
    public var snapshotText: String { RegistryLayer(entries: entries).fileText }

    /// ``snapshotText`` as UTF-8 bytes.
    public var snapshotBytes: [UInt8] { RegistryLayer(entries: entries).fileBytes }

    /// What a save writes: the discovered layer's file and the merged snapshot's, written side
    /// by side on two threads (for 1,000 entries each is 1 MB of text, most of a save's time).
    public var savedFiles: (discovered: [UInt8], snapshot: [UInt8]) {
        let whole = self
        return BlockingExecutor.shared.together({ discovered.fileBytes }, { whole.snapshotBytes })
    }
}
