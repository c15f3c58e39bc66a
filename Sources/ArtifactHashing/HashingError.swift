public import ErrorSupport
/// Why an artifact root could not be hashed. Every error names the path it is about.
///
/// Errors compare equal when their codes are equal. The ``description`` prints the path with
/// control characters and bytes that are not UTF-8 escaped (see ``displayEscaped(_:)``), so a
/// file name cannot write escape sequences to a terminal or forge a line of output.
public struct HashingError: CodedError {
    /// What kind of failure this is; tests and callers compare on it.
    public enum Code: Hashable, Sendable {
        /// The root does not exist.
        case notFound
        /// A symbolic link whose target does not exist.
        case danglingSymlink
        /// Something in the tree that is not a regular file or a link to one (a FIFO, socket or
        /// device, a link to one, a link to a directory) and is not excluded by name: it is
        /// never skipped in silence, as a loader may open it.
        case specialFile
        /// The root is neither a regular file nor a directory.
        case unsupportedRoot
        /// The file changed while it was being read: its size, modification time or change
        /// time (ctime) differ before and after the read, the bytes read differ from its size,
        /// or two reads of a recently modified file differ. Also a directory whose entries
        /// changed while it was listed, twice in a row.
        case changedWhileHashing
        /// A system call failed; `errno` is kept.
        case io(errno: Int32)
        /// A symbolic link that leads back to itself (too many levels of links).
        case symlinkLoop
        /// A regular file that holds more or fewer bytes than its size says, while its size and
        /// times stay the same (files in `/proc` and `/sys` report sizes that are not their
        /// length); it cannot be hashed reliably.
        case sizeMismatch
    }

    /// The kind of failure.
    public let code: Code
    /// The path the error is about, as the user would type it (root joined with the relative
    /// path); bytes that are not UTF-8 read as U+FFFD.
    public let path: String
    /// A sentence that explains the failure.
    public let reason: String
    /// The path as printed in ``description``.
    private let shownPath: String

    public init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
        self.shownPath = displayEscaped(path)
    }

    init(_ code: Code, name: PathName, reason: String) {
        self.code = code
        self.path = name.string
        self.reason = reason
        self.shownPath = name.displayed
    }

    /// `path: reason`, the path escaped for display.
    /// `path: reason`, the path with control characters escaped.
    public var message: String { "\(shownPath): \(reason)" }


    /// A symbolic link at `path` whose target does not exist.
    static func danglingSymlink(at name: PathName) -> HashingError {
        HashingError(.danglingSymlink, name: name, reason: "dangling symbolic link (its target does not exist)")
    }

    /// `what` (a FIFO, a link to a directory, ...) at `path`, which the walk does not skip.
    static func specialFile(at name: PathName, _ what: String) -> HashingError {
        HashingError(.specialFile, name: name, reason: "\(what) in the artifact tree; only regular files (and links to them) are hashed: remove it, or exclude it by name")
    }

    /// A symbolic link at `path` that leads back to itself.
    static func symlinkLoop(at name: PathName) -> HashingError {
        HashingError(.symlinkLoop, name: name, reason: "symbolic link loop (too many levels of symbolic links)")
    }
}

/// An I/O error naming `path`, with the system's message for `error`.
func ioError(_ name: PathName, _ what: String, _ error: SystemError) -> HashingError {
    HashingError(.io(errno: error.errno), name: name, reason: "\(what): \(error.message)")
}
