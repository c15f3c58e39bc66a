// Every call into the C library that ArtifactHashing makes goes through this file, as
// swift-system's Internals/Syscalls.swift does: the rest of the module calls Swift-shaped
// functions and never imports Glibc or Darwin, so a port touches this file only. Built and
// tested on Linux (glibc); the Darwin branches follow the macOS headers but are not built in CI.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("ArtifactHashing supports Linux and Darwin")
#endif

/// A failed system call: its `errno`.
struct SystemError: Error, Equatable {
    let errno: Int32

    /// The system's message for this error (`strerror`).
    var message: String { Platform.message(for: errno) }

    static let noEntry = SystemError(errno: ENOENT)
    static let loop = SystemError(errno: ELOOP)
    static let notDirectory = SystemError(errno: ENOTDIR)
    static let badFileDescriptor = SystemError(errno: EBADF)
    static let tooManyOpenFiles = SystemError(errno: EMFILE)
    static let nameTooLong = SystemError(errno: ENAMETOOLONG)

    /// The `errno` of the last failed call.
    static var current: SystemError { SystemError(errno: lastErrno()) }
}

private func lastErrno() -> Int32 { errno }

/// What a file is, from its `stat`.
struct FileStatus: Equatable, Sendable {
    enum Kind: Equatable, Sendable { case regular, directory, symbolicLink, other }

    var kind: Kind
    var size: Int64
    var device: UInt64
    var inode: UInt64
    /// Modification time, nanoseconds since the epoch.
    var modified: Int64
    /// Status change time (ctime), nanoseconds since the epoch.
    var changed: Int64

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        size = Int64(st.st_size)
        device = UInt64(truncatingIfNeeded: st.st_dev)
        inode = UInt64(truncatingIfNeeded: st.st_ino)
        #if canImport(Darwin)
        modified = Self.nanoseconds(st.st_mtimespec)
        changed = Self.nanoseconds(st.st_ctimespec)
        #else
        modified = Self.nanoseconds(st.st_mtim)
        changed = Self.nanoseconds(st.st_ctim)
        #endif
    }

    /// Whether `other` is the same file (device and inode).
    func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }

    /// Whether size, modification and change times are those of `other`.
    func isUnchanged(from other: FileStatus) -> Bool {
        size == other.size && modified == other.modified && changed == other.changed
    }

    private static func nanoseconds(_ t: timespec) -> Int64 {
        Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec)
    }
}

/// The kind a directory entry reports (`d_type`), which may be unknown on some file systems.
enum EntryKind { case regular, directory, symbolicLink, unknown, other }

enum Platform {
    // MARK: Processors and clocks

    /// The most descriptors this process may have open (`RLIMIT_NOFILE`'s soft limit, at most
    /// 1 << 20), read once: every hash asks (1,000 entries verified were 1,000 `getrlimit` calls).
    static let descriptorLimit: Int = {
        var limit = rlimit()
        #if canImport(Darwin)
        let resource = RLIMIT_NOFILE
        #else
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_cur, 1 << 20))
    }()

    /// A monotonic clock in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// The wall clock in nanoseconds since the epoch (the clock file times are stamped with).
    static func realtimeNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    /// `strerror`.
    static func message(for errno: Int32) -> String { String(cString: strerror(errno)) }

    // MARK: Files

    /// `stat` or `lstat` of a path.
    static func status(path: UnsafePointer<CChar>, followLinks: Bool) throws(SystemError) -> FileStatus {
        var st = stat()
        let rc = followLinks ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else { throw .current }
        return FileStatus(st)
    }

    /// `fstatat` of `name` in `directory` (`nil`: the working directory).
    static func status(in directory: Int32?, name: UnsafePointer<CChar>, followLinks: Bool) throws(SystemError) -> FileStatus {
        var st = stat()
        guard fstatat(directory ?? AT_FDCWD, name, &st, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else { throw .current }
        return FileStatus(st)
    }

    /// `fstat`.
    static func status(of fd: Int32) throws(SystemError) -> FileStatus {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .current }
        return FileStatus(st)
    }

    /// Opens `name` in `directory` for reading, following links, without blocking (a FIFO
    /// swapped in cannot hang the open) and without taking a controlling terminal.
    /// With `followLinks` false, a link fails with `ELOOP`.
    static func openForReading(in directory: Int32?, name: UnsafePointer<CChar>, followLinks: Bool = true) throws(SystemError) -> Int32 {
        let fd = openat(directory ?? AT_FDCWD, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw .current }
        return fd
    }

    /// Opens a directory by path, following links (the root may be a link to a directory).
    static func openDirectory(path: UnsafePointer<CChar>) throws(SystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .current }
        return fd
    }

    /// Opens the subdirectory `name` of `parent`, never through a symbolic link (`ELOOP` or
    /// `ENOTDIR` when it is a link or no directory).
    static func openSubdirectory(of parent: Int32, name: UnsafePointer<CChar>) throws(SystemError) -> Int32 {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .current }
        return fd
    }

    /// `close`.
    static func close(_ fd: Int32) {
        #if canImport(Darwin)
        _ = Darwin.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #else
        _ = Glibc.close(fd)
        #endif
    }

    /// Reads up to `buffer.count` bytes at `offset` (`pread`), retrying on `EINTR`; 0 at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemError) -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw .current }
        }
    }

    /// Tells the kernel the file will be read from start to end once.
    static func adviseSequential(_ fd: Int32) {
        #if canImport(Darwin)
        _ = fcntl(fd, F_RDAHEAD, 1)
        #else
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    /// Tells the kernel the bytes of `range` will be read once, in order, soon: a shard about
    /// to be read (`POSIX_FADV_SEQUENTIAL` then `POSIX_FADV_WILLNEED`, which starts the reads
    /// at once; read-ahead on Darwin).
    static func adviseShard(_ fd: Int32, _ range: Range<Int64>) {
        #if canImport(Darwin)
        _ = fcntl(fd, F_RDAHEAD, 1)
        #else
        _ = posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_SEQUENTIAL)
        _ = posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_WILLNEED)
        #endif
    }

    /// Tells the kernel the bytes of `range` are not needed again (`POSIX_FADV_DONTNEED`), so
    /// a scrub does not evict the pages a server uses; nothing on Darwin.
    static func adviseDone(_ fd: Int32, _ range: Range<Int64>) {
        #if !canImport(Darwin)
        _ = posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED)
        #endif
    }

    /// Writes the file's dirty pages back to storage (`fdatasync`; `fsync` on Darwin). Works on
    /// a read-only descriptor. Pages that another process dirtied through a shared mapping are
    /// write-protected again by the writeback, so its next store faults and moves the file's
    /// modification time.
    static func writeBack(_ fd: Int32) {
        #if canImport(Darwin)
        _ = fsync(fd)
        #else
        _ = fdatasync(fd)
        #endif
    }

    /// Waits until no write call is in progress on the file (Linux; best effort elsewhere and
    /// on file systems without direct I/O).
    ///
    /// A buffered `write` holds the inode's lock for the whole call, and ext4, XFS and btrfs take
    /// it shared for a direct read: one aligned direct read of the first block, through a new
    /// descriptor for the same file, returns only once a write that began earlier has finished.
    /// A writer stalled in the middle of one long `write` would otherwise leave the same mix of
    /// old and new bytes under two reads of the file.
    static func waitForWriters(_ fd: Int32) {
        #if os(Linux)
        // O_DIRECT, which Glibc's module leaves out (it needs _GNU_SOURCE); its value differs by architecture.
        #if arch(arm64)
        let oDirect: Int32 = 0o200000
        #else
        let oDirect: Int32 = 0o40000
        #endif
        let direct = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC | oDirect)
        guard direct >= 0 else { return }
        defer { close(direct) }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { block.deallocate() }
        _ = pread(direct, block.baseAddress, block.count, 0)
        #endif
    }

    // MARK: Directories

    #if canImport(Darwin)
    typealias DirectoryPointer = UnsafeMutablePointer<DIR>
    #else
    typealias DirectoryPointer = OpaquePointer
    #endif

    /// A directory stream over a descriptor; the stream owns (and closes) the descriptor.
    final class DirectoryStream {
        private let stream: DirectoryPointer
        /// The descriptor, for `openat` and `fstatat` relative to the directory.
        let fd: Int32

        /// Takes ownership of `fd`; closes it and throws if no stream can be made.
        init(taking fd: Int32) throws(SystemError) {
            guard let stream = fdopendir(fd) else {
                let error = SystemError.current
                Platform.close(fd)
                throw error
            }
            self.stream = stream
            self.fd = fd
        }

        deinit { closedir(stream) }

        /// The next entry's name (without `.` and `..`, no terminating NUL) and kind, or `nil`
        /// at the end of the directory. The name's bytes are valid until the next call.
        func next() throws(SystemError) -> (name: UnsafeRawBufferPointer, kind: EntryKind)? {
            while true {
                errno = 0
                guard let entry = readdir(stream) else {
                    if errno != 0 { throw .current }
                    return nil
                }
                let kind: EntryKind = switch Int32(entry.pointee.d_type) {
                case Int32(DT_REG): .regular
                case Int32(DT_DIR): .directory
                case Int32(DT_LNK): .symbolicLink
                case Int32(DT_UNKNOWN): .unknown
                default: .other
                }
                let start = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \.d_name)!
                let length = strlen(start.assumingMemoryBound(to: CChar.self))
                if length == 1 && start.load(as: UInt8.self) == 0x2E { continue }
                if length == 2 && start.load(as: UInt8.self) == 0x2E && start.load(fromByteOffset: 1, as: UInt8.self) == 0x2E { continue }
                return (UnsafeRawBufferPointer(start: start, count: length), kind)
            }
        }

        /// Starts the listing again from the first entry.
        func rewind() { rewinddir(stream) }
    }

    // MARK: Threads

    /// A mutex with one condition variable.
    final class ConditionLock: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        init() {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            pthread_cond_destroy(condition)
            pthread_mutex_destroy(mutex)
            condition.deallocate()
            mutex.deallocate()
        }

        func lock() { pthread_mutex_lock(mutex) }
        func unlock() { pthread_mutex_unlock(mutex) }
        /// Waits for a signal; call with the lock held.
        func wait() { pthread_cond_wait(condition, mutex) }
        /// Wakes every waiter.
        func broadcast() { pthread_cond_broadcast(condition) }
    }
}
