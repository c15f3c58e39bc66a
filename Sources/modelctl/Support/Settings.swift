import ArgumentParser
import Foundation
import HTTPSupport
import ModelCatalog
import ModelRegistry
import ModelRuntime
import OrderedJSON
import SystemSupport

/// A setting's value and where it came from, as the user wrote it (`--mode warn`,
/// `MODELCTL_CATALOG_MODE=warn`, `default`), so a message names what was actually set.
struct Setting<Value: Sendable>: Sendable {
    let value: Value
    let origin: String
}

/// modelctl's settings: the environment, read once at start-up (``current``), turned into the
/// typed values the libraries take. Commands lay their options over it (option beats
/// environment beats default); no library reads the environment or knows a variable's name.
/// The README's Environment table lists the variables read here.
///
/// The one rule for empty values: an environment variable that is empty or all blank counts
/// as unset, as `VAR=` in a shell or a CI secret that is not defined leaves it. An option
/// given an empty or blank value is a usage error (exit 64, ``requireValue(_:_:)``): a script
/// passing `--registry-dir "$DIR"` with an empty DIR meant some directory, and must not land
/// on the environment's or the default one.
struct Settings: Sendable {
    /// The environment with the empty-value rule applied.
    private let environment: [String: String]

    init(environment: [String: String]) {
        self.environment = environment.filter { !$0.value.allSatisfy(\.isWhitespace) }
    }

    /// The process's settings.
    static let current = Settings(environment: ProcessInfo.processInfo.environment)

    /// `--registry-dir` given before the subcommand (set once by `main`, before any command runs).
    nonisolated(unsafe) static var globalRegistryDirectory: String?

    /// The value of variable `name`, or `nil` when it is unset, empty or blank.
    func value(_ name: String) -> String? { environment[name] }

    /// Refuses an option given an empty or blank value (see the type's rule for empty values).
    static func requireValue(_ option: String?, _ name: String) throws {
        if let problem = emptyValueProblem(option, name) { throw ValidationError(problem) }
    }

    /// What is wrong with option `name` given `option`: nil unless it is empty or blank.
    static func emptyValueProblem(_ option: String?, _ name: String) -> String? {
        guard let option, option.allSatisfy(\.isWhitespace) else { return nil }
        return "\(name) was given an empty value; give a value, or leave the option out to use the default"
    }

    var home: String? { value("HOME") }

    /// The Sigstore trusted root for keyless bundles: the option, else `MODELCTL_TRUSTED_ROOT`,
    /// else nil (the public-good root built into modelctl).
    func trustedRoot(option: String?) -> String? {
        option ?? value("MODELCTL_TRUSTED_ROOT")
    }

    // MARK: Registry and artifacts

    /// The registry directory: the option, else `MODELCTL_REGISTRY_DIR`, else `configs`.
    func registryDirectory(option: String?) -> String {
        option ?? value("MODELCTL_REGISTRY_DIR") ?? "configs"
    }

    /// Path rewrites: `--map-path` options, else `MODELCTL_MAP_PATH` (`OLD=NEW;...`).
    func pathMappings(options: [String]) throws -> [PathMapping] {
        if options.isEmpty { return try PathMapping.parseList(value("MODELCTL_MAP_PATH") ?? "") }
        return try options.map { try PathMapping(parsing: $0) }
    }

    /// HOME, the working directory, the path mappings and the Ollama stores.
    func locationContext(mapPaths: [String]) throws -> LocationContext {
        LocationContext(home: home, workingDirectory: FileManager.default.currentDirectoryPath,
                        pathMappings: try pathMappings(options: mapPaths), ollamaStores: ollamaStores)
    }

    /// Where Ollama keeps its store, in the order to try: `OLLAMA_MODELS` alone when set, else
    /// `~/.ollama/models`, then the Linux service's `/usr/share/ollama/.ollama/models`.
    var ollamaStores: [String] {
        if let models = value("OLLAMA_MODELS") { return [models] }
        return [(home ?? NSHomeDirectory()) + "/.ollama/models", "/usr/share/ollama/.ollama/models"]
    }

    /// The Hugging Face cache, as `huggingface_hub` finds it: `HF_HUB_CACHE`, else the legacy
    /// `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, else `XDG_CACHE_HOME/huggingface/hub`, else
    /// `~/.cache/huggingface/hub`.
    var huggingFaceCache: String {
        if let hub = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") { return hub }
        if let hfHome = value("HF_HOME") { return hfHome + "/hub" }
        return (value("XDG_CACHE_HOME") ?? (home ?? NSHomeDirectory()) + "/.cache") + "/huggingface/hub"
    }

    /// Holds stat caches and the orchestrator's state: `MODELCTL_STATE_DIR`, else
    /// `$XDG_STATE_HOME/modelctl`, else `~/.local/state/modelctl`; `nil` without any of them.
    var stateDirectory: String? {
        value("MODELCTL_STATE_DIR") ?? value("XDG_STATE_HOME").map { $0 + "/modelctl" } ?? home.map { $0 + "/.local/state/modelctl" }
    }

    // MARK: Catalog and backends

    /// The unknown-model mode: `--mode`, else `MODELCTL_CATALOG_MODE`, else off. A variable
    /// that is not a mode is warned about and ignored, so a typo there never blocks a model.
    func catalogMode(option: UnknownModelMode?, warnings: CatalogWarnings) -> Setting<UnknownModelMode> {
        if let option { return Setting(value: option, origin: "--mode \(option)") }
        guard let text = value("MODELCTL_CATALOG_MODE") else { return Setting(value: .off, origin: "default") }
        if let mode = UnknownModelMode(rawValue: text.lowercased()) { return Setting(value: mode, origin: "MODELCTL_CATALOG_MODE=\(text)") }
        warnings.warnOnce(key: "invalid-mode:\(text)", "MODELCTL_CATALOG_MODE=\(text) is not one of off, warn, enforce; using off")
        return Setting(value: .off, origin: "default")
    }

    /// The catalog's sources: server `server`, else `MODELCTL_CATALOG_SERVER`, else
    /// `TINKER_BASE_URL`; file `catalogFile`, else `MODELCTL_CATALOG_PATH`; API key
    /// `MODELCTL_CATALOG_API_KEY`, else `TINKER_API_KEY` (deliberately no option: a key on the
    /// command line shows in the process list). A server that is not an http(s) URL is warned
    /// about and skipped.
    func catalogConfiguration(server: String?, catalogFile: String?, warnings: CatalogWarnings) -> CatalogConfiguration {
        var configuration = CatalogConfiguration()
        if let text = server ?? value("MODELCTL_CATALOG_SERVER") ?? value("TINKER_BASE_URL") {
            if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false {
                configuration.serverURL = url
            } else {
                warnings.warn("catalog server '\(text)' is not an http(s) URL; catalog server skipped")
            }
        }
        configuration.catalogFile = catalogFile ?? value("MODELCTL_CATALOG_PATH")
        configuration.apiKey = value("MODELCTL_CATALOG_API_KEY") ?? value("TINKER_API_KEY")
        return configuration
    }

    /// The host for Ollama entries that name none (`MODELCTL_OLLAMA_HOST`).
    var endpoints: EndpointResolver { EndpointResolver(ollamaHost: value("MODELCTL_OLLAMA_HOST")) }

    /// The proxies, read as curl reads them: `http_proxy` for http URLs (lowercase only: a CGI
    /// program gets `HTTP_PROXY` from a request's `Proxy:` header), `https_proxy` or
    /// `HTTPS_PROXY` for https URLs, `all_proxy` or `ALL_PROXY` for both; `no_proxy` or
    /// `NO_PROXY`, hosts separated by commas or spaces.
    var proxies: ProxySettings {
        let all = value("all_proxy") ?? value("ALL_PROXY")
        return ProxySettings(http: value("http_proxy") ?? all, https: value("https_proxy") ?? value("HTTPS_PROXY") ?? all,
                             noProxy: (value("no_proxy") ?? value("NO_PROXY") ?? "").split { $0 == "," || $0.isWhitespace }.map(String.init))
    }

    // MARK: Orchestrator

    /// The orchestrator's settings: state in ``stateDirectory``; `MODELCTL_ORCHESTRATOR` `1`
    /// (or `true`, `yes`, `on`) enables it; `MODELCTL_LAUNCH_COMMAND` a JSON array of strings;
    /// `MODELCTL_VLLM_PORT` 1...65535; `MODELCTL_START_TIMEOUT` seconds above 0, at most a day.
    ///
    /// - Throws: ``RuntimeError`` `invalidConfiguration`, naming the variable and its value.
    func orchestrator() throws(RuntimeError) -> OrchestratorConfiguration {
        func value(_ name: String) -> String? { self.value(name)?.trimmingCharacters(in: .whitespacesAndNewlines) }
        func invalid(_ name: String, _ expected: String) -> RuntimeError {
            RuntimeError(.invalidConfiguration, "\(name) must be \(expected); found: \(value(name) ?? "")")
        }
        guard let stateDirectory else {
            throw RuntimeError(.invalidConfiguration, "cannot find a state directory: set MODELCTL_STATE_DIR (HOME is not set)")
        }
        var configuration = OrchestratorConfiguration(stateDirectory: stateDirectory)
        configuration.enabled = ["1", "true", "yes", "on"].contains(value("MODELCTL_ORCHESTRATOR")?.lowercased() ?? "")
        if let text = value("MODELCTL_LAUNCH_COMMAND") {
            let items = (try? OrderedJSON.JSON.parse(text, source: "MODELCTL_LAUNCH_COMMAND"))?.arrayValue ?? []
            guard !items.isEmpty, items.allSatisfy({ $0.stringValue?.isEmpty == false }) else {
                throw invalid("MODELCTL_LAUNCH_COMMAND", #"a JSON array of non-empty strings, such as ["python3", "-m", "vllm.entrypoints.openai.api_server"]"#)
            }
            configuration.launchCommand = items.compactMap(\.stringValue)
        }
        if let text = value("MODELCTL_VLLM_PORT") {
            guard let port = Int(text), (1...65535).contains(port) else { throw invalid("MODELCTL_VLLM_PORT", "a port number from 1 to 65535") }
            configuration.port = port
        }
        if let text = value("MODELCTL_START_TIMEOUT") {
            let limit = OrchestratorConfiguration.maximumStartTimeout
            guard let seconds = Double(text), let timeout = Duration.validSeconds(seconds, maximum: limit) else {
                throw invalid("MODELCTL_START_TIMEOUT", "a number of seconds above 0 and at most \(Int(limit.inSeconds))")
            }
            configuration.startTimeout = timeout
        }
        return configuration
    }

    /// Whether unlocked entries are refused: `--require-locked`, else `MODELCTL_REQUIRE_LOCKED`
    /// (`1`, `true` or `yes`; `0`, `false` or `no` leave it off).
    ///
    /// - Throws: ``CommandFailure`` for any other value: a typo must not turn the check off.
    func requireLocked(option: Bool) throws -> Bool {
        if option { return true }
        guard let text = value("MODELCTL_REQUIRE_LOCKED") else { return false }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw CommandFailure.error("MODELCTL_REQUIRE_LOCKED='\(text)' is not 1 or 0 (true/false, yes/no)")
        }
    }

    // MARK: Who and where

    /// `user@host`, for the record of who re-baselined a lock.
    var actor: String {
        let user = value("USER") ?? value("LOGNAME") ?? NSUserName()
        return user + "@" + (ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost")
    }
}
