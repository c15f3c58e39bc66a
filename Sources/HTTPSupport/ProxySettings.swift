public import Foundation

/// The HTTP proxies requests go through, read from the environment the way curl reads them:
///
/// - `http_proxy` for `http://` URLs (lowercase only: a CGI program gets `HTTP_PROXY` from a
///   request's `Proxy:` header), `https_proxy` or `HTTPS_PROXY` for `https://` URLs, which go
///   through a `CONNECT` tunnel (TLS stays end to end); `all_proxy` or `ALL_PROXY` for both.
/// - A proxy is `http://[user:password@]host[:port]` (port 1080 when none is given, as curl);
///   `host:port` alone means `http://host:port`. The credentials go as `Proxy-Authorization`.
/// - `no_proxy` or `NO_PROXY`: a comma-separated list of hosts reached directly. An entry
///   matches the host itself and its subdomains (`example.com` and `.example.com` both match
///   `api.example.com`); `*` turns proxies off. Loopback hosts (`localhost`, `127.0.0.0/8`,
///   `::1`) are always reached directly: no proxy can reach them.
public struct ProxySettings: Sendable, Hashable {
    /// The proxy for `http://` URLs.
    public var http: String?
    /// The proxy for `https://` URLs.
    public var https: String?
    /// Hosts and domains reached directly.
    public var noProxy: [String]

    /// Settings from values (tests, or a caller with its own configuration).
    public init(http: String? = nil, https: String? = nil, noProxy: [String] = []) {
        self.http = http
        self.https = https
        self.noProxy = noProxy
    }

    /// The settings `environment` gives (empty values count as unset).
    public init(environment: [String: String]) {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.allSatisfy(\.isWhitespace) }
        }
        let all = value("all_proxy", "ALL_PROXY")
        self.init(http: value("http_proxy") ?? all, https: value("https_proxy", "HTTPS_PROXY") ?? all,
                  noProxy: (value("no_proxy", "NO_PROXY") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                      .filter { !$0.isEmpty })
    }

    /// The proxy `url` goes through, or `nil` for a direct connection.
    ///
    /// - Throws: ``HTTPError`` `invalidURL` when the proxy setting is not an `http://` proxy.
    func proxy(for url: URL) throws(HTTPError) -> Proxy? {
        let scheme = url.scheme?.lowercased()
        guard let setting = scheme == "https" ? https : scheme == "http" ? http : nil,
              let host = url.host?.lowercased(), !bypasses(host) else { return nil }
        let text = setting.contains("://") ? setting : "http://" + setting
        guard let proxy = URL(string: text), proxy.scheme?.lowercased() == "http", let proxyHost = proxy.host, !proxyHost.isEmpty else {
            let variable = scheme == "https" ? "https_proxy" : "http_proxy"
            throw HTTPError(.invalidURL, "\(url.redactedText): the proxy \(variable)='\(URL(string: text)?.redactedText ?? "?")' is not an "
                + "http://host:port proxy (other kinds, such as socks5, are not supported); fix it or add the host to no_proxy")
        }
        var authorization: String?
        if let user = proxy.user(percentEncoded: false) {
            let credentials = user + ":" + (proxy.password(percentEncoded: false) ?? "")
            authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        }
        let bare = proxyHost.hasPrefix("[") && proxyHost.hasSuffix("]") ? String(proxyHost.dropFirst().dropLast()) : proxyHost
        return Proxy(host: bare, port: proxy.port ?? 1080, authorization: authorization)
    }

    /// Whether `host` (lowercased) is reached directly.
    func bypasses(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare.hasPrefix("127.") { return true }
        for entry in noProxy {
            var pattern = entry.lowercased()
            if pattern == "*" { return true }
            if pattern.hasPrefix("*.") { pattern.removeFirst(2) } else if pattern.hasPrefix(".") { pattern.removeFirst() }
            if pattern.hasPrefix("[") && pattern.hasSuffix("]") { pattern = String(pattern.dropFirst().dropLast()) }
            guard !pattern.isEmpty else { continue }
            if bare == pattern || bare.hasSuffix("." + pattern) { return true }
        }
        return false
    }
}

/// One proxy to go through.
struct Proxy: Sendable, Hashable {
    var host: String
    var port: Int
    /// `Proxy-Authorization`, from the credentials in the proxy's URL.
    var authorization: String?

    /// `host:port` for messages (credentials never shown).
    var display: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}
