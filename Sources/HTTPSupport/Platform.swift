// Every platform call of HTTPSupport: name resolution and non-blocking TCP sockets.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemSupport

enum Platform {
    /// One resolved socket address.
    struct Address {
        var storage = sockaddr_storage()
        var length: socklen_t = 0
        var family: Int32 = 0
    }

    /// The most addresses tried for one host name.
    static let maximumAddresses = 16

    /// The TCP addresses of `host` (a name or a numeric address) and `port`, in the resolver's
    /// order; or the resolver's reason. Blocks while the resolver works (the caller bounds it).
    static func resolve(_ host: String, port: Int) -> Result<[Address], ResolveError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            return .failure(ResolveError(text: status == EAI_SYSTEM ? errorText(errno) : String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(list) }
        var out: [Address] = []
        var next = list
        while let info = next, out.count < maximumAddresses {
            next = info.pointee.ai_next
            guard let raw = info.pointee.ai_addr, info.pointee.ai_addrlen <= socklen_t(MemoryLayout<sockaddr_storage>.size),
                  info.pointee.ai_family == AF_INET || info.pointee.ai_family == AF_INET6 else { continue }
            var address = Address(length: info.pointee.ai_addrlen, family: info.pointee.ai_family)
            withUnsafeMutableBytes(of: &address.storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: Int(info.pointee.ai_addrlen))) }
            out.append(address)
        }
        return out.isEmpty ? .failure(ResolveError(text: "no IPv4 or IPv6 address")) : .success(out)
    }

    /// Why a name did not resolve, in the resolver's words.
    struct ResolveError: Error {
        var text: String
    }

    /// The bytes of a resolved address: 4 for IPv4, 16 for IPv6.
    static func bytes(of address: Address) -> [UInt8] {
        withUnsafePointer(to: address.storage) { storage in
            if address.family == AF_INET {
                return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
            }
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
        }
    }

    /// Whether `host` is a numeric IPv4 or IPv6 address.
    static func isNumericAddress(_ host: String) -> Bool { addressBytes(host) != nil }

    /// The bytes of a numeric address: 4 for IPv4, 16 for IPv6; `nil` for a name.
    static func addressBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// A non-blocking TCP socket with a connection to `address` under way, or the `errno` of
    /// the failure.
    static func startConnecting(_ address: Address) -> Result<Int32, ConnectError> {
        #if canImport(Darwin)
        let fd = socket(address.family, SOCK_STREAM, 0)
        #else
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { return .failure(ConnectError(code: errno)) }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #endif
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if result != 0 && errno != EINPROGRESS {
            let code = errno
            close(fd)
            return .failure(ConnectError(code: code))
        }
        return .success(fd)
    }

    /// A failed connection attempt's `errno`.
    struct ConnectError: Error {
        var code: Int32
        var isRefused: Bool { code == ECONNREFUSED }
        var text: String { Platform.errorText(code) }
    }

    /// Waits until `deadline` for `fd` to be writable (or readable); `false` on timeout. A
    /// signal does not restart the wait from the start: the time left is worked out again.
    static func wait(_ fd: Int32, writable: Bool, until deadline: ContinuousClock.Instant) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            let milliseconds = left <= .zero ? 0 : Int((left.inSeconds * 1000).rounded(.up))
            let ready = poll(&descriptor, 1, Int32(clamping: milliseconds))
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
