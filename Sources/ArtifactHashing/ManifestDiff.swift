/// What differs between an expected manifest and the files found now.
///
/// Paths are matched by their bytes: the NFC and NFD spellings of a name are different files.
public struct ManifestDiff: Sendable, Hashable {
    /// A file whose content changed.
    public struct Change: Sendable, Hashable {
        public var path: String
        public var expected: String
        public var actual: String
        /// The path's exact bytes (see ``ArtifactFile/pathBytes``).
        public var pathBytes: [UInt8]

        public init(path: String, expected: String, actual: String) {
            self.init(pathBytes: Array(path.utf8), expected: expected, actual: actual)
        }

        /// A change at a path given as bytes.
        public init(pathBytes: [UInt8], expected: String, actual: String) {
            self.path = String(decoding: pathBytes, as: UTF8.self)
            self.pathBytes = pathBytes
            self.expected = expected
            self.actual = actual
        }

        /// The path for messages and terminals (see ``displayEscaped(bytes:)``).
        public var displayPath: String { displayEscaped(bytes: pathBytes) }
    }

    /// A file whose content reappears under another path.
    public struct Move: Sendable, Hashable {
        public var from: String
        public var to: String
        public var sha256: String
        /// The exact bytes of ``from`` and ``to`` (see ``ArtifactFile/pathBytes``).
        public var fromBytes: [UInt8]
        public var toBytes: [UInt8]

        public init(from: String, to: String, sha256: String) {
            self.init(fromBytes: Array(from.utf8), toBytes: Array(to.utf8), sha256: sha256)
        }

        /// A move between paths given as bytes.
        public init(fromBytes: [UInt8], toBytes: [UInt8], sha256: String) {
            self.from = String(decoding: fromBytes, as: UTF8.self)
            self.to = String(decoding: toBytes, as: UTF8.self)
            self.fromBytes = fromBytes
            self.toBytes = toBytes
            self.sha256 = sha256
        }
    }

    /// Paths present in both with different digests.
    public var changed: [Change]
    /// Expected paths that are gone (and whose digest did not reappear elsewhere).
    public var missing: [ArtifactFile]
    /// New paths (whose digest was not an expected file that went missing).
    public var added: [ArtifactFile]
    /// Expected files that went missing while a new path holds the same digest.
    public var moved: [Move]

    /// Whether the two manifests list the same files with the same digests.
    public var isEmpty: Bool { changed.isEmpty && missing.isEmpty && added.isEmpty && moved.isEmpty }

    /// Compares `actual` against `expected`. Every list is ordered by path bytes.
    public init(expected: [ArtifactFile], actual: [ArtifactFile]) {
        let before = Dictionary(expected.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let after = Dictionary(actual.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let byPath: (ArtifactFile, ArtifactFile) -> Bool = { $0.name < $1.name }

        changed = before.values.sorted(by: byPath).compactMap { old in
            guard let new = after[old.name], new.digest != old.digest else { return nil }
            return Change(pathBytes: old.pathBytes, expected: old.sha256, actual: new.sha256)
        }
        let gone = before.values.filter { after[$0.name] == nil }.sorted(by: byPath)
        let new = after.values.filter { before[$0.name] == nil }.sorted(by: byPath)

        // Pair each vanished file with the first new path that holds the same bytes. New
        // paths are indexed by digest, so a tree of renamed files costs n, not n squared.
        var unclaimed: [DigestValue: ArraySlice<Int>] = [:]
        for (i, file) in new.enumerated() { unclaimed[file.digest, default: []].append(i) }
        var claimed = [Bool](repeating: false, count: new.count)
        var moves: [Move] = []
        var unmatchedGone: [ArtifactFile] = []
        for old in gone {
            if let i = unclaimed[old.digest]?.popFirst() {
                moves.append(Move(fromBytes: old.pathBytes, toBytes: new[i].pathBytes, sha256: old.sha256))
                claimed[i] = true
            } else {
                unmatchedGone.append(old)
            }
        }
        missing = unmatchedGone
        added = new.indices.filter { !claimed[$0] }.map { new[$0] }
        moved = moves
    }
}
