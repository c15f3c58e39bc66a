import Foundation
import ModelRegistry
import OrderedJSON

/// The model catalog: every spec the sources produced, merged by precedence.
///
/// The sources, in precedence order (a later source overrides the non-null fields of earlier
/// ones): the built-in list (``BuiltinCatalog``), the capabilities server, each backend's
/// model list, the user's catalog file, per-call overrides.
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
    public internal(set) var specs: [ModelSpec]

    /// Names that only backends listed (no other source knows them), in the order seen.
    /// `modelctl models --mode` applies the unknown-model mode to these.
    public internal(set) var backendOnlyModels: [String] = []

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
    ///   with ``CatalogWarnings/shared``), however many times it is checked, naming `modeOrigin`
    ///   (what set the mode, as the user wrote it: `--mode warn`); returns `nil`.
    /// - `enforce`: an unknown model throws ``CatalogError`` `unknownModel` unless
    ///   `allowUnknown` (`--allow-unknown-model`), which warns once instead.
    ///
    /// - Returns: the model's spec, or `nil` when the catalog does not know it.
    /// - Throws: ``CatalogError`` `unknownModel` in `enforce` mode without `allowUnknown`.
    public func check(
        modelID: String, mode: UnknownModelMode, modeOrigin: String? = nil, allowUnknown: Bool, warnings: CatalogWarnings = .shared
    ) throws(CatalogError) -> ModelSpec? {
        if let spec = spec(for: modelID) { return spec }
        switch mode {
        case .off:
            break
        case .warn:
            warnings.warnOnce(
                key: "unknown-model:\(modelID)",
                "model '\(modelID)' is not in the model catalog (\(modeOrigin ?? "unknown-model mode: warn")); add it to a catalog file to silence this")
        case .enforce:
            guard allowUnknown else { throw .unknownModel(name: modelID, modeOrigin: modeOrigin) }
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
    ///   ``CatalogError`` `unknownModel` per such model (the caller exits 1 after printing
    ///   them); otherwise no error (`warn` mode, and `enforce` with `allowUnknown`, warn once each).
    public func checkBackendOnlyModels(
        mode: UnknownModelMode, modeOrigin: String? = nil, allowUnknown: Bool = false, warnings: CatalogWarnings = .shared
    ) -> [CatalogError] {
        guard mode != .off, !backendOnlyModels.isEmpty else { return [] }
        let known = Catalog(specs: specs.filter { !backendOnlyModels.contains($0.modelName) })
        var errors: [CatalogError] = []
        for name in backendOnlyModels {
            do {
                _ = try known.check(modelID: name, mode: mode, modeOrigin: modeOrigin, allowUnknown: allowUnknown, warnings: warnings)
            } catch {
                errors.append(error)
            }
        }
        return errors
    }

    /// The one entry point for commands that use a model (`select`, `activate-model`): loads
    /// the catalog (built-in, server, file; no backends) only when `mode` is not `off`, and
    /// applies ``check(modelID:mode:modeOrigin:allowUnknown:warnings:)``.
    ///
    /// ```swift
    /// let spec = try await Catalog.checkModel(entry.servedModelID ?? entry.name, mode: .warn, modeOrigin: "--mode warn",
    ///                                         allowUnknown: false, configuration: CatalogConfiguration(catalogFile: file))
    /// ```
    ///
    /// - Returns: the model's spec, or `nil` when unknown or when `mode` is `off`.
    /// - Throws: ``CatalogError`` `unknownModel` in `enforce` mode without `allowUnknown`;
    ///   the CLI exits 1 with the error's description.
    public static func checkModel(
        _ modelID: String, mode: UnknownModelMode, modeOrigin: String? = nil, allowUnknown: Bool,
        configuration: CatalogConfiguration, warnings: CatalogWarnings = .shared
    ) async throws(CatalogError) -> ModelSpec? {
        guard mode != .off else { return nil }
        var configuration = configuration
        configuration.backends = []
        let catalog = await load(configuration, warnings: warnings)
        return try catalog.check(modelID: modelID, mode: mode, modeOrigin: modeOrigin, allowUnknown: allowUnknown, warnings: warnings)
    }

    /// Loads the catalog from every configured source
    /// (``CatalogConfiguration/sources``, in precedence order).
    ///
    /// The sources are fetched concurrently (network sources each with
    /// ``CatalogConfiguration/timeout``) and their layers applied one after another. A failing
    /// source, entries a source skips, unknown enumeration values and names one source lists
    /// twice (also when they differ only in case) are reported through `warnings`; loading
    /// itself never fails.
    ///
    /// Availability: once the capabilities server or a backend answered, every model none of
    /// them listed gets `available: false`; when none answered, `available` stays `null`.
    public static func load(
        _ configuration: CatalogConfiguration, warnings: CatalogWarnings = .shared
    ) async -> Catalog {
        let observedAt = configuration.now().formatted(.iso8601)
        let sources = configuration.sources
        let layers = await withTaskGroup(of: (Int, SourceLayer).self) { group in
            for (index, source) in sources.enumerated() {
                group.addTask { (index, await source.layer(observedAt: observedAt)) }
            }
            var layers = [SourceLayer?](repeating: nil, count: sources.count)
            for await (index, layer) in group { layers[index] = layer }
            return layers.compactMap { $0 }
        }
        var builder = CatalogBuilder(warnings: warnings)
        for layer in layers { builder.apply(layer) }
        return builder.finish()
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

    /// Reads per-call overrides: each text is a JSON object spec or a JSON array of them,
    /// as in a catalog file.
    ///
    /// - Throws: ``CatalogError`` `invalidOverride` when a text is not valid JSON
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
