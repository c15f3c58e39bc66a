import SystemSupport
import Synchronization

/// How far a hashing run has come.
public struct HashProgress: Sendable, Hashable {
    /// Bytes hashed so far.
    public var bytesDone: Int64
    /// Bytes in all files, as a quick listing before the hashing found them.
    public var bytesTotal: Int64
    /// Files finished.
    public var filesDone: Int
    /// Files in all.
    public var filesTotal: Int
    /// The file a worker started last, relative to the root, control characters escaped.
    public var currentFile: String? = nil
}

/// Hashes an artifact root: every file streamed through SHA-256, several files at once.
///
/// Workers run in a task group whose children run on ``BlockingExecutor`` (their reads block),
/// `jobs` of them at once even on fewer processors. Each owns one digest context and one
/// page-aligned read buffer, and takes the next few files from the shared walk (see
/// ``ArtifactWalk``), so listing the tree overlaps with hashing it and memory stays at
/// `jobs x chunkSize` whatever the file sizes. The manifest is sorted at the end, so results
/// are the same for any number of jobs.
///
/// ```swift
/// let manifest = try await ArtifactHasher(jobs: 4).hash("/models/qwen3-8b")
/// print(manifest.aggregate)
/// ```
public struct ArtifactHasher: Sendable {
    /// Files hashed at once (1 to ``maximumJobs``).
    public var jobs: Int
    /// Bytes read per system call, per worker. The default, 256 KiB, keeps the buffer in a
    /// core's L2 cache between the copy and the hash; tests use odd sizes to split input.
    public var chunkSize: Int
    /// What the walk leaves out (default: ``PathExclusions/default``, tool metadata
    /// directories; ``PathExclusions/none`` hashes everything, as model_signing's tree walk
    /// below its top level and ImageWorks do).
    public var exclusions: PathExclusions

    /// The most workers a run starts (256): more cannot go faster on any disk or processor
    /// count this tool meets, and each costs memory. A larger `jobs` is lowered to it.
    public static let maximumJobs = 256

    /// A hasher with `jobs` workers (default: the processors this process may run on),
    /// at least 1 and at most ``maximumJobs``. Workers that find no file to hash allocate
    /// nothing, so a tree of fewer files than workers costs no more than it needs.
    public init(jobs: Int? = nil, chunkSize: Int = 256 << 10, exclusions: PathExclusions = .default) {
        self.jobs = min(ArtifactHasher.maximumJobs, max(1, jobs ?? ArtifactHasher.defaultJobs))
        self.chunkSize = max(1, chunkSize)
        self.exclusions = exclusions
    }

    /// The number of processors online.
    public static var defaultJobs: Int { BlockingExecutor.processorCount }

    /// Record the digest of each shard of this many bytes (see ``FileShards``) for every file
    /// at least this large, in the same read as its whole-file digest (``Manifest/shards``).
    /// `nil` (the default) records none: the shard digests cost a second SHA-256 of the bytes.
    public var shardSize: Int64?
    /// Recorded digests by path (relative to the root). A file listed here with its recorded
    /// size and usable shards (``FileShards/fits(fileSize:)``) is read shard by shard, up to
    /// `jobs` shards at once; when every shard matches, its recorded digest (and shards) are
    /// taken as its own. A file with a changed shard is hashed whole, and the changed byte
    /// ranges are noted (``Manifest/changedRanges``).
    public var expectedShards: [String: ShardExpectation] = [:]
    /// Tell the kernel the pages read are not needed again (`--io-nice`), so a scrub does not
    /// evict the page cache a server works from: each shard checked, and every few MiB of a
    /// file hashed whole.
    public var dropBehind = false

    /// Hashes every file under `root` (or `root` itself, when it is a file).
    ///
    /// - Parameters:
    ///   - root: a directory or a regular file.
    ///   - progress: called from worker threads at most about ten times a second, and once at the end.
    /// - Returns: the manifest, files sorted by the bytes of their paths.
    /// - Throws: ``HashingError`` naming the path (missing root, dangling symlink or link loop,
    ///   an I/O error, a file or directory that changed while it was read, a file longer than
    ///   its size), or `CancellationError`.
    public func hash(_ root: String, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> Manifest {
        try await hash(PathName(root), progress: progress)
    }

    /// Hashes the root whose path is given as bytes, for a path that is not valid UTF-8 (a
    /// command-line argument, say). ``Manifest/root`` reads invalid bytes as U+FFFD.
    public func hash(rootBytes: [UInt8], progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> Manifest {
        try await hash(PathName(bytes: rootBytes), progress: progress)
    }

    /// Hashes every file under `root`, reusing the digest `cache` holds for each file whose
    /// stamp (device, inode, size, modification and change times) is unchanged; the others are
    /// read in full. The tree is still walked (a `stat` per file), so an added or removed file
    /// is seen. A `nil` cache reads every file, and records the stamps for the next run.
    ///
    /// - Returns: the manifest, the cache to keep for the next run and how many files were reused.
    /// - Throws: as ``hash(_:progress:)``.
    public func hash(_ root: String, reusing cache: StatCache?,
                     progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> CachedHash {
        let stamps = StampCollector()
        let manifest = try await hash(PathName(root), progress: progress, known: cache ?? StatCache(), stamps: stamps)
        return CachedHash(manifest: manifest, cache: stamps.take(), reusedFiles: stamps.reusedCount)
    }

    func hash(_ root: PathName, progress: (@Sendable (HashProgress) -> Void)?,
              known: StatCache? = nil, stamps: StampCollector? = nil) async throws -> Manifest {
        let walk = try ArtifactWalk(root: root, exclusions: exclusions)
        // Only a progress display needs the totals up front; it pays for one extra listing
        // (a stat per file: milliseconds for a model, ~50 ms for 20,000 small files).
        let meter = try progress.map { handler in
            let total = try ArtifactWalk(root: root, exclusions: exclusions).measure()
            return ProgressMeter(bytesTotal: total.bytes, filesTotal: total.files, handler: handler)
        }
        let workers = min(jobs, ArtifactHasher.maximumJobs)
        let chunk = chunkSize
        // Every file a worker has taken keeps its directory open until it is opened itself, and
        // the workers really run at once: their batches together must fit the descriptor limit
        // (`ulimit -n`), with room left for the walk's own directories and the files being read.
        let perTake = max(1, min(Worker.filesPerTake, (Platform.descriptorLimit - 16) / (2 * workers)))
        let collector = FileCollector()
        // Shard work only when asked for: otherwise each file would pay for its path text and a lookup.
        let shards = shardSize != nil || !expectedShards.isEmpty || dropBehind
            ? ShardUse(size: shardSize, expected: expectedShards, jobs: workers, dropBehind: dropBehind, results: ShardResults()) : nil
        let executor = BlockingExecutor.shared
        executor.reserve(workers)
        let work: @Sendable () async throws -> Void = {
            var worker = Worker(chunkSize: chunk, filesPerTake: perTake, shards: shards)
            try await worker.run(walk: walk, meter: meter, collector: collector, known: known, stamps: stamps)
        }
        if workers == 1 {
            // One worker hashes in the calling task: verify --all hashes each entry with one
            // worker when there are more entries than jobs (ImageWorks' 16 on two cores), and
            // a child task cost two thread hand-offs per entry.
            try await withTaskExecutorPreference(executor, operation: work)
        } else {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<workers { group.addTask(executorPreference: executor, operation: work) }
                try await group.waitForAll()
            }
        }
        try walk.verifyUnchanged()
        meter?.finish()
        var manifest = Manifest(root: root.string, sorting: collector.take())
        if let shards { (manifest.shards, manifest.changedRanges) = shards.results.take() }
        return manifest
    }

    /// Hashes one file and returns its lowercase hex digest.
    public func hashFile(atPath path: String) throws -> String {
        // Opened as the walk opens a root that is a file.
        let name = PathName(path)
        let file = try ListedFile(directory: nil, name: name, relativePath: name, isLink: false).open()
        defer { Platform.close(file.fd) }
        var worker = Worker(chunkSize: chunkSize)
        return try worker.hash(file, displayPath: { name }, meter: nil).hex
    }
}

/// Gathers the workers' results in batches, so a million files are never copied into a
/// growing array: the batches are moved into one array of the exact size at the end.
final class FileCollector: Sendable {
    private let batches = Mutex<[[ArtifactFile]]>([])

    func add(_ batch: [ArtifactFile]) {
        guard !batch.isEmpty else { return }
        batches.withLock { $0.append(batch) }
    }

    func take() -> [ArtifactFile] {
        batches.withLock { batches in
            var all: [ArtifactFile] = []
            all.reserveCapacity(batches.reduce(0) { $0 + $1.count })
            for i in batches.indices {
                all += batches[i]
                batches[i] = []
            }
            batches = []
            return all
        }
    }
}

/// Counts bytes and reports progress at most every 100 ms.
final class ProgressMeter: Sendable {
    let bytesTotal: Int64
    let filesTotal: Int
    let handler: @Sendable (HashProgress) -> Void
    private let bytes = Atomic<Int64>(0)
    private let files = Atomic<Int>(0)
    private let lastReport = Atomic<UInt64>(0)
    private let current = Mutex<String?>(nil)

    init(bytesTotal: Int64, filesTotal: Int, handler: @escaping @Sendable (HashProgress) -> Void) {
        self.bytesTotal = bytesTotal
        self.filesTotal = filesTotal
        self.handler = handler
    }

    func add(bytes count: Int) {
        bytes.wrappingAdd(Int64(count), ordering: .relaxed)
        maybeReport()
    }

    /// A worker starts on `path` (shown as the current file).
    func starting(_ path: String) {
        current.withLock { $0 = path }
    }

    func fileDone() {
        files.wrappingAdd(1, ordering: .relaxed)
        maybeReport()
    }

    private func maybeReport() {
        let now = Platform.monotonicNanoseconds()
        let last = lastReport.load(ordering: .relaxed)
        guard now &- last >= 100_000_000 else { return }
        guard lastReport.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        handler(snapshot())
    }

    func finish() { handler(snapshot()) }

    private func snapshot() -> HashProgress {
        HashProgress(bytesDone: bytes.load(ordering: .relaxed), bytesTotal: bytesTotal,
                     filesDone: files.load(ordering: .relaxed), filesTotal: filesTotal, currentFile: current.withLock { $0 })
    }
}


/// One hashing worker: a digest context and a read buffer, reused for every file it takes.
/// The buffer is allocated when the first file comes, so idle workers cost nothing.
private struct Worker: ~Copyable {
    var digest = SHA256Digest()
    let chunkSize: Int
    var storage: UnsafeMutableRawBufferPointer?

    /// Files taken from the walk at once (at most ``filesPerTake``, the type's).
    let perTake: Int
    let shards: ShardUse?
    /// The shards of the file being hashed, when it is large enough to record them.
    var sharding: ShardHasher?

    init(chunkSize: Int, filesPerTake: Int = Worker.filesPerTake, shards: ShardUse? = nil) {
        self.chunkSize = chunkSize
        perTake = filesPerTake
        self.shards = shards
    }

    deinit { if let storage { ChunkBuffers.give(storage) } }

    var buffer: UnsafeMutableRawBufferPointer {
        mutating get {
            if let storage { return storage }
            let made = ChunkBuffers.take(chunkSize)
            storage = made
            return made
        }
    }

    /// Takes files from the walk until it is done, handing what it hashed to `collector`.
    /// With `stamps`, each file's stamp is recorded, and a file whose stamp `known` holds
    /// unchanged is not read: its recorded digest is used.
    mutating func run(walk: ArtifactWalk, meter: ProgressMeter?, collector: FileCollector,
                      known: StatCache? = nil, stamps: StampCollector? = nil) async throws {
        var out: [ArtifactFile] = []
        var recorded: [(PathName, StatCache.Record)] = []
        // Files taken from the walk and not yet started, the next one last.
        var taken: [ListedFile] = []
        taken.reserveCapacity(perTake)
        // Files taken and not yet settled with the walk (see `ArtifactWalk.waitForLoans()`).
        var owed = 0
        defer {
            // Also on an error: the files not started go back, so no other worker waits for them.
            let unstarted = taken.count
            walk.giveBack(&taken)
            walk.settle(owed - unstarted)
        }
        while true {
            if taken.isEmpty {
                owed += try walk.next(into: &taken, limit: perTake)
            } else if taken.count <= perTake / 4 {
                owed += try walk.topUp(&taken, limit: perTake - taken.count)
            }
            guard let listed = taken.popLast() else {
                // Another worker may yet hand back the files behind a large one it opened.
                guard await walk.waitForLoans() else { break }
                try Task.checkCancellation()
                continue
            }
            if taken.isEmpty {
                walk.settle(owed)
                owed = 0
            }
            try Task.checkCancellation()
            if let stamps, let known, known.count > 0 {
                let st = try listed.statFollowingLinks()
                if st.kind == .regular, let record = known.lookup(listed.relativePath, FileStamp(st)) {
                    out.append(ArtifactFile(name: listed.relativePath, digest: record.digest, size: st.size))
                    recorded.append((listed.relativePath, record))
                    stamps.countReused()
                    meter?.add(bytes: Int(st.size))
                    meter?.fileDone()
                    Worker.flush(&out, to: collector)
                    if recorded.count == 4096 { stamps.add(recorded); recorded = [] }
                    continue
                }
            }
            let file = try listed.open()
            defer { Platform.close(file.fd) }
            // A large file keeps this worker busy a while: the files behind it go to others.
            if file.size >= Worker.smallFileLimit, !taken.isEmpty {
                owed -= taken.count
                walk.giveBack(&taken)
                walk.settle(owed)
                owed = 0
            }
            if let meter { meter.starting(listed.relativePath.displayed) }
            let path = shards == nil ? "" : listed.relativePath.string
            var fromShards: DigestValue?
            if let shards, let expected = shards.expected[path], expected.fileSize == file.size, expected.shards.fits(fileSize: file.size),
               Worker.age(file.opened) >= Worker.settlingNanoseconds {
                let changed = try await ShardCheck.mismatches(file, expected: expected.shards, jobs: shards.jobs, chunkSize: chunkSize,
                                                              dropBehind: shards.dropBehind, displayPath: listed.displayPath, meter: meter)
                if changed.isEmpty {
                    fromShards = DigestValue(hex: expected.sha256)
                    shards.results.add(path, expected.shards)
                } else {
                    // The file's true digest is still wanted (the diff shows it): it is hashed whole.
                    shards.results.addChanged(path, changed.map { expected.shards.range(of: $0, fileSize: file.size) })
                }
            }
            let digest: DigestValue
            if let fromShards {
                digest = fromShards
            } else {
                digest = try hash(file, displayPath: { listed.displayPath }, meter: meter)
                if let recorded = sharding.take()?.finish() { shards?.results.add(path, recorded) }
            }
            out.append(ArtifactFile(name: listed.relativePath, digest: digest, size: file.size))
            if let stamps, Worker.age(file.opened) >= Worker.settlingNanoseconds {
                recorded.append((listed.relativePath, StatCache.Record(stamp: FileStamp(file.opened), digest: digest)))
                if recorded.count == 4096 { stamps.add(recorded); recorded = [] }
            }
            meter?.fileDone()
            Worker.flush(&out, to: collector)
        }
        collector.add(out)
        stamps?.add(recorded)
    }

    /// Files a worker takes from the walk at once: one lock per dozen small files, not per
    /// file. A worker with a few files left tops its batch up only when no other worker is in
    /// the walk, so workers seldom wait for each other's listing.
    static let filesPerTake = 16
    /// Files at least this large (1 MiB) make a worker hand back the files it took with them.
    static let smallFileLimit: Int64 = 1 << 20
    /// Bytes read between two drop-behind hints (8 MiB): few calls, little cache held, and
    /// ranges aligned to the page cache's largest folios (2 MiB), which a hint covering only
    /// part of them leaves in place.
    static let dropBehindStep: Int64 = 8 << 20

    /// Hands a full batch to the collector.
    static func flush(_ out: inout [ArtifactFile], to collector: FileCollector) {
        guard out.count == 4096 else { return }
        collector.add(out)
        out = []
        out.reserveCapacity(4096)
    }


    /// A file modified less than this long (2 s) before it was opened may still be in the
    /// middle of a write that began earlier: the kernel stamps the times when a write starts,
    /// so they would not move again while the read overtakes the writer.
    static let settlingNanoseconds: Int64 = 2_000_000_000

    /// A file modified less than this long (60 s) before it was opened is written back
    /// (`fdatasync`) before it is read. A process writing through a shared writable mapping
    /// stamps the times only when it first dirties a page; until the kernel writes that page
    /// back (within 30 s by default, `vm.dirty_expire_centisecs`), further stores change the
    /// bytes and nothing else. Writing the pages back ourselves makes the writer's next store
    /// fault and move the times, which the comparison after the read then sees.
    static let writebackNanoseconds: Int64 = 60_000_000_000

    /// Hashes one open file. The size, modification and change times (ctime) from when it was
    /// opened are compared with those after the last read; if any differ, or the bytes read
    /// differ from the size, the file changed under us and no digest is returned. A file
    /// modified moments before it was opened is read a second time, after any write under way
    /// has finished (``Platform/waitForWriters(_:)``), and must give the same digest; one
    /// modified within a minute is first written back (see ``writebackNanoseconds``).
    mutating func hash(_ file: OpenedFile, displayPath: () -> PathName, meter: ProgressMeter?) throws -> DigestValue {
        let age = Worker.age(file.opened)
        if age < Worker.writebackNanoseconds { Platform.writeBack(file.fd) }
        let first = try digestOnce(file, displayPath: displayPath, meter: meter)
        guard age < Worker.settlingNanoseconds else { return first }
        // A write that was under way during the first read ends before the second begins, so
        // the second sees its bytes even if the writer stalled for the whole first read.
        Platform.waitForWriters(file.fd)
        let second = try digestOnce(file, displayPath: displayPath, meter: nil)
        guard second == first else {
            throw HashingError(.changedWhileHashing, name: displayPath(),
                               reason: "file was being written while it was hashed (two reads differ); hash it again once it is stable")
        }
        return first
    }

    /// Nanoseconds since the file's modification or change time, whichever is later.
    static func age(_ st: FileStatus) -> Int64 {
        Platform.realtimeNanoseconds() - max(st.modified, st.changed)
    }

    /// Streams the file through the digest once and checks that it did not change meanwhile.
    ///
    /// Reads ask for a whole buffer even near the end of the file, and a file whose last read
    /// filled the buffer gets one more read at its size: bytes beyond the size `fstat` gave
    /// (files in `/proc` say 0 and hold text) are seen, never silently left out.
    private mutating func digestOnce(_ file: OpenedFile, displayPath: () -> PathName, meter: ProgressMeter?) throws -> DigestValue {
        let fd = file.fd
        let before = file.opened
        let size = before.size
        let buffer = self.buffer
        if size > Int64(buffer.count) { Platform.adviseSequential(fd) }
        digest.reset()
        sharding = nil
        if let shardSize = shards?.size, size >= shardSize { sharding = ShardHasher(shardSize: shardSize) }
        var offset: Int64 = 0
        // With `dropBehind`, the pages read are let go every few MiB (see ``ArtifactHasher/dropBehind``).
        let dropBehind = shards?.dropBehind ?? false
        var dropped: Int64 = 0
        var atEnd = false
        var beyond = false
        do {
            while offset < size {
                let n = try Platform.read(fd, into: buffer, at: offset)
                if n == 0 {
                    atEnd = true
                    break
                }
                let useful = Int(min(Int64(n), size - offset))
                beyond = n > useful
                atEnd = n < buffer.count
                digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<useful]))
                sharding?.update(UnsafeRawBufferPointer(rebasing: buffer[0..<useful]))
                offset += Int64(useful)
                meter?.add(bytes: useful)
                if dropBehind, offset - dropped >= Worker.dropBehindStep || offset == size {
                    Platform.adviseDone(fd, dropped..<offset)
                    dropped = offset
                }
                if shouldStopReading(from: offset - Int64(useful), to: offset) { throw CancellationError() }
            }
            if offset == size, !atEnd, !beyond {
                beyond = try Platform.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1]), at: size) > 0
            }
        } catch let error as SystemError {
            throw ioError(displayPath(), "read failed", error)
        }
        let after: FileStatus
        do throws(SystemError) {
            after = try Platform.status(of: fd)
        } catch {
            throw ioError(displayPath(), "cannot stat", error)
        }
        if let problem = HashingError.afterRead(read: offset, short: offset < size && atEnd, beyond: beyond,
                                                before: before, after: after, name: displayPath()) {
            throw problem
        }
        return digest.finalizeValue()
    }
}

extension HashingError {
    /// What a finished read of a file proves, for every reader of whole files or shards:
    /// nothing wrong (nil), fewer bytes than the size `fstat` gave in a file that did not
    /// change (as in `/sys`), a file that changed during the read, or more bytes than its size
    /// (as in `/proc`).
    ///
    /// - Parameters:
    ///   - read: the bytes read, of the `before.size` the file had when it was opened;
    ///   - short: a read returned end of file before the size was reached;
    ///   - beyond: a read returned bytes past the size.
    static func afterRead(read: Int64, short: Bool, beyond: Bool, before: FileStatus, after: FileStatus, name: PathName) -> HashingError? {
        let size = before.size
        let unchanged = after.isUnchanged(from: before)
        if short && unchanged {
            return HashingError(.sizeMismatch, name: name,
                                reason: "file holds fewer bytes (\(read)) than its size (\(size)) says, as files in /sys do; copy it into a regular file to hash it")
        }
        if read != size || !unchanged {
            let what = after.size != size ? "size \(size) -> \(after.size) bytes"
                : read != size ? "read \(read) of \(size) bytes" : "modified during the read"
            return HashingError(.changedWhileHashing, name: name,
                                reason: "file changed while it was being hashed (\(what)); hash it again once it is stable")
        }
        if beyond {
            return HashingError(.sizeMismatch, name: name,
                                reason: "file holds more bytes than its size (\(size)) says, as files in /proc and /sys do; copy it into a regular file to hash it")
        }
        return nil
    }
}

/// Read buffers handed from one worker to the next: a batch of 1,000 small entries starts
/// 1,000 workers, and a fresh buffer each time costs an allocation and, as its pages are
/// returned and touched again, page faults and cold cache lines under every first read.
/// At most a few are kept (one per processor is all that is ever in use at once).
enum ChunkBuffers {
    /// A buffer no worker holds (only the pool refers to it).
    private struct Idle: @unchecked Sendable { let buffer: UnsafeMutableRawBufferPointer }

    private static let pool = Mutex<[Idle]>([])
    static let kept = 8

    static func take(_ size: Int) -> UnsafeMutableRawBufferPointer {
        let reused = pool.withLock { idle -> Idle? in
            guard let index = idle.firstIndex(where: { $0.buffer.count == size }) else { return nil }
            return idle.remove(at: index)
        }
        return reused?.buffer ?? UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
    }

    static func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let kept = pool.withLock { idle -> Bool in
            guard idle.count < Self.kept else { return false }
            idle.append(Idle(buffer: buffer))
            return true
        }
        if !kept { buffer.deallocate() }
    }
}

/// How a run uses shard digests (see ``ArtifactHasher/shardSize`` and
/// ``ArtifactHasher/expectedShards``), shared by its workers.
struct ShardUse: Sendable {
    let size: Int64?
    let expected: [String: ShardExpectation]
    /// Shards of one file read at once.
    let jobs: Int
    let dropBehind: Bool
    let results: ShardResults
}

/// Whether the task was cancelled (another worker failed, or the caller gave up), checked
/// each time a read from `start` to `end` crosses a 16 MiB boundary, so a large file or shard
/// does not hold up the error for the rest of its length.
func shouldStopReading(from start: Int64, to end: Int64) -> Bool {
    start >> 24 != end >> 24 && Task.isCancelled
}
