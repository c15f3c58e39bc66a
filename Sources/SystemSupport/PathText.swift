/// Path text, `/`-separated: lexical helpers that do not touch the disk, and `realpath`.
public enum PathText {
    /// `a/b`, without doubling a `/`.
    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// The directory part of a path (`/` for a top-level path, `.` for a bare name).
    public static func parent(_ path: String) -> String {
        let trimmed = trimTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// The last component.
    public static func base(_ path: String) -> String {
        let trimmed = trimTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// `path` without trailing slashes (`/` stays `/`).
    public static func trimTrailingSlashes(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    /// Removes `.` and empty components and folds `..` into its parent, lexically.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast(); continue }
                if absolute { continue }
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// Where a link at `linkPath` with stored target `target` points, lexically.
    public static func resolveLink(at linkPath: String, target: String) -> String {
        target.hasPrefix("/") ? normalize(target) : normalize(join(parent(linkPath), target))
    }

    /// The canonical absolute path (links, `.` and `..` resolved), or `nil` when it does not resolve.
    public static func realPath(_ path: String) -> String? { Sys.realPath(path) }
}
