import ErrorSupport

/// An outcome of the command line itself: a verdict already reported (violations, errors
/// reported per entry), or a failure the command words itself.
struct CommandFailure: CodedError {
    let severity: Severity
    /// Printed on stderr as `modelctl: error: MESSAGE` (nothing when empty).
    let message: String
    var code: Severity { severity }

    static func error(_ message: String) -> CommandFailure { CommandFailure(severity: .error, message: message) }
    static func violation(_ message: String) -> CommandFailure { CommandFailure(severity: .integrityFailure, message: message) }
}
