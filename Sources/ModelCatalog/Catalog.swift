public import Foundation
import ModelRegistry

/// What to do when a command is asked to use a model the catalog does not know.
///
/// The default is `off`: the catalog never blocks a valid model unless asked to.
public enum UnknownModelMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No check, no warning.
    case off
    /// One warning per unknown model per process (never one per call).
    case warn
    /// An unknown model is an error (exit 1), unless the call passes `--allow-unknown-model`.
    case enforce

    /// The environment variable that sets the mode.
    public static let environmentVariable = "MODELCTL_CATALOG_MODE"

    public var description: String { rawValue }

    /// The mode in force: the command-line option, else `MODELCTL_CATALOG_MODE`, else `off`.
    ///
    /// An environment value that is not a mode is reported through `warnings` and ignored,
    /// so a typo in the environment never blocks a model.
    public static func resolve(
        option: UnknownModelMode?, environment: [String: String], warnings: CatalogWarnings = .shared
    ) -> UnknownModelMode {
        if let option { return option }
        guard let text = environment[environmentVariable], !text.isEmpty else { return .off }
        if let mode = UnknownModelMode(rawValue: text.lowercased()) { return mode }
        warnings.warnOnce(
            key: "invalid-mode:\(text)",
            "\(environmentVariable)=\(text) is not one of off, warn, enforce; using off")
        return .off
    }
}

/// An error from the catalog that stops a command.
public enum CatalogError: Error, Hashable, CustomStringConvertible {
    /// `enforce` mode and a model the catalog does not know.
    case unknownModel(name: String)
    /// A per-call override that is not a valid spec (the option text and why).
    case invalidOverride(text: String, reason: String)

    public var description: String {
        switch self {
        case .unknownModel(let name):
            "model '\(name)' is not in the model catalog (unknown-model mode: enforce). "
                + "To use it anyway, pass --allow-unknown-model for this call; to stop refusing unknown models, "
                + "pass --mode warn or --mode off (or set \(UnknownModelMode.environmentVariable)=warn or off); "
                + "to make it known, add {\"model_name\": \"\(name)\"} to the catalog file "
                + "(\(CatalogConfiguration.fileVariable) or --catalog FILE)."
        case .invalidOverride(let text, let reason):
            "invalid model spec override '\(text)': \(reason)"
        }
    }
}

/// Where the catalog's sources are and how long to wait for them.
public struct CatalogConfiguration: Sendable {
    /// The environment variable naming the user's catalog file.
    public static let fileVariable = "MODELCTL_CATALOG_PATH"
    /// The environment variable naming the capabilities server's base URL.
    public static let serverVariable = "MODELCTL_CATALOG_SERVER"

    /// Whether the built-in list is the first layer (tests turn it off to work with small data).
    public var includeBuiltin: Bool
    /// The capabilities server's base URL; the catalog GETs
    /// `{serverURL}/api/v1/get_server_capabilities`.
    public var serverURL: URL?
    /// The user's catalog file: a JSON array of specs.
    public var catalogFile: String?
    /// Backends whose model lists are read (OpenAI-compatible `/v1/models`, Ollama
    /// `/api/tags`). Pass them only on refresh.
    public var backends: [BackendEndpoint]
    /// Per-call overrides, the last layer.
    public var overrides: [ModelSpec]
    /// How long to wait for each network source (default 3 s).
    public var timeout: Duration
    /// The clock that stamps `context_limit_observed_at`.
    public var now: @Sendable () -> Date

    /// A configuration; by default only the built-in list.
    public init(
        includeBuiltin: Bool = true, serverURL: URL? = nil, catalogFile: String? = nil,
        backends: [BackendEndpoint] = [], overrides: [ModelSpec] = [], timeout: Duration = .seconds(3),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.includeBuiltin = includeBuiltin
        self.serverURL = serverURL
        self.catalogFile = catalogFile
        self.backends = backends
        self.overrides = overrides
        self.timeout = timeout
        self.now = now
    }

    /// The configuration from command-line options and the environment: `server` beats
    /// `MODELCTL_CATALOG_SERVER`, `catalogFile` beats `MODELCTL_CATALOG_PATH`.
    ///
    /// A server value that is not an `http` or `https` URL is reported through `warnings` and
    /// ignored (the other sources still apply).
    public static func resolve(
        server: String?, catalogFile: String?, environment: [String: String],
        warnings: CatalogWarnings = .shared
    ) -> CatalogConfiguration {
        var configuration = CatalogConfiguration()
        let serverText = nonEmpty(server) ?? nonEmpty(environment[serverVariable])
        if let serverText {
            if let url = URL(string: serverText), let scheme = url.scheme?.lowercased(),
               scheme == "http" || scheme == "https", url.host != nil {
                configuration.serverURL = url
            } else {
                warnings.warn("catalog server '\(serverText)' is not an http(s) URL; catalog server skipped")
            }
        }
        configuration.catalogFile = nonEmpty(catalogFile) ?? nonEmpty(environment[fileVariable])
        return configuration
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}

/// The model catalog: every spec the sources produced, merged by precedence.
///
/// Sources, first to last (a later source overrides the non-null fields of earlier ones):
///
/// 1. the built-in list (``BuiltinCatalog``),
/// 2. the capabilities server, then each backend's model list,
/// 3. the user's catalog file,
/// 4. per-call overrides.
///
/// A source that fails is reported through ``CatalogWarnings`` with its URL or path, and the
/// others still apply: loading never fails as a whole.
///
/// ## Matching model names
///
/// ``spec(for:)`` tries, in order, and takes the first rule that matches:
///
/// 1. exact `model_name`, then exact `model_id`;
/// 2. `model_name` or `model_id` ignoring case;
/// 3. only for a name without `/`: the part after the last `/` of `model_name`, ignoring case,
///    when exactly one spec has it (`Qwen3-8B` finds `Qwen/Qwen3-8B`, a vLLM served id
///    without organisation). A name with an organisation (`myorg/Qwen3-8B`) never matches
///    another organisation's model, and an ambiguous short name matches nothing.
///
/// A layer's spec joins the spec it matches by these rules (so `Qwen3-8B` from a vLLM backend
/// marks `Qwen/Qwen3-8B` available); a spec that matches nothing is added as a new model.
public struct Catalog: Sendable {
    /// The specs, built-in models first in their order, then new models in the order the
    /// sources named them.
    public private(set) var specs: [ModelSpec]

    /// Names that only backends listed (no other source knows them), in the order seen.
    /// `modelctl models --mode` applies the unknown-model mode to these.
    public private(set) var backendOnlyModels: [String] = []

    /// A catalog of the given specs, as they are.
    public init(specs: [ModelSpec]) {
        self.specs = specs
    }

    /// The spec for `name` by the matching rules above, or `nil`.
    public func spec(for name: String) -> ModelSpec? {
        index(for: name).map { specs[$0] }
    }

    /// The index of the spec that `name` matches, by the rules in the type's discussion.
    func index(for name: String) -> Int? {
        if let i = specs.firstIndex(where: { $0.modelName == name }) { return i }
        if let i = specs.firstIndex(where: { $0.modelID == name }) { return i }
        let lower = name.lowercased()
        if let i = specs.firstIndex(where: { $0.modelName.lowercased() == lower || $0.modelID?.lowercased() == lower }) {
            return i
        }
        guard !name.contains("/") else { return nil }
        let hits = specs.indices.filter { Self.shortName(specs[$0].modelName).lowercased() == lower }
        return hits.count == 1 ? hits[0] : nil
    }

    private static func shortName(_ name: String) -> String {
        name.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? name
    }

    /// Applies the unknown-model mode to `modelID` (a served model id, else an entry's name).
    ///
    /// - `off`: no check, no warning; returns the spec when the catalog has one.
    /// - `warn`: an unknown model gets one warning per `warnings` instance (so one per process
    ///   with ``CatalogWarnings/shared``), however many times it is checked; returns `nil`.
    /// - `enforce`: an unknown model throws ``CatalogError/unknownModel(name:)`` unless
    ///   `allowUnknown` (`--allow-unknown-model`), which warns once instead.
    ///
    /// - Returns: the model's spec, or `nil` when the catalog does not know it.
    /// - Throws: ``CatalogError/unknownModel(name:)`` in `enforce` mode without `allowUnknown`.
    public func check(
        modelID: String, mode: UnknownModelMode, allowUnknown: Bool, warnings: CatalogWarnings = .shared
    ) throws(CatalogError) -> ModelSpec? {
        if let spec = spec(for: modelID) { return spec }
        switch mode {
        case .off:
            break
        case .warn:
            warnings.warnOnce(
                key: "unknown-model:\(modelID)",
                "model '\(modelID)' is not in the model catalog (\(UnknownModelMode.environmentVariable)=warn); "
                    + "add it to the catalog file (\(CatalogConfiguration.fileVariable) or --catalog FILE) to silence this")
        case .enforce:
            guard allowUnknown else { throw .unknownModel(name: modelID) }
            warnings.warnOnce(
                key: "unknown-model:\(modelID)",
                "model '\(modelID)' is not in the model catalog; allowed by --allow-unknown-model")
        }
        return nil
    }

    /// Applies the unknown-model mode to ``backendOnlyModels``, the models that only a backend
    /// lists (what `modelctl models --refresh --mode warn|enforce` checks).
    ///
    /// - Returns: in `enforce` mode without `allowUnknown`, one
    ///   ``CatalogError/unknownModel(name:)`` per such model (the caller exits 1 after printing
    ///   them); otherwise no error (`warn` mode, and `enforce` with `allowUnknown`, warn once each).
    public func checkBackendOnlyModels(
        mode: UnknownModelMode, allowUnknown: Bool = false, warnings: CatalogWarnings = .shared
    ) -> [CatalogError] {
        guard mode != .off, !backendOnlyModels.isEmpty else { return [] }
        let known = Catalog(specs: specs.filter { !backendOnlyModels.contains($0.modelName) })
        var errors: [CatalogError] = []
        for name in backendOnlyModels {
            do {
                _ = try known.check(modelID: name, mode: mode, allowUnknown: allowUnknown, warnings: warnings)
            } catch {
                errors.append(error)
            }
        }
        return errors
    }

    /// The one entry point for commands that use a model (`select`, `activate-model`): loads
    /// the catalog (built-in, server, file; no backends) only when `mode` is not `off`, and
    /// applies ``check(modelID:mode:allowUnknown:warnings:)``.
    ///
    /// ```swift
    /// let mode = UnknownModelMode.resolve(option: modeOption, environment: env)
    /// let config = CatalogConfiguration.resolve(server: nil, catalogFile: nil, environment: env)
    /// let spec = try await Catalog.checkModel(entry.servedModelID ?? entry.name, mode: mode,
    ///                                         allowUnknown: allowUnknownModel, configuration: config)
    /// ```
    ///
    /// - Returns: the model's spec, or `nil` when unknown or when `mode` is `off`.
    /// - Throws: ``CatalogError/unknownModel(name:)`` in `enforce` mode without `allowUnknown`;
    ///   the CLI exits 1 with the error's description.
    public static func checkModel(
        _ modelID: String, mode: UnknownModelMode, allowUnknown: Bool,
        configuration: CatalogConfiguration, warnings: CatalogWarnings = .shared
    ) async throws(CatalogError) -> ModelSpec? {
        guard mode != .off else { return nil }
        var configuration = configuration
        configuration.backends = []
        let catalog = await load(configuration, warnings: warnings)
        return try catalog.check(modelID: modelID, mode: mode, allowUnknown: allowUnknown, warnings: warnings)
    }

    /// Loads the catalog from every configured source.
    ///
    /// Network sources (the capabilities server and every backend) are fetched concurrently,
    /// each with ``CatalogConfiguration/timeout``. Failures and unknown enumeration values are
    /// reported through `warnings`; loading itself never fails.
    ///
    /// Availability: once the capabilities server or a backend answered, every model none of
    /// them listed gets `available: false`; when none answered, `available` stays `null`.
    public static func load(
        _ configuration: CatalogConfiguration, warnings: CatalogWarnings = .shared
    ) async -> Catalog {
        let observedAt = configuration.now().formatted(.iso8601)
        let fetcher = JSONFetcher(timeout: configuration.timeout)
        let problems = ProblemLog()

        // Network sources, concurrently; results kept in configuration order.
        var requests: [(index: Int, url: URL)] = []
        if let server = configuration.serverURL { requests.append((0, capabilitiesURL(base: server))) }
        for (i, backend) in configuration.backends.enumerated() { requests.append((i + 1, backend.modelsURL)) }
        let fetched = await withTaskGroup(of: (Int, Result<JSONValue, SourceFailure>).self) { group in
            for request in requests {
                group.addTask { (request.index, await fetcher.get(request.url)) }
            }
            var results: [Int: Result<JSONValue, SourceFailure>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }

        var catalog = Catalog(specs: configuration.includeBuiltin ? BuiltinCatalog.specs : [])
        var serverTierAnswered = false
        var listedByServers = Set<Int>()
        var backendCreated: [Int] = []

        func report(_ failure: SourceFailure, what: String) {
            warnings.warn("\(what) \(failure); using the other catalog sources")
        }

        // 2a. The capabilities server.
        if let url = configuration.serverURL.map(capabilitiesURL(base:)), let result = fetched[0] {
            switch result {
            case .failure(let failure):
                report(failure, what: "catalog server")
            case .success(let json):
                let origin = url.absoluteString
                if let specs = SourceParsers.capabilities(json, origin: origin, observedAt: observedAt, problem: problems.add) {
                    serverTierAnswered = true
                    for spec in specs {
                        let i = catalog.apply(spec, from: .server, origin: origin, warnings: warnings)
                        listedByServers.insert(i)
                    }
                } else {
                    report(SourceFailure(location: origin, reason: "unexpected answer"), what: "catalog server")
                }
            }
        }
        problems.flush(into: warnings)

        // 2b. Backends, in the order given.
        for (offset, backend) in configuration.backends.enumerated() {
            guard let result = fetched[offset + 1] else { continue }
            let what = "backend '\(backend.name)'"
            switch result {
            case .failure(let failure):
                report(failure, what: what)
            case .success(let json):
                let origin = backend.modelsURL.absoluteString
                let specs: [ModelSpec]? = switch backend.kind {
                case .openAI:
                    SourceParsers.openAIModels(json, origin: origin, backend: backend.name, observedAt: observedAt, problem: problems.add)
                case .ollama:
                    SourceParsers.ollamaTags(json, origin: origin, backend: backend.name, problem: problems.add)
                }
                if let specs {
                    serverTierAnswered = true
                    for spec in specs {
                        let before = catalog.specs.count
                        let i = catalog.apply(spec, from: .server, origin: origin, warnings: warnings)
                        listedByServers.insert(i)
                        if catalog.specs.count > before { backendCreated.append(i) }
                    }
                } else {
                    report(SourceFailure(location: origin, reason: "unexpected answer"), what: what)
                }
            }
            problems.flush(into: warnings)
        }

        if serverTierAnswered {
            for i in catalog.specs.indices where !listedByServers.contains(i) && catalog.specs[i].available == nil {
                catalog.specs[i].available = false
            }
        }

        // 3. The user's catalog file.
        var touchedLater = Set<Int>()
        if let path = configuration.catalogFile {
            switch readFile(path) {
            case .failure(let failure):
                warnings.warn("catalog file \(failure); using the other catalog sources")
            case .success(let json):
                if let specs = SourceParsers.specArray(json, origin: path, problem: problems.add) {
                    for spec in specs {
                        touchedLater.insert(catalog.apply(spec, from: .file, origin: path, warnings: warnings))
                    }
                } else {
                    warnings.warn("catalog file \(path) skipped; using the other catalog sources")
                }
            }
            problems.flush(into: warnings)
        }

        // 4. Per-call overrides.
        for spec in configuration.overrides {
            touchedLater.insert(catalog.apply(spec, from: .override, origin: "override", warnings: warnings))
        }

        catalog.backendOnlyModels = backendCreated.filter { !touchedLater.contains($0) }.map { catalog.specs[$0].modelName }
        return catalog
    }

    /// Merges one layer's spec into the catalog and returns the index of the spec it landed in.
    @discardableResult
    mutating func apply(_ layer: ModelSpec, from source: SpecSource, origin: String, warnings: CatalogWarnings) -> Int {
        for (field, value) in layer.unknownEnumerationValues {
            warnings.warnOnce(
                key: "enum:\(field)=\(value)",
                "\(origin): \(layer.modelName): \(field) '\(value)' is not a value this modelctl knows; kept as given")
        }
        if let i = index(for: layer.modelName) {
            specs[i].merge(layer, from: source)
            specs[i].source = source
            return i
        }
        var spec = ModelSpec(modelName: layer.modelName)
        spec.merge(layer, from: source)
        spec.source = source
        specs.append(spec)
        return specs.count - 1
    }

    private static func readFile(_ path: String) -> Result<JSONValue, SourceFailure> {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            return .failure(SourceFailure(location: path, reason: reason))
        }
        do {
            return .success(try JSON.parse(data, source: path))
        } catch {
            return .failure(SourceFailure(location: path, reason: "malformed JSON: \(error)"))
        }
    }

    /// Reads per-call overrides: each text is a JSON object spec or a JSON array of them,
    /// as in a catalog file.
    ///
    /// - Throws: ``CatalogError/invalidOverride(text:reason:)`` when a text is not valid JSON
    ///   or an entry is not a spec with a `model_name`.
    public static func parseOverrides(_ texts: [String]) throws(CatalogError) -> [ModelSpec] {
        var specs: [ModelSpec] = []
        for text in texts {
            let json: JSONValue
            do {
                json = try JSON.parse(text, source: "override")
            } catch {
                throw .invalidOverride(text: text, reason: "\(error)")
            }
            let items = json.arrayValue ?? [json]
            for item in items {
                guard let object = item.objectValue else {
                    throw .invalidOverride(text: text, reason: "expected a JSON object, got \(item.typeDescription)")
                }
                var issues: [String] = []
                guard let spec = ModelSpec.parse(object, origin: "override", problem: { issues.append($0) }), issues.isEmpty else {
                    throw .invalidOverride(text: text, reason: issues.joined(separator: "; "))
                }
                specs.append(spec)
            }
        }
        return specs
    }
}

/// Collects parse problems from a source so they are reported as warnings in order.
private final class ProblemLog {
    private var items: [String] = []

    func add(_ message: String) { items.append(message) }

    func flush(into warnings: CatalogWarnings) {
        for item in items { warnings.warn(item) }
        items.removeAll()
    }
}
