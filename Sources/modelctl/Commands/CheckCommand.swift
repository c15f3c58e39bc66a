import ArgumentParser
import ModelRegistry
import OrderedJSON
import VersionLock

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the registry without touching any weights.",
        discussion: """
            Every file must parse (no duplicate names, keys or wrong types), the curated layer \
            must be there when another layer is, every model path must be usable, no field of \
            backend_config, version_lock or artifacts may stand at the top level of an entry, \
            every pin must be a SHA-256 digest (64 lowercase hex digits), and every locked entry \
            must have an expected aggregate. With --strict, every key at the top level and inside \
            backend_config, version_lock and artifacts must be a known field, and every entry with local or Ollama artifacts must be locked (but for the \
            backends given to --skip-backend). Exit 1 naming each problem; 0 when there is none.
            """
    )

    @Flag(name: .customLong("strict"), help: "Also refuse unknown keys, and require every entry with local or Ollama artifacts to be locked.")
    var strict = false

    @Flag(name: .customLong("json"), help: "Print {registry, entries, problems} as JSON.")
    var json = false

    @OptionGroup var skipping: BackendSkipOptions
    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let (store, warnings) = try registry.checkedStore()
        let snapshot = try store.load()
        let problems = warnings + RegistryAudit.problems(snapshot, source: try registry.source(mapPaths: location.mapPaths),
                                                                      strict: strict, skippingBackends: Set(skipping.backends))
        if json {
            print(JSON.serialize(.object(JSONObject([
                ("registry", .string(registry.directory)),
                ("entries", .number(JSONNumber(snapshot.entries.count))),
                ("problems", .array(problems.map(JSONValue.string))),
            ]))))
        } else if problems.isEmpty {
            print("\(registry.directory): \(Format.count(snapshot.entries.count, "entry", "entries")), no problems")
        }
        for problem in problems { Terminal.error(problem) }
        if !problems.isEmpty { throw CommandFailure.error("\(Format.count(problems.count, "problem")) in \(registry.directory)") }
    }
}
