import ArgumentParser
import Foundation

/// The `modelctl` command: parses, runs one subcommand, and maps every outcome to the
/// exit codes of the README (0 success, 1 error, 2 integrity failure, 64 usage).
@main
struct ModelCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelctl",
        abstract: "Verify, lock and serve self-hosted model artifacts.",
        discussion: """
            Exit codes: 0 success; 1 error (unknown model, bad input, I/O, backend); \
            2 integrity failure (a locked entry's artifacts do not match, a signature does not \
            verify, a store blob does not match its name); 64 usage error.
            """,
        version: "0.2.0",
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
            Foundation.exit(report(error))
        }
    }

    /// Prints `error` where it belongs and returns the process exit status.
    static func report(_ error: any Error) -> Int32 {
        if let status = ExitStatus(error) {
            if !status.message.isEmpty { Terminal.error(status.message) }
            return status.code
        }
        // Everything else is argument-parser's: help and version exit 0, usage errors 64.
        let code = exitCode(for: error).rawValue
        let message = fullMessage(for: error)
        if !message.isEmpty {
            if code == 0 { print(message) } else { Terminal.error(message, prefix: false) }
        }
        return code
    }
}
