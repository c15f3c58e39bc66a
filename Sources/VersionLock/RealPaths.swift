import Synchronization

/// `realpath` for many roots that share parent directories, as a batch verify's do (a
/// thousand models under one directory).
///
/// `realpath(3)` reads every component of every path (a `readlink` each: six calls for
/// `/srv/models/org/name`). Here each parent directory is resolved once, and a root is its
/// resolved parent plus its last component, checked with one `lstat`: when that component
/// is a link, or the path has `.` or `..` at its end, the root goes to `realpath` whole.
///
/// One instance serves one batch: a parent directory replaced by a link during the batch is
/// seen by the next batch, as a path resolved once per root would be.
final class RealPaths: Sendable {
    private let parents = Mutex<[String: String?]>([:])

    /// At most this many parents are remembered (a batch of roots under distinct parents
    /// then costs what `realpath` costs, no more memory).
    static let parentLimit = 4096

    /// `path` with links, `.` and `..` resolved, or `nil` when it does not exist.
    func resolve(_ path: String) -> String? {
        guard let (parent, last) = Self.split(path) else { return LockPlatform.realPath(path) }
        let known = parents.withLock { $0[parent] }
        let resolvedParent: String?
        if let known {
            resolvedParent = known
        } else {
            resolvedParent = LockPlatform.realPath(parent)
            parents.withLock { table in
                if table.count < Self.parentLimit { table[parent] = .some(resolvedParent) }
            }
        }
        guard let resolvedParent else { return nil }
        let joined = (resolvedParent == "/" ? "" : resolvedParent) + "/" + last
        switch LockPlatform.linkStatus(joined) {
        case .missing: return nil
        case .link: return LockPlatform.realPath(joined)
        case .other: return joined
        }
    }

    /// An absolute path's parent directory and last component, when the last component is a
    /// plain name (not `.`, `..` or empty, and no trailing slash, which asks for a directory).
    static func split(_ path: String) -> (parent: String, last: String)? {
        let utf8 = Substring(path).utf8
        guard utf8.first == UInt8(ascii: "/"), utf8.last != UInt8(ascii: "/") else { return nil }
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let last = Substring(utf8[utf8.index(after: slash)...])
        guard !last.isEmpty, last != ".", last != ".." else { return nil }
        var parent = Substring(utf8[..<slash])
        if parent.isEmpty { parent = "/" }
        return (String(parent), String(last))
    }
}
