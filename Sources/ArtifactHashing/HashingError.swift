/// Why an artifact root could not be hashed. Every error names the path it is about.
public struct HashingError: Error, Hashable, CustomStringConvertible {
    /// What kind of failure this is; tests and callers compare on it.
    public enum Code: Hashable, Sendable {
        /// The root does not exist.
        case notFound
        /// A symbolic link whose target does not exist.
        case danglingSymlink
        /// A file or directory name that contains a newline, which no manifest line can hold.
        case newlineInName
        /// A name that is not valid UTF-8.
        case invalidName
        /// The root is neither a regular file nor a directory.
        case unsupportedRoot
        /// The file changed (size or modification time) while it was being read.
        case changedWhileHashing
        /// A system call failed; `errno` is kept.
        case io(errno: Int32)
    }

    /// The kind of failure.
    public let code: Code
    /// The path the error is about, as the user would type it (root joined with the relative path).
    public let path: String
    /// A sentence that explains the failure.
    public let reason: String

    public init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// A symbolic link at `path` whose target does not exist.
    static func danglingSymlink(at path: String) -> HashingError {
        HashingError(.danglingSymlink, path: path, reason: "dangling symbolic link (its target does not exist)")
    }
}
