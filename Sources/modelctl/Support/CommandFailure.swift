/// An outcome of the command line itself that ends a command with a given exit code: a verdict
/// already reported (a violation: 2; errors reported per entry: 1).
struct CommandFailure: Error {
    /// 1 for errors, 2 for integrity failures.
    let code: Int32
    /// Printed on stderr as `modelctl: error: MESSAGE` (nothing when empty).
    let message: String

    static func error(_ message: String) -> CommandFailure { CommandFailure(code: 1, message: message) }
    static func violation(_ message: String) -> CommandFailure { CommandFailure(code: 2, message: message) }
}
