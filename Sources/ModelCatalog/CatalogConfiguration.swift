public import Foundation

/// Where the catalog's sources are, how to authenticate, and how long to wait for them.
public struct CatalogConfiguration: Sendable {
    /// Whether the built-in list is the first layer (tests turn it off to work with small data).
    public var includeBuiltin: Bool
    /// The capabilities server's base URL; the catalog GETs
    /// `{serverURL}/api/v1/get_server_capabilities`.
    public var serverURL: URL?
    /// Sent as `X-API-Key` to the capabilities server (never to backends, never printed, and
    /// over plain `http` only on a connection that reached a loopback address).
    public var apiKey: String?
    /// The user's catalog file: a JSON array of specs.
    public var catalogFile: String?
    /// Backends whose model lists are read (OpenAI-compatible `/v1/models`, Ollama
    /// `/api/tags`). Pass them only on refresh.
    public var backends: [BackendEndpoint]
    /// Per-call overrides, the last layer.
    public var overrides: [ModelSpec]
    /// How long to wait for each network source (default 3 s), for the whole exchange.
    public var timeout: Duration
    /// The largest answer read from a network source or catalog file (default 4 MiB).
    public var maxDocumentBytes: Int
    /// The clock that stamps `context_limit_observed_at`.
    public var now: @Sendable () -> Date

    /// A configuration; by default only the built-in list.
    public init(
        includeBuiltin: Bool = true, serverURL: URL? = nil, apiKey: String? = nil, catalogFile: String? = nil,
        backends: [BackendEndpoint] = [], overrides: [ModelSpec] = [], timeout: Duration = .seconds(3),
        maxDocumentBytes: Int = 4 << 20, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.includeBuiltin = includeBuiltin
        self.serverURL = serverURL
        self.apiKey = apiKey
        self.catalogFile = catalogFile
        self.backends = backends
        self.overrides = overrides
        self.timeout = timeout
        self.maxDocumentBytes = maxDocumentBytes
        self.now = now
    }

    /// The sources, in precedence order: built-in, capabilities server, backends, file, overrides.
    var sources: [any CatalogSource] {
        var sources: [any CatalogSource] = []
        if includeBuiltin { sources.append(BuiltinSource()) }
        if let serverURL {
            sources.append(CapabilitiesServerSource(baseURL: serverURL, apiKey: apiKey, timeout: timeout, limit: maxDocumentBytes))
        }
        sources += backends.map { BackendSource(backend: $0, timeout: timeout, limit: maxDocumentBytes) }
        if let catalogFile { sources.append(CatalogFileSource(path: catalogFile, limit: maxDocumentBytes)) }
        if !overrides.isEmpty { sources.append(OverrideSource(specs: overrides)) }
        return sources
    }
}
