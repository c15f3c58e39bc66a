import Synchronization
import SystemSupport

/// The SHA-256 of each fixed-size shard of a file: shard `i` holds bytes
/// `i * shardSize ..< min((i + 1) * shardSize, fileSize)`.
///
/// Recorded by `lock` beside a large file's whole-file digest, so a later verify can read the
/// shards of that one file at once on every worker and compare each, instead of one
/// SHA-256 stream bound to one core. Equal shards mean equal bytes, so the recorded
/// whole-file digest (and the aggregate made from it) stands.
public struct FileShards: Sendable, Hashable {
    /// Bytes per shard (the last one may be shorter).
    public var shardSize: Int64
    /// Lowercase hex SHA-256 of each shard, in file order.
    public var sha256: [String]

    public init(shardSize: Int64, sha256: [String]) {
        self.shardSize = shardSize
        self.sha256 = sha256
    }

    /// The shard size `lock` uses unless told otherwise (1 GiB).
    public static let defaultSize: Int64 = 1 << 30
    /// The smallest shard size accepted (1 MiB): smaller shards add a digest per MiB to the
    /// registry and gain nothing in speed.
    public static let minimumSize: Int64 = 1 << 20
    /// The largest shard size accepted (1 TiB).
    public static let maximumSize: Int64 = 1 << 40

    /// The number of shards of a file of `fileSize` bytes (a file of 0 bytes has none).
    public static func count(fileSize: Int64, shardSize: Int64) -> Int {
        guard shardSize > 0, fileSize > 0 else { return 0 }
        return Int((fileSize - 1) / shardSize + 1)
    }

    /// The bytes of shard `index` in a file of `fileSize` bytes.
    public func range(of index: Int, fileSize: Int64) -> Range<Int64> {
        let start = Int64(index) * shardSize
        return start..<min(start + shardSize, fileSize)
    }

    /// Whether these shards can stand for a file of `fileSize` bytes: a size within bounds,
    /// exactly one 64-hex-digit digest per shard. A record that is not (hand-edited, or from
    /// another tool) is ignored and the file hashed whole.
    public func fits(fileSize: Int64) -> Bool {
        (Self.minimumSize...Self.maximumSize).contains(shardSize)
            && sha256.count == Self.count(fileSize: fileSize, shardSize: shardSize)
            && sha256.allSatisfy { if case .raw = DigestValue(hex: $0) { true } else { false } }
    }
}

/// What a verify knows of a file before reading it: its recorded size, whole-file digest
/// and shard digests.
public struct ShardExpectation: Sendable, Hashable {
    /// Recorded size in bytes; the shards stand for the file only when it still has this size.
    public var fileSize: Int64
    /// Recorded whole-file SHA-256 (lowercase hex).
    public var sha256: String
    /// Recorded shard digests.
    public var shards: FileShards

    public init(fileSize: Int64, sha256: String, shards: FileShards) {
        self.fileSize = fileSize
        self.sha256 = sha256
        self.shards = shards
    }
}

/// The shard digests and changed byte ranges a hashing run found, gathered from its workers.
final class ShardResults: Sendable {
    private let state = Mutex<(shards: [String: FileShards], changed: [String: [Range<Int64>]])>(([:], [:]))

    func add(_ path: String, _ shards: FileShards) { state.withLock { $0.shards[path] = shards } }
    func addChanged(_ path: String, _ ranges: [Range<Int64>]) { state.withLock { $0.changed[path] = ranges } }
    func take() -> (shards: [String: FileShards], changed: [String: [Range<Int64>]]) { state.withLock { $0 } }
}

/// Checks one open file against its recorded shard digests, several shards at once.
enum ShardCheck {
    /// The shards of `file` whose bytes no longer hash to `expected`, by index (empty: every
    /// shard matches, so the file is its recorded bytes).
    ///
    /// Up to `jobs` child tasks on ``BlockingExecutor`` each take the next unread shard, read it with `pread` in
    /// `chunkSize` pieces into a buffer of their own and compare its digest. The file must
    /// keep its size, modification and change times for the whole read, and hold no byte past
    /// its size, as a whole-file hash checks.
    ///
    /// - Parameter dropBehind: tell the kernel each shard's pages are not needed again once
    ///   read (`--io-nice` scrubs, so the serving working set stays in the page cache).
    /// - Throws: ``HashingError`` naming the file (a read failed, the file changed meanwhile),
    ///   or `CancellationError`.
    static func mismatches(_ file: OpenedFile, expected: FileShards, jobs: Int, chunkSize: Int, dropBehind: Bool,
                           displayPath: PathName, meter: ProgressMeter?) async throws -> [Int] {
        let (fd, size) = (file.fd, file.size)
        let count = expected.sha256.count
        let state = CheckState()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // On the blocking-work executor, as the hashing workers: the reads block, and
            // `jobs` shards are read at once even on fewer processors.
            for _ in 0..<max(1, min(jobs, count)) {
                group.addTask(executorPreference: BlockingExecutor.shared) {
                    let buffer = ChunkBuffers.take(chunkSize)
                    defer { ChunkBuffers.give(buffer) }
                    var digest = SHA256Digest()
                    while true {
                        let index = state.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < count else { return }
                        try Task.checkCancellation()
                        let range = expected.range(of: index, fileSize: size)
                        Platform.adviseShard(fd, range)
                        digest.reset()
                        var offset = range.lowerBound
                        while offset < range.upperBound {
                            let want = Int(min(Int64(buffer.count), range.upperBound - offset))
                            let n: Int
                            do throws(SystemError) {
                                n = try Platform.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
                            } catch {
                                throw ioError(displayPath, "read failed", error)
                            }
                            if n == 0 {
                                state.shortRead.store(true, ordering: .relaxed)
                                return
                            }
                            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                            offset += Int64(n)
                            state.read.add(Int64(n), ordering: .relaxed)
                            meter?.add(bytes: n)
                            if shouldStopReading(from: offset - Int64(n), to: offset) { throw CancellationError() }
                        }
                        if dropBehind { Platform.adviseDone(fd, range) }
                        if digest.finalizeValue() != DigestValue(hex: expected.sha256[index]) {
                            state.changed.withLock { $0.append(index) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        var beyond = false
        let after: FileStatus
        do throws(SystemError) {
            let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
            defer { probe.deallocate() }
            beyond = try Platform.read(fd, into: probe, at: size) > 0
            after = try Platform.status(of: fd)
        } catch {
            throw ioError(displayPath, "cannot read", error)
        }
        let short = state.shortRead.load(ordering: .relaxed)
        if let problem = HashingError.afterRead(read: state.read.load(ordering: .relaxed), short: short, beyond: beyond,
                                                before: file.opened, after: after, name: displayPath) {
            throw problem
        }
        return state.changed.withLock { $0.sorted() }
    }

    /// What the shard readers of one file share: the next shard to take, the shards that
    /// differ, and whether the file ended early.
    private final class CheckState: Sendable {
        let next = Atomic<Int>(0)
        let changed = Mutex<[Int]>([])
        let shortRead = Atomic<Bool>(false)
        let read = Atomic<Int64>(0)
    }
}

/// Feeds a file's bytes, in order, to the digest of the shard they fall in (see
/// ``FileShards``), while the whole-file digest takes the same chunks: one read gives both.
struct ShardHasher: ~Copyable {
    let shardSize: Int64
    private var digest = SHA256Digest()
    private var position: Int64 = 0
    private(set) var digests: [String] = []

    init(shardSize: Int64) { self.shardSize = shardSize }

    /// Takes the next bytes of the file.
    mutating func update(_ chunk: UnsafeRawBufferPointer) {
        var start = 0
        while start < chunk.count {
            let room = Int(min(Int64(chunk.count - start), shardSize - position % shardSize))
            digest.update(UnsafeRawBufferPointer(rebasing: chunk[start..<(start + room)]))
            start += room
            position += Int64(room)
            if position % shardSize == 0 { digests.append(digest.finalizeHex()) }
        }
    }

    /// The shards of the bytes taken.
    consuming func finish() -> FileShards {
        if position % shardSize != 0 { digests.append(digest.finalizeHex()) }
        return FileShards(shardSize: shardSize, sha256: digests)
    }
}
