// Every platform call SystemSupport makes, behind Swift-shaped functions, so that a port to
// another C library touches this file only (the pattern of swift-system's Syscalls.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the C library: each returns what the call returned and leaves `errno`.
enum Sys {
    static var lastError: Int32 { errno }

    static func message(_ code: Int32) -> String { String(cString: strerror(code)) }

    static let noSuchFile = ENOENT
    static let interrupted = EINTR
    static let wouldBlock = EWOULDBLOCK
    static let alreadyExists = EEXIST

    /// Opens for reading without blocking (a FIFO must not hang the open) and without
    /// following nothing special; the caller checks the type with ``fileType(_:)``.
    static func openForReading(_ path: String, followLinks: Bool = true) -> Int32 {
        open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW))
    }

    static func openLockFile(_ path: String) -> Int32 { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }

    static func openDirectory(_ path: String) -> Int32 { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    static func makeDirectory(_ path: String) -> Bool { mkdir(path, 0o700) == 0 }
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func closeFile(_ fd: Int32) { _ = close(fd) }

    enum FileType { case regular, directory, other }

    /// The type of an open file, and its size and permission bits.
    static func fileType(_ fd: Int32) -> (type: FileType, size: Int64, mode: UInt32)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let type: FileType = switch st.st_mode & S_IFMT {
        case S_IFREG: .regular
        case S_IFDIR: .directory
        default: .other
        }
        return (type, Int64(st.st_size), UInt32(st.st_mode & 0o7777))
    }

    /// Permission bits of the file at `path` (following links), or nil.
    static func permissions(_ path: String) -> UInt32? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt32(st.st_mode & 0o7777)
    }

    static func isSymbolicLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// The canonical absolute path (links resolved), or nil when it does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        read(fd, buffer.baseAddress, buffer.count)
    }

    static func writeSome(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
        write(fd, buffer.baseAddress, buffer.count)
    }

    static func writeSome(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) -> Int {
        pwrite(fd, buffer.baseAddress, buffer.count, off_t(offset))
    }

    /// Reads from offset 0 into `buffer`.
    static func readFromStart(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        pread(fd, buffer.baseAddress, buffer.count, 0)
    }

    static func truncate(_ fd: Int32, _ length: Int64) -> Int32 { ftruncate(fd, off_t(length)) }

    /// Creates a unique temporary file from a `...XXXXXX` template; returns the fd and its path.
    static func makeTemporary(_ template: String) -> (fd: Int32, path: String)? {
        var bytes = Array(template.utf8CString)
        let fd = bytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        return (fd, String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    static func setPermissions(_ fd: Int32, _ mode: UInt32) -> Int32 { fchmod(fd, mode_t(mode)) }
    static func flushToDisk(_ fd: Int32) -> Int32 { fsync(fd) }
    static func replace(_ from: String, _ to: String) -> Int32 { rename(from, to) }
    static func remove(_ path: String) { _ = unlink(path) }

    /// `flock(LOCK_EX | LOCK_NB)`: true when the lock was taken.
    static func tryLockExclusive(_ fd: Int32) -> Bool { flock(fd, LOCK_EX | LOCK_NB) == 0 }
    static func unlockFile(_ fd: Int32) { _ = flock(fd, LOCK_UN) }

    static var processID: Int32 { getpid() }

    /// Sleeps for `milliseconds` (the lock wait's poll interval).
    static func sleep(milliseconds: Int) { usleep(useconds_t(milliseconds * 1000)) }

    /// Monotonic time in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Names in a directory (not `.` and `..`), or nil when it cannot be opened.
    static func directoryNames(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
