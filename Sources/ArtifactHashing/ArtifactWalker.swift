#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file found under an artifact root.
struct WalkedFile: Sendable {
    /// Path relative to the root, `/`-separated; the base name when the root is a file.
    var relativePath: String
    /// Path to open.
    var openPath: String
    /// Size when the walk saw it.
    var size: Int64
}

/// Lists the files of an artifact root by the rules of the aggregate digest:
/// every regular file, recursively; a symlink to a regular file is listed under the link's own
/// path; a symlinked directory is not descended; a dangling symlink, a name with a newline and
/// a name that is not UTF-8 are errors. Other file types (sockets, FIFOs, devices) are skipped.
enum ArtifactWalker {
    static func walk(root: String) throws(HashingError) -> [WalkedFile] {
        var st = stat()
        if stat(root, &st) != 0 {
            let err = errno
            var lst = stat()
            if lstat(root, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK {
                throw HashingError(.danglingSymlink, path: root, reason: "dangling symbolic link (its target does not exist)")
            }
            if err == ENOENT || err == ENOTDIR {
                throw HashingError(.notFound, path: root, reason: "no such file or directory")
            }
            throw HashingError(.io(errno: err), path: root, reason: String(cString: strerror(err)))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let name = baseName(root)
            if name.utf8.contains(0x0A) {
                throw HashingError(.newlineInName, path: root, reason: "file name contains a newline")
            }
            return [WalkedFile(relativePath: name, openPath: root, size: Int64(st.st_size))]
        case S_IFDIR:
            var files: [WalkedFile] = []
            let base = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
            try walkDirectory(base, relative: "", into: &files)
            return files
        default:
            throw HashingError(.unsupportedRoot, path: root, reason: "not a regular file or directory")
        }
    }

    private static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }

    private static func walkDirectory(_ directory: String, relative: String, into files: inout [WalkedFile]) throws(HashingError) {
        guard let dir = opendir(directory) else {
            let err = errno
            throw HashingError(.io(errno: err), path: directory, reason: "cannot open directory: \(String(cString: strerror(err)))")
        }
        defer { closedir(dir) }
        let fd = dirfd(dir)
        var subdirectories: [(String, String)] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 {
                    let err = errno
                    throw HashingError(.io(errno: err), path: directory, reason: "cannot read directory: \(String(cString: strerror(err)))")
                }
                break
            }
            let type = entry.pointee.d_type
            let decoded: String? = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(validatingCString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard let name = decoded else {
                let lossy = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                throw HashingError(.invalidName, path: directory + "/" + lossy, reason: "file name is not valid UTF-8")
            }
            if name == "." || name == ".." { continue }
            let fullPath = directory + "/" + name
            if name.utf8.contains(0x0A) {
                throw HashingError(.newlineInName, path: fullPath, reason: "file name contains a newline, which no manifest line can hold")
            }
            let relativePath = relative.isEmpty ? name : relative + "/" + name

            var kind = type
            if kind == UInt8(DT_UNKNOWN) {
                var lst = stat()
                guard fstatat(fd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 else { throw ioError(fullPath) }
                switch lst.st_mode & S_IFMT {
                case S_IFDIR: kind = UInt8(DT_DIR)
                case S_IFREG: kind = UInt8(DT_REG)
                case S_IFLNK: kind = UInt8(DT_LNK)
                default: continue
                }
            }
            switch kind {
            case UInt8(DT_DIR):
                subdirectories.append((fullPath, relativePath))
            case UInt8(DT_REG), UInt8(DT_LNK):
                var st = stat()
                // Follow symbolic links: a link to a file is hashed under the link's own path.
                if fstatat(fd, name, &st, 0) != 0 {
                    let err = errno
                    if kind == UInt8(DT_LNK), err == ENOENT || err == ELOOP || err == ENOTDIR {
                        throw HashingError(.danglingSymlink, path: fullPath, reason: "dangling symbolic link (its target does not exist)")
                    }
                    throw ioError(fullPath, err)
                }
                // A link to a directory is not descended; links to other kinds are skipped.
                guard (st.st_mode & S_IFMT) == S_IFREG else { continue }
                files.append(WalkedFile(relativePath: relativePath, openPath: fullPath, size: Int64(st.st_size)))
            default:
                continue
            }
        }
        for (path, rel) in subdirectories {
            try walkDirectory(path, relative: rel, into: &files)
        }
    }

    private static func ioError(_ path: String, _ err: Int32 = errno) -> HashingError {
        HashingError(.io(errno: err), path: path, reason: String(cString: strerror(err)))
    }
}
