#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Why a small file could not be read.
struct FileReadFailure: Error {
    let reason: String
}

/// Reads a whole regular file of at most `limit` bytes.
///
/// The file is opened without blocking (a FIFO put where a key or bundle belongs is refused,
/// not waited on forever) and read to its end, not to the size `fstat` gives (files in
/// `/proc` report 0), never past `limit`.
func readSmallFile(_ path: String, limit: Int) throws(FileReadFailure) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
    guard fd >= 0 else { throw FileReadFailure(reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileReadFailure(reason: String(cString: strerror(errno))) }
    guard info.st_mode & S_IFMT == S_IFREG else { throw FileReadFailure(reason: "not a regular file") }
    guard info.st_size <= limit else { throw FileReadFailure(reason: "larger than \(limit) bytes") }
    var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), limit) + 1)
    var filled = 0
    while true {
        if filled == bytes.count {
            // The file holds more than its size said (or grew): read on, up to the limit.
            guard bytes.count <= limit else { throw FileReadFailure(reason: "larger than \(limit) bytes") }
            bytes.append(contentsOf: repeatElement(0, count: min(max(bytes.count, 4096), limit + 1 - bytes.count)))
        }
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileReadFailure(reason: String(cString: strerror(errno)))
        }
        if n == 0 { break }
        filled += n
    }
    guard filled <= limit else { throw FileReadFailure(reason: "larger than \(limit) bytes") }
    bytes.removeLast(bytes.count - filled)
    return bytes
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees half a bundle.
func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(SigningError) {
    let directory = parentDirectory(of: path)
    var template = Array((directory + "/.modelctl-sig-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
        throw SigningError(.writeFailed, "\(path): cannot create a file in \(directory): \(String(cString: strerror(errno)))")
    }
    let temporary = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var ok = true
    var written = 0
    while ok, written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0 { if errno != EINTR { ok = false } } else { written += n }
    }
    let err = errno
    ok = ok && fchmod(fd, 0o644) == 0 && fsync(fd) == 0
    close(fd)
    guard ok, rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(ok ? errno : err))
        unlink(temporary)
        throw SigningError(.writeFailed, "\(path): cannot write the signature: \(reason)")
    }
}

/// The directory part of `path` (`.` for a bare name).
func parentDirectory(of path: String) -> String {
    let trimmed = trimTrailingSlashes(path)
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
}

func trimTrailingSlashes(_ path: String) -> String {
    var p = Substring(path)
    while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
    return String(p)
}

/// The absolute, symlink-free form of `path`, or nil when it does not exist.
func canonicalPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// What `path` is, without following a final symlink.
enum NodeKind { case file, directory, symlink, other, missing }

func nodeKind(_ path: String, followLinks: Bool) -> NodeKind {
    var info = stat()
    let result = followLinks ? stat(path, &info) : lstat(path, &info)
    guard result == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    case S_IFLNK: return .symlink
    default: return .other
    }
}

/// The permission bits of `path` (following links), or nil when it cannot be stat'ed.
func permissionBits(_ path: String) -> UInt32? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt32(info.st_mode) & 0o7777
}

/// Whether any symbolic link sits under `root` (a directory), outside the ignored top-level
/// paths. Directories are listed without following links.
///
/// The walk keeps a work list instead of recursing, and lists and closes each directory before
/// the next is opened, so one descriptor is open at a time however deep the tree; names are
/// kept as bytes (a name that is not UTF-8 is still looked at). A directory that cannot be
/// listed (out of descriptors, a path longer than the system allows, more than
/// `maximumDirectories`) counts as holding a link: `allow_symlinks: true` for a tree without
/// links only permits what is not there, while `false` for a tree that has one makes
/// model_signing's verifier refuse the tree.
func containsSymlink(under root: String, ignoring ignored: Set<String>, maximumDirectories: Int = 1_000_000) -> Bool {
    var pending: [(path: [UInt8], relative: String)] = [(Array(root.utf8), "")]
    var listed = 0
    while let (directory, relative) = pending.popLast() {
        listed += 1
        guard listed <= maximumDirectories else { return true }
        let opened: OpaquePointer? = (directory + [0]).withUnsafeBufferPointer { path in
            path.baseAddress!.withMemoryRebound(to: CChar.self, capacity: path.count) { opendir($0) }
        }
        guard let stream = opened else { return true }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            let text = String(decoding: name, as: UTF8.self)
            let childRelative = relative.isEmpty ? text : relative + "/" + text
            if IgnoredPaths.matches(childRelative, ignored) { continue }
            let path = directory + [0x2F] + name
            var info = stat()
            let status = (path + [0]).withUnsafeBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { lstat($0, &info) }
            }
            guard status == 0 else { return true }  // cannot tell: see above
            switch info.st_mode & S_IFMT {
            case S_IFLNK: return true
            case S_IFDIR: pending.append((path, childRelative))
            default: continue
            }
        }
    }
    return false
}

/// Base64 (RFC 4648, with padding), as DSSE envelopes and Sigstore bundles carry bytes.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// The decoded bytes, or nil when `text` is not canonical padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text) else { return nil }
        return [UInt8](data)
    }
}
