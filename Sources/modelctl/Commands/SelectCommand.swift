import ArgumentParser
import Foundation
import ModelRegistry
import ModelRuntime
import OrderedJSON

struct SelectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Resolve a logical model name (or a role) to its endpoint, backend, model id and capabilities.",
        discussion: """
            The endpoint is backend_config.base_url, else backend_config.host when it is an \
            http(s) URL, else http://HOST:PORT/v1 (HOST defaults to localhost, or to \
            $MODELCTL_OLLAMA_HOST for Ollama entries; a port of 0 or less means the backend's \
            default: vllm/lmdeploy 24001, ollama 11434, triton 9000, others 8000).

            Capabilities are normalised: keys lower-cased, synonyms (vl, mm, multimodal, \
            function_calling, tool_calls, cot, reasoner, ...) promoted to text, vision, audio, \
            embedding, tools, thinking and reasoning; text defaults to true. A missing required \
            capability exits 1.

            With --role (and no NAME), the entry with that role and the highest role_priority \
            wins (ties by name), among those with the capabilities the role needs, as ImageWorks \
            decides them: vision for caption, keywords, description and narration, plus every \
            --require (--require none drops the role's own requirements). Deprecated entries \
            are never chosen unless --allow-deprecated (then they rank last).
            """
    )

    @Argument(help: "The entry's name (omit with --role).")
    var name: String?

    @Flag(name: .customLong("require-vision"), help: "Exit 1 unless the model has vision.")
    var requireVision = false

    @Option(name: .customLong("require"), help: ArgumentHelp("Exit 1 unless the model has this capability (repeatable; synonyms accepted).", valueName: "cap"))
    var require: [String] = []

    @Option(name: .customLong("role"), help: "Pick the best entry with this role instead of naming one.")
    var role: String?

    @Flag(name: .customLong("allow-deprecated"), help: "With --role, let a deprecated entry be chosen (after every other).")
    var allowDeprecated = false

    @Flag(name: .customLong("json"), help: "Print {logical_name, endpoint, backend, internal_model_id, capabilities}.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    @OptionGroup var catalog: CatalogCheckOptions

    func validate() throws {
        switch (name, role) {
        case (nil, nil): throw ValidationError("give a model NAME or --role ROLE")
        case (.some, .some): throw ValidationError("give either a model NAME or --role ROLE, not both")
        default: break
        }
        if allowDeprecated && role == nil { throw ValidationError("--allow-deprecated applies to --role only") }
    }

    func run() async throws {
        let snapshot = try registry.load()
        // `--require none` drops the role's own requirements; it is no capability itself.
        let roleDefaults = !require.contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "none" }
        var required = (requireVision ? ["vision"] : []) + require.filter { $0.trimmingCharacters(in: .whitespaces).lowercased() != "none" }
        if let role { required = RoleSelector.requirements(forRole: role, requiring: required, roleDefaults: roleDefaults) }
        let entry = try role.map {
            try RoleSelector.select(role: $0, from: snapshot.entries, requiring: required, roleDefaults: roleDefaults,
                                    allowDeprecated: allowDeprecated)
        } ?? snapshot.entry(named: name ?? "")
        try await catalog.check(entry)
        let endpoints = EndpointResolver(ollamaHost: Settings.value("MODELCTL_OLLAMA_HOST"))
        let selection = try ModelSelection.select(entry, requiring: required, endpoints: endpoints)
        if json {
            print(JSON.serialize(selection.json))
        } else {
            print("""
                logical_name:      \(selection.logicalName)
                endpoint:          \(selection.endpoint)
                backend:           \(selection.backend ?? "-")
                internal_model_id: \(selection.internalModelID)
                capabilities:      \(selection.capabilities.enabled.joined(separator: ", "))
                """)
        }
    }
}
