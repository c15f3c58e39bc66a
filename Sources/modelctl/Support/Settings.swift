import Foundation
import ModelRegistry
import ModelStores

/// The process environment, read once at start-up. Every command takes its settings from here
/// (option beats environment beats default) and passes them down as values: no library reads
/// the environment.
enum Settings {
    /// The environment as the process started with it, with the one rule for empty values
    /// applied: a variable that is empty or all blank counts as unset, for every consumer.
    static let environment: [String: String] = ProcessInfo.processInfo.environment.filter { !$0.value.allSatisfy(\.isWhitespace) }

    /// `--registry-dir` given before the subcommand (set once by `main`, before any command runs).
    nonisolated(unsafe) static var globalRegistryDirectory: String?

    /// The value of `name`, with the one rule for empty values: an empty or all-blank value
    /// counts as unset.
    static func value(_ name: String) -> String? { environment[name] }

    /// The first of `option`, then the environment variable `name`, that is set.
    static func resolve(_ option: String?, _ name: String) -> String? {
        if let option, !option.allSatisfy(\.isWhitespace) { return option }
        return value(name)
    }

    /// HOME, the working directory and the path mappings (`--map-path` beats `MODELCTL_MAP_PATH`).
    static func locationContext(mapPaths: [String]) throws -> LocationContext {
        var mappings: [PathMapping] = []
        if mapPaths.isEmpty {
            mappings = try PathMapping.parseList(value("MODELCTL_MAP_PATH") ?? "")
        } else {
            for text in mapPaths { mappings.append(try PathMapping(parsing: text)) }
        }
        return LocationContext(home: value("HOME"), workingDirectory: FileManager.default.currentDirectoryPath, pathMappings: mappings,
                               ollamaStores: OllamaStore.defaultRoots(environment: environment, home: value("HOME") ?? ""))
    }

    /// Whether unlocked entries are refused: `--require-locked`, else `MODELCTL_REQUIRE_LOCKED`
    /// (`1`, `true` or `yes`; `0`, `false` or `no` leave it off).
    ///
    /// - Throws: ``CommandFailure`` for any other value: a typo must not turn the check off.
    static func requireLocked(option: Bool) throws -> Bool {
        if option { return true }
        guard let text = value("MODELCTL_REQUIRE_LOCKED") else { return false }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw CommandFailure.error("MODELCTL_REQUIRE_LOCKED='\(text)' is not 1 or 0 (true/false, yes/no)")
        }
    }

    /// `user@host`, for the record of who re-baselined a lock.
    static var actor: String {
        let user = value("USER") ?? value("LOGNAME") ?? NSUserName()
        return user + "@" + (ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost")
    }
}
