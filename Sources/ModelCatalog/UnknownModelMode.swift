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

    /// The environment variable that sets the mode.
    public static let environmentVariable = "MODELCTL_CATALOG_MODE"

    public var description: String { rawValue }

    /// The mode in force: the command-line option, else `MODELCTL_CATALOG_MODE` from
    /// `environment` (passed in by the caller), else `off`.
    ///
    /// An environment value that is not a mode is reported through `warnings` and ignored,
    /// so a typo in the environment never blocks a model.
    public static func resolve(
        option: UnknownModelMode?, environment: [String: String], warnings: CatalogWarnings = .shared
    ) -> UnknownModelMode {
        if let option { return option }
        guard let text = environment[environmentVariable], !text.isEmpty else { return .off }
        if let mode = UnknownModelMode(rawValue: text.lowercased()) { return mode }
        warnings.warnOnce(
            key: "invalid-mode:\(text)",
            "\(environmentVariable)=\(text) is not one of off, warn, enforce; using off")
        return .off
    }
}
