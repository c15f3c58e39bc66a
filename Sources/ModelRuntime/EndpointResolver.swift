import Foundation
public import ModelRegistry

/// Resolves the OpenAI-compatible base URL of a registry entry's backend.
///
/// The rules, first match wins:
/// 1. `backend_config.base_url`, when set, with trailing `/` dropped.
/// 2. `backend_config.host`, when it is an `http://` or `https://` URL, with trailing `/` dropped.
/// 3. `http://{host}:{port}/v1`, where `host` is `backend_config.host`, else (Ollama only)
///    ``ollamaHost``, else `localhost`; and `port` is `backend_config.port` when it is above 0,
///    else the backend's default (``defaultPort(forBackend:)``).
///
/// An ``ollamaHost`` may itself be a URL, used like rule 2, or a
/// `host:port` pair, whose port then wins over the default.
///
/// ```swift
/// let resolver = EndpointResolver(ollamaHost: "gpu-box")
/// try resolver.endpoint(for: entry)   // "http://gpu-box:11434/v1" for an Ollama entry without host
/// ```
public struct EndpointResolver: Sendable, Hashable {
    /// The host for Ollama entries that name none; `nil` means `localhost`.
    public var ollamaHost: String?

    /// A resolver; `ollamaHost` is the host for Ollama entries that name none.
    public init(ollamaHost: String? = nil) {
        let trimmed = ollamaHost?.trimmingWhitespace
        self.ollamaHost = trimmed?.isEmpty == false ? trimmed : nil
    }

    /// The port a backend listens on when the entry gives none (or 0 or less): vLLM and
    /// LMDeploy 24001, Ollama 11434, llama.cpp's server 8080, Triton 9000, anything else 8000.
    /// `modelctl add` writes the same port into the entries it makes.
    public static func defaultPort(forBackend backend: String?) -> Int {
        switch backend?.lowercased() {
        case "vllm", "lmdeploy": 24001
        case "ollama": 11434
        case "llama.cpp": 8080
        case "triton": 9000
        default: 8000
        }
    }

    /// The base URL of `entry`'s backend, without a trailing `/`.
    ///
    /// Every host value is validated, so the URL built is the one the registry names: a URL
    /// value must be an `http(s)` URL with a host and nothing a URL parser would read
    /// differently; a plain host must be a host name (letters, digits, `-`, `.`, `_`), an IPv4
    /// address or an IPv6 literal (bare `::1` or bracketed `[::1]`), optionally with `:PORT`.
    /// A `/`, `@`, space or other separator in a host is refused.
    ///
    /// - Throws: ``RuntimeError`` `invalidConfiguration` naming the entry, the field and the value.
    public func endpoint(for entry: RegistryEntry) throws(RuntimeError) -> String {
        let config = entry.backendConfig
        if let base = config.baseURL?.trimmingWhitespace, !base.isEmpty {
            return try Self.checkedURL(base, field: "backend_config.base_url", entry: entry)
        }
        var host = config.host?.trimmingWhitespace ?? ""
        if Self.isHTTPURL(host) { return try Self.checkedURL(host, field: "backend_config.host", entry: entry) }
        var port = config.port.flatMap { $0 > 0 ? $0 : nil }
        if let given = port, given > 65535 {
            throw RuntimeError(.invalidConfiguration, "model '\(entry.name)': backend_config.port \(given) is not a port number (1 to 65535; 0 or less means the backend's default)")
        }
        var field = "backend_config.host"
        if host.isEmpty, entry.isOllama, let ollamaHost {
            if Self.isHTTPURL(ollamaHost) { return try Self.checkedURL(ollamaHost, field: "the default Ollama host", entry: entry) }
            host = ollamaHost
            field = "the default Ollama host"
        }
        if !host.isEmpty {
            let (name, explicitPort) = Self.splitHostPort(host)
            guard Self.isValidHost(name), Self.hasValidPortSuffix(host) else {
                throw RuntimeError(.invalidConfiguration, "model '\(entry.name)': \(field) '\(host)' is not a host name, IP address or [IPv6] literal (optionally with :PORT, 1 to 65535); a host must not contain '/', '@', spaces or other separators")
            }
            host = name
            if port == nil { port = explicitPort }
        }
        if host.isEmpty { host = "localhost" }
        return "http://\(Self.bracketed(host)):\(port ?? Self.defaultPort(forBackend: entry.backend))/v1"
    }

    /// `text` without trailing `/` when it is an `http(s)` URL with a valid host and no
    /// characters that would make it another URL.
    private static func checkedURL(_ text: String, field: String, entry: RegistryEntry) throws(RuntimeError) -> String {
        let trimmed = droppingTrailingSlashes(text)
        let hasSeparators = trimmed.contains { $0.isWhitespace || $0 == "\\" || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }
        guard !hasSeparators, let url = URL(string: trimmed), isHTTPURL(trimmed), let host = url.host, !host.isEmpty,
              url.user == nil, url.password == nil, isValidHost(host.hasPrefix("[") ? host : (host.contains(":") ? "[\(host)]" : host))
        else {
            throw RuntimeError(.invalidConfiguration, "model '\(entry.name)': \(field) '\(text)' is not an http(s) URL with a valid host (no user info, spaces or backslashes)")
        }
        return trimmed
    }

    /// A host name, an IPv4 address, or an IPv6 literal (bare or in brackets).
    static func isValidHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        var literal = Substring(host)
        if literal.hasPrefix("[") {
            guard literal.hasSuffix("]") else { return false }
            literal = literal.dropFirst().dropLast()
        }
        if literal.contains(":") {
            return literal.filter { $0 == ":" }.count >= 2 && literal.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        guard literal.count == host.count else { return false }
        return host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." || $0 == "_" }
    }

    static func isHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    static func droppingTrailingSlashes(_ text: String) -> String {
        var out = Substring(text)
        while out.hasSuffix("/") { out = out.dropLast() }
        return String(out)
    }

    /// `gpu-box:11500` -> ("gpu-box", 11500); `gpu-box` -> ("gpu-box", nil); `[::1]:11434` -> ("::1", 11434).
    /// A bare IPv6 address (more than one colon, no brackets) has no port.
    static func splitHostPort(_ text: String) -> (host: String, port: Int?) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            let port = rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil
            return (host, port.flatMap { $0 > 0 ? $0 : nil })
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port > 0 {
            return (String(text[..<colon]), port)
        }
        return (text, nil)
    }

    /// Whether the `:PORT` after a host (`name:PORT`, `[v6]:PORT`), when there is one, is a
    /// port number from 1 to 65535. A bare IPv6 address has no port suffix.
    static func hasValidPortSuffix(_ text: String) -> Bool {
        let suffix: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            suffix = text[text.index(after: close)...]
            if suffix.isEmpty { return true }
            guard suffix.hasPrefix(":") else { return false }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            suffix = text[colon...]
        } else {
            return true
        }
        let digits = suffix.dropFirst()
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(digits) else { return false }
        return (1...65535).contains(port)
    }

    /// An IPv6 literal goes in brackets inside a URL.
    static func bracketed(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
