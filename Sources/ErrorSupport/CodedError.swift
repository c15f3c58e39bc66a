/// The one error shape of modelctl: a kind (`code`), a message that names the model, file
/// or URL and says what to do next, and a ``Severity`` that decides the exit status.
///
/// Errors compare equal, and hash, by `code` alone, which keeps tests simple
/// (`#expect(throws: FileError(.tooLarge)) { ... }`), and print as their message. The command
/// line maps severities to exit status in one table.
public protocol CodedError: Error, Hashable, CustomStringConvertible, Sendable {
    /// The kinds of failure of one module.
    associatedtype Code: Hashable, Sendable
    /// The kind of failure; errors compare equal by it.
    var code: Code { get }
    /// The full message.
    var message: String { get }
    /// How bad the failure is (``Severity/error`` unless the type says otherwise).
    var severity: Severity { get }
}

/// How bad a failure is: whether something could not be done, or was checked and found wrong.
public enum Severity: Sendable, Hashable {
    /// Something could not be read, checked or done (exit status 1).
    case error
    /// Something was checked and does not match: artifacts, a signature or a store blob
    /// cannot be trusted (exit status 2). It outranks ``error`` when a run meets both.
    case integrityFailure
}

extension CodedError {
    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { message }
    public var severity: Severity { .error }
    /// Whether this failure means the artifacts or the signature cannot be trusted.
    public var isIntegrityFailure: Bool { severity == .integrityFailure }
}
