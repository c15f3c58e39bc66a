#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation
import Synchronization

/// A small HTTP/1.1 server on the loopback interface, for tests that need a real server.
///
/// The server binds `127.0.0.1` on an ephemeral port, accepts connections on a background
/// thread and serves each one on its own thread, so a deliberately slow answer never holds up
/// another request. Every connection carries exactly one request and is closed after the
/// answer (`Connection: close`). Every request is recorded, in arrival order, so tests can
/// assert on what a client sent.
///
/// ```swift
/// let server = try LoopbackHTTPServer { request in
///     switch request.path {
///     case "/v1/models": .json(#"{"object": "list", "data": []}"#)
///     case "/slow": .json("{}", delay: .seconds(2))
///     case "/drop": .closeWithoutAnswer
///     default: .init(status: 404)
///     }
/// }
/// defer { server.stop() }
/// let url = server.url("/v1/models")   // http://127.0.0.1:PORT/v1/models
/// ```
///
/// The handler runs on the connection's thread; it must be `Sendable` and may be called
/// concurrently for concurrent requests.
public final class LoopbackHTTPServer: Sendable {
    /// One HTTP request as the server received it.
    public struct Request: Sendable, Hashable {
        /// The request method, for example `GET` or `POST`.
        public var method: String
        /// The request target as sent, path and query, for example `/api/tags?x=1`.
        public var target: String
        /// The header fields in the order they were sent, names as sent.
        public var headers: [Header]
        /// The body bytes (decoded from chunked transfer coding when the client used it).
        public var body: [UInt8]

        /// The path part of the target, without the query.
        public var path: String {
            target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        }

        /// The query part of the target, without the `?`, or `nil` when there is none.
        public var query: String? {
            guard let i = target.firstIndex(of: "?") else { return nil }
            return String(target[target.index(after: i)...])
        }

        /// The body as UTF-8 text (invalid bytes are replaced).
        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The value of the first header field named `name` (compared case-insensitively).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// One header field.
    public struct Header: Sendable, Hashable {
        /// The field name.
        public var name: String
        /// The field value, without surrounding whitespace.
        public var value: String

        /// A header field.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// What the server does with a request: answer it (possibly late) or drop the connection.
    public struct Response: Sendable {
        /// The status code, for example 200 or 500.
        public var status: Int
        /// Extra header fields. `Content-Length` and `Connection: close` are always added.
        public var headers: [Header]
        /// The body bytes.
        public var body: [UInt8]
        /// How long to wait before answering; use it to test client timeouts.
        public var delay: Duration
        /// When `true`, the server closes the connection without sending anything.
        public var closesWithoutAnswer: Bool

        /// A response with the given status, headers and body, sent after `delay`.
        public init(status: Int = 200, headers: [Header] = [], body: [UInt8] = [], delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.closesWithoutAnswer = false
        }

        /// A response whose body is `text` with content type `application/json`.
        public static func json(_ text: String, status: Int = 200, delay: Duration = .zero) -> Response {
            Response(status: status, headers: [Header("Content-Type", "application/json")], body: Array(text.utf8), delay: delay)
        }

        /// A response whose body is `text` with content type `text/plain; charset=utf-8`.
        public static func text(_ text: String, status: Int = 200, delay: Duration = .zero) -> Response {
            Response(status: status, headers: [Header("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8), delay: delay)
        }

        /// Close the connection without answering (the client sees a dropped connection).
        public static var closeWithoutAnswer: Response {
            var r = Response()
            r.closesWithoutAnswer = true
            return r
        }
    }

    /// An error starting the server: the failing call and its `errno`.
    public struct StartError: Error, CustomStringConvertible {
        /// The socket call that failed, for example `bind`.
        public var call: String
        /// The `errno` value it left.
        public var code: Int32
        public var description: String { "LoopbackHTTPServer: \(call) failed: \(String(cString: strerror(code)))" }
    }

    /// The TCP port the server listens on (on 127.0.0.1).
    public let port: UInt16

    private let listener: Int32
    private let handler: @Sendable (Request) -> Response
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        var requests: [Request] = []
    }

    /// Starts a server on `127.0.0.1` and an ephemeral port; `handler` answers every request.
    ///
    /// - Throws: ``StartError`` when the socket cannot be created, bound or listened on.
    public init(handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
        let fd = try tcpSocket()
        let port: UInt16
        do {
            port = try bindLoopback(fd)
        } catch {
            close(fd)
            throw error
        }
        guard listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw StartError(call: "listen", code: code)
        }
        self.listener = fd
        self.port = port
        // The loop holds the server weakly, so a server nobody stops still goes away (its
        // deinit stops it) once the test drops it.
        let listening = listener
        let thread = Thread { [weak self] in
            while let server = self, server.acceptOne() {}
            // Closed only after the last poll and accept on it, so its number cannot be
            // reused by another test's server while this loop still polls it.
            close(listening)
        }
        thread.name = "LoopbackHTTPServer:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// The server's base URL, `http://127.0.0.1:PORT`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The URL of `path` on this server; `path` starts with `/`.
    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// The requests received so far, in arrival order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// Stops accepting connections and closes the listening socket. Connections already
    /// accepted still get their answer. Calling `stop()` again does nothing.
    public func stop() {
        let wasStopped = state.withLock { s in
            defer { s.stopped = true }
            return s.stopped
        }
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    /// Waits up to 50 ms for a connection and serves it on a new thread; `false` once stopped.
    private func acceptOne() -> Bool {
        if isStopped { return false }
        var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 50)
        if ready <= 0 { return !isStopped }
        if isStopped { return false }
        let connection = accept(listener, nil, nil)
        if connection < 0 {
            let code = errno
            return code == EINTR || code == EAGAIN || code == ECONNABORTED
        }
        do {
            #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let worker = Thread { [self] in serve(connection) }
            worker.start()
        }
        return true
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var reader = SocketReader(fd: fd)
        guard let request = reader.readRequest(onExpectContinue: { Self.send(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }) else {
            return
        }
        state.withLock { $0.requests.append(request) }
        let response = handler(request)
        if response.delay > .zero {
            let c = response.delay.components
            Thread.sleep(forTimeInterval: Double(c.seconds) + Double(c.attoseconds) / 1e18)
        }
        if response.closesWithoutAnswer {
            shutdown(fd, Int32(SHUT_RDWR))
            return
        }
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for h in response.headers where !["content-length", "connection"].contains(h.name.lowercased()) {
            head += "\(h.name): \(h.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if request.method != "HEAD" { bytes += response.body }
        Self.send(fd, bytes)
        shutdown(fd, Int32(SHUT_WR))
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) {
        _ = sendAll(fd, bytes)
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// A loopback port where nothing listens: connecting to it is refused at once.
///
/// Use it to test a client against a server that is down. The port stays reserved (bound,
/// never listening) until ``close()`` or deinit, so no other test's server can take it over,
/// which a stopped server's port does not guarantee.
///
/// ```swift
/// let down = try RefusingLoopbackPort()
/// defer { down.close() }
/// let url = down.url("/v1/models")   // connection refused
/// ```
public final class RefusingLoopbackPort: Sendable {
    /// The reserved port on 127.0.0.1.
    public let port: UInt16
    private let fd: Int32
    private let closed = Mutex(false)

    /// Reserves an ephemeral port on 127.0.0.1 without listening on it.
    ///
    /// - Throws: ``LoopbackHTTPServer/StartError`` when the socket cannot be created or bound.
    public init() throws {
        let fd = try tcpSocket()
        do {
            port = try bindLoopback(fd)
        } catch {
            closeDescriptor(fd)
            throw error
        }
        self.fd = fd
    }

    deinit { close() }

    /// The base URL, `http://127.0.0.1:PORT`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The URL of `path` on this port; `path` starts with `/`.
    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Releases the port. Calling it again does nothing.
    public func close() {
        let wasClosed = closed.withLock { c in
            defer { c = true }
            return c
        }
        if !wasClosed { closeDescriptor(fd) }
    }
}

/// `close(2)`, under a name the types with a `close()` method can call.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

/// A new IPv4 TCP socket.
private func tcpSocket() throws(LoopbackHTTPServer.StartError) -> Int32 {
    #if canImport(Darwin)
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #else
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    guard fd >= 0 else { throw LoopbackHTTPServer.StartError(call: "socket", code: errno) }
    return fd
}

/// Binds `fd` to 127.0.0.1 on an ephemeral port (no `SO_REUSEADDR`, so a port another socket
/// holds is never handed out) and returns the port.
private func bindLoopback(_ fd: Int32) throws(LoopbackHTTPServer.StartError) -> UInt16 {
    var address = sockaddr_in()
    #if canImport(Darwin)
    address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
    #endif
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw LoopbackHTTPServer.StartError(call: "bind", code: errno) }
    var actual = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &actual) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: actual.sin_port)
}

/// Buffered reads from one connection, tolerant of requests that arrive in pieces.
private struct SocketReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var closed = false

    init(fd: Int32) { self.fd = fd }

    /// Reads more bytes into the buffer; returns `false` at end of stream or on error.
    mutating func fill() -> Bool {
        if closed { return false }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                closed = true
                return false
            }
            buffer += chunk[0..<n]
            return true
        }
    }

    /// Takes bytes up to and including the first CRLF; `nil` when the stream ends first.
    mutating func line() -> String? {
        while true {
            if let i = crlf(from: 0) {
                let text = String(decoding: buffer[0..<i], as: UTF8.self)
                buffer.removeFirst(i + 2)
                return text
            }
            if !fill() { return nil }
        }
    }

    /// Takes exactly `count` bytes; `nil` when the stream ends first.
    mutating func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count {
            if !fill() { return nil }
        }
        let out = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return out
    }

    private func crlf(from start: Int) -> Int? {
        var i = start
        while i + 1 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Reads one request: request line, header fields, and a body framed by
    /// `Content-Length` or chunked transfer coding. `nil` when the request is incomplete.
    mutating func readRequest(onExpectContinue: () -> Void) -> LoopbackHTTPServer.Request? {
        guard let requestLine = line() else { return nil }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        var headers: [LoopbackHTTPServer.Header] = []
        while true {
            guard let field = line() else { return nil }
            if field.isEmpty { break }
            guard let colon = field.firstIndex(of: ":") else { continue }
            let name = String(field[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(field[field.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            headers.append(.init(name, value))
        }
        var request = LoopbackHTTPServer.Request(method: String(parts[0]), target: String(parts[1]), headers: headers, body: [])
        if request.header("Expect")?.lowercased() == "100-continue" { onExpectContinue() }
        if request.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            var body: [UInt8] = []
            while true {
                guard let sizeLine = line() else { return nil }
                let hex = sizeLine.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int(hex, radix: 16) else { return nil }
                if size == 0 {
                    while let trailer = line(), !trailer.isEmpty {}
                    break
                }
                guard let chunk = bytes(size), line() != nil else { return nil }
                body += chunk
            }
            request.body = body
        } else if let length = request.header("Content-Length").flatMap({ Int($0) }), length > 0 {
            guard let body = bytes(length) else { return nil }
            request.body = body
        }
        return request
    }
}
