#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `a` sorts before `b` by their UTF-8 bytes.
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { pa in b.withUTF8 { pb in compareBytes(UnsafeRawBufferPointer(pa), UnsafeRawBufferPointer(pb)) < 0 } }
}

/// Three-way comparison of two byte strings, as `memcmp` with the shorter first on a tie.
private func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    let order = common == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, common))
    return order != 0 ? order : a.count - b.count
}

/// Byte strings packed end to end in one buffer, to sort many of them by their bytes without
/// touching a `String` (or its reference count) per comparison.
struct PackedKeys {
    private(set) var bytes: [UInt8] = []
    private var ends: [Int] = []

    init(capacity: Int) {
        ends.reserveCapacity(capacity)
        bytes.reserveCapacity(capacity * 96)
    }

    var count: Int { ends.count }

    /// Appends one key made of `parts` run together.
    mutating func append(_ parts: String...) {
        for var part in parts { part.withUTF8 { bytes.append(contentsOf: $0) } }
        ends.append(bytes.count)
    }

    /// The indexes of the keys in ascending byte order (ties keep their order).
    func ascendingOrder() -> [Int] {
        var order = Array(0..<ends.count)
        withKeys { key in order.sort { compareBytes(key($0), key($1)) < 0 } }
        return order
    }

    /// Calls `body` with a function that returns key `i`'s bytes.
    func withKeys<R>(_ body: ((Int) -> UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            try ends.withUnsafeBufferPointer { ends in
                try body { i in
                    let start = i == 0 ? 0 : ends[i - 1]
                    return UnsafeRawBufferPointer(rebasing: all[start..<ends[i]])
                }
            }
        }
    }
}

/// One file of an artifact root: its path relative to the root (with `/` separators) and its digest.
public struct ArtifactFile: Sendable, Hashable {
    /// Path relative to the artifact root, `/`-separated.
    public var path: String
    /// Lowercase hex SHA-256 of the file's bytes.
    public var sha256: String
    /// Size in bytes, when known (recorded manifests from other tools may not carry it).
    public var size: Int64?

    public init(path: String, sha256: String, size: Int64? = nil) {
        self.path = path
        self.sha256 = sha256
        self.size = size
    }

    /// The manifest line for this file: `<hex>  <path>`, as `sha256sum` prints it.
    public var line: String { "\(sha256)  \(path)" }
}

/// The digests of every file under an artifact root, and their aggregate.
public struct Manifest: Sendable, Hashable {
    /// The root that was hashed, as given.
    public var root: String
    /// The files, ordered by the UTF-8 bytes of their paths.
    public var files: [ArtifactFile]

    public init(root: String, files: [ArtifactFile]) {
        self.root = root
        var paths = PackedKeys(capacity: files.count)
        for file in files { paths.append(file.path) }
        self.files = paths.ascendingOrder().map { files[$0] }
    }

    /// Total bytes of all files whose size is known.
    public var totalBytes: Int64 { files.reduce(0) { $0 + ($1.size ?? 0) } }

    /// The manifest lines in aggregate order (sorted by their UTF-8 bytes), without newlines.
    public var lines: [String] { Manifest.sortedLines(files) }

    /// The aggregate digest of this manifest (see ``Manifest/aggregate(of:)``).
    public var aggregate: String { Manifest.aggregate(of: files) }

    /// The lines `<hex>  <path>` of `files`, sorted by their UTF-8 bytes.
    public static func sortedLines(_ files: [ArtifactFile]) -> [String] {
        let lines = packedLines(files)
        return lines.withKeys { line in lines.ascendingOrder().map { String(decoding: line($0), as: UTF8.self) } }
    }

    /// The aggregate digest: the SHA-256 (lowercase hex) of the files' manifest lines sorted by
    /// their UTF-8 bytes and joined with `\n`, with no trailing newline. No files give the
    /// SHA-256 of the empty string. Byte-compatible with ImageWorks' full artifact hash.
    public static func aggregate(of files: [ArtifactFile]) -> String {
        let lines = packedLines(files)
        var digest = SHA256Digest()
        let newline: UInt8 = 0x0A
        lines.withKeys { line in
            for (n, i) in lines.ascendingOrder().enumerated() {
                if n > 0 { withUnsafeBytes(of: newline) { digest.update($0) } }
                digest.update(line(i))
            }
        }
        return digest.finalizeHex()
    }

    private static func packedLines(_ files: [ArtifactFile]) -> PackedKeys {
        var lines = PackedKeys(capacity: files.count)
        for file in files { lines.append(file.sha256, "  ", file.path) }
        return lines
    }
}

/// What differs between an expected manifest and the files found now.
public struct ManifestDiff: Sendable, Hashable {
    /// A file whose content changed.
    public struct Change: Sendable, Hashable {
        public var path: String
        public var expected: String
        public var actual: String

        public init(path: String, expected: String, actual: String) {
            self.path = path
            self.expected = expected
            self.actual = actual
        }
    }

    /// A file whose content reappears under another path.
    public struct Move: Sendable, Hashable {
        public var from: String
        public var to: String
        public var sha256: String

        public init(from: String, to: String, sha256: String) {
            self.from = from
            self.to = to
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

    /// Compares `actual` against `expected`. Every list is ordered by path (UTF-8 bytes).
    public init(expected: [ArtifactFile], actual: [ArtifactFile]) {
        let before = Dictionary(expected.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        let after = Dictionary(actual.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        let byPath: (ArtifactFile, ArtifactFile) -> Bool = { utf8Precedes($0.path, $1.path) }

        changed = before.values.sorted(by: byPath).compactMap { old in
            guard let new = after[old.path], new.sha256 != old.sha256 else { return nil }
            return Change(path: old.path, expected: old.sha256, actual: new.sha256)
        }
        let gone = before.values.filter { after[$0.path] == nil }.sorted(by: byPath)
        let new = after.values.filter { before[$0.path] == nil }.sorted(by: byPath)

        // Pair each vanished file with the first new path that holds the same bytes. New
        // paths are indexed by digest, so a tree of renamed files costs n, not n squared.
        var unclaimed: [String: ArraySlice<Int>] = [:]
        for (i, file) in new.enumerated() { unclaimed[file.sha256, default: []].append(i) }
        var claimed = [Bool](repeating: false, count: new.count)
        var moves: [Move] = []
        var unmatchedGone: [ArtifactFile] = []
        for old in gone {
            if let i = unclaimed[old.sha256]?.popFirst() {
                moves.append(Move(from: old.path, to: new[i].path, sha256: old.sha256))
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
