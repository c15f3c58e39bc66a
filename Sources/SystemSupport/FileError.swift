public import ErrorSupport
/// Why a file could not be read, written or locked. The message names the file.
///
/// Errors compare equal by ``code`` alone, so tests can write
/// `#expect(throws: FileError(.notRegularFile)) { ... }`.
public struct FileError: CodedError {
    /// The kind of failure.
    public enum Code: Hashable, Sendable {
        /// The path is a FIFO, a device, a directory or a socket where a regular file belongs.
        case notRegularFile
        /// The file is larger than the caller allows.
        case tooLarge
        /// Another process held the lock for longer than the timeout.
        case lockTimeout
        /// A system call failed (the message carries the system's reason).
        case io
    }

    /// The kind of failure; errors compare equal by it.
    public let code: Code
    /// The file the error is about.
    public let path: String
    /// The full message, starting with the path.
    public let message: String

    /// An error about `path`; `message` defaults to `path: reason`.
    public init(_ code: Code, path: String = "", message: String = "") {
        self.code = code
        self.path = path
        self.message = message.isEmpty ? path : message
    }

    /// The message without the leading `path: `, to stand after a caller's own `path: what: `.
    public var reason: String {
        message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
    }

    /// `path: what: <system reason for errno>`.
    static func system(_ what: String, _ path: String, errno code: Int32 = Sys.lastError) -> FileError {
        FileError(.io, path: path, message: "\(path): \(what): \(Sys.message(code))")
    }
}
