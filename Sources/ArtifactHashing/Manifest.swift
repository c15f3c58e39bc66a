/// The digests of every file under an artifact root, and their aggregate.
public struct Manifest: Sendable, Hashable {
    /// The root that was hashed, as given.
    public var root: String
    /// The files, ordered by the bytes of their paths.
    public var files: [ArtifactFile]

    public init(root: String, files: [ArtifactFile]) {
        self.init(root: root, sorting: files)
    }

    /// Sorts `files` in place (by index, then one permutation), so a million files cost one
    /// array of them and four bytes each, not two arrays.
    init(root: String, sorting files: consuming [ArtifactFile]) {
        self.root = root
        var files = files
        var order = Array(0..<Int32(files.count))
        do {
            // The first 16 bytes of each path as two big-endian words decide almost every
            // comparison without touching the names (no reference counting in the sort).
            let keys = files.map { file in file.name.withBytes(prefixKey) }
            files.withUnsafeBufferPointer { all in
                keys.withUnsafeBufferPointer { keys in
                    order.sort { i, j in
                        let a = keys[Int(i)], b = keys[Int(j)]
                        if a.0 != b.0 { return a.0 < b.0 }
                        if a.1 != b.1 { return a.1 < b.1 }
                        return all[Int(i)].name < all[Int(j)].name
                    }
                }
            }
        }
        permute(&files, by: &order)
        self.files = files
    }

    /// Total bytes of all files whose size is known.
    public var totalBytes: Int64 { files.reduce(0) { $0 + ($1.size ?? 0) } }

    /// The manifest lines in aggregate order, without newlines, as text (see
    /// ``ArtifactFile/line``; ``forEachLine(_:)`` gives the exact bytes).
    public var lines: [String] { Manifest.sortedLines(files) }

    /// The aggregate digest of this manifest (see ``Manifest/aggregate(of:)``).
    public var aggregate: String { Manifest.aggregate(of: files) }

    /// Calls `body` with each manifest line's exact bytes (no newline), in aggregate order.
    public func forEachLine(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try Manifest.forEachLine(of: files, body)
    }

    /// Calls `body` with each file and the exact bytes of its manifest line (no newline), in
    /// aggregate order: for output that shows some names differently (escaped on a terminal).
    public func forEachFileInLineOrder(_ body: (ArtifactFile, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        for i in Manifest.lineOrder(files) {
            let file = files[Int(i)]
            line.removeAll(keepingCapacity: true)
            file.appendLine(to: &line)
            try line.withUnsafeBytes { try body(file, $0) }
        }
    }

    /// The lines of `files` (see ``ArtifactFile/lineBytes``), sorted by their bytes, as text.
    public static func sortedLines(_ files: [ArtifactFile]) -> [String] {
        var lines: [String] = []
        lines.reserveCapacity(files.count)
        forEachLine(of: files) { lines.append(String(decoding: $0, as: UTF8.self)) }
        return lines
    }

    /// Calls `body` with the exact bytes of each line of `files` (no newline), sorted by their bytes.
    public static func forEachLine(of files: [ArtifactFile], _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        for i in lineOrder(files) {
            line.removeAll(keepingCapacity: true)
            files[Int(i)].appendLine(to: &line)
            try line.withUnsafeBytes(body)
        }
    }

    /// The aggregate digest: the SHA-256 (lowercase hex) of the files' manifest lines
    /// (``ArtifactFile/lineBytes``) sorted by their bytes and joined with `\n`, with no
    /// trailing newline. No files give the SHA-256 of the empty string. Byte-compatible with
    /// ImageWorks' full artifact hash for every path that is UTF-8 without a line break;
    /// a path that is not UTF-8 enters with its raw bytes, one with a line break in
    /// `sha256sum`'s escaped form, so every line stays one line.
    public static func aggregate(of files: [ArtifactFile]) -> String {
        var digest = SHA256Digest()
        var first = true
        let newline: [UInt8] = [0x0A]
        forEachLine(of: files) { line in
            if !first { newline.withUnsafeBytes { digest.update($0) } }
            first = false
            digest.update(line)
        }
        return digest.finalizeHex()
    }

    /// The indexes of `files` in the order of their lines' bytes. Lines are compared without
    /// being built: digests as words (hex preserves their order), then paths; only lines in
    /// the escaped form or with digests that are not hex are built to be compared.
    static func lineOrder(_ files: [ArtifactFile]) -> [Int32] {
        var order = Array(0..<Int32(files.count))
        let plain = files.map { file -> Bool in
            if case .text = file.digest { return false }
            return !file.needsEscapedLine
        }
        // The first digest word of each plain line decides nearly every comparison alone.
        let first = files.map { file -> UInt64 in
            if case .raw(let w, _, _, _) = file.digest { return w }
            return 0
        }
        files.withUnsafeBufferPointer { all in
            order.sort { i, j in
                if plain[Int(i)], plain[Int(j)], first[Int(i)] != first[Int(j)] { return first[Int(i)] < first[Int(j)] }
                let a = all[Int(i)], b = all[Int(j)]
                if plain[Int(i)], plain[Int(j)], case let .raw(a0, a1, a2, a3) = a.digest, case let .raw(b0, b1, b2, b3) = b.digest {
                    if a0 != b0 { return a0 < b0 }
                    if a1 != b1 { return a1 < b1 }
                    if a2 != b2 { return a2 < b2 }
                    if a3 != b3 { return a3 < b3 }
                    return a.name < b.name
                }
                let x = a.lineBytes, y = b.lineBytes
                return x.withUnsafeBytes { x in y.withUnsafeBytes { y in compareBytes(x, y) < 0 } }
            }
        }
        return order
    }
}

/// The first 16 bytes of `bytes` as two big-endian words, zero-padded: they order as the bytes
/// do (a name holds no NUL byte), and equal words mean the names must be compared in full.
func prefixKey(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
    var buffer: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &buffer) { raw in
        raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(16)))
    }
    return (UInt64(bigEndian: buffer.0), UInt64(bigEndian: buffer.1))
}
