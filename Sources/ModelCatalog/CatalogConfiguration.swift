public import Foundation

/// Where the catalog's sources are, how to authenticate, and how long to wait for them.
public struct CatalogConfiguration: Sendable {
    /// The environment variable naming the user's catalog file.
    public static let fileVariable = "MODELCTL_CATALOG_PATH"
    /// The environment variable naming the capabilities server's base URL.
    public static let serverVariable = "MODELCTL_CATALOG_SERVER"
    /// The Tinker SDK's variable for its base URL, used when ``serverVariable`` is unset.
    public static let tinkerServerVariable = "TINKER_BASE_URL"
    /// The API key variables, first found wins: modelctl's own, then the Tinker SDK's.
    public static let apiKeyVariables = ["MODELCTL_CATALOG_API_KEY", "TINKER_API_KEY"]

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

    /// The configuration from command-line options and the environment the caller read
    /// (empty values count as unset):
    ///
    /// - server: `server`, else `MODELCTL_CATALOG_SERVER`, else `TINKER_BASE_URL`;
    /// - catalog file: `catalogFile`, else `MODELCTL_CATALOG_PATH`;
    /// - API key: `MODELCTL_CATALOG_API_KEY`, else `TINKER_API_KEY` (there is deliberately no
    ///   option: a key on the command line shows in the process list).
    ///
    /// A server value that is not an `http` or `https` URL is reported through `warnings` and
    /// ignored (the other sources still apply).
    public static func resolve(
        server: String?, catalogFile: String?, environment: [String: String],
        warnings: CatalogWarnings = .shared
    ) -> CatalogConfiguration {
        var configuration = CatalogConfiguration()
        let serverText = nonEmpty(server) ?? nonEmpty(environment[serverVariable]) ?? nonEmpty(environment[tinkerServerVariable])
        if let serverText {
            if let url = URL(string: serverText), let scheme = url.scheme?.lowercased(),
               scheme == "http" || scheme == "https", url.host?.isEmpty == false {
                configuration.serverURL = url
            } else {
                warnings.warn("catalog server '\(serverText)' is not an http(s) URL; catalog server skipped")
            }
        }
        configuration.catalogFile = nonEmpty(catalogFile) ?? nonEmpty(environment[fileVariable])
        configuration.apiKey = apiKeyVariables.lazy.compactMap { nonEmpty(environment[$0]) }.first
        return configuration
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
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
