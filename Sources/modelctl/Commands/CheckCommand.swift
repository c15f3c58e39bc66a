import ArgumentParser
import ModelRegistry
import OrderedJSON
import VersionLock

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the registry without touching any weights.",
        discussion: """
            Every file must parse (no duplicate names, keys or wrong types), every model path \
            must be usable, and every locked entry must have an expected aggregate. With \
            --strict, every entry with local or Ollama artifacts must also be locked. Exit 1 \
            naming each problem; 0 when there is none.
            """
    )

    @Flag(name: .customLong("strict"), help: "Also require every entry with local or Ollama artifacts to be locked.")
    var strict = false

    @Flag(name: .customLong("json"), help: "Print {registry, entries, problems} as JSON.")
    var json = false

    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let snapshot = try registry.load()
        let problems = RegistryAudit.problems(snapshot, source: try registry.source(mapPaths: location.mapPaths), strict: strict)
        if json {
            print(JSON.serialize(.object(JSONObject([
                ("registry", .string(registry.directory)),
                ("entries", .number(JSONNumber(snapshot.entries.count))),
                ("problems", .array(problems.map(JSONValue.string))),
            ]))))
        } else if problems.isEmpty {
            print("\(registry.directory): \(snapshot.entries.count) entries, no problems")
        }
        for problem in problems { Terminal.error(problem) }
        if !problems.isEmpty { throw CommandFailure.error("\(problems.count) problem\(problems.count == 1 ? "" : "s") in \(registry.directory)") }
    }
}
