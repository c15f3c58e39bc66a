/// Options that may come before the subcommand, as in git and kubectl:
/// `modelctl --registry-dir X verify --all`, `modelctl -q verify --all`.
///
/// Two kinds:
/// - *presentation* options (`--quiet`/`-q`, `--color WHEN`, `--no-color`, `--log-timestamps`)
///   are taken out wherever they stand (before a `--`) and become the ``OutputStyle``;
/// - *command* options shared by many subcommands (`--registry-dir`, `--lock-timeout`,
///   `--map-path`, `--jobs`/`-j`) are moved from before the subcommand name to just after it,
///   where the subcommand's own parser checks them (a subcommand without the option rejects
///   it as usual, exit 64);
/// - `--registry-dir` before the subcommand applies to every command, as `git -C` does, and is
///   accepted (and ignored) by the few that read no registry (`hash`, `scan`, `current-model`).
struct GlobalOptions: Equatable {
    /// The arguments for argument-parser, global options removed or moved.
    var arguments: [String]
    var quiet = false
    var color: OutputStyle.ColorMode?
    var logTimestamps = false
    var json = false
    /// `--registry-dir` given before the subcommand: the registry for every command, like
    /// `git -C` (a command's own `--registry-dir` still beats it).
    var registryDirectory: String?

    /// Thrown for a presentation option with a missing or bad value.
    struct UsageError: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// Shared options that take a value, moved after the subcommand name.
    static let movedWithValue: Set<String> = ["--lock-timeout", "--map-path", "--jobs", "-j"]

    /// Splits `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws(UsageError) -> GlobalOptions {
        var result = GlobalOptions(arguments: [])
        var kept: [String] = []
        var moved: [String] = []
        var subcommandIndex: Int?  // index in `kept` of the subcommand name
        var index = 0
        var terminated = false
        func value(for option: String) throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw UsageError(description: "missing value for '\(option)'") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            defer { index += 1 }
            if terminated { kept.append(argument); continue }
            if argument == "--" { terminated = true; kept.append(argument); continue }
            let (name, inline) = split(argument)
            switch name {
            case "--quiet", "-q":
                guard inline == nil else { throw UsageError(description: "'\(name)' takes no value") }
                result.quiet = true
                continue
            case "--log-timestamps":
                guard inline == nil else { throw UsageError(description: "'\(name)' takes no value") }
                result.logTimestamps = true
                continue
            case "--no-color":
                result.color = .never
                continue
            case "--color":
                let text: String
                if let inline { text = inline } else { text = try value(for: name) }
                guard let mode = OutputStyle.ColorMode(rawValue: text) else {
                    throw UsageError(description: "--color must be auto, always or never (got '\(text)')")
                }
                result.color = mode
                continue
            default: break
            }
            if argument == "--json" { result.json = true }
            if subcommandIndex == nil {
                if name == "--registry-dir" {
                    let given: String
                    if let inline { given = inline } else { given = try value(for: name) }
                    if let problem = Settings.emptyValueProblem(given, name) { throw UsageError(description: problem) }
                    result.registryDirectory = given
                    continue
                }
                if movedWithValue.contains(name) {
                    moved.append(argument)
                    if inline == nil {
                        let given = try value(for: name)
                        moved.append(given)
                    }
                    continue
                }
                if !argument.hasPrefix("-") { subcommandIndex = kept.count }
            }
            kept.append(argument)
        }
        if let subcommandIndex {
            kept.insert(contentsOf: moved, at: subcommandIndex + 1)
        } else {
            kept += moved  // no subcommand: let argument-parser say what is wrong
        }
        result.arguments = kept
        return result
    }

    /// `--name=value` as (`--name`, `value`); anything else as (argument, nil).
    private static func split(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// The output style these options and the settings give: an option beats `NO_COLOR`
    /// (set and not empty: no colour in `auto`), and `TERM=dumb` means no progress line and no
    /// colour in `auto`.
    func style(_ settings: Settings) -> OutputStyle {
        var style = OutputStyle()
        style.quiet = quiet
        style.logTimestamps = logTimestamps
        style.json = json
        style.dumbTerminal = settings.value("TERM") == "dumb"
        if let color {
            style.color = color
        } else if settings.value("NO_COLOR") != nil {
            style.color = .never
        }
        return style
    }
}
