import ModelRegistry
public import OrderedJSON

/// What the catalog knows about one model: its traits and its context limit with provenance.
///
/// In JSON (catalog files, `modelctl models --json`) a spec is an object with snake_case keys:
///
/// ```json
/// {
///   "model_name": "Qwen/Qwen3-8B",
///   "model_id": null,
///   "training_type": "hybrid",
///   "architecture": "dense",
///   "size": "small",
///   "max_context_length": 32768,
///   "context_limit_source": "docs",
///   "context_limit_kind": "trained",
///   "context_limit_observed_at": null,
///   "trained_context_length": 32768,
///   "served_context_length": null,
///   "features": ["thinking"],
///   "available": null,
///   "trainable": null,
///   "sampleable": null,
///   "source": "builtin",
///   "metadata": {"reference": "https://huggingface.co/Qwen/Qwen3-8B"}
/// }
/// ```
///
/// ## Context limits: trained and served
///
/// Context limits are advisory. The catalog keeps the two numbers that users confuse apart:
///
/// - ``trainedContextLength`` (`trained_context_length`): the native window from the model
///   card or configuration (source `docs`).
/// - ``servedContextLength`` (`served_context_length`): what a running server reports it
///   accepts (the capabilities endpoint's `max_context_length`, vLLM's `max_model_len`;
///   source `server`).
///
/// ``maxContextLength`` (`max_context_length`) is the one limit to plan with. The last source
/// that states a limit sets it, together with its provenance: ``contextLimitSource`` (where
/// the number came from), ``contextLimitKind`` (whether it is the trained or the served
/// context, `null` when a person wrote a number without saying) and
/// ``contextLimitObservedAt`` (ISO 8601 time a server reported it). Those four fields always
/// travel together: a later source that sets `max_context_length` replaces all four.
///
/// ## Precedence
///
/// Specs are built from layers (built-in, server, file, override); see
/// ``merge(_:from:)``. A `null` or missing field in a later layer never erases an earlier
/// value. ``source`` names the last layer that set any field.
public struct ModelSpec: Sendable, Hashable {
    /// The model's name, usually the Hugging Face repository (`Qwen/Qwen3-8B`). Required.
    public var modelName: String
    /// A short identifier a server uses for the model, when it has one.
    public var modelID: String?
    /// How the model was trained.
    public var trainingType: TrainingType?
    /// Dense or mixture of experts.
    public var architecture: Architecture?
    /// Size bucket; see ``ModelSize``.
    public var size: ModelSize?
    /// The advisory context limit in tokens; see the type's discussion.
    public var maxContextLength: Int?
    /// Where ``maxContextLength`` came from.
    public var contextLimitSource: ContextLimitSource?
    /// Whether ``maxContextLength`` is the trained or the served context.
    public var contextLimitKind: ContextKind?
    /// When a server reported ``maxContextLength`` (ISO 8601, UTC).
    public var contextLimitObservedAt: String?
    /// The native context from the model card or configuration.
    public var trainedContextLength: Int?
    /// The context a running server reports.
    public var servedContextLength: Int?
    /// Free-form feature tags (`vision`, `thinking`, ...).
    public var features: [String]?
    /// Whether a server lists the model: `true` when one does, `false` when servers answered
    /// without it, `nil` when no server was asked or none answered.
    public var available: Bool?
    /// Whether the service can create training runs on the model (the Tinker capabilities
    /// endpoint's `trainable`); `nil` when no source said.
    public var trainable: Bool?
    /// Whether the service has sampling capacity for the model (`sampleable`); `nil` when no
    /// source said. A model listed with both ``trainable`` and ``sampleable`` `false` is not
    /// ``available``.
    public var sampleable: Bool?
    /// The last catalog source that set a field of this spec.
    public var source: SpecSource?
    /// Every field the tool does not model, kept as given.
    public var metadata: JSONObject

    /// A spec that knows only its name.
    public init(modelName: String) {
        self.modelName = modelName
        self.metadata = JSONObject()
    }

    /// A spec with the given fields. Every argument but `modelName` is optional.
    public init(
        modelName: String, modelID: String? = nil, trainingType: TrainingType? = nil,
        architecture: Architecture? = nil, size: ModelSize? = nil, maxContextLength: Int? = nil,
        contextLimitSource: ContextLimitSource? = nil, contextLimitKind: ContextKind? = nil,
        contextLimitObservedAt: String? = nil, trainedContextLength: Int? = nil,
        servedContextLength: Int? = nil, features: [String]? = nil, available: Bool? = nil,
        trainable: Bool? = nil, sampleable: Bool? = nil, source: SpecSource? = nil, metadata: JSONObject = JSONObject()
    ) {
        self.modelName = modelName
        self.modelID = modelID
        self.trainingType = trainingType
        self.architecture = architecture
        self.size = size
        self.maxContextLength = maxContextLength
        self.contextLimitSource = contextLimitSource
        self.contextLimitKind = contextLimitKind
        self.contextLimitObservedAt = contextLimitObservedAt
        self.trainedContextLength = trainedContextLength
        self.servedContextLength = servedContextLength
        self.features = features
        self.available = available
        self.trainable = trainable
        self.sampleable = sampleable
        self.source = source
        self.metadata = metadata
    }

    /// The JSON keys this type models, in output order. Every other key goes to `metadata`.
    public static let modeledKeys: [String] = [
        "model_name", "model_id", "training_type", "architecture", "size", "max_context_length",
        "context_limit_source", "context_limit_kind", "context_limit_observed_at",
        "trained_context_length", "served_context_length", "features", "available", "trainable", "sampleable", "source",
        "metadata",
    ]

    /// The spec as a JSON object: every modeled key, in ``modeledKeys`` order, `null` when
    /// unknown; unknown enumeration values exactly as they were given.
    public var json: JSONValue {
        func string(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func int(_ i: Int?) -> JSONValue { i.map { .number(JSONNumber($0)) } ?? .null }
        var o = JSONObject()
        o["model_name"] = .string(modelName)
        o["model_id"] = string(modelID)
        o["training_type"] = string(trainingType?.rawValue)
        o["architecture"] = string(architecture?.rawValue)
        o["size"] = string(size?.rawValue)
        o["max_context_length"] = int(maxContextLength)
        o["context_limit_source"] = string(contextLimitSource?.rawValue)
        o["context_limit_kind"] = string(contextLimitKind?.rawValue)
        o["context_limit_observed_at"] = string(contextLimitObservedAt)
        o["trained_context_length"] = int(trainedContextLength)
        o["served_context_length"] = int(servedContextLength)
        o["features"] = features.map { .array($0.map { .string($0) }) } ?? .null
        o["available"] = available.map { .bool($0) } ?? .null
        o["trainable"] = trainable.map { .bool($0) } ?? .null
        o["sampleable"] = sampleable.map { .bool($0) } ?? .null
        o["source"] = string(source?.rawValue)
        o["metadata"] = .object(metadata)
        return .object(o)
    }

    /// Reads a spec from a JSON object (a catalog file entry or a command-line override).
    ///
    /// `model_name` is required. Modeled fields of the wrong type are skipped with a problem;
    /// enumeration values this version does not know are kept as given and reported through
    /// `unknownValue`; `source` is ignored (the catalog sets it); a `metadata` object is
    /// merged member by member with every unmodeled key.
    ///
    /// - Parameters:
    ///   - object: the JSON object.
    ///   - origin: where it came from, for messages (`catalog.json[3]`).
    ///   - problem: called with a message for each skipped field.
    /// - Returns: the spec, or `nil` (after reporting a problem) when `model_name` is missing
    ///   or not a non-empty string.
    public static func parse(
        _ object: JSONObject, origin: String, problem: (String) -> Void
    ) -> ModelSpec? {
        guard let name = object["model_name"]?.stringValue, !name.isEmpty else {
            problem("\(origin): a spec needs \"model_name\" (a non-empty string); entry skipped")
            return nil
        }
        var spec = ModelSpec(modelName: name)
        func wrongType(_ key: String, _ value: JSONValue, _ expected: String) {
            problem("\(origin): \(name): \"\(key)\" is \(value.typeDescription), expected \(expected); field ignored")
        }
        func string(_ key: String) -> String? {
            guard let v = object[key], !v.isNull else { return nil }
            if let s = v.stringValue { return s }
            wrongType(key, v, "a string")
            return nil
        }
        func int(_ key: String) -> Int? {
            guard let v = object[key], !v.isNull else { return nil }
            if let i = v.intValue, i > 0 { return i }
            wrongType(key, v, "a positive integer")
            return nil
        }
        spec.modelID = string("model_id")
        spec.trainingType = string("training_type").map(TrainingType.init(rawValue:))
        spec.architecture = string("architecture").map(Architecture.init(rawValue:))
        spec.size = string("size").map(ModelSize.init(rawValue:))
        spec.maxContextLength = int("max_context_length")
        spec.contextLimitSource = string("context_limit_source").map(ContextLimitSource.init(rawValue:))
        spec.contextLimitKind = string("context_limit_kind").map(ContextKind.init(rawValue:))
        spec.contextLimitObservedAt = string("context_limit_observed_at")
        spec.trainedContextLength = int("trained_context_length")
        spec.servedContextLength = int("served_context_length")
        if let v = object["features"], !v.isNull {
            if let items = v.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                spec.features = items.compactMap(\.stringValue)
            } else {
                wrongType("features", v, "an array of strings")
            }
        }
        func bool(_ key: String) -> Bool? {
            guard let v = object[key], !v.isNull else { return nil }
            if let b = v.boolValue { return b }
            wrongType(key, v, "a boolean")
            return nil
        }
        spec.available = bool("available")
        spec.trainable = bool("trainable")
        spec.sampleable = bool("sampleable")
        if let v = object["metadata"], !v.isNull {
            if let m = v.objectValue {
                for (key, value) in m { spec.metadata[key] = value }
            } else {
                wrongType("metadata", v, "an object")
            }
        }
        for (key, value) in object where !modeledKeys.contains(key) {
            spec.metadata[key] = value
        }
        return spec
    }

    /// The enumeration values in this spec that this version does not know, as
    /// `(field, value)` pairs, for warnings.
    public var unknownEnumerationValues: [(field: String, value: String)] {
        var out: [(field: String, value: String)] = []
        func check<E: OpenEnumeration>(_ value: E?) {
            if let value, !value.isKnown { out.append((E.fieldName, value.rawValue)) }
        }
        check(trainingType)
        check(architecture)
        check(size)
        check(contextLimitSource)
        check(contextLimitKind)
        return out
    }

    /// Applies a later layer over this spec, field by field.
    ///
    /// Every non-`nil` field of `layer` replaces this spec's value; `nil` fields leave it alone.
    /// The context-limit group (`max_context_length`, `context_limit_source`,
    /// `context_limit_kind`, `context_limit_observed_at`) is replaced as a whole when `layer`
    /// sets `max_context_length`, so a number never carries another number's provenance. When
    /// this spec has no limit yet and `layer` states only a served or trained context, that
    /// becomes the limit (served first). `metadata` merges key by key. ``source`` becomes
    /// `source` when `layer` set anything.
    ///
    /// - Parameters:
    ///   - layer: the later layer's spec for the same model.
    ///   - source: which catalog source the layer is.
    public mutating func merge(_ layer: ModelSpec, from source: SpecSource) {
        var changed = false
        func take<T>(_ keyPath: WritableKeyPath<ModelSpec, T?>) {
            if let v = layer[keyPath: keyPath] {
                self[keyPath: keyPath] = v
                changed = true
            }
        }
        take(\.modelID)
        take(\.trainingType)
        take(\.architecture)
        take(\.size)
        take(\.trainedContextLength)
        take(\.servedContextLength)
        take(\.features)
        take(\.available)
        take(\.trainable)
        take(\.sampleable)
        if let limit = layer.maxContextLength {
            maxContextLength = limit
            contextLimitSource = layer.contextLimitSource ?? source.defaultLimitSource
            contextLimitKind = layer.contextLimitKind
            contextLimitObservedAt = layer.contextLimitObservedAt
            changed = true
        } else if maxContextLength == nil {
            if let served = layer.servedContextLength {
                maxContextLength = served
                contextLimitKind = .served
                contextLimitSource = layer.contextLimitSource ?? source.defaultLimitSource
                contextLimitObservedAt = layer.contextLimitObservedAt
            } else if let trained = layer.trainedContextLength {
                maxContextLength = trained
                contextLimitKind = .trained
                contextLimitSource = layer.contextLimitSource ?? source.defaultLimitSource
                contextLimitObservedAt = nil
            }
        }
        for (key, value) in layer.metadata {
            metadata[key] = value
            changed = true
        }
        if changed { self.source = source }
    }
}

extension SpecSource {
    /// The context-limit source assumed when a layer states a limit without saying where it
    /// came from: built-in numbers are from the docs, server numbers from the server, and
    /// numbers a person wrote are manual.
    var defaultLimitSource: ContextLimitSource {
        switch self {
        case .builtin: .docs
        case .server: .server
        case .file, .override: .manual
        }
    }
}
