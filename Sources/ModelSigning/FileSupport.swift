#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemSupport

/// Reads a whole regular file of at most `limit` bytes with SystemSupport's bounded read (a
/// FIFO is refused, not waited on; the file is read to its end, never past `limit`).
///
/// - Throws: ``SigningError`` with `code`, saying `PATH: cannot read the WHAT: why`.
func readSmallFile(_ path: String, limit: Int, what: String, code: SigningError.Code) throws(SigningError) -> [UInt8] {
    let bytes: [UInt8]?
    do { bytes = try AtomicFile.read(path, limit: limit) } catch {
        throw SigningError(code, "\(path): cannot read the \(what): \(error.reason)")
    }
    guard let bytes else { throw SigningError(code, "\(path): cannot read the \(what): no such file") }
    return bytes
}

/// Writes `bytes` to `path` all or nothing (SystemSupport's atomic write), so a reader never
/// sees half a bundle.
func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(SigningError) {
    do {
        try AtomicFile.write(bytes, to: path)
    } catch {
        throw SigningError(.writeFailed, "\(path): cannot write the signature: \(error.reason)")
    }
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
    let path = Array(PathText.trimTrailingSlashes(root).utf8) + [0x2F] + relative + [0]
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
