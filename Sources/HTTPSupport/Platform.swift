// Every platform call of HTTPSupport: the socket calls of the IPv6-literal path.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum Platform {
    /// Whether URLSession can connect to `http://[v6 literal]` URLs. FoundationNetworking on
    /// Linux cannot (it fails with URLError -1000, swift-corelibs-foundation issue 5496).
    #if canImport(Darwin)
    static let urlSessionConnectsToIPv6Literals = true
    #else
    static let urlSessionConnectsToIPv6Literals = false
    #endif

    /// A non-blocking IPv6 TCP socket with a connection to `address` (numeric) and `port` under
    /// way; `nil` and the reason when the address is not numeric or the socket cannot be made.
    static func startConnecting(ipv6 address: String, port: UInt16) -> (fd: Int32?, problem: String?) {
        var socketAddress = sockaddr_in6()
        socketAddress.sin6_family = sa_family_t(AF_INET6)
        socketAddress.sin6_port = port.bigEndian
        guard inet_pton(AF_INET6, address, &socketAddress.sin6_addr) == 1 else {
            return (nil, "'\(address)' is not a numeric IPv6 address")
        }
        #if canImport(Darwin)
        socketAddress.sin6_len = UInt8(MemoryLayout<sockaddr_in6>.size)
        let fd = socket(AF_INET6, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { return (nil, errorText(errno)) }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #endif
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let result = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        if result != 0 && errno != EINPROGRESS {
            let code = errno
            close(fd)
            return (nil, errorText(code))
        }
        return (fd, nil)
    }

    /// Waits up to `milliseconds` for `fd` to be writable (or readable); `false` on timeout.
    static func wait(_ fd: Int32, writable: Bool, milliseconds: Int) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, Int32(clamping: max(0, milliseconds)))
            if ready < 0 && errno == EINTR { continue }
            return ready > 0
        }
    }

    /// The error a non-blocking connect ended with (0 when connected).
    static func connectionError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }

    /// Whether `code` means the peer refused the connection.
    static func isConnectionRefused(_ code: Int32) -> Bool { code == ECONNREFUSED }

    /// Sends what it can of `bytes` without raising SIGPIPE: the count sent, 0 when the socket
    /// would block, or `nil` on error.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int? {
        while true {
            #if canImport(Darwin)
            let n = Darwin.send(fd, bytes.baseAddress, bytes.count, 0)
            #else
            let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : nil
        }
    }

    /// Receives into `buffer`: the count (0 at end of stream), -1 when it would block, `nil` on error.
    static func receive(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int? {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : nil
        }
    }

    static func closeSocket(_ fd: Int32) { _ = close(fd) }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
