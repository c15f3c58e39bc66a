import SystemSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every system call of the module lives here; the rest of the code calls these Swift-shaped
// functions and never sees a C type.

/// C's `rename`, under a name `FS.rename` does not shadow.
private func renameFile(_ from: String, _ to: String) -> Int32 { rename(from, to) }

/// What a path is, without following a final link (`lstat`), or after following it (`stat`).
struct FileStatus: Sendable, Hashable {
    enum FileType: Sendable, Hashable { case regular, directory, symlink, other }
    var type: FileType
    var size: Int64
    var device: UInt64
    var inode: UInt64
    /// Modification time, seconds since the epoch.
    var modified: Double = 0

    var isRegular: Bool { type == .regular }
    var isDirectory: Bool { type == .directory }
    var isSymlink: Bool { type == .symlink }
}

enum FS {
    /// Entries one directory may list before the listing is refused (a cache with more is hostile).
    static let maxDirectoryEntries = 1_000_000

    /// `lstat`: `nil` when the path does not exist (or a parent is not a directory).
    static func status(_ path: String, followLinks: Bool = false) throws(StoreError) -> FileStatus? {
        var st = stat()
        let rc = followLinks ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else {
            let err = errno
            if err == ENOENT || err == ENOTDIR || (followLinks && err == ELOOP) { return nil }
            throw ioError(path, "cannot stat", err)
        }
        let type: FileStatus.FileType = switch st.st_mode & S_IFMT {
        case S_IFREG: .regular
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        default: .other
        }
        #if canImport(Darwin)
        let mtime = st.st_mtimespec
        #else
        let mtime = st.st_mtim
        #endif
        return FileStatus(type: type, size: Int64(st.st_size), device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                          modified: Double(mtime.tv_sec) + Double(mtime.tv_nsec) / 1e9)
    }

    /// Whether `path` is a directory (following links).
    static func isDirectory(_ path: String) -> Bool {
        (try? status(path, followLinks: true))??.isDirectory ?? false
    }

    /// Whether anything exists at `path` (not following a final link).
    static func exists(_ path: String) -> Bool {
        ((try? status(path)) ?? nil) != nil
    }

    /// Whether `path` exists once every link is followed.
    static func existsFollowingLinks(_ path: String) -> Bool {
        ((try? status(path, followLinks: true)) ?? nil) != nil
    }

    /// The target of a symbolic link as stored in it (one hop).
    static func readLink(_ path: String) throws(StoreError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else {
            let err = errno
            throw ioError(path, "cannot read link", err)
        }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in a directory (without `.` and `..`), sorted by their UTF-8 bytes.
    static func list(_ path: String) throws(StoreError) -> [String] {
        guard let dir = opendir(path) else {
            let err = errno
            if err == ENOENT { throw StoreError(.storeNotFound, "\(path): no such directory") }
            throw ioError(path, "cannot list directory", err)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
            if names.count > maxDirectoryEntries {
                throw StoreError(.tooLarge, "\(path): more than \(maxDirectoryEntries) entries; refusing to list it")
            }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Reads a whole regular file of at most `limit` bytes (SystemSupport's bounded read, its
    /// errors as the store's). The final component is not followed when `followLinks` is false.
    static func read(_ path: String, limit: Int, followLinks: Bool = true) throws(StoreError) -> [UInt8] {
        let bytes: [UInt8]?
        do {
            bytes = try AtomicFile.read(path, limit: limit, followLinks: followLinks)
        } catch {
            throw StoreError(error.code == .tooLarge ? .tooLarge : .io(errno: EIO), error.message)
        }
        guard let bytes else { throw StoreError(.io(errno: ENOENT), "\(path): no such file") }
        return bytes
    }

    /// Opens `path` for reading without blocking (a FIFO cannot hang the caller) and refuses
    /// anything but a regular file. The final component is not followed when `followLinks` is false.
    private static func openRegular(_ path: String, followLinks: Bool = true) throws(StoreError) -> (Int32, stat) {
        var flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
        if !followLinks { flags |= O_NOFOLLOW }
        let fd = open(path, flags)
        guard fd >= 0 else {
            let err = errno
            if err == ENOENT { throw StoreError(.io(errno: err), "\(path): no such file") }
            throw ioError(path, "cannot open", err)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let err = errno
            close(fd)
            throw ioError(path, "cannot stat", err)
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw StoreError(.io(errno: EINVAL), "\(path): not a regular file")
        }
        return (fd, st)
    }

    /// Streams a regular file through `body` in chunks, after `prefix` is computed from its
    /// size. Returns the bytes read, which equal the size `fstat` gave or an error is thrown.
    static func stream(_ path: String, chunkSize: Int = 256 << 10,
                       prefix: (Int64) -> Void, body: (UnsafeRawBufferPointer) -> Void) throws(StoreError) -> Int64 {
        let (fd, st) = try openRegular(path)
        defer { close(fd) }
        let size = Int64(st.st_size)
        prefix(size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < size {
            let n = pread(fd, buffer.baseAddress, min(chunkSize, Int(clamping: size - offset)), off_t(offset))
            if n < 0 {
                let err = errno
                if err == EINTR { continue }
                throw ioError(path, "read failed", err)
            }
            if n == 0 { break }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
        var after = stat()
        guard fstat(fd, &after) == 0 else {
            let err = errno
            throw ioError(path, "cannot stat", err)
        }
        guard offset == size, after.st_size == st.st_size else {
            throw StoreError(.io(errno: EIO), "\(path): changed while it was read (\(offset) of \(size) bytes); check it again once it is stable")
        }
        return offset
    }

    // MARK: Moving blobs (quarantine and restore)

    /// `rename`, not following links: 0, or the `errno` (`EXDEV` across file systems).
    static func rename(_ from: String, to: String) -> Int32 {
        renameFile(from, to) == 0 ? 0 : errno
    }

    /// A hard link `to` for the file `from`; never replaces an existing `to`: 0, or the
    /// `errno` (`EEXIST` when `to` exists, `EXDEV` across file systems).
    static func hardLink(_ from: String, to: String) -> Int32 {
        linkat(AT_FDCWD, from, AT_FDCWD, to, 0) == 0 ? 0 : errno
    }

    /// Removes a file (or link); a missing one is not an error.
    static func remove(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            let err = errno
            throw ioError(path, "cannot remove", err)
        }
    }

    /// Creates `path` and its missing parents (mode 0700 for new ones).
    static func makeDirectories(_ path: String) throws(StoreError) {
        do throws(FileError) { try Directory.make(path) } catch { throw StoreError(.io(errno: EIO), error.message) }
    }

    /// Copies the regular file `from` (not following a final link) to the new file `to`
    /// (refused when it exists), mode 0644, and fsyncs the copy and its directory.
    static func copyFile(_ from: String, to: String) throws(StoreError) {
        let (input, st) = try openRegular(from, followLinks: false)
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard output >= 0 else {
            let err = errno
            throw ioError(to, "cannot create", err)
        }
        var ok = false
        defer {
            close(output)
            if !ok { unlink(to) }
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let n = pread(input, buffer.baseAddress, chunk, off_t(offset))
            if n < 0 {
                let err = errno
                if err == EINTR { continue }
                throw ioError(from, "read failed", err)
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = pwrite(output, buffer.baseAddress! + written, n - written, off_t(offset) + off_t(written))
                if w < 0 {
                    let err = errno
                    if err == EINTR { continue }
                    throw ioError(to, "write failed", err)
                }
                written += w
            }
            offset += Int64(n)
        }
        guard offset == Int64(st.st_size) else {
            throw StoreError(.io(errno: EIO), "\(from): changed while it was copied (\(offset) of \(st.st_size) bytes)")
        }
        guard fsync(output) == 0 else {
            let err = errno
            throw ioError(to, "fsync failed", err)
        }
        ok = true
        Directory.sync(PathText.parent(to))
    }

    static func ioError(_ path: String, _ what: String, _ err: Int32) -> StoreError {
        StoreError(.io(errno: err), "\(path): \(what): \(String(cString: strerror(err)))")
    }
}

extension PathText {
    /// Whether `s` is `count` lowercase or uppercase hex digits.
    static func isHex(_ s: some StringProtocol, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }
}
