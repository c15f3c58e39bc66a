/// What to do when a command is asked to use a model the catalog does not know.
///
/// The default is `off`: the catalog never blocks a valid model unless asked to.
public enum UnknownModelMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No check, no warning.
    case off
    /// One warning per unknown model per process (never one per call).
    case warn
    /// An unknown model is an error (exit 1), unless the call passes `--allow-unknown-model`.
    case enforce

    public var description: String { rawValue }
}
