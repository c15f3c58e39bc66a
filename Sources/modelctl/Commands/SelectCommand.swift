import ArgumentParser
import Foundation
import ArtifactHashing
import ModelCatalog
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

            The text output shows control characters in names escaped (\\x1b, \\n, ...); \
            --json carries them exactly.

            --served-digest (Ollama entries) asks the endpoint's /api/tags which manifest \
            digest the server holds for the model (the ollama: model path, else \
            served_model_id) and compares it with the manifest digest verify recorded \
            (artifacts.files, path "manifest"): served_digest match exits 0; a different \
            digest exits 2 (the server holds other bytes); a model the server does not list, \
            no recorded digest, or a server that cannot be asked exits 1.
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

    @Flag(name: .customLong("served-digest"),
          help: "For an Ollama entry, check that the server's /api/tags digest equals the recorded manifest digest (exit 2 when not).")
    var servedDigest = false

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
        do { try Output.requireOpen() } catch { throw error.failure }
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
        let endpoints = Settings.current.endpoints
        let selection = try ModelSelection.select(entry, requiring: required, endpoints: endpoints)
        let served = servedDigest ? try await checkServedDigest(entry, endpoint: selection.endpoint) : nil
        if json {
            var object = selection.json
            if let served, var members = object.objectValue {
                members["served_digest"] = served.json
                object = .object(members)
            }
            try write(JSON.serialize(object) + "\n")
        } else {
            // Names come from registry files: escaped, so one cannot forge a line or write
            // to the screen (--json carries them exactly).
            try write("""
                logical_name:      \(displayEscaped(selection.logicalName))
                endpoint:          \(displayEscaped(selection.endpoint))
                backend:           \(displayEscaped(selection.backend ?? "-"))
                internal_model_id: \(displayEscaped(selection.internalModelID))
                capabilities:      \(displayEscaped(selection.capabilities.enabled.joined(separator: ", ")))

                """)
            if let served {
                try write("served_digest:     \(served.outcome.rawValue)\(served.served?.digest.map { " " + $0 } ?? "")\n")
            }
        }
        if let served {
            switch served.outcome {
            case .match: break
            case .mismatch: throw CommandFailure.violation(displayEscaped(served.message))
            case .notRecorded, .notServed, .unavailable: throw CommandFailure.error(displayEscaped(served.message))
            }
        }
    }

    /// Writes to standard output; a full device or a closed stdout exits 1 saying so (a
    /// broken pipe quietly).
    private func write(_ text: String) throws {
        do { try Output.write(text) } catch { throw error.failure }
    }

    /// How long the /api/tags question may take, connection to last byte.
    static let servedDigestTimeout: Duration = .seconds(10)

    /// The served-digest comparison for an Ollama entry; exit 1 for any other entry.
    private func checkServedDigest(_ entry: RegistryEntry, endpoint: String) async throws -> ServedDigestCheck {
        guard entry.isOllama else {
            throw CommandFailure.error("\(displayEscaped(entry.name)): --served-digest applies to Ollama entries (backend ollama or an ollama: model path)")
        }
        guard let url = URL(string: endpoint), url.host != nil else {
            throw CommandFailure.error("\(displayEscaped(entry.name)): endpoint '\(displayEscaped(endpoint))' is not a URL")
        }
        return await ServedDigestCheck.check(entry: entry, endpoint: url, timeout: Self.servedDigestTimeout)
    }
}
