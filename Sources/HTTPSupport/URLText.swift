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
    /// Whether the URL's host is this machine's loopback: `localhost` (and `*.localhost`), an
    /// IPv4 address in 127.0.0.0/8, `::1` or `::ffff:127.x.y.z`. Judged as an address, so a
    /// name such as `127.example.com` is not loopback.
    public var hasLoopbackHost: Bool { host.map(Loopback.contains) ?? false }
}

/// The loopback test shared by the proxy bypass and the API key rule.
enum Loopback {
    static func contains(_ host: String) -> Bool {
        var bare = host.lowercased()
        if bare.hasPrefix("[") && bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        while bare.hasSuffix(".") { bare.removeLast() }
        guard let address = Platform.addressBytes(bare) else { return bare == "localhost" || bare.hasSuffix(".localhost") }
        if address.count == 4 { return address[0] == 127 }
        return address == Array(repeating: 0, count: 15) + [1]
            || (address.prefix(12).elementsEqual(Array(repeating: 0, count: 10) + [0xFF, 0xFF]) && address[12] == 127)
    }
}
