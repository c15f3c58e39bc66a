public import Foundation

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
