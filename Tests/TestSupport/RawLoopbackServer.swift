#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation
import Synchronization

/// A loopback TCP server whose handler writes raw bytes, for answers ``LoopbackHTTPServer``
/// cannot give: bodies that trickle in, answers on the IPv6 loopback (`[::1]`), chunked or
/// endless bodies.
///
/// ```swift
/// let server = try RawLoopbackServer(ipv6: true) { connection in
///     _ = connection.readHead()
///     connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
/// }
/// defer { server.stop() }
/// let url = server.url("/v1/models")   // http://[::1]:PORT/v1/models
/// ```
public final class RawLoopbackServer: Sendable {
    /// One accepted connection.
    public struct Connection: Sendable {
        let fd: Int32

        /// Reads until the end of the request head (`\r\n\r\n`) and returns it (at most 64 KiB).
        @discardableResult
        public func readHead() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while bytes.count < 65536 {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                bytes += chunk[0..<n]
                if String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") { break }
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Writes `bytes`; returns `false` once the peer has gone.
        @discardableResult
        public func write(_ bytes: [UInt8]) -> Bool { sendAll(fd, bytes) }

        /// Writes `text` as UTF-8.
        @discardableResult
        public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

        /// Relays bytes both ways between this connection and `127.0.0.1:port` until either
        /// side closes (a proxy's `CONNECT` tunnel); `false` when that port cannot be reached.
        @discardableResult
        public func relay(toLoopbackPort port: UInt16, before: () -> Void = {}) -> Bool {
            #if canImport(Darwin)
            let other = socket(AF_INET, SOCK_STREAM, 0)
            #else
            let other = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #endif
            guard other >= 0 else { return false }
            defer { close(other) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(other, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { return false }
            before()
            var descriptors = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: other, events: Int16(POLLIN), revents: 0)]
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while poll(&descriptors, 2, 10_000) > 0 {
                for (from, to) in [(0, 1), (1, 0)] where descriptors[from].revents != 0 {
                    let n = chunk.withUnsafeMutableBytes { recv(descriptors[from].fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { return true }
                    guard sendAll(descriptors[to].fd, Array(chunk[0..<n])) else { return true }
                }
            }
            return true
        }
    }

    /// The port the server listens on.
    public let port: UInt16
    /// Whether it listens on `::1` (else `127.0.0.1`).
    public let ipv6: Bool
    private let listener: Int32
    private let stopped = Mutex(false)
    private let handler: @Sendable (Connection) -> Void

    /// Starts listening on the loopback address of the family and an ephemeral port.
    public init(ipv6: Bool, handler: @escaping @Sendable (Connection) -> Void) throws {
        self.ipv6 = ipv6
        self.handler = handler
        #if canImport(Darwin)
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw LoopbackHTTPServer.StartError(call: "socket", code: errno) }
        var bound: Int32
        var port: UInt16 = 0
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            port = UInt16(bigEndian: address.sin6_port)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            port = UInt16(bigEndian: address.sin_port)
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw LoopbackHTTPServer.StartError(call: "bind", code: code)
        }
        self.listener = fd
        self.port = port
        let thread = Thread { [weak self] in
            while let server = self, server.acceptOne() {}
            // Closed only here, after the last poll and accept on it: closed in stop(), its
            // number could be reused by the next test's server while this loop still polls
            // it, and this server would answer that test's requests.
            close(fd)
        }
        thread.start()
    }

    deinit { stop() }

    /// `http://[::1]:PORT` or `http://127.0.0.1:PORT`.
    public var baseURL: URL { URL(string: ipv6 ? "http://[::1]:\(port)" : "http://127.0.0.1:\(port)")! }

    /// The URL of `path` on this server.
    public func url(_ path: String) -> URL { URL(string: baseURL.absoluteString + path)! }

    /// Stops accepting connections.
    public func stop() {
        let was = stopped.withLock { s in
            defer { s = true }
            return s
        }
        guard !was else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptOne() -> Bool {
        if stopped.withLock({ $0 }) { return false }
        var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 50) <= 0 { return !stopped.withLock { $0 } }
        let connection = accept(listener, nil, nil)
        if connection < 0 { return errno == EINTR || errno == EAGAIN || errno == ECONNABORTED }
        let handler = self.handler
        Thread {
            handler(Connection(fd: connection))
            shutdown(connection, Int32(SHUT_WR))
            close(connection)
        }.start()
        return true
    }
}

/// Sends all of `bytes` on a socket (no SIGPIPE); `false` once the peer has gone. Shared by the
/// loopback test servers.
func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { raw -> Int in
            #if canImport(Darwin)
            Darwin.send(fd, raw.baseAddress! + offset, raw.count - offset, 0)
            #else
            Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            #endif
        }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
    }
    return true
}
