import Foundation
import SystemSupport

/// One HTTP/1.1 request and its answer on a connection of its own (`Connection: close`):
/// one deadline for everything, a bounded body, `identity` encoding only. Redirects are the
/// client's business: a 3xx answer comes back with its `Location`.
struct HTTPExchange {
    var method: String
    var url: URL
    var headers: [(name: String, value: String)]
    /// Lowercased names of headers that hold a secret: sent over https, and over plain http
    /// only on a connection that reached a loopback address (``Connection/reachedLoopback``).
    var secretHeaders: Set<String> = []
    var body: [UInt8]?
    /// The URL as messages name it (the request's first URL, credentials hidden).
    var target: String
    var deadline: ContinuousClock.Instant
    var timedOut: HTTPError
    var maxBodyBytes: Int
    var trust: TrustSettings
    var proxies: ProxySettings

    /// A finished exchange: the status, the body and where a redirect points.
    struct Answer {
        var status: Int
        var body: [UInt8]
        var location: String?
        /// Secret headers left out of this request (lowercased names).
        var withheld: Set<String> = []
    }

    /// The most header bytes accepted.
    static let maximumHeaderBytes = 64 * 1024

    func perform() -> Result<Answer, HTTPError> {
        do { return .success(try run()) } catch { return .failure(error) }
    }

    private func run() throws(HTTPError) -> Answer {
        guard let scheme = url.scheme?.lowercased(), let rawHost = url.host, !rawHost.isEmpty else {
            throw HTTPError(.invalidURL, "\(target): not an http or https URL with a host")
        }
        let host = HostName.bare(rawHost)
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port ?? defaultPort
        guard (1...65535).contains(port) else { throw HTTPError(.invalidURL, "\(target): port \(port) is out of range") }
        let proxy = try proxies.proxy(for: url)
        let connection = try Connection(host: host, port: port, trust: scheme == "https" ? trust : nil, proxy: proxy, target: target,
                                        deadline: deadline, timedOut: timedOut)
        // Plain HTTP through a proxy names the whole URL; https went through a tunnel and does not.
        let forwarded = scheme == "http" ? proxy : nil
        // Decided on the connection made, by the address it reached: a name that looks local
        // (`x.localhost`) may resolve anywhere, and a proxy forwards anywhere.
        let withheld = scheme == "http" && !connection.reachedLoopback
            ? secretHeaders.intersection(headers.map { $0.name.lowercased() }) : []
        try connection.write(request(host: host, port: port, defaultPort: defaultPort, proxy: forwarded, leavingOut: withheld))
        var answer = try readAnswer(connection)
        answer.withheld = withheld
        return answer
    }

    /// The request's bytes: the head (headers with CR or LF in them are dropped) and the body.
    func request(host: String, port: Int, defaultPort: Int, proxy: Proxy? = nil, leavingOut: Set<String> = []) -> [UInt8] {
        let components = URLComponents(url: url.absoluteURL, resolvingAgainstBaseURL: false)
        let path = (components?.percentEncodedPath).flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let query = components?.percentEncodedQuery.map { "?" + $0 } ?? ""
        let authority = HostName.authority(host, port: port == defaultPort ? nil : port)
        let requestTarget = (proxy == nil ? "" : "http://\(authority)") + path + query
        var head = "\(method) \(requestTarget) HTTP/1.1\r\nHost: \(authority)\r\nConnection: close\r\nAccept-Encoding: identity\r\n"
        if let authorization = proxy?.authorization { head += "Proxy-Authorization: \(authorization)\r\n" }
        var named = Set<String>()
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !["host", "connection", "accept-encoding", "content-length", "transfer-encoding", "proxy-authorization"].contains(lower),
                  !leavingOut.contains(lower),
                  !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }), !name.isEmpty else { continue }
            named.insert(lower)
            head += "\(name): \(value)\r\n"
        }
        if !named.contains("user-agent") { head += "User-Agent: modelctl\r\n" }
        if !named.contains("authorization"), let credentials = url.basicCredentials {
            // Credentials written into the URL are sent as the URL says (and never printed).
            head += "Authorization: \(credentials)\r\n"
        }
        if let body { head += "Content-Length: \(body.count)\r\n" } else if method != "GET" && method != "HEAD" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    private func readAnswer(_ connection: Connection) throws(HTTPError) -> Answer {
        // Read the answer: headers, then the body as framed, never more than the limits allow.
        var received: [UInt8] = []
        var headerEnd: Int?
        var contentLength: Int?
        var chunked = false
        var status = 0
        let rawLimit = maxBodyBytes + 64 * 1024  // room for chunk framing
        var location: String?
        var ended = false
        while !ended {
            if let end = headerEnd, let length = contentLength, received.count - end >= length { break }
            if try connection.read(appendingTo: &received) == 0 { ended = true }
            // An interim answer (1xx: 100 Continue, 103 Early Hints) precedes the real one:
            // drop each, then read the next head from what is left.
            while headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: received), Self.isInterim(received[0..<end]) {
                received.removeFirst(end + 4)
            }
            if headerEnd == nil {
                if let end = Self.find([13, 10, 13, 10], in: received) {
                    headerEnd = end + 4
                    let text = String(decoding: received[0..<end], as: UTF8.self)
                    var lines = text.components(separatedBy: "\r\n")
                    let statusLine = lines.removeFirst().split(separator: " ")
                    guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let code = Int(statusLine[1]), (100...999).contains(code) else {
                        throw HTTPError(.malformed, "\(target): the server's answer is not valid HTTP")
                    }
                    status = code
                    for line in lines {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                        let original = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                        let value = original.lowercased()
                        switch name {
                        case "location":
                            location = original
                        case "content-length":
                            guard let length = Int(value), length >= 0 else {
                                throw HTTPError(.malformed, "\(target): the server's answer has an invalid Content-Length")
                            }
                            contentLength = length
                        case "transfer-encoding":
                            chunked = value.contains("chunked")
                        case "content-encoding" where value != "identity" && !value.isEmpty:
                            throw HTTPError(.malformed, "\(target): the answer is compressed (\(value)) although identity was asked for")
                        default:
                            break
                        }
                    }
                    if chunked { contentLength = nil }
                    // These answers have no body, whatever their headers say (RFC 9110, 6.4.1).
                    if method == "HEAD" || status == 204 || status == 304 {
                        contentLength = 0
                        chunked = false
                    }
                    if let length = contentLength, length > maxBodyBytes {
                        throw HTTPError(.tooLarge, "\(target): the answer's body (\(length) bytes) is larger than the limit of \(maxBodyBytes) bytes; nothing of it was read")
                    }
                } else if received.count > Self.maximumHeaderBytes {
                    throw HTTPError(.malformed, "\(target): the answer's headers are larger than \(Self.maximumHeaderBytes) bytes")
                }
            }
            if let end = headerEnd, received.count - end > rawLimit {
                throw HTTPError(.tooLarge, "\(target): the answer's body is larger than the limit of \(maxBodyBytes) bytes; stopped reading")
            }
            // A chunked body ends with its last chunk, whether or not the server then closes
            // the connection (one that ignores `Connection: close` must not run into the deadline).
            if chunked, let end = headerEnd, received.count - end >= 5, received.suffix(5).elementsEqual([48, 13, 10, 13, 10]),
               Self.dechunk(Array(received[end...])) != nil {
                break
            }
        }
        guard let end = headerEnd else {
            throw HTTPError(.unreachable, "\(target): the server closed the connection without answering")
        }
        var payload = Array(received[end...])
        if let length = contentLength {
            guard payload.count >= length else {
                throw HTTPError(.malformed, "\(target): the connection closed after \(payload.count) of \(length) body bytes")
            }
            payload = Array(payload.prefix(length))
        } else if !chunked, connection.isTLS, !connection.closedCleanly {
            // A body that runs to the end of the connection is whole only if TLS said so: a
            // bare TCP close could be anyone on the path cutting it short.
            throw HTTPError(.malformed, "\(target): the connection closed without TLS's close_notify and the answer gave no length; the body may be cut short")
        } else if chunked {
            guard let decoded = Self.dechunk(payload) else {
                throw HTTPError(.malformed, "\(target): the answer's chunked body is malformed or cut short")
            }
            payload = decoded
        }
        guard payload.count <= maxBodyBytes else {
            throw HTTPError(.tooLarge, "\(target): the answer's body is larger than the limit of \(maxBodyBytes) bytes; stopped reading")
        }
        return Answer(status: status, body: payload, location: location)
    }

    /// Whether a response head is an interim (1xx) answer other than `101 Switching Protocols`.
    static func isInterim(_ head: ArraySlice<UInt8>) -> Bool {
        let statusLine = String(decoding: head.prefix(64), as: UTF8.self).split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let code = Int(statusLine[1]) else { return false }
        return (100...199).contains(code) && code != 101
    }

    /// The index of the first `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count >= needle.count + start else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<i + needle.count].elementsEqual(needle) { return i }
        }
        return nil
    }

    /// Decodes a chunked body; `nil` when it is malformed or ends before its last chunk.
    static func dechunk(_ raw: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = find([13, 10], in: raw, from: i) else { return nil }
            let sizeText = String(decoding: raw[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0, size <= raw.count else { return nil }
            i = lineEnd + 2
            if size == 0 { return out }
            guard raw.count >= i + size + 2 else { return nil }
            out += raw[i..<i + size]
            i += size + 2
        }
    }
}
