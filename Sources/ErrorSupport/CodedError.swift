/// The one error shape of modelctl: a kind (`code`) and a message that names the model, file
/// or URL and says what to do next.
///
/// Errors compare equal, and hash, by `code` alone, which keeps tests simple
/// (`#expect(throws: FileError(.tooLarge)) { ... }`), and print as their message. The command
/// line maps codes to exit status in one table.
public protocol CodedError: Error, Hashable, CustomStringConvertible, Sendable {
    /// The kinds of failure of one module.
    associatedtype Code: Hashable, Sendable
    /// The kind of failure; errors compare equal by it.
    var code: Code { get }
    /// The full message.
    var message: String { get }
}

extension CodedError {
    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { message }
}
