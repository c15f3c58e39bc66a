public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPSupport
import ModelRegistry

/// A running inference backend whose model list the catalog reads on refresh.
///
/// ModelCatalog does not know registry entries; the caller maps each entry to one of these.
///
/// ```swift
/// let vllm = BackendEndpoint(name: "qwen3-local", kind: .openAI,
///                            baseURL: URL(string: "http://127.0.0.1:24001/v1")!)
/// let ollama = BackendEndpoint(name: "llama-ollama", kind: .ollama,
///                              baseURL: URL(string: "http://127.0.0.1:11434")!)
/// ```
public struct BackendEndpoint: Sendable, Hashable {
    /// The API a backend speaks.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An OpenAI-compatible server (vLLM, LM Studio, ...): `GET {baseURL}/models`.
        case openAI = "openai"
        /// Ollama: `GET {host}/api/tags`.
        case ollama
    }

    /// A name for messages and metadata, usually the registry entry's name.
    public var name: String
    /// The API the backend speaks.
    public var kind: Kind
    /// For `.openAI`, the API root including `/v1` (`http://host:port/v1`); for `.ollama`, the
    /// host root (`http://host:11434`; a trailing `/v1` is ignored).
    public var baseURL: URL

    /// A backend endpoint.
    public init(name: String, kind: Kind, baseURL: URL) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
    }

    /// The URL of the backend's model list: `{baseURL}/models` for OpenAI-compatible servers,
    /// `{host}/api/tags` for Ollama.
    public var modelsURL: URL {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        switch kind {
        case .openAI:
            return URL(string: base + "/models") ?? baseURL
        case .ollama:
            if base.hasSuffix("/v1") { base.removeLast(3) }
            return URL(string: base + "/api/tags") ?? baseURL
        }
    }
}

/// The capabilities endpoint under a catalog server's base URL:
/// `{base}/api/v1/get_server_capabilities`.
func capabilitiesURL(base: URL) -> URL {
    var text = base.absoluteString
    while text.hasSuffix("/") { text.removeLast() }
    return URL(string: text + "/api/v1/get_server_capabilities") ?? base
}

/// One source's contribution: specs for some models, and whether the source answered.
struct SourceLayer {
    var specs: [ModelSpec] = []
    var answered = false
}

/// Fetches JSON over HTTP with a hard deadline.
struct JSONFetcher: Sendable {
    var timeout: Duration

    /// GETs `url` and parses the body as JSON.
    ///
    /// - Returns: the JSON value, or a message naming the URL and what went wrong (connection
    ///   refused, HTTP status, malformed JSON with line and column, timeout).
    func get(_ url: URL) async -> Result<JSONValue, SourceFailure> {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let outcome = await HTTPTransport.send(url: url, headers: ["Accept": "application/json"], timeout: seconds)
        switch outcome {
        case .failure(let error):
            if let urlError = error as? URLError, urlError.code == .timedOut {
                return .failure(SourceFailure(location: url.absoluteString, reason: "no answer within \(Self.format(seconds)) s (timed out)"))
            }
            return .failure(SourceFailure(location: url.absoluteString, reason: Self.describe(error)))
        case .success(let response):
            if !(200..<300).contains(response.status) {
                return .failure(SourceFailure(location: url.absoluteString, reason: "HTTP \(response.status)"))
            }
            do {
                return .success(try JSON.parse(response.body, source: url.absoluteString))
            } catch {
                return .failure(SourceFailure(location: url.absoluteString, reason: "malformed JSON: \(error)"))
            }
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    private static func describe(_ error: any Error) -> String {
        if let urlError = error as? URLError {
            switch urlError.code {
            case .cannotConnectToHost: return "connection refused (is the server running?)"
            case .networkConnectionLost: return "the server closed the connection without answering"
            case .cannotFindHost: return "unknown host"
            case .badServerResponse: return "no valid HTTP answer (the server closed the connection or sent garbage)"
            default: break
            }
        }
        return (error as NSError).localizedDescription
    }
}

/// A catalog source that could not be used: its URL or path, and why.
struct SourceFailure: Error, CustomStringConvertible {
    var location: String
    var reason: String
    var description: String { "\(location): \(reason)" }
}

/// Parsers for the documented shapes of each source's answer. Each takes the parsed JSON and
/// returns specs (one per listed model), reporting entries it skips through `problem`.
enum SourceParsers {
    /// `GET /api/v1/get_server_capabilities`: `{"supported_models": [...]}` whose items are
    /// objects (`model_name`, optional `max_context_length`, `model_id`, `arch`, and fields
    /// unknown to us, which go to metadata) or plain strings (the model name).
    ///
    /// A `max_context_length` here is a served context: kind `served`, source `server`,
    /// observed at `observedAt`.
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
            spec.available = true
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
