public import Foundation

extension URL {
    /// The URL as text for messages: user information (`user:password@`) is written `***@`,
    /// so a credential written into a URL (`http://user:secret@host/`) is sent as the URL says
    /// but never printed.
    ///
    /// ```swift
    /// URL(string: "http://me:secret@gpu-box:8000/v1")!.redactedText   // "http://***@gpu-box:8000/v1"
    /// ```
    public var redactedText: String {
        let text = absoluteString
        guard user != nil || password != nil, let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        // The authority ends at the first '/', '?' or '#'; the user information at its last '@'.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<schemeEnd.upperBound]) + "***" + String(rest[at...])
    }
}

extension URL {
    /// `Basic ...` for the user information written in the URL (`http://user:password@host/`),
    /// or `nil` when it has none.
    var basicCredentials: String? {
        guard let user = user(percentEncoded: false) else { return nil }
        return "Basic " + Data((user + ":" + (password(percentEncoded: false) ?? "")).utf8).base64EncodedString()
    }
}

/// How a host is spelled in URLs, request heads and comparisons.
enum HostName {
    /// `host` without the brackets of an IPv6 literal (`[::1]` is `::1`).
    static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// `host` as hosts are compared: lower case, no brackets, no trailing dots.
    static func key(_ host: String) -> String {
        func withoutTrailingDots(_ text: String) -> String {
            var text = text
            while text.hasSuffix(".") { text.removeLast() }
            return text
        }
        // `[fd00::1].` (as a no-proxy entry may be written) as well as `[::1]`.
        return withoutTrailingDots(bare(withoutTrailingDots(host.lowercased())))
    }

    /// `host:port` for a request head, an IPv6 literal in brackets; the port left out when it is `nil`.
    static func authority(_ host: String, port: Int?) -> String {
        (host.contains(":") ? "[\(host)]" : host) + (port.map { ":\($0)" } ?? "")
    }

    /// Whether the host whose ``key(_:)`` is `key` is a loopback address written as one. A name
    /// never is, `localhost` and `*.localhost` included: the resolver decides where a name
    /// leads (see ``resolvesToLoopbackOnly(_:)``), and only the connection knows.
    static func isLoopback(_ key: String) -> Bool {
        Platform.addressBytes(key).map(isLoopback(address:)) ?? false
    }

    /// Whether `localhost`, or a name under it, whose ``key(_:)`` is `key` resolves, now, to
    /// loopback addresses only. Other names are not looked up (`false`): they go to their proxy,
    /// and a network reached through a proxy may not answer lookups at all.
    static func resolvesToLoopbackOnly(_ key: String) -> Bool {
        guard key == "localhost" || key.hasSuffix(".localhost"), case .success(let addresses) = Platform.resolve(key, port: 80) else { return false }
        return addresses.allSatisfy { isLoopback(address: Platform.bytes(of: $0)) }
    }

    /// Whether `address` (4 bytes for IPv4, 16 for IPv6) is in 127.0.0.0/8, `::1` or `::ffff:127.0.0.0/104`.
    static func isLoopback(address: [UInt8]) -> Bool {
        if address.count == 4 { return address[0] == 127 }
        return address == Array(repeating: 0, count: 15) + [1]
            || (address.prefix(12).elementsEqual(Array(repeating: 0, count: 10) + [0xFF, 0xFF]) && address[12] == 127)
    }
}
