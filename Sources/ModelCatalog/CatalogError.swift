public import ErrorSupport
/// An error from the catalog that stops a command.
///
/// Errors compare equal by ``code`` alone; the message names the model or the option text and
/// says what to do next.
public struct CatalogError: CodedError {
    /// The kind of failure.
    public enum Code: Hashable, Sendable {
        /// `enforce` mode and a model the catalog does not know.
        case unknownModel
        /// A per-call override that is not a valid spec.
        case invalidOverride
    }

    /// The kind of failure; errors compare equal by it.
    public let code: Code
    /// The full message.
    public let message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    /// `model 'NAME' is not in the model catalog (MODE ORIGIN); add ... to a catalog file`; the
    /// caller adds the other ways out in its own terms (the CLI names its options and variables).
    public static func unknownModel(name: String, modeOrigin: String? = nil) -> CatalogError {
        CatalogError(.unknownModel, "model '\(name)' is not in the model catalog (\(modeOrigin ?? "unknown-model mode: enforce")); "
            + "to make it known, add {\"model_name\": \"\(name)\"} to a catalog file")
    }

    /// `invalid model spec override 'TEXT': REASON`.
    public static func invalidOverride(text: String, reason: String) -> CatalogError {
        CatalogError(.invalidOverride, "invalid model spec override '\(text)': \(reason)")
    }
}
