/// The digests of every file under an artifact root, and their aggregate.
public struct Manifest: Sendable, Hashable {
    /// The root that was hashed, as given.
    public var root: String
    /// The files, ordered by the bytes of their paths.
    public var files: [ArtifactFile]
    /// Shard digests by path (see ``FileShards``): those a hasher with a
    /// ``ArtifactHasher/shardSize`` recorded, and those a verify found unchanged.
    public var shards: [String: FileShards] = [:]
    /// Byte ranges of shards that no longer match their recorded digests, by path (see
    /// ``ArtifactHasher/expectedShards``).
    public var changedRanges: [String: [Range<Int64>]] = [:]

    public init(root: String, files: [ArtifactFile]) {
        self.init(root: root, sorting: files)
    }

    /// Sorts `files` in place (by index over their packed path bytes, then one permutation),
    /// so a million files cost one array of them plus a few bytes each, not two arrays.
    init(root: String, sorting files: consuming [ArtifactFile]) {
        self.root = root
        var files = files
        var order = files.withUnsafeBufferPointer { Manifest.pathOrder($0) }
        if order != nil { permute(&files, by: &order!) }
        self.files = files
    }

    /// The order of `files` by the bytes of their paths, or `nil` when they are in it already.
    private static func pathOrder(_ files: UnsafeBufferPointer<ArtifactFile>) -> [Int32]? {
        if isSortedByPath(files) { return nil }
        var order = Array(0..<Int32(files.count))
        var bytes: [UInt8] = []
        // Four bytes an end, not eight: the sort's memory is part of a million-file run's peak.
        var ends: [UInt32] = []
        bytes.reserveCapacity(files.count * 24)
        ends.reserveCapacity(files.count)
        for i in files.indices {
            files[i].name.withBytes { bytes.append(contentsOf: $0) }
            guard let end = UInt32(exactly: bytes.count) else {
                // Over 4 GiB of paths: compared where they are.
                (bytes, ends) = ([], [])
                order.sort { files[Int($0)].name < files[Int($1)].name }
                return order
            }
            ends.append(end)
        }
        bytes.withUnsafeBytes { all in
            ends.withUnsafeBufferPointer { ends in
                func key(_ i: Int32) -> UnsafeRawBufferPointer {
                    let i = Int(i)
                    return UnsafeRawBufferPointer(rebasing: all[(i == 0 ? 0 : Int(ends[i - 1]))..<Int(ends[i])])
                }
                order.sort { compareBytes(key($0), key($1)) < 0 }
            }
        }
        return order
    }

    /// Whether `files` are in ascending order of their path bytes.
    static func isSortedByPath(_ files: [ArtifactFile]) -> Bool {
        files.withUnsafeBufferPointer { isSortedByPath($0) }
    }

    static func isSortedByPath(_ all: UnsafeBufferPointer<ArtifactFile>) -> Bool {
        all.indices.dropFirst().allSatisfy { !(all[$0].name < all[$0 - 1].name) }
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
        let order = lineOrder(files)
        try files.withUnsafeBufferPointer { all in
            for i in order {
                line.removeAll(keepingCapacity: true)
                all[Int(i)].appendLine(to: &line)
                try line.withUnsafeBytes(body)
            }
        }
    }

    /// The aggregate digest: the SHA-256 (lowercase hex) of the files' manifest lines
    /// (``ArtifactFile/lineBytes``) sorted by their bytes and joined with `\n`, with no
    /// trailing newline. No files give the SHA-256 of the empty string. Byte-compatible with
    /// ImageWorks' full artifact hash for every path that is UTF-8 without a line break;
    /// a path that is not UTF-8 enters with its raw bytes, one with a line break in
    /// `sha256sum`'s escaped form, so every line stays one line.
    public static func aggregate(of files: [ArtifactFile]) -> String {
        files.withUnsafeBufferPointer { aggregate(of: $0) }
    }

    static func aggregate(of all: UnsafeBufferPointer<ArtifactFile>) -> String {
        var digest = SHA256Digest()
        // Lines are gathered into one buffer and hashed 64 KiB at a time: two digest calls
        // per line cost more than the hashing itself on a tree of many small files.
        let chunk = 64 << 10
        var pending: [UInt8] = []
        pending.reserveCapacity(chunk + 512)
        var first = true
        let order = lineOrder(all)
        do {
            // Line order visits the files at random: each block's files and names are loaded
            // together first, so their cache misses overlap instead of coming one by one.
            let block = 16
            var start = 0
            while start < order.count {
                let end = min(start + block, order.count)
                var touched = 0
                for k in start..<end { touched &+= all[Int(order[k])].name.withBytes { Int($0.first ?? 0) } }
                keep(touched)
                for k in start..<end {
                    if !first { pending.append(0x0A) }
                    first = false
                    all[Int(order[k])].appendLine(to: &pending)
                }
                if pending.count >= chunk {
                    pending.withUnsafeBytes { digest.update($0) }
                    pending.removeAll(keepingCapacity: true)
                }
                start = end
            }
        }
        pending.withUnsafeBytes { digest.update($0) }
        return digest.finalizeHex()
    }

    /// The indexes of `files` in the order of their lines' bytes. Lines are compared without
    /// being built: digests as words (hex preserves their order), then paths (by index when
    /// the files are sorted by path, as a manifest's are); only lines in the escaped form or
    /// with digests that are not hex are built to be compared.
    static func lineOrder(_ files: [ArtifactFile]) -> [Int32] {
        files.withUnsafeBufferPointer { lineOrder($0) }
    }

    static func lineOrder(_ all: UnsafeBufferPointer<ArtifactFile>) -> [Int32] {
        let sortedByPath = isSortedByPath(all)
        do {
            /// Whether file `i`'s line sorts before file `j`'s, both plain: digest words, then path.
            func plainBefore(_ i: Int, _ j: Int) -> Bool {
                guard case let .raw(a0, a1, a2, a3) = all[i].digest, case let .raw(b0, b1, b2, b3) = all[j].digest else { return false }
                if a0 != b0 { return a0 < b0 }
                if a1 != b1 { return a1 < b1 }
                if a2 != b2 { return a2 < b2 }
                if a3 != b3 { return a3 < b3 }
                return sortedByPath ? i < j : all[i].name < all[j].name
            }
            // Bucketing pays from a few thousand files; a small manifest (most models, and
            // every entry of a large batch) sorts its keys directly.
            if all.count >= 4096, let order = plainLineOrder(all, before: plainBefore) { return order }
            // Each file's first digest word sits next to its index, so almost every comparison
            // reads one 16-byte key and not two files far apart in memory.
            var keys: [LineKey] = []
            keys.reserveCapacity(all.count)
            for i in all.indices {
                if case .raw(let a0, _, _, _) = all[i].digest, !all[i].needsEscapedLine {
                    keys.append(LineKey(word: a0, index: Int32(i), plain: true))
                } else {
                    keys.append(LineKey(word: 0, index: Int32(i), plain: false))
                }
            }
            keys.sort { x, y in
                if x.plain, y.plain {
                    if x.word != y.word { return x.word < y.word }
                    return plainBefore(Int(x.index), Int(y.index))
                }
                let a = all[Int(x.index)].lineBytes, b = all[Int(y.index)].lineBytes
                return a.withUnsafeBytes { a in b.withUnsafeBytes { b in compareBytes(a, b) < 0 } }
            }
            return keys.map(\.index)
        }
    }

    /// Line order when every line is plain (a raw digest, no escaped name), as good as always:
    /// files are dealt into up to 65,536 buckets by the first bits of their digest (uniform for
    /// SHA-256), and each bucket, a handful of files, is sorted on its own. `nil` when some
    /// line is not plain.
    private static func plainLineOrder(_ all: UnsafeBufferPointer<ArtifactFile>, before: (Int, Int) -> Bool) -> [Int32]? {
        // About four files a bucket, at most 65,536 buckets.
        let bucketBits = min(16, max(1, Int.bitWidth - all.count.leadingZeroBitCount - 2))
        var starts = [Int](repeating: 0, count: (1 << bucketBits) + 1)
        for file in all {
            guard case .raw(let a0, _, _, _) = file.digest, !file.needsEscapedLine else { return nil }
            starts[Int(a0 >> UInt64(64 - bucketBits)) + 1] += 1
        }
        for b in 0..<(1 << bucketBits) { starts[b + 1] += starts[b] }
        var order = [Int32](repeating: 0, count: all.count)
        order.withUnsafeMutableBufferPointer { order in
            var next = starts
            for i in all.indices {
                guard case .raw(let a0, _, _, _) = all[i].digest else { continue }
                let b = Int(a0 >> UInt64(64 - bucketBits))
                order[next[b]] = Int32(i)
                next[b] += 1
            }
            for b in 0..<(1 << bucketBits) where starts[b + 1] - starts[b] > 1 {
                var bucket = UnsafeMutableBufferPointer(rebasing: order[starts[b]..<starts[b + 1]])
                bucket.sort { before(Int($0), Int($1)) }
            }
        }
        return order
    }
}

/// A file's place in line order: the first word of its digest (which orders as the line's
/// first 16 hex digits do) when its line is plain, and its index.
private struct LineKey {
    var word: UInt64
    var index: Int32
    var plain: Bool
}

/// Keeps `value` alive, so the loads that made it are not optimized away.
@inline(never)
func keep(_ value: Int) { _ = value }
