/// What a hashing walk leaves out of an artifact root.
///
/// By default (``default``) the walk does not descend into tool metadata directories, at any
/// depth: `.git/` (a `git clone` of a model keeps a second copy of every weight under
/// `.git/lfs/objects`) and `.cache/huggingface/` (`hf download --local-dir` rewrites its
/// `download/*.metadata` files on every run, with the weights unchanged), as huggingface_hub
/// and model_signing also skip them. Such a directory is never opened, so it costs nothing.
/// ``none`` hashes every file, as ImageWorks does; the two give the same aggregate for a tree
/// that has no such directory.
///
/// ``patterns`` add glob patterns matched against each file's and directory's path relative
/// to the root, with `/` separators: `*` matches within one path component, `**` matches any
/// number of components (`**/` also none), `?` one character other than `/`, `[abc]`,
/// `[a-z]` and `[!abc]` one character of (not of) a set, and `\` escapes the next character.
/// A directory that a pattern matches (or whose contents `dir/**` names) is not descended.
///
/// ```swift
/// let hasher = ArtifactHasher(exclusions: PathExclusions.default.adding(["original/**", "**/*.md"]))
/// ```
public struct PathExclusions: Sendable, Hashable {
    /// Whether `.git/` and `.cache/huggingface/` directories are left out, at any depth.
    public var skipsToolMetadata: Bool
    /// Glob patterns of relative paths to leave out.
    public private(set) var patterns: [String]
    private var compiled: [GlobPattern]

    /// The most patterns ``validate(_:)`` accepts (1024).
    public static let maximumPatterns = 1024
    /// The longest pattern ``validate(_:)`` accepts (4096 bytes).
    public static let maximumPatternBytes = 4096

    /// Leaves out nothing: every file is hashed.
    public static let none = PathExclusions(skipsToolMetadata: false)
    /// Leaves out `.git/` and `.cache/huggingface/` at any depth.
    public static let `default` = PathExclusions(skipsToolMetadata: true)

    public init(skipsToolMetadata: Bool = true, patterns: [String] = []) {
        self.skipsToolMetadata = skipsToolMetadata
        self.patterns = []
        self.compiled = []
        self = adding(patterns)
    }

    /// These exclusions plus `patterns`.
    public func adding(_ patterns: [String]) -> PathExclusions {
        var out = self
        for pattern in patterns where !out.patterns.contains(pattern) {
            out.patterns.append(pattern)
            out.compiled.append(GlobPattern(pattern))
        }
        return out
    }

    /// Whether nothing is left out.
    public var excludesNothing: Bool { !skipsToolMetadata && patterns.isEmpty }

    /// Why `patterns` cannot be used, or `nil` when they can: too many, too long, empty, or
    /// holding a NUL byte.
    public static func validate(_ patterns: [String]) -> String? {
        if patterns.count > maximumPatterns { return "more than \(maximumPatterns) patterns" }
        for pattern in patterns {
            if pattern.isEmpty { return "an empty pattern" }
            if pattern.utf8.count > maximumPatternBytes { return "a pattern longer than \(maximumPatternBytes) bytes" }
            if pattern.utf8.contains(0) { return "a pattern holding a NUL byte" }
        }
        return nil
    }

    /// Whether the file or directory at `path` (relative to the root, `/`-separated) is left out.
    public func excludes(path: String, isDirectory: Bool) -> Bool {
        let name = PathName(path)
        guard isDirectory else { return excludesFile(name) }
        let bytes = Array(path.utf8)
        let parent: [UInt8] = bytes.lastIndex(of: 0x2F).map { Array(bytes[..<$0]) } ?? []
        let base: [UInt8] = bytes.lastIndex(of: 0x2F).map { Array(bytes[($0 + 1)...]) } ?? bytes
        return excludesDirectory(relative: name, name: PathName(bytes: base), parent: PathName(bytes: parent))
    }

    /// Whether a directory is left out (then it is not descended).
    func excludesDirectory(relative: PathName, name: PathName, parent: PathName) -> Bool {
        if skipsToolMetadata {
            let isToolDirectory = name.withBytes { name -> Bool in
                if name.elementsEqual(PathExclusions.git) { return true }
                guard name.elementsEqual(PathExclusions.huggingface) else { return false }
                // `.cache/huggingface`: the parent's last component is `.cache`.
                return parent.withBytes { parent in
                    let last = parent.lastIndex(of: 0x2F).map { parent[($0 + 1)...] } ?? parent[...]
                    return last.elementsEqual(PathExclusions.cache)
                }
            }
            if isToolDirectory { return true }
        }
        guard !compiled.isEmpty else { return false }
        return relative.withBytes { path in compiled.contains { $0.matchesDirectory(path) } }
    }

    /// Whether a file is left out.
    func excludesFile(_ relative: PathName) -> Bool {
        guard !compiled.isEmpty else { return false }
        return relative.withBytes { path in compiled.contains { $0.matches(path) } }
    }

    private static let git = Array(".git".utf8)
    private static let huggingface = Array("huggingface".utf8)
    private static let cache = Array(".cache".utf8)

    public static func == (a: PathExclusions, b: PathExclusions) -> Bool {
        a.skipsToolMetadata == b.skipsToolMetadata && a.patterns == b.patterns
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(skipsToolMetadata)
        hasher.combine(patterns)
    }
}

/// A compiled glob pattern over the bytes of a relative path.
struct GlobPattern: Sendable {
    enum Token: Sendable, Equatable {
        case byte(UInt8)
        /// `?`: one byte other than `/`.
        case any
        /// `*`: any bytes other than `/`.
        case star
        /// `**`: any bytes, `/` included.
        case globstar
        /// `**/`: nothing, or any bytes ending in `/`.
        case globstarSlash
        /// `[...]`: one byte in (or, negated, not in) the ranges; never `/`.
        case set([ClosedRange<UInt8>], negated: Bool)
    }

    let tokens: [Token]
    /// For `dir/**`: the tokens of `dir`, which match the directory itself.
    let directoryTokens: [Token]?

    init(_ pattern: String) {
        tokens = GlobPattern.compile(Array(pattern.utf8))
        if tokens.count >= 2, tokens.last == .globstar, tokens[tokens.count - 2] == .byte(0x2F) {
            directoryTokens = Array(tokens.dropLast(2))
        } else {
            directoryTokens = nil
        }
    }

    private static func compile(_ p: [UInt8]) -> [Token] {
        var out: [Token] = []
        var i = 0
        while i < p.count {
            let c = p[i]
            switch c {
            case UInt8(ascii: "\\") where i + 1 < p.count:
                out.append(.byte(p[i + 1]))
                i += 2
            case UInt8(ascii: "?"):
                out.append(.any)
                i += 1
            case UInt8(ascii: "*"):
                if i + 1 < p.count, p[i + 1] == UInt8(ascii: "*") {
                    var j = i
                    while j < p.count, p[j] == UInt8(ascii: "*") { j += 1 }
                    if j < p.count, p[j] == 0x2F {
                        out.append(.globstarSlash)
                        i = j + 1
                    } else {
                        out.append(.globstar)
                        i = j
                    }
                } else {
                    out.append(.star)
                    i += 1
                }
            case UInt8(ascii: "["):
                if let (set, next) = compileSet(p, from: i) {
                    out.append(set)
                    i = next
                } else {
                    out.append(.byte(c))
                    i += 1
                }
            default:
                out.append(.byte(c))
                i += 1
            }
        }
        return out
    }

    /// `[...]` starting at `start`, or `nil` when it is not closed (then `[` is literal).
    private static func compileSet(_ p: [UInt8], from start: Int) -> (Token, Int)? {
        var i = start + 1
        var negated = false
        if i < p.count, p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^") {
            negated = true
            i += 1
        }
        var ranges: [ClosedRange<UInt8>] = []
        var first = true
        while i < p.count {
            var c = p[i]
            if c == UInt8(ascii: "]") && !first { return (.set(ranges, negated: negated), i + 1) }
            first = false
            if c == UInt8(ascii: "\\"), i + 1 < p.count {
                i += 1
                c = p[i]
            }
            if i + 2 < p.count, p[i + 1] == UInt8(ascii: "-"), p[i + 2] != UInt8(ascii: "]") {
                let high = p[i + 2]
                if c <= high { ranges.append(c...high) }
                i += 3
            } else {
                ranges.append(c...c)
                i += 1
            }
        }
        return nil
    }

    func matches(_ path: UnsafeRawBufferPointer) -> Bool { GlobPattern.match(tokens, path) }

    func matchesDirectory(_ path: UnsafeRawBufferPointer) -> Bool {
        if matches(path) { return true }
        if let directoryTokens { return GlobPattern.match(directoryTokens, path) }
        return false
    }

    /// Matches the whole of `text` against `tokens`: a table over text positions, one pass per
    /// token, so no pattern can take more than tokens x bytes steps.
    static func match(_ tokens: [Token], _ text: UnsafeRawBufferPointer) -> Bool {
        let n = text.count
        var current = [Bool](repeating: false, count: n + 1)
        current[0] = true
        var next = [Bool](repeating: false, count: n + 1)
        for token in tokens {
            for k in 0...n { next[k] = false }
            var any = false
            switch token {
            case .byte(let b):
                for k in 0..<n where current[k] && text[k] == b { next[k + 1] = true; any = true }
            case .any:
                for k in 0..<n where current[k] && text[k] != 0x2F { next[k + 1] = true; any = true }
            case .set(let ranges, let negated):
                for k in 0..<n where current[k] && text[k] != 0x2F && ranges.contains(where: { $0.contains(text[k]) }) != negated {
                    next[k + 1] = true
                    any = true
                }
            case .star:
                var open = false
                for k in 0...n {
                    if current[k] { open = true }
                    if open { next[k] = true; any = true }
                    if k < n, text[k] == 0x2F { open = false }
                }
            case .globstar:
                var open = false
                for k in 0...n {
                    if current[k] { open = true }
                    if open { next[k] = true; any = true }
                }
            case .globstarSlash:
                // Nothing, or anything up to and including a `/`.
                var open = false
                for k in 0...n {
                    if current[k] { next[k] = true; any = true; open = true }
                    if open, k < n, text[k] == 0x2F { next[k + 1] = true; any = true }
                }
            }
            guard any else { return false }
            swap(&current, &next)
        }
        return current[n]
    }
}
