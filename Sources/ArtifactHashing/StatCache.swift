import Synchronization

/// A file's identity, size and times as `stat` gives them: what a quick verify compares.
///
/// Any write moves the change time (ctime), which no user can set back (`touch -d` sets the
/// modification time, and moves ctime to now), so a file whose stamp is unchanged has not been
/// written since it was stamped. What a stamp cannot see is a change below the file system:
/// bit rot, a disk or a hypervisor that alters blocks. Only reading the bytes sees that.
public struct FileStamp: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var modifiedNanoseconds: Int64
    /// Status change time (ctime), nanoseconds since the epoch.
    public var changedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64, changedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedNanoseconds = changedNanoseconds
    }

    init(_ st: FileStatus) {
        self.init(device: st.device, inode: st.inode, size: st.size, modifiedNanoseconds: st.modified, changedNanoseconds: st.changed)
    }

    /// The stamp of the file at `path` (links followed, as the walk follows them), or `nil`
    /// when it is not a regular file or cannot be read: what a caller that knows a file's
    /// digest from elsewhere records in a ``StatCache`` for the hasher to reuse.
    public static func of(path: String) -> FileStamp? {
        guard let st = try? Platform.status(path: path, followLinks: true), st.kind == .regular else { return nil }
        return FileStamp(st)
    }
}

/// Digests of files as they were when last read in full, each with the stamp it was taken at:
/// a quick hash (``ArtifactHasher/hash(_:reusing:progress:)``) reuses the digest of a file
/// whose stamp is unchanged instead of reading it.
///
/// Only stamps of files that had been left alone for a while (2 s) when they were read are
/// recorded: a file written in the same clock tick as it was read could otherwise change
/// again without its times moving.
public struct StatCache: Sendable, Equatable {
    struct Record: Sendable, Equatable {
        var stamp: FileStamp
        var digest: DigestValue
    }

    var records: [PathName: Record] = [:]

    /// An empty cache.
    public init() {}

    /// Files in the cache.
    public var count: Int { records.count }

    /// Records that the file at `pathBytes` (relative to the root) had `sha256` when its stamp was `stamp`.
    public mutating func insert(pathBytes: [UInt8], stamp: FileStamp, sha256: String) {
        records[PathName(bytes: pathBytes)] = Record(stamp: stamp, digest: DigestValue(hex: sha256))
    }

    /// The digest recorded for `pathBytes`, when its stamp is `stamp`.
    public func digest(pathBytes: [UInt8], stamp: FileStamp) -> String? {
        guard let record = records[PathName(bytes: pathBytes)], record.stamp == stamp else { return nil }
        return record.digest.hex
    }

    func lookup(_ path: PathName, _ stamp: FileStamp) -> Record? {
        guard let record = records[path], record.stamp == stamp, case .raw = record.digest else { return nil }
        return record
    }

    // MARK: File format

    /// The first line of the file format.
    static let magic = Array("modelctl-stat-cache 1\n".utf8)

    /// The cache as bytes for `root`: a header line, a line with the root's length and bytes,
    /// then one line per file, `<sha256 hex> <device> <inode> <size> <mtime ns> <ctime ns>
    /// <path length>:<path bytes>`, and last `end <sha256 of all that>`. Lengths make any
    /// byte in a name safe; the trailing digest makes any damage a miss, never a wrong digest.
    public func serialized(root: String) -> [UInt8] {
        var out = StatCache.magic
        let rootBytes = Array(root.utf8)
        out += Array("\(rootBytes.count):".utf8) + rootBytes + [0x0A]
        out.reserveCapacity(out.count + records.count * 160)
        for (path, record) in records {
            record.digest.appendHex(to: &out)
            let s = record.stamp
            out += Array(" \(s.device) \(s.inode) \(s.size) \(s.modifiedNanoseconds) \(s.changedNanoseconds) ".utf8)
            path.withBytes { bytes in
                out += Array("\(bytes.count):".utf8)
                out += bytes
            }
            out.append(0x0A)
        }
        var digest = SHA256Digest()
        out.withUnsafeBytes { digest.update($0) }
        out += Array("end ".utf8) + Array(digest.finalizeHex().utf8) + [0x0A]
        return out
    }

    /// `end ` + 64 hex digits + newline.
    static let trailerLength = 4 + 64 + 1

    /// Reads a cache written by ``serialized(root:)`` for `root`; `nil` when the bytes are not
    /// one (corrupt, truncated, another format or another root): the caller then hashes in full.
    public init?(parsing bytes: [UInt8], root: String) {
        guard bytes.count > StatCache.trailerLength else { return nil }
        let bodyLength = bytes.count - StatCache.trailerLength
        var digest = SHA256Digest()
        bytes.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[..<bodyLength])) }
        let trailer = bytes[bodyLength...]
        guard trailer.starts(with: "end ".utf8), trailer.last == 0x0A,
              trailer.dropFirst(4).dropLast().withUnsafeBufferPointer(DigestValue.init(hexBytes:)) == digest.finalizeValue()
        else { return nil }
        var parser = Parser(bytes: bytes, end: bodyLength)
        guard parser.take(StatCache.magic) else { return nil }
        guard let rootBytes = parser.lengthPrefixed(), rootBytes.elementsEqual(root.utf8), parser.take([0x0A]) else { return nil }
        while !parser.atEnd {
            guard let hex = parser.bytes(64), parser.take([0x20]),
                  let device = parser.unsigned(), let inode = parser.unsigned(),
                  let size = parser.signed(), let modified = parser.signed(), let changed = parser.signed(),
                  let path = parser.lengthPrefixed(), !path.isEmpty, parser.take([0x0A]) else { return nil }
            guard let digest = hex.withUnsafeBufferPointer(DigestValue.init(hexBytes:)) else { return nil }
            records[PathName(bytes: path)] = Record(stamp: FileStamp(device: device, inode: inode, size: size, modifiedNanoseconds: modified,
                                                                      changedNanoseconds: changed), digest: digest)
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        /// Where the records end (the trailer is not parsed).
        let end: Int
        var i = 0

        var atEnd: Bool { i >= end }

        mutating func take(_ expected: [UInt8]) -> Bool {
            guard i + expected.count <= end, bytes[i..<(i + expected.count)].elementsEqual(expected) else { return false }
            i += expected.count
            return true
        }

        mutating func bytes(_ n: Int) -> ArraySlice<UInt8>? {
            guard i + n <= end else { return nil }
            defer { i += n }
            return bytes[i..<(i + n)]
        }

        /// Digits up to the next space (consumed).
        mutating func digits(_ terminator: UInt8 = 0x20, negative: Bool = false) -> (Bool, UInt64)? {
            var value: UInt64 = 0
            var count = 0
            var minus = false
            if negative, i < end, bytes[i] == UInt8(ascii: "-") {
                minus = true
                i += 1
            }
            while i < end, bytes[i] != terminator {
                let c = bytes[i]
                guard c >= 0x30, c <= 0x39, count < 20 else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
                guard !o1, !o2 else { return nil }
                value = a
                count += 1
                i += 1
            }
            guard count > 0, i < end else { return nil }
            i += 1
            return (minus, value)
        }

        mutating func unsigned() -> UInt64? { digits().flatMap { $0.0 ? nil : $0.1 } }

        mutating func signed() -> Int64? {
            guard let (minus, value) = digits(negative: true), value <= UInt64(Int64.max) else { return nil }
            return minus ? -Int64(value) : Int64(value)
        }

        mutating func lengthPrefixed() -> ArraySlice<UInt8>? {
            guard let (_, length) = digits(UInt8(ascii: ":")), length <= UInt64(end - i) else { return nil }
            return bytes(Int(length))
        }
    }
}

/// What a hashing run that may reuse cached digests found.
public struct CachedHash: Sendable {
    /// Every file and its digest, as a full hash would give them.
    public var manifest: Manifest
    /// The cache to keep: the stamps of this run's files (reused or read).
    public var cache: StatCache
    /// Files whose digest came from the cache, unread.
    public var reusedFiles: Int
}

/// Gathers the stamps the workers record.
final class StampCollector: Sendable {
    private let batches = Mutex<[[(PathName, StatCache.Record)]]>([])
    private let reused = Atomic<Int>(0)

    func add(_ batch: [(PathName, StatCache.Record)]) {
        guard !batch.isEmpty else { return }
        batches.withLock { $0.append(batch) }
    }

    func countReused() { reused.wrappingAdd(1, ordering: .relaxed) }

    var reusedCount: Int { reused.load(ordering: .relaxed) }

    func take() -> StatCache {
        var cache = StatCache()
        batches.withLock { batches in
            cache.records.reserveCapacity(batches.reduce(0) { $0 + $1.count })
            for batch in batches { for (path, record) in batch { cache.records[path] = record } }
            batches = []
        }
        return cache
    }
}
