public import ErrorSupport
/// Why a registry could not be read or written. Every message names the file, and the entry
/// and field where there is one.
public struct RegistryError: CodedError {
    /// The kind of failure; tests compare on it.
    public enum Code: Hashable, Sendable {
        /// The file is not valid JSON (the message carries line and column).
        case syntax
        /// The top level is not an array of objects.
        case notAnArray
        /// Two entries of one file share a name.
        case duplicateName
        /// A field the tool uses has the wrong JSON type.
        case wrongType
        /// An entry has no `name`.
        case missingName
        /// No entry has the requested name.
        case unknownModel
        /// The registry directory does not exist.
        case directoryNotFound
        /// Reading, writing or locking failed.
        case io
        /// The registry directory holds none of the registry files.
        case noRegistry
        /// A setting (option or environment value) is malformed.
        case invalidSetting
    }

    /// The kind of failure.
    public let code: Code
    /// The full message.
    public let message: String
    /// Close names, for ``Code/unknownModel``.
    public let suggestions: [String]

    public init(_ code: Code, _ message: String = "", suggestions: [String] = []) {
        self.code = code
        self.message = message
        self.suggestions = suggestions
    }
}
