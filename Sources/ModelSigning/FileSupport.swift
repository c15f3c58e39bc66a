#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SystemSupport

/// Why a small file could not be read.
struct FileReadFailure: Error {
    let reason: String
}

/// Reads a whole regular file of at most `limit` bytes with SystemSupport's bounded read (a
/// FIFO is refused, not waited on; the file is read to its end, never past `limit`).
func readSmallFile(_ path: String, limit: Int) throws(FileReadFailure) -> [UInt8] {
    let bytes: [UInt8]?
    do { bytes = try AtomicFile.read(path, limit: limit) } catch { throw FileReadFailure(reason: error.reason) }
    guard let bytes else { throw FileReadFailure(reason: "no such file") }
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
