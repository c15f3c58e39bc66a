import ArgumentParser
import Foundation

/// The `modelctl` command: parses, runs one subcommand, and maps every outcome to the
/// exit codes of DESIGN.md (0 success, 1 error, 2 lock violation, 64 usage).
@main
struct ModelCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelctl",
        abstract: "Verify, lock and serve self-hosted model artifacts.",
        discussion: """
            Exit codes: 0 success; 1 error (unknown model, bad input, I/O, backend); \
            2 lock violation (a locked entry's artifacts do not match); 64 usage error.
            """,
        version: "0.1.0",
        subcommands: commandList
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(exitCode(for: error))
        }
    }

    /// Prints `error` where it belongs and returns the process exit code.
    static func exitCode(for error: any Error) -> Int32 {
        switch error {
        case let failure as CommandFailure:
            if !failure.message.isEmpty { Terminal.error(failure.message) }
            return failure.code
        case let exit as ExitCode:
            return exit.rawValue
        case is CancellationError:
            Terminal.error("cancelled")
            return 1
        default:
            // ArgumentParser's own errors: help and version exit 0, usage errors 64.
            let code = ModelCtl.exitCode(for: error as (any Error)?)
            if code.rawValue == 64 || code.rawValue == 0 || isArgumentParserError(error) {
                let message = ModelCtl.fullMessage(for: error)
                if !message.isEmpty {
                    if code.rawValue == 0 { print(message) } else { Terminal.error(message, prefix: false) }
                }
                return code.rawValue
            }
            Terminal.error(String(describing: error))
            return 1
        }
    }

    private static func exitCode(for error: (any Error)?) -> ExitCode {
        guard let error else { return .success }
        return Self.exitCode(for: error)
    }

    private static func isArgumentParserError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}
