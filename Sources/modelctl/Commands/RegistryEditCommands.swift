import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import ModelRuntime
import ModelStores
import OrderedJSON
import SystemSupport
import VersionLock

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a registry: an empty curated layer (model_registry.curated.json) and nothing else.",
        discussion: """
            DIR defaults to the registry directory in force (--registry-dir, else \
            $MODELCTL_REGISTRY_DIR, else ./configs); it is created when missing. An existing \
            curated file is never replaced (exit 1).
            """
    )

    @Argument(help: "The registry directory to start (default: the registry directory in force).")
    var directory: String?

    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let directory = directory ?? registry.directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure.error("\(directory): cannot create the registry directory: \(error.localizedDescription)")
        }
        try RegistryStore(directory: directory).initialize()
        print("initialized an empty registry in \(directory)")
        Terminal.note("next: modelctl --registry-dir \(directory.shellQuoted) add NAME PATH --lock")
    }
}

struct AddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a curated entry for a model directory or file, an Ollama model or a Hugging Face cache repository.",
        discussion: """
            SOURCE is a local PATH (written as an absolute path), ollama:NAME[:TAG] (backend \
            ollama, served as NAME[:TAG]) or hf:ORG/NAME (the snapshot of refs/main in the \
            Hugging Face cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). \
            The entry is appended to model_registry.curated.json under the registry lock, in the \
            schema ImageWorks reads; the entries already there are kept byte for byte. A name \
            that any layer already has is refused (exit 1).

            This and `init` are the only commands that write the curated file, and only because \
            a person asked. --lock then locks the entry with the aggregate hashed now, as \
            `modelctl lock NAME --set-expected` does (recorded in the discovered layer, so \
            `unlock` works); should that hash fail, the entry stays, unlocked, and the error says so.

            Default ports: ollama 11434, llama.cpp 8080, every other backend 24001 (vLLM's \
            canonical port).
            """
    )

    @Argument(help: "The entry's name (taken literally).")
    var name: String

    @Argument(help: ArgumentHelp("PATH, ollama:NAME[:TAG] or hf:ORG/NAME.", valueName: "source"))
    var source: String

    @Option(name: .customLong("backend"), help: ArgumentHelp("vllm, ollama, llama.cpp, ... (default: ollama for ollama:, else vllm).", valueName: "backend"))
    var backend: String?

    @Option(name: .customLong("port"), help: ArgumentHelp("The backend's port (default: by backend).", valueName: "port"))
    var port: Int?

    @Flag(name: .customLong("lock"), help: "Lock the entry now, with the aggregate of its artifacts as expected.")
    var lock = false

    @Flag(name: .customLong("json"), help: "Print the entry as written (and its lock with --lock) as JSON.")
    var json = false

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        if name.isEmpty || displayEscaped(name, backslashes: false) != name {
            throw ValidationError("NAME must be non-empty and hold no control or bidirectional characters")
        }
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port must be between 1 and 65535, got \(port)") }
        if let backend, backend.isEmpty || backend.contains(where: \.isWhitespace) { throw ValidationError("--backend takes one word, such as vllm or ollama") }
    }

    func run() async throws {
        let (modelPath, servedModelID, defaultBackend) = try resolveSource()
        let backend = backend ?? defaultBackend
        let port = port ?? EndpointResolver.defaultPort(forBackend: backend)
        let entry = try RegistryEntry(JSONObject([
            ("name", .string(name)),
            ("display_name", .string(name)),
            ("backend", .string(backend)),
            ("backend_config", .object(JSONObject([
                ("port", .number(JSONNumber(port))),
                ("model_path", .string(modelPath)),
                ("extra_args", .array([])),
            ]))),
            ("capabilities", .object(JSONObject())),
            ("served_model_id", servedModelID.map(JSONValue.string) ?? .null),
            ("roles", .array([])),
            ("deprecated", .bool(false)),
        ]), source: "modelctl add")
        let store = try registry.store()
        try store.addCurated(entry)
        var lockState: VersionLockState?
        if lock {
            let locker = VersionLocker(store: store, source: try registry.source(), hasher: ArtifactHasher(jobs: hashing.jobs), actor: Settings.current.actor)
            do {
                lockState = try await locker.lock([name], setExpected: true, progress: Format.progressHandler()).first?.state
                Terminal.clearProgress()
            } catch {
                Terminal.clearProgress()
                let reason = ExitStatus.message(of: error)
                throw CommandFailure.error("added '\(name)' to \(store.path(RegistryStore.curatedFileName)), but did not lock it: \(reason); "
                    + "fix that, then run modelctl lock \(name.shellQuoted) --set-expected")
            }
        }
        if json {
            var object = entry.json
            if let lockState {
                object["version_lock"] = .object(JSONObject([
                    ("locked", .bool(lockState.locked)),
                    ("expected_aggregate_sha256", lockState.expectedAggregateSHA256.map(JSONValue.string) ?? .null),
                ]))
            }
            print(JSON.serialize(.object(object)))
        } else {
            print("added \(displayEscaped(name)) (\(backend), \(displayEscaped(modelPath)))")
            if let lockState { print("locked \(displayEscaped(name)) (expected aggregate \(lockState.expectedAggregateSHA256 ?? "-"))") }
        }
    }

    /// The model path to write, the served model ID and the default backend for ``source``.
    private func resolveSource() throws -> (path: String, served: String?, backend: String) {
        switch ArtifactSource.location(ofArgument: source) {
        case .ollama(let reference):
            do { _ = try OllamaReference(parsing: reference) } catch { throw CommandFailure.error("\(source): \(error.message)") }
            return ("ollama:" + reference, reference, "ollama")
        case .invalid(let reason):
            throw CommandFailure.error(reason)
        default:
            break
        }
        if source.lowercased().hasPrefix("hf:") {
            let repo = String(source.dropFirst("hf:".count))
            let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("--") }) else {
                throw CommandFailure.error("\(source): expected hf:ORG/NAME, as in hf:Qwen/Qwen2.5-0.5B-Instruct")
            }
            let cache = Settings.current.huggingFaceCache
            let repoDir = cache + "/models--\(parts[0])--\(parts[1])"
            let location: HFLocation?
            do { location = try HuggingFaceCache.locate(repoDir) } catch {
                throw CommandFailure.error("\(source) is not in the Hugging Face cache (\(ExitStatus.message(of: error))); download it first (hf download \(repo)) or add its directory's path")
            }
            guard let location else { throw CommandFailure.error("\(source): \(repoDir) is not a Hugging Face cache repository") }
            return (location.snapshotPath, nil, "vllm")
        }
        let absolute = source.hasPrefix("/") ? source : FileManager.default.currentDirectoryPath + "/" + source
        let path = URL(fileURLWithPath: absolute).standardized.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure.error("\(path) does not exist; give the model's directory or file (or ollama:NAME[:TAG], hf:ORG/NAME)")
        }
        return (path, nil, "vllm")
    }
}
