import Foundation
import FileSupport

/// One plain-HTTP/1.1 exchange over a socket, for `http://` URLs whose host is an IPv6 literal
/// (which FoundationNetworking cannot reach on Linux). The same rules as ``HTTPClient``: one
/// deadline for everything, a bounded body, `identity` encoding only, `Connection: close`.
/// Redirects are not followed (the 3xx answer is returned as it is).
struct SocketExchange: Sendable {
    var method: String
    var url: URL
    var host: String
    var headers: [String: String]
    var body: [UInt8]?
    var timeout: Duration
    var maxBodyBytes: Int

    /// The most header bytes accepted.
    static let maximumHeaderBytes = 64 * 1024

    func run() async throws(HTTPError) -> HTTPResponse {
        // Blocking polls, so off the concurrency pool.
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: perform()) }
        }
        return try result.get()
    }

    private func perform() -> Result<HTTPResponse, HTTPError> {
        let target = url.redactedText
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        func remainingMilliseconds() -> Int {
            let left = clock.now.duration(to: deadline)
            return left <= .zero ? 0 : Int((left.inSeconds * 1000).rounded(.up))
        }
        let timedOut = HTTPError(.timeout, "\(target): no answer within \(timeout.secondsText) (timed out)")
        let address = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let port = url.port ?? 80
        guard (1...65535).contains(port) else { return .failure(HTTPError(.invalidURL, "\(target): port \(port) is out of range")) }
        let started = Platform.startConnecting(ipv6: address, port: UInt16(port))
        guard let fd = started.fd else {
            return .failure(HTTPError(.invalidURL, "\(target): cannot connect: \(started.problem ?? "unknown error")"))
        }
        defer { Platform.closeSocket(fd) }
        guard Platform.wait(fd, writable: true, milliseconds: remainingMilliseconds()) else { return .failure(timedOut) }
        let connectError = Platform.connectionError(fd)
        if connectError != 0 {
            let reason = Platform.isConnectionRefused(connectError)
                ? "connection refused (is the server running?)" : "cannot connect: \(Platform.errorText(connectError))"
            return .failure(HTTPError(.unreachable, "\(target): \(reason)"))
        }

        // Send the request.
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = (components?.percentEncodedPath).flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let query = components?.percentEncodedQuery.map { "?" + $0 } ?? ""
        components = nil
        var head = "\(method) \(path)\(query) HTTP/1.1\r\nHost: [\(address)]:\(port)\r\nConnection: close\r\nAccept-Encoding: identity\r\n"
        for (name, value) in headers where !["host", "connection", "accept-encoding", "content-length"].contains(name.lowercased()) {
            guard !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }) else { continue }
            head += "\(name): \(value)\r\n"
        }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + (body ?? [])
        var offset = 0
        while offset < request.count {
            guard Platform.wait(fd, writable: true, milliseconds: remainingMilliseconds()) else { return .failure(timedOut) }
            guard let sent = request.withUnsafeBytes({ Platform.send(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }) else {
                return .failure(HTTPError(.unreachable, "\(target): the server closed the connection without answering"))
            }
            offset += sent
        }

        // Read the answer: headers, then the body as framed, never more than the limits allow.
        var received: [UInt8] = []
        var headerEnd: Int?
        var contentLength: Int?
        var chunked = false
        var status = 0
        let rawLimit = maxBodyBytes + 64 * 1024  // room for chunk framing
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var ended = false
        while !ended {
            if let end = headerEnd, let length = contentLength, received.count - end >= length { break }
            guard Platform.wait(fd, writable: false, milliseconds: remainingMilliseconds()) else { return .failure(timedOut) }
            guard let n = chunk.withUnsafeMutableBytes({ Platform.receive(fd, $0) }) else {
                return .failure(HTTPError(.unreachable, "\(target): the server closed the connection without answering"))
            }
            if n < 0 { continue }
            if n == 0 { ended = true } else { received += chunk[0..<n] }
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
                        return .failure(HTTPError(.malformed, "\(target): the server's answer is not valid HTTP"))
                    }
                    status = code
                    for line in lines {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
                        switch name {
                        case "content-length":
                            guard let length = Int(value), length >= 0 else {
                                return .failure(HTTPError(.malformed, "\(target): the server's answer has an invalid Content-Length"))
                            }
                            contentLength = length
                        case "transfer-encoding":
                            chunked = value.contains("chunked")
                        case "content-encoding" where value != "identity" && !value.isEmpty:
                            return .failure(HTTPError(.malformed, "\(target): the answer is compressed (\(value)) although identity was asked for"))
                        default:
                            break
                        }
                    }
                    if chunked { contentLength = nil }
                    if let length = contentLength, length > maxBodyBytes {
                        return .failure(HTTPError(.tooLarge, "\(target): the answer's body (\(length) bytes) is larger than the limit of \(maxBodyBytes) bytes; nothing of it was read"))
                    }
                } else if received.count > Self.maximumHeaderBytes {
                    return .failure(HTTPError(.malformed, "\(target): the answer's headers are larger than \(Self.maximumHeaderBytes) bytes"))
                }
            }
            if let end = headerEnd, received.count - end > rawLimit {
                return .failure(HTTPError(.tooLarge, "\(target): the answer's body is larger than the limit of \(maxBodyBytes) bytes; stopped reading"))
            }
            // A chunked body ends with its last chunk, whether or not the server then closes
            // the connection (one that ignores `Connection: close` must not run into the deadline).
            if chunked, let end = headerEnd, received.count - end >= 5, received.suffix(5).elementsEqual([48, 13, 10, 13, 10]),
               Self.dechunk(Array(received[end...])) != nil {
                break
            }
        }
        guard let end = headerEnd else {
            return .failure(HTTPError(.unreachable, "\(target): the server closed the connection without answering"))
        }
        var payload = Array(received[end...])
        if let length = contentLength {
            guard payload.count >= length else {
                return .failure(HTTPError(.malformed, "\(target): the connection closed after \(payload.count) of \(length) body bytes"))
            }
            payload = Array(payload.prefix(length))
        } else if chunked {
            guard let decoded = Self.dechunk(payload) else {
                return .failure(HTTPError(.malformed, "\(target): the answer's chunked body is malformed or cut short"))
            }
            payload = decoded
        }
        guard payload.count <= maxBodyBytes else {
            return .failure(HTTPError(.tooLarge, "\(target): the answer's body is larger than the limit of \(maxBodyBytes) bytes; stopped reading"))
        }
        return .success(HTTPResponse(status: status, body: payload))
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
