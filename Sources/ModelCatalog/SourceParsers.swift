import ModelRegistry
import OrderedJSON

/// Parsers for the documented shapes of each source's answer. Each takes the parsed JSON and
/// returns specs (one per listed model), reporting entries it skips through `problem`.
enum SourceParsers {
    /// `GET /api/v1/get_server_capabilities`: `{"supported_models": [...]}` whose items are
    /// objects or plain strings (the model name). The Tinker SDK (0.38.0) defines each object
    /// as `SupportedModel{model_name, max_context_length, trainable, sampleable}`, every field
    /// optional; other fields (`model_id`, `arch`, ...) are read as in a catalog file and
    /// unknown ones go to metadata. An object without `model_name` is skipped with a problem.
    ///
    /// A `max_context_length` here is a served context: kind `served`, source `server`,
    /// observed at `observedAt`. A listed model is `available` unless it is neither
    /// `trainable` nor `sampleable` (both `false`); a missing flag says nothing.
    static func capabilities(
        _ json: JSONValue, origin: String, observedAt: String, problem: (String) -> Void
    ) -> [ModelSpec]? {
        guard let items = json["supported_models"]?.arrayValue else {
            problem("\(origin): expected an object with \"supported_models\" (an array), got \(json.typeDescription)")
            return nil
        }
        var specs: [ModelSpec] = []
        for (index, item) in items.enumerated() {
            let where_ = "\(origin) supported_models[\(index)]"
            var spec: ModelSpec
            if let name = item.stringValue, !name.isEmpty {
                spec = ModelSpec(modelName: name)
            } else if let object = item.objectValue {
                guard let parsed = ModelSpec.parse(object, origin: where_, problem: problem) else { continue }
                spec = parsed
            } else {
                problem("\(where_): expected a model name or an object, got \(item.typeDescription); skipped")
                continue
            }
            if let limit = spec.maxContextLength {
                spec.servedContextLength = spec.servedContextLength ?? limit
                spec.contextLimitKind = spec.contextLimitKind ?? .served
                spec.contextLimitSource = spec.contextLimitSource ?? .server
                spec.contextLimitObservedAt = spec.contextLimitObservedAt ?? observedAt
            }
            spec.available = !(spec.trainable == false && spec.sampleable == false)
            specs.append(spec)
        }
        return specs
    }

    /// OpenAI-compatible `GET /v1/models`: `{"object": "list", "data": [{"id": ..., ...}]}`.
    /// vLLM adds `max_model_len` (a served context) and `root` (the model path it loaded).
    static func openAIModels(
        _ json: JSONValue, origin: String, backend: String, observedAt: String, problem: (String) -> Void
    ) -> [ModelSpec]? {
        guard let items = json["data"]?.arrayValue else {
            problem("\(origin): expected an object with \"data\" (an array), got \(json.typeDescription)")
            return nil
        }
        var specs: [ModelSpec] = []
        for (index, item) in items.enumerated() {
            guard let id = item["id"]?.stringValue, !id.isEmpty else {
                problem("\(origin) data[\(index)]: no \"id\" string; skipped")
                continue
            }
            var spec = ModelSpec(modelName: id, available: true)
            if let served = item["max_model_len"]?.intValue, served > 0 {
                spec.servedContextLength = served
                spec.maxContextLength = served
                spec.contextLimitKind = .served
                spec.contextLimitSource = .server
                spec.contextLimitObservedAt = observedAt
            }
            spec.metadata["backend"] = .string(backend)
            if let root = item["root"]?.stringValue, root != id { spec.metadata["root"] = .string(root) }
            specs.append(spec)
        }
        return specs
    }

    /// Ollama `GET /api/tags`: `{"models": [{"name": "llama3.2:latest", "details":
    /// {"family": ..., "parameter_size": ..., "quantization_level": ...}, ...}]}`. Ollama does
    /// not report a context length here.
    static func ollamaTags(
        _ json: JSONValue, origin: String, backend: String, problem: (String) -> Void
    ) -> [ModelSpec]? {
        guard let items = json["models"]?.arrayValue else {
            problem("\(origin): expected an object with \"models\" (an array), got \(json.typeDescription)")
            return nil
        }
        var specs: [ModelSpec] = []
        for (index, item) in items.enumerated() {
            guard let name = (item["name"] ?? item["model"])?.stringValue, !name.isEmpty else {
                problem("\(origin) models[\(index)]: no \"name\" string; skipped")
                continue
            }
            var spec = ModelSpec(modelName: name, available: true)
            spec.metadata["backend"] = .string(backend)
            for key in ["family", "parameter_size", "quantization_level", "format"] {
                if let value = item["details"]?[key], !value.isNull { spec.metadata[key] = value }
            }
            // What the server holds: its manifest digest, size and pull time (see OllamaServedModel).
            let served = OllamaServedModel(item)
            if let digest = served?.digest { spec.metadata["digest"] = .string(digest) }
            if let size = served?.size { spec.metadata["size"] = .number(JSONNumber(Int(size))) }
            if let modified = served?.modifiedAt { spec.metadata["modified_at"] = .string(modified) }
            specs.append(spec)
        }
        return specs
    }

    /// A catalog file or override list: a JSON array of spec objects.
    static func specArray(_ json: JSONValue, origin: String, problem: (String) -> Void) -> [ModelSpec]? {
        guard let items = json.arrayValue else {
            problem("\(origin): expected a JSON array of model specs, got \(json.typeDescription)")
            return nil
        }
        var specs: [ModelSpec] = []
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else {
                problem("\(origin)[\(index)]: expected an object, got \(item.typeDescription); skipped")
                continue
            }
            if let spec = ModelSpec.parse(object, origin: "\(origin)[\(index)]", problem: problem) {
                specs.append(spec)
            }
        }
        return specs
    }
}
