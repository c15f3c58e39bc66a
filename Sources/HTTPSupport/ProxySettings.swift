import Foundation

/// The HTTP proxies requests go through, with curl's rules (the caller reads the settings):
///
/// - ``http`` for `http://` URLs; ``https`` for `https://` URLs, which go through a `CONNECT`
///   tunnel (TLS stays end to end).
/// - A proxy is `http://[user:password@]host[:port]` (port 1080 when none is given, as curl);
///   `host:port` alone means `http://host:port`. The credentials go as `Proxy-Authorization`.
/// - ``noProxy``: hosts reached directly. A name
///   matches itself and its subdomains (`example.com` and `.example.com` both match
///   `api.example.com`; a trailing dot does not count); an IP address matches itself, and a
///   CIDR block (`10.0.0.0/8`, `fd00::/8`) the addresses in it; `*` turns proxies off.
///   Loopback addresses (`127.0.0.0/8`, `::1`), and names that resolve to loopback addresses
///   only (`localhost`), are always reached directly: no proxy can reach them. A name counts by
///   what it resolves to, never by its spelling (`x.localhost` may resolve anywhere).
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

    /// The proxy `url` goes through, or `nil` for a direct connection.
    ///
    /// - Throws: ``HTTPError`` `invalidURL` when the proxy setting is not an `http://` proxy.
    func proxy(for url: URL) throws(HTTPError) -> Proxy? {
        let scheme = url.scheme?.lowercased()
        guard let setting = scheme == "https" ? https : scheme == "http" ? http : nil,
              let host = url.host, case let key = HostName.key(host), !bypasses(key), !HostName.resolvesToLoopbackOnly(key) else { return nil }
        let text = setting.contains("://") ? setting : "http://" + setting
        guard let proxy = URL(string: text), proxy.scheme?.lowercased() == "http", let proxyHost = proxy.host, !proxyHost.isEmpty else {
            // Only the kind is named: a proxy value can hold a password, written in ways a URL parser misreads.
            let kind = text.split(separator: ":", maxSplits: 1).first.map { "a \($0)://" } ?? "an unreadable"
            throw HTTPError(.invalidURL, "\(url.redactedText): the proxy for \(scheme ?? "") URLs is \(kind) proxy; only "
                + "http://host:port proxies are supported (socks and others are not): fix the proxy setting, or exempt the host from proxies")
        }
        return Proxy(host: HostName.bare(proxyHost), port: proxy.port ?? 1080, authorization: proxy.basicCredentials)
    }

    /// Whether the host whose ``HostName/key(_:)`` is `host` is reached directly.
    func bypasses(_ host: String) -> Bool {
        if HostName.isLoopback(host) { return true }
        let address = Platform.addressBytes(host)
        for entry in noProxy {
            if entry == "*" { return true }
            var pattern = HostName.key(entry)
            if let slash = pattern.firstIndex(of: "/") {
                // A CIDR block matches numeric hosts of its family whose leading bits agree.
                guard let address, let network = Platform.addressBytes(String(pattern[..<slash])), network.count == address.count,
                      let bits = Int(pattern[pattern.index(after: slash)...]), (0...network.count * 8).contains(bits) else { continue }
                if Self.leadingBitsAgree(address, network, bits) { return true }
                continue
            }
            if let address {
                if Platform.addressBytes(pattern) == address { return true }
                continue
            }
            if pattern.hasPrefix("*.") { pattern.removeFirst(2) } else if pattern.hasPrefix(".") { pattern.removeFirst() }
            guard !pattern.isEmpty else { continue }
            if host == pattern || host.hasSuffix("." + pattern) { return true }
        }
        return false
    }

    /// Whether the first `bits` bits of `a` and `b` (of equal length) are the same.
    static func leadingBitsAgree(_ a: [UInt8], _ b: [UInt8], _ bits: Int) -> Bool {
        let whole = bits / 8
        guard a.prefix(whole).elementsEqual(b.prefix(whole)) else { return false }
        let rest = bits % 8
        guard rest > 0 else { return true }
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - rest))
        return a[whole] & mask == b[whole] & mask
    }
}

/// One proxy to go through.
struct Proxy: Sendable, Hashable {
    var host: String
    var port: Int
    /// `Proxy-Authorization`, from the credentials in the proxy's URL.
    var authorization: String?

    /// `host:port` for messages (credentials never shown).
    var display: String { HostName.authority(host, port: port) }
}
