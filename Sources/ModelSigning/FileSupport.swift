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

/// Whether the file the walk listed at `relative` (its bytes) under `root` is a symbolic link.
/// The walk refuses linked directories, so a listed file's own name is the only place a link
/// can be: this is a look at each listed file, not a second walk.
func isSymlink(under root: String, _ relative: [UInt8]) -> Bool {
    var info = stat()
    let path = Array(trimTrailingSlashes(root).utf8) + [0x2F] + relative + [0]
    let status = path.withUnsafeBufferPointer { bytes in
        bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { lstat($0, &info) }
    }
    return status == 0 && info.st_mode & S_IFMT == S_IFLNK
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
