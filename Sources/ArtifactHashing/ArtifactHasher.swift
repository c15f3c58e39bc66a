#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
}

/// Hashes an artifact root: every file streamed through SHA-256, several files at once.
///
/// Workers run in a task group. Each owns one digest context and one page-aligned read buffer,
/// and takes the next few files from the shared walk (see ``ArtifactWalk``), so listing the
/// tree overlaps with hashing it and memory stays at `jobs x chunkSize` whatever the file
/// sizes. A worker with a large file and a processor to spare reads ahead on a second thread
/// (see ``ReadAhead``), so a single file hashes at the rate of one core. The manifest is
/// sorted at the end, so results are the same for any number of jobs.
///
/// ```swift
/// let manifest = try await ArtifactHasher(jobs: 4).hash("/models/qwen3-8b")
/// print(manifest.aggregate)
/// ```
public struct ArtifactHasher: Sendable {
    /// Files hashed at once (at least 1).
    public var jobs: Int
    /// Bytes read per system call, per worker. The default, 256 KiB, keeps the buffer in a
    /// core's L2 cache between the copy and the hash; tests use odd sizes to split input.
    public var chunkSize: Int

    /// A hasher with `jobs` workers (default: the processors this process may run on).
    public init(jobs: Int? = nil, chunkSize: Int = 256 << 10) {
        self.jobs = max(1, jobs ?? ArtifactHasher.defaultJobs)
        self.chunkSize = max(1, chunkSize)
    }

    /// The number of processors online.
    public static var defaultJobs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Processors the run may use; those not taken by workers read ahead of large files.
    var processors = ArtifactHasher.defaultJobs
    /// Files at least this large (8 MiB) are read ahead when a processor is spare.
    var readAheadMinimum: Int64 = 8 << 20

    /// Hashes every file under `root` (or `root` itself, when it is a file).
    ///
    /// - Parameters:
    ///   - root: a directory or a regular file.
    ///   - progress: called from worker threads at most about ten times a second, and once at the end.
    /// - Returns: the manifest, files sorted by path.
    /// - Throws: ``HashingError`` naming the path (missing root, dangling symlink, a name with a
    ///   newline, an I/O error, a file that changed while it was read), or `CancellationError`.
    public func hash(_ root: String, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> Manifest {
        let walk = try ArtifactWalk(root: root)
        // Only a progress display needs the totals up front; it pays for one extra listing
        // (a stat per file: milliseconds for a model, ~50 ms for 20,000 small files).
        let meter = try progress.map { handler in
            let total = try ArtifactWalk(root: root).measure()
            return ProgressMeter(bytesTotal: total.bytes, filesTotal: total.files, handler: handler)
        }
        let spare = SpareProcessors(processors: processors, workers: jobs)
        let (chunk, readAhead) = (chunkSize, readAheadMinimum)
        var files: [ArtifactFile] = []
        try await withThrowingTaskGroup(of: [ArtifactFile].self) { group in
            for _ in 0..<jobs {
                group.addTask {
                    // A worker that is done frees its processor for another's read-ahead.
                    defer { spare.give() }
                    var worker = Worker(chunkSize: chunk, spare: spare, readAheadMinimum: readAhead)
                    return try worker.run(walk: walk, meter: meter)
                }
            }
            for try await done in group { files += done }
        }
        meter?.finish()
        return Manifest(root: root, files: files)
    }

    /// Hashes one file and returns its lowercase hex digest.
    public func hashFile(atPath path: String) throws -> String {
        // Opened as the walk opens a root that is a file.
        guard let file = try ListedFile(directory: nil, name: path, relativePath: path, isLink: false).open() else {
            throw HashingError(.unsupportedRoot, path: path, reason: "not a regular file")
        }
        defer { close(file.fd) }
        var worker = Worker(chunkSize: chunkSize, spare: nil, readAheadMinimum: readAheadMinimum)
        return try worker.hash(file, displayPath: path, meter: nil)
    }
}

/// Counts bytes and reports progress at most every 100 ms.
private final class ProgressMeter: Sendable {
    let bytesTotal: Int64
    let filesTotal: Int
    let handler: @Sendable (HashProgress) -> Void
    private let bytes = Atomic<Int64>(0)
    private let files = Atomic<Int>(0)
    private let lastReport = Atomic<UInt64>(0)

    init(bytesTotal: Int64, filesTotal: Int, handler: @escaping @Sendable (HashProgress) -> Void) {
        self.bytesTotal = bytesTotal
        self.filesTotal = filesTotal
        self.handler = handler
    }

    func add(bytes count: Int) {
        bytes.wrappingAdd(Int64(count), ordering: .relaxed)
        maybeReport()
    }

    func fileDone() {
        files.wrappingAdd(1, ordering: .relaxed)
        maybeReport()
    }

    private func maybeReport() {
        let now = monotonicNanoseconds()
        let last = lastReport.load(ordering: .relaxed)
        guard now &- last >= 100_000_000 else { return }
        guard lastReport.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        handler(snapshot())
    }

    func finish() { handler(snapshot()) }

    private func snapshot() -> HashProgress {
        HashProgress(bytesDone: bytes.load(ordering: .relaxed), bytesTotal: bytesTotal,
                     filesDone: files.load(ordering: .relaxed), filesTotal: filesTotal)
    }
}

private func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// One hashing worker: a digest context and a read buffer, reused for every file it takes.
private struct Worker: ~Copyable {
    var digest = SHA256Digest()
    let buffer: UnsafeMutableRawBufferPointer
    let spare: SpareProcessors?
    let readAheadMinimum: Int64

    init(chunkSize: Int, spare: SpareProcessors?, readAheadMinimum: Int64) {
        buffer = .allocate(byteCount: chunkSize, alignment: 4096)
        self.spare = spare
        self.readAheadMinimum = readAheadMinimum
    }

    deinit { buffer.deallocate() }

    /// Takes files from the walk until it is done; returns the files this worker hashed.
    mutating func run(walk: ArtifactWalk, meter: ProgressMeter?) throws -> [ArtifactFile] {
        var out: [ArtifactFile] = []
        while let listed = try walk.next() {
            try Task.checkCancellation()
            guard let file = try listed.open() else { continue }
            defer { close(file.fd) }
            let hex = try hash(file, displayPath: listed.displayPath, meter: meter)
            out.append(ArtifactFile(path: listed.relativePath, sha256: hex, size: file.size))
            meter?.fileDone()
        }
        return out
    }

    /// Whether the task was cancelled (another worker failed, or the caller gave up), checked
    /// every 16 MiB so a large file does not hold up the error for the rest of its length.
    static func shouldStop(from start: Int64, to end: Int64) -> Bool {
        start >> 24 != end >> 24 && Task.isCancelled
    }

    /// A file modified less than this long (2 s) before it was opened may still be in the
    /// middle of a write that began earlier: the kernel stamps the times when a write starts,
    /// so they would not move again while the read overtakes the writer.
    static let settlingNanoseconds: Int64 = 2_000_000_000

    /// Hashes one open file. The size, modification and change times from when it was opened
    /// are compared with those after the last read; if any differ, or the bytes read differ
    /// from the size, the file changed under us and no digest is returned. A file modified
    /// moments before it was opened is read a second time and must give the same digest.
    mutating func hash(_ file: OpenedFile, displayPath: @autoclosure () -> String, meter: ProgressMeter?) throws -> String {
        let first = try digestOnce(file, displayPath: displayPath(), meter: meter)
        guard Worker.recentlyModified(file.opened) else { return first }
        let second = try digestOnce(file, displayPath: displayPath(), meter: nil)
        guard second == first else {
            throw HashingError(.changedWhileHashing, path: displayPath(),
                               reason: "file was being written while it was hashed (two reads differ); hash it again once it is stable")
        }
        return first
    }

    /// Whether the file's modification or change time is within ``settlingNanoseconds`` of now.
    static func recentlyModified(_ st: stat) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        func nanoseconds(_ t: timespec) -> Int64 { Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec) }
        let latest = max(nanoseconds(st.st_mtim), nanoseconds(st.st_ctim))
        return nanoseconds(now) - latest < settlingNanoseconds
    }

    /// Streams the file through the digest once and checks that it did not change meanwhile.
    private mutating func digestOnce(_ file: OpenedFile, displayPath: @autoclosure () -> String, meter: ProgressMeter?) throws -> String {
        let fd = file.fd
        let before = file.opened
        let size = Int64(before.st_size)
        if size > Int64(buffer.count) {
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        }
        digest.reset()
        var offset: Int64 = 0
        // Read up to the size fstat gave; growth after that shows in the second fstat.
        while offset < size {
            // A processor may free up mid-file (another worker ran out of files): from then on
            // a second thread reads ahead and this one only hashes.
            if size >= readAheadMinimum, size - offset >= readAheadMinimum / 2, let spare, spare.take() {
                defer { spare.give() }
                if let reader = ReadAhead(fd: fd, from: offset, to: size) {
                    let end = reader.consume { chunk in
                        digest.update(chunk)
                        offset += Int64(chunk.count)
                        meter?.add(bytes: chunk.count)
                        return !Worker.shouldStop(from: offset - Int64(chunk.count), to: offset)
                    }
                    switch end {
                    case .failed(let err): throw ioError(displayPath(), "read failed", err)
                    case .stopped: throw CancellationError()
                    case .complete, .shortFile: break
                    }
                    break
                }
            }
            let n = pread(fd, buffer.baseAddress, min(buffer.count, Int(clamping: size - offset)), off_t(offset))
            if n < 0 {
                let err = errno
                if err == EINTR { continue }
                throw ioError(displayPath(), "read failed", err)
            }
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
            meter?.add(bytes: n)
            if Worker.shouldStop(from: offset - Int64(n), to: offset) { throw CancellationError() }
        }
        var after = stat()
        guard fstat(fd, &after) == 0 else {
            let err = errno
            throw ioError(displayPath(), "cannot stat", err)
        }
        if offset != size || after.st_size != before.st_size
            || after.st_mtim.tv_sec != before.st_mtim.tv_sec || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec
            || after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec
        {
            let what = after.st_size != before.st_size ? "size \(size) -> \(after.st_size) bytes"
                : offset != size ? "read \(offset) of \(size) bytes" : "modified during the read"
            throw HashingError(.changedWhileHashing, path: displayPath(),
                               reason: "file changed while it was being hashed (\(what)); hash it again once it is stable")
        }
        return digest.finalizeHex()
    }
}
