#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and crash-safe whole-file writes.
public enum AtomicFile {
    /// Reads a file, or returns `nil` when it does not exist.
    ///
    /// - Throws: ``RegistryError`` with code `io`, naming the file, for any other failure.
    public static func read(_ path: String) throws(RegistryError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ioError("cannot read", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read", path)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Replaces `path` with `bytes` so that a reader sees the old or the new file, never a mix,
    /// even if the process is killed: a temporary file in the same directory is written,
    /// fsynced and renamed over the old one, then the directory is fsynced. An existing file's
    /// permissions are kept.
    ///
    /// - Throws: ``RegistryError`` with code `io`, naming the file; the old file is left as it was.
    public static func write(_ bytes: [UInt8], to path: String) throws(RegistryError) {
        let directory = parentDirectory(of: path)
        var mode: mode_t = 0o644
        var existing = stat()
        if stat(path, &existing) == 0 { mode = existing.st_mode & 0o7777 }

        var template = Array((directory + "/." + baseName(of: path) + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ioError("cannot create a temporary file next to", path) }
        let tempPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var done = false
        defer {
            if !done { unlink(tempPath) }
        }
        let written: Bool = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        guard written, fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let err = RegistryError(.io, "\(path): cannot write: \(String(cString: strerror(errno)))")
            close(fd)
            throw err
        }
        guard close(fd) == 0 else { throw ioError("cannot write", path) }
        guard rename(tempPath, path) == 0 else { throw ioError("cannot replace", path) }
        done = true
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func ioError(_ what: String, _ path: String) -> RegistryError {
        RegistryError(.io, "\(path): \(what): \(String(cString: strerror(errno)))")
    }
}

/// An exclusive advisory lock (`flock`) on a file, held until ``unlock()`` or deinit.
///
/// Used for the registry's read-modify-write and the orchestrator's state; the lock file is
/// created when missing and never deleted (deleting it would let two processes lock two
/// different files of the same name).
public final class FileLock {
    private var fd: Int32

    /// Blocks until the lock on `path` is held.
    ///
    /// - Throws: ``RegistryError`` with code `io`, naming the file.
    public init(path: String) throws(RegistryError) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError("cannot open lock file", path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let error = AtomicFile.ioError("cannot lock", path)
            close(fd)
            throw error
        }
    }

    /// Releases the lock (also done on deinit).
    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { unlock() }

    /// Runs `body` while holding the lock on `path`.
    public static func withLock<T>(path: String, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(path: path)
        defer { lock.unlock() }
        return try body()
    }
}
