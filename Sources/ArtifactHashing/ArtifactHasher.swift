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
    /// Bytes in all files, as seen when the walk listed them.
    public var bytesTotal: Int64
    /// Files finished.
    public var filesDone: Int
    /// Files in all.
    public var filesTotal: Int
}

/// Hashes an artifact root: every file streamed through SHA-256, several files at once.
///
/// Each worker owns one digest context and one page-aligned read buffer and pulls the next
/// file from a shared counter, largest files first, so memory stays at `jobs x chunkSize`
/// whatever the file sizes and the results are the same for any number of jobs.
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

    /// Hashes every file under `root` (or `root` itself, when it is a file).
    ///
    /// - Parameters:
    ///   - root: a directory or a regular file.
    ///   - progress: called from worker threads at most about ten times a second, and once at the end.
    /// - Returns: the manifest, files sorted by path.
    /// - Throws: ``HashingError`` naming the path (missing root, dangling symlink, a name with a
    ///   newline, an I/O error, a file that changed while it was read), or `CancellationError`.
    public func hash(_ root: String, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> Manifest {
        let files = try ArtifactWalker.walk(root: root)
        let total = files.reduce(Int64(0)) { $0 + $1.size }
        let meter = progress.map { ProgressMeter(bytesTotal: total, filesTotal: files.count, handler: $0) }
        // Largest first, so a big file does not start last and leave the other workers idle.
        let order = files.indices.sorted { files[$0].size > files[$1].size }
        let cursor = Cursor()
        let workers = min(jobs, max(1, files.count))
        let chunk = chunkSize

        var results = [ArtifactFile?](repeating: nil, count: files.count)
        try await withThrowingTaskGroup(of: [(Int, ArtifactFile)].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var worker = Worker(chunkSize: chunk)
                    return try worker.run(files: files, order: order, cursor: cursor, meter: meter)
                }
            }
            for try await batch in group {
                for (index, file) in batch { results[index] = file }
            }
        }
        meter?.finish()
        return Manifest(root: root, files: results.map { $0! })
    }

    /// Hashes one file and returns its lowercase hex digest.
    public func hashFile(atPath path: String) throws -> String {
        var worker = Worker(chunkSize: chunkSize)
        return try worker.hash(WalkedFile(relativePath: path, openPath: path, size: 0), meter: nil)
    }
}

/// Hands out indexes 0, 1, 2, ... to workers.
private final class Cursor: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
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

    init(chunkSize: Int) {
        buffer = .allocate(byteCount: chunkSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    mutating func run(files: [WalkedFile], order: [Int], cursor: Cursor, meter: ProgressMeter?) throws -> [(Int, ArtifactFile)] {
        var out: [(Int, ArtifactFile)] = []
        while true {
            try Task.checkCancellation()
            let k = cursor.take()
            guard k < order.count else { break }
            let file = files[order[k]]
            let hex = try hash(file, meter: meter)
            out.append((order[k], ArtifactFile(path: file.relativePath, sha256: hex, size: file.size)))
            meter?.fileDone()
        }
        return out
    }

    /// Streams one file through the digest. Size, modification and change times are taken
    /// before and after; if any differ, or the bytes read differ from the size, the file
    /// changed under us and no digest is returned.
    mutating func hash(_ file: WalkedFile, meter: ProgressMeter?) throws -> String {
        let fd = open(file.openPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Worker.ioError(file.openPath, "cannot open") }
        defer { close(fd) }
        var before = stat()
        guard fstat(fd, &before) == 0 else { throw Worker.ioError(file.openPath, "cannot stat") }
        guard (before.st_mode & S_IFMT) == S_IFREG else {
            throw HashingError(.changedWhileHashing, path: file.openPath, reason: "is no longer a regular file")
        }
        let size = Int64(before.st_size)
        if size > Int64(buffer.count) {
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        }
        digest.reset()
        var offset: Int64 = 0
        // Read up to the size fstat gave; growth after that shows in the second fstat.
        while offset < size {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw Worker.ioError(file.openPath, "read failed")
            }
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
            meter?.add(bytes: n)
        }
        var after = stat()
        guard fstat(fd, &after) == 0 else { throw Worker.ioError(file.openPath, "cannot stat") }
        if offset != size || after.st_size != before.st_size
            || after.st_mtim.tv_sec != before.st_mtim.tv_sec || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec
            || after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec
        {
            throw HashingError(.changedWhileHashing, path: file.openPath,
                               reason: "file changed while it was being hashed (size \(size) -> \(after.st_size) bytes); hash it again once it is stable")
        }
        return digest.finalizeHex()
    }

    private static func ioError(_ path: String, _ what: String) -> HashingError {
        let err = errno
        return HashingError(.io(errno: err), path: path, reason: "\(what): \(String(cString: strerror(err)))")
    }
}
