import ArgumentParser
import ArtifactHashing
import Foundation
import HTTPSupport
import ModelCatalog
import ModelRegistry
import OrderedJSON

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

            Global options, before or after the subcommand: -q/--quiet (nothing but errors), \
            --color auto|always|never (NO_COLOR turns auto off), --no-color, --log-timestamps \
            (ISO 8601 times on stderr lines; on by default when stderr is not a terminal). \
            --registry-dir, --lock-timeout, --map-path and -j/--jobs may also come before the \
            subcommand, as in `modelctl --registry-dir /srv/registry verify --all`.
            """,
        version: "0.2.0",
        subcommands: commandList
    )

    static func main() async {
        let global: GlobalOptions
        do {
            global = try GlobalOptions.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            Terminal.error(error.description + "\nUsage: modelctl [--quiet] [--color auto|always|never] [--log-timestamps] <subcommand>")
            Foundation.exit(64)
        }
        Terminal.style = global.style(Settings.current)
        // Requests to backends and the capabilities server go through the proxies the environment names;
        // catalog warnings go to the log, under --quiet and --log-timestamps like the tool's own.
        HTTPClient.useShared(HTTPClient(proxies: Settings.current.proxies))
        CatalogWarnings.useShared(CatalogWarnings { Terminal.warning($0) })
        Settings.globalRegistryDirectory = global.registryDirectory
        Terminal.installInterruptHandler()
        do {
            try Output.requireOpen()
            try rejectUnknownSubcommand(global.arguments)
            var command = try parseAsRoot(global.arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            let status = report(error)
            Output.flushOrExit()
            Foundation.exit(status)
        }
        Output.flushOrExit()
    }

    /// A first word that names no subcommand is a usage error that says which subcommand was
    /// probably meant (`verifyy --all` would otherwise be reported as an unknown `--all`).
    static func rejectUnknownSubcommand(_ arguments: [String]) throws {
        guard let word = arguments.first, !word.hasPrefix("-") else { return }
        let names = commandList.map { $0._commandName } + ["help"]
        guard !names.contains(word) else { return }
        let close = NameSuggestions.closest(to: word, among: names, limit: 1)
        throw ValidationError("unknown subcommand '\(displayEscaped(word))'" + (close.first.map { "; did you mean '\($0)'?" } ?? "; see modelctl --help"))
    }

    /// Prints `error` where it belongs and returns the process exit status.
    static func report(_ error: any Error) -> Int32 {
        if let output = error as? OutputError { Output.exitAfterFailedWrite(output) }
        if let status = ExitStatus(error) {
            if !status.message.isEmpty { Terminal.error(status.message) }
            reportAsJSON(status.code, status.message)
            return status.code
        }
        // Everything else is argument-parser's: help and version exit 0, usage errors 64.
        let code = exitCode(for: error).rawValue
        let message = fullMessage(for: error)
        if !message.isEmpty {
            if code == 0 { Output.emit(message + "\n") } else { Terminal.error(message, prefix: false) }
        }
        if code != 0 { reportAsJSON(code, message) }
        return code
    }

    /// With `--json`, a command that failed before it printed anything still prints one JSON
    /// object on stdout: `{"schema_version": 1, "status": "error", "exit_status": N, "error": "..."}`
    /// (see docs/json-schema.md), so a script reading stdout sees why.
    static func reportAsJSON(_ code: Int32, _ message: String) {
        guard Terminal.style.json, !Output.wroteAnything else { return }
        let status = code == 2 ? "integrity_failure" : code == 64 ? "usage_error" : "error"
        let object = JSONObject([
            ("schema_version", .number(JSONNumber(JSONSchema.version))),
            ("status", .string(status)),
            ("exit_status", .number(JSONNumber(Int(code)))),
            ("error", .string(message.isEmpty ? status.replacingOccurrences(of: "_", with: " ") : message)),
        ])
        do { try Output.write(JSON.serialize(.object(object)) + "\n") } catch { Output.exitAfterFailedWrite(error) }
    }
}
