#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Lists the files of an artifact root by the rules of the aggregate digest:
/// every regular file, recursively; a symlink to a regular file is listed under the link's own
/// path; a symlinked directory is not descended; a dangling symlink, a name with a newline and
/// a name that is not UTF-8 are errors. Other file types (sockets, FIFOs, devices) are skipped.
///
/// Workers call ``next()`` themselves, so listing the tree runs while the other workers hash
/// and nobody waits for a whole walk to finish. Only `readdir` runs under the walk's lock, a
/// few dozen entries at a time; each worker opens its own files relative to their directory
/// (``ListedFile/open()``), so the kernel resolves one name per file, not the whole path.
/// Files are handed out one at a time, so no worker sits on files another could be hashing.
final class ArtifactWalk: Sendable {
    private let state: Mutex<WalkState>

    /// Entries listed per turn under the lock.
    static let listedPerTurn = 32
    /// Directories one turn may draw from. Each listed file keeps its directory open until it
    /// is opened itself, so this bounds the descriptors a run holds however the tree is shaped.
    static let directoriesPerTurn = 4

    /// Starts a walk of `root` (a directory or a regular file).
    init(root: String) throws(HashingError) {
        state = Mutex(try WalkState(root: root))
    }

    /// The next file in walk order, or `nil` when the walk is done.
    func next() throws(HashingError) -> ListedFile? {
        try state.withLock { state throws(HashingError) in
            if let file = state.listed.popLast() { return file }
            do throws(HashingError) {
                try state.list()
            } catch {
                state.finish()
                throw error
            }
            return state.listed.popLast()
        }
    }

    /// Walks to the end, counting the regular files and their bytes (links followed), for a
    /// progress display's totals. Throws what the hashing walk would throw.
    func measure() throws(HashingError) -> (files: Int, bytes: Int64) {
        var files = 0
        var bytes: Int64 = 0
        while let listed = try next() {
            let st: stat
            do throws(HashingError) {
                st = try listed.statFollowingLinks()
            } catch where error.code == .danglingSymlink {
                throw error
            } catch {
                // Gone since the listing: the hashing walk reports it if it is still gone.
                continue
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else { continue }
            files += 1
            bytes += Int64(st.st_size)
        }
        return (files, bytes)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// A directory being listed. Its descriptor stays open until the walk and every file listed
/// from it are done with it, so workers can open those files relative to it.
final class OpenDirectory: @unchecked Sendable {  // `stream` is read only under the walk's lock.
    /// Its path (the root joined with the relative path), for messages.
    let path: String
    /// Its path relative to the root ("" for the root).
    let relative: String
    fileprivate let stream: OpaquePointer
    let fd: Int32

    private init(stream: OpaquePointer, path: String, relative: String) {
        self.path = path
        self.relative = relative
        self.stream = stream
        fd = dirfd(stream)
    }

    /// Opens the root directory.
    fileprivate static func root(_ path: String) throws(HashingError) -> OpenDirectory {
        guard let stream = opendir(path) else { throw ioError(path, "cannot open directory") }
        return OpenDirectory(stream: stream, path: path, relative: "")
    }

    /// Opens a subdirectory relative to its parent, never through a symbolic link: if it was
    /// swapped for a link (or anything else) since it was listed, it is not descended (`nil`),
    /// just as a link listed in the first place would not be. Relative opens also keep deep
    /// trees clear of the kernel's limit on path length.
    fileprivate static func child(_ next: PendingDirectory) throws(HashingError) -> OpenDirectory? {
        let fd = openat(next.parent.fd, next.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            if err == ELOOP || err == ENOTDIR { return nil }
            throw ioError(next.path, "cannot open directory", err)
        }
        guard let stream = fdopendir(fd) else {
            let err = errno
            close(fd)
            throw ioError(next.path, "cannot open directory", err)
        }
        return OpenDirectory(stream: stream, path: next.path, relative: next.relative)
    }

    deinit { closedir(stream) }
}

/// A file the walk listed: a regular file or a symbolic link, not yet opened.
struct ListedFile: Sendable {
    /// The directory it was listed in; `nil` when it is the root itself.
    let directory: OpenDirectory?
    /// Its name in `directory`, or the root's path.
    let name: String
    /// Path relative to the root, `/`-separated; the base name when the root is a file.
    let relativePath: String
    /// Whether the directory listed it as a symbolic link.
    let isLink: Bool

    /// The path to name in messages: the directory's path joined with the name.
    var displayPath: String { directory.map { ArtifactWalk.join($0.path, name) } ?? name }

    /// Opens the file for hashing; `nil` when it is not a regular file (a link to a directory
    /// or to a device, or something swapped in since the listing), which the walk skips.
    ///
    /// Links are checked with `stat` before they are opened, so a link to a device is never
    /// opened; the open is non-blocking, so a FIFO swapped in since the listing cannot hang it.
    func open() throws(HashingError) -> OpenedFile? {
        if isLink {
            guard (try statFollowingLinks().st_mode & S_IFMT) == S_IFREG else { return nil }
        }
        let fd = openat(directory?.fd ?? AT_FDCWD, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let err = errno
            if err == ENOENT, directory != nil {
                throw HashingError(.changedWhileHashing, path: displayPath, reason: "file disappeared while the directory was being read")
            }
            throw ioError(displayPath, "cannot open", err)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let err = errno
            let error = ioError(displayPath, "cannot stat", err)
            close(fd)
            throw error
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        return OpenedFile(fd: fd, opened: st)
    }
}

extension ListedFile {
    /// `stat` of the file, or of a link's target: a link whose target is missing (or loops)
    /// is a dangling-link error; any other failure is an I/O error naming the path.
    func statFollowingLinks() throws(HashingError) -> stat {
        var st = stat()
        guard fstatat(directory?.fd ?? AT_FDCWD, name, &st, 0) == 0 else {
            let err = errno
            if isLink, err == ENOENT || err == ELOOP || err == ENOTDIR {
                throw .danglingSymlink(at: displayPath)
            }
            throw ioError(displayPath, "cannot stat", err)
        }
        return st
    }
}

/// A file opened for hashing: its descriptor (closed by whoever opened it) and its `fstat`
/// when opened, the baseline for the changed-while-hashing check.
struct OpenedFile {
    let fd: Int32
    let opened: stat
    var size: Int64 { Int64(opened.st_size) }
}

/// A subdirectory listed but not yet read; it keeps its parent open to be opened relative to it.
private struct PendingDirectory {
    let parent: OpenDirectory
    let name: String
    let path: String
    let relative: String
}

/// The walk's position: the directory being read, the ones still to read, and the files
/// listed but not yet taken.
private struct WalkState {
    /// Listed files not yet handed out, the next one last.
    var listed: [ListedFile] = []
    /// A file read from a directory beyond the last turn's limit, first in the next turn.
    private var held: ListedFile?
    private var rootFile: ListedFile?
    private var root: String?
    private var pending: [PendingDirectory] = []
    private var current: OpenDirectory?

    init(root: String) throws(HashingError) {
        var st = stat()
        if stat(root, &st) != 0 {
            let err = errno
            var lst = stat()
            if lstat(root, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK {
                throw .danglingSymlink(at: root)
            }
            if err == ENOENT || err == ENOTDIR {
                throw HashingError(.notFound, path: root, reason: "no such file or directory")
            }
            throw HashingError(.io(errno: err), path: root, reason: String(cString: strerror(err)))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let name = Self.baseName(root)
            if name.utf8.contains(0x0A) {
                throw HashingError(.newlineInName, path: root, reason: "file name contains a newline")
            }
            rootFile = ListedFile(directory: nil, name: root, relativePath: name, isLink: false)
        case S_IFDIR:
            self.root = root
        default:
            throw HashingError(.unsupportedRoot, path: root, reason: "not a regular file or directory")
        }
    }

    /// Stops the walk; `next()` returns `nil` from then on.
    mutating func finish() {
        current = nil
        root = nil
        pending = []
        listed = []
        held = nil
        rootFile = nil
    }

    /// Lists the next files, up to ``ArtifactWalk/listedPerTurn`` of them from at most
    /// ``ArtifactWalk/directoriesPerTurn`` directories, into `listed`.
    mutating func list() throws(HashingError) {
        var turn: [ListedFile] = []
        var directories = 0
        while turn.count < ArtifactWalk.listedPerTurn {
            var upcoming = held.take()
            if upcoming == nil { upcoming = try next() }
            guard let file = upcoming else { break }
            if turn.last?.directory !== file.directory {
                guard directories < ArtifactWalk.directoriesPerTurn else {
                    held = file
                    break
                }
                directories += 1
            }
            turn.append(file)
        }
        listed = turn.reversed()
    }

    /// The next file in walk order, or `nil` when the walk is done.
    private mutating func next() throws(HashingError) -> ListedFile? {
        if let file = rootFile.take() { return file }
        while true {
            guard let directory = current else {
                if let root = root.take() {
                    current = try OpenDirectory.root(root)
                    continue
                }
                guard let next = pending.popLast() else { return nil }
                current = try OpenDirectory.child(next)
                continue
            }
            errno = 0
            guard let entry = readdir(directory.stream) else {
                if errno != 0 { throw ioError(directory.path, "cannot read directory") }
                current = nil
                continue
            }
            if let file = try visit(entry, in: directory) { return file }
        }
    }

    /// Classifies one directory entry: a file to hash (returned), a directory to list later
    /// (queued), or something to skip.
    private mutating func visit(_ entry: UnsafeMutablePointer<dirent>, in directory: OpenDirectory) throws(HashingError) -> ListedFile? {
        var kind = entry.pointee.d_type
        if kind != UInt8(DT_REG), kind != UInt8(DT_DIR), kind != UInt8(DT_LNK), kind != UInt8(DT_UNKNOWN) { return nil }
        let name = try withUnsafeBytes(of: &entry.pointee.d_name) { raw throws(HashingError) -> String? in
            let cName = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            if cName[0] == 0x2E, cName[1] == 0 || (cName[1] == 0x2E && cName[2] == 0) { return nil }  // . and ..
            guard let name = String(validatingCString: cName) else {
                throw HashingError(.invalidName, path: ArtifactWalk.join(directory.path, String(cString: cName)),
                                   reason: "file name is not valid UTF-8")
            }
            return name
        }
        guard let name else { return nil }
        if name.utf8.contains(0x0A) {
            throw HashingError(.newlineInName, path: ArtifactWalk.join(directory.path, name),
                               reason: "file name contains a newline, which no manifest line can hold")
        }
        if kind == UInt8(DT_UNKNOWN) {
            var lst = stat()
            guard fstatat(directory.fd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 else {
                let err = errno
                throw ioError(ArtifactWalk.join(directory.path, name), "cannot stat", err)
            }
            switch lst.st_mode & S_IFMT {
            case S_IFDIR: kind = UInt8(DT_DIR)
            case S_IFREG: kind = UInt8(DT_REG)
            case S_IFLNK: kind = UInt8(DT_LNK)
            default: return nil
            }
        }
        let relative = directory.relative.isEmpty ? name : directory.relative + "/" + name
        if kind == UInt8(DT_DIR) {
            pending.append(PendingDirectory(parent: directory, name: name, path: ArtifactWalk.join(directory.path, name), relative: relative))
            return nil
        }
        return ListedFile(directory: directory, name: name, relativePath: relative, isLink: kind == UInt8(DT_LNK))
    }

    private static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }
}

/// An I/O error naming `path`, with the system's message for `err`.
func ioError(_ path: String, _ what: String, _ err: Int32 = errno) -> HashingError {
    HashingError(.io(errno: err), path: path, reason: "\(what): \(String(cString: strerror(err)))")
}
