import CLibSSL
import SystemSupport
import Synchronization

/// One TCP connection, plain or TLS, whose every wait ends at one deadline. Every error it
/// throws names the request's URL (`target`).
///
/// TLS goes through OpenSSL over memory buffers: the socket stays this type's own (its
/// deadline, `MSG_NOSIGNAL`), and OpenSSL only encrypts, decrypts and checks the certificate.
final class Connection {
    private let fd: Int32
    private let target: String
    private let deadline: ContinuousClock.Instant
    /// What a wait past the deadline throws.
    private let timedOut: HTTPError
    private var tls: TLSState?
    /// The peer closed its side.
    private var ended = false
    /// TLS ended with the peer's close_notify: the stream is known to be whole.
    private(set) var closedCleanly = false
    /// Whether this connection is TLS.
    var isTLS: Bool { tls != nil }
    /// Whether the address connected to is this machine's loopback, with no proxy between:
    /// decided by the address the socket reached, whatever the host's name.
    let reachedLoopback: Bool
    /// Where bytes from the socket land first (allocated once connected: a failed init runs no deinit).
    private let scratch: UnsafeMutableRawBufferPointer
    /// Where plaintext from OpenSSL lands first.
    private let plain: UnsafeMutableRawBufferPointer

    private struct TLSState {
        var ssl: OpaquePointer
        /// Ciphertext from the network, read by OpenSSL.
        var incoming: OpaquePointer
        /// Ciphertext OpenSSL wants sent.
        var outgoing: OpaquePointer
    }

    /// The whole TCP connection: every address of `host` (or of the proxy) in turn until one
    /// answers; through a proxy, a TLS connection first asks it for a `CONNECT` tunnel.
    ///
    /// - Parameters:
    ///   - trust: the TLS settings, or `nil` for plain HTTP.
    ///   - proxy: the proxy to connect to instead of `host`, or `nil`.
    init(host: String, port: Int, trust: TrustSettings?, proxy: Proxy? = nil, target: String, deadline: ContinuousClock.Instant,
         timedOut: HTTPError) throws(HTTPError) {
        self.target = target
        self.deadline = deadline
        self.timedOut = timedOut
        // Messages about connecting name the proxy when there is one.
        let (peer, peerPort) = proxy.map { ($0.host, $0.port) } ?? (host, port)
        let through = proxy.map { " (the proxy \($0.display))" } ?? ""  // for a name that does not resolve
        let addresses: [Platform.Address]
        switch Platform.resolve(peer, port: peerPort) {
        case .success(let found): addresses = found
        case .failure(let reason): throw HTTPError(.unreachable, "\(target): cannot resolve the host name '\(peer)'\(through): \(reason.text)")
        }
        var refused = false
        var lastProblem = "no address answered"
        var connected: (fd: Int32, address: Platform.Address)?
        for (index, address) in addresses.enumerated() {
            let fd: Int32
            switch Platform.startConnecting(address) {
            case .success(let made): fd = made
            case .failure(let error):
                refused = refused || error.isRefused
                lastProblem = error.text
                continue
            }
            // Each address gets its share of the time left, so one whose packets are dropped
            // (a dead IPv6 route) does not use up the deadline of those after it.
            let left = ContinuousClock.now.duration(to: deadline)
            let share = left / (addresses.count - index)
            guard Platform.wait(fd, writable: true, until: .now + share) else {
                Platform.closeSocket(fd)
                if ContinuousClock.now >= deadline { throw timedOut }
                lastProblem = "no answer within \(share.secondsText)"
                continue
            }
            let code = Platform.connectionError(fd)
            if code == 0 {
                connected = (fd, address)
                break
            }
            Platform.closeSocket(fd)
            let error = Platform.ConnectError(code: code)
            refused = refused || error.isRefused
            lastProblem = error.text
        }
        guard let (fd, address) = connected else {
            if let proxy {
                throw HTTPError(.unreachable, refused ? "\(target): the proxy \(proxy.display) refused the connection (is it running? check the proxy setting)"
                    : "\(target): cannot connect to the proxy \(proxy.display): \(lastProblem)")
            }
            throw HTTPError(.unreachable, refused ? "\(target): connection refused (is the server running?)" : "\(target): cannot connect: \(lastProblem)")
        }
        self.fd = fd
        reachedLoopback = proxy == nil && HostName.isLoopback(address: Platform.bytes(of: address))
        scratch = .allocate(byteCount: 16 * 1024, alignment: 16)
        plain = .allocate(byteCount: 16 * 1024, alignment: 16)
        if let trust {
            if let proxy { try openTunnel(to: host, port: port, through: proxy) }
            try startTLS(host: host, trust: trust)
        }
    }

    deinit {
        if let tls { SSL_free(tls.ssl) }  // frees both memory buffers too
        Platform.closeSocket(fd)
        scratch.deallocate()
        plain.deallocate()
    }

    /// Sends all of `bytes`.
    func write(_ bytes: [UInt8]) throws(HTTPError) {
        guard let tls else {
            let failure = bytes.withUnsafeBytes { raw -> HTTPError? in
                do throws(HTTPError) { try sendRaw(raw) } catch { return error }
                return nil
            }
            if let failure { throw failure }
            return
        }
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = bytes.withUnsafeBytes { SSL_write(tls.ssl, $0.baseAddress! + offset, Int32(clamping: bytes.count - offset)) }
            if n > 0 {
                offset += Int(n)
                try flushTLS()
                continue
            }
            switch SSL_get_error(tls.ssl, n) {
            case SSL_ERROR_WANT_READ:
                try flushTLS()
                guard try fillTLS() else { throw closedEarly() }
            case SSL_ERROR_WANT_WRITE:
                try flushTLS()
            default:
                throw tlsFailure("sending the request")
            }
        }
    }

    /// Appends what has arrived to `received`, waiting for something when nothing has: the
    /// count appended, 0 at the end of the stream.
    func read(appendingTo received: inout [UInt8]) throws(HTTPError) -> Int {
        let buffer = tls == nil ? scratch : plain
        let n = try read(into: buffer)
        received.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        guard let tls else { return try receiveRaw(buffer) }
        while true {
            ERR_clear_error()
            let n = SSL_read(tls.ssl, buffer.baseAddress, Int32(clamping: buffer.count))
            if n > 0 { return Int(n) }
            switch SSL_get_error(tls.ssl, n) {
            case SSL_ERROR_ZERO_RETURN:
                closedCleanly = true
                return 0
            case SSL_ERROR_WANT_READ:
                try flushTLS()
                // A peer that closes without TLS's close_notify ends the stream here; the HTTP
                // framing (Content-Length, the last chunk, else ``closedCleanly``) then judges
                // whether the body is whole.
                guard try fillTLS() else { return 0 }
            case SSL_ERROR_WANT_WRITE:
                try flushTLS()
            default:
                if ended { return 0 }
                throw tlsFailure("reading the answer")
            }
        }
    }

    // MARK: - A tunnel through a proxy

    /// Asks `proxy` for a tunnel to `host:port` (`CONNECT`) and reads its answer: any 2xx opens it.
    private func openTunnel(to host: String, port: Int, through proxy: Proxy) throws(HTTPError) {
        let authority = HostName.authority(host, port: port)
        var head = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let authorization = proxy.authorization { head += "Proxy-Authorization: \(authorization)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8))  // plain: TLS starts once the tunnel is open
        var answer: [UInt8] = []
        while HTTPExchange.find([13, 10, 13, 10], in: answer) == nil {
            guard answer.count < HTTPExchange.maximumHeaderBytes else {
                throw HTTPError(.malformed, "\(target): the proxy \(proxy.display) answered CONNECT with headers over \(HTTPExchange.maximumHeaderBytes) bytes")
            }
            let n = try receiveRaw(scratch)
            guard n > 0 else { throw HTTPError(.unreachable, "\(target): the proxy \(proxy.display) closed the connection instead of opening a tunnel") }
            answer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
        }
        let end = HTTPExchange.find([13, 10, 13, 10], in: answer)! + 4
        let statusLine = String(decoding: answer.prefix { $0 != 13 }, as: UTF8.self)
        let fields = statusLine.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), let status = Int(fields[1]) else {
            throw HTTPError(.malformed, "\(target): the proxy \(proxy.display) answered CONNECT with something that is not HTTP")
        }
        guard (200...299).contains(status) else {
            throw HTTPError(.unreachable, "\(target): the proxy \(proxy.display) refused the tunnel: \(HTTPClient.excerpt(statusLine, limit: 120))"
                + (status == 407 ? " (put the credentials in the proxy URL: http://user:password@host:port)" : ""))
        }
        // The server speaks only after the client's first TLS message: nothing may follow the head.
        guard answer.count == end else {
            throw HTTPError(.malformed, "\(target): the proxy \(proxy.display) sent bytes after opening the tunnel")
        }
    }

    // MARK: - TLS

    private func startTLS(host: String, trust: TrustSettings) throws(HTTPError) {
        let context = try trust.context(target: target)
        let (ssl, incoming, outgoing) = (SSL_new(context), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()))
        guard let ssl, let incoming, let outgoing else {
            SSL_free(ssl)
            BIO_free(incoming)
            BIO_free(outgoing)
            throw HTTPError(.unreachable, "\(target): cannot start TLS (out of memory)")
        }
        SSL_set_bio(ssl, incoming, outgoing)
        tls = TLSState(ssl: ssl, incoming: incoming, outgoing: outgoing)
        SSL_set_connect_state(ssl)
        // The certificate must name the host: a DNS name (also sent as SNI) or an IP address.
        let named = Platform.isNumericAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
            : (modelctl_ssl_set_server_name(ssl, host), SSL_set1_host(ssl, host)).1
        guard named == 1 else {
            ERR_clear_error()
            throw HTTPError(.unreachable, "\(target): cannot set up the TLS check of the host name '\(host)'")
        }
        while true {
            ERR_clear_error()
            let n = SSL_connect(ssl)
            try flushTLS()
            if n == 1 { return }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_READ:
                guard try fillTLS() else {
                    throw HTTPError(.unreachable, "\(target): the server closed the connection during the TLS handshake (is it serving https on this port?)")
                }
            case SSL_ERROR_WANT_WRITE:
                continue
            default:
                throw tlsFailure("the TLS handshake")
            }
        }
    }

    /// Sends whatever ciphertext OpenSSL has queued.
    private func flushTLS() throws(HTTPError) {
        guard let tls else { return }
        while BIO_ctrl_pending(tls.outgoing) > 0 {
            let n = BIO_read(tls.outgoing, scratch.baseAddress, Int32(scratch.count))
            guard n > 0 else { break }
            try sendRaw(UnsafeRawBufferPointer(rebasing: scratch[0..<Int(n)]))
        }
    }

    /// Hands OpenSSL the next ciphertext from the network; `false` at the end of the stream.
    private func fillTLS() throws(HTTPError) -> Bool {
        guard let tls, !ended else { return false }
        let n = try receiveRaw(scratch)
        guard n > 0 else {
            modelctl_bio_set_eof_at_empty(tls.incoming)
            return false
        }
        _ = BIO_write(tls.incoming, scratch.baseAddress, Int32(n))
        return true
    }

    /// Why TLS failed: an untrusted or mismatched certificate in words, or OpenSSL's reason.
    private func tlsFailure(_ during: String) -> HTTPError {
        if let tls {
            let verdict = SSL_get_verify_result(tls.ssl)
            if verdict != X509_V_OK {
                let reason = String(cString: X509_verify_cert_error_string(verdict))
                return HTTPError(.unreachable, "\(target): the server's TLS certificate was refused: \(reason) "
                    + "(trust a private CA with SSL_CERT_FILE=/path/to/ca.pem)")
            }
        }
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return ended ? closedEarly() : HTTPError(.unreachable, "\(target): TLS failed during \(during)") }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        let reason = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return HTTPError(.unreachable, "\(target): TLS failed during \(during): \(reason)")
    }

    // MARK: - The socket

    private func sendRaw(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) {
        var offset = 0
        while offset < bytes.count {
            guard Platform.wait(fd, writable: true, until: deadline) else { throw timedOut }
            guard let sent = Platform.send(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...])) else { throw closedEarly() }
            offset += sent
        }
    }

    private func receiveRaw(_ buffer: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        while true {
            // Past the deadline nothing more is read, even from a server that never pauses.
            guard ContinuousClock.now < deadline, Platform.wait(fd, writable: false, until: deadline) else { throw timedOut }
            guard let n = Platform.receive(fd, buffer) else { throw closedEarly() }
            if n < 0 { continue }
            if n == 0 { ended = true }
            return n
        }
    }

    private func closedEarly() -> HTTPError {
        HTTPError(.unreachable, "\(target): the server closed the connection without answering")
    }

}

/// How TLS certificates are checked: against the system's trust store (OpenSSL's default
/// locations, which `SSL_CERT_FILE` and `SSL_CERT_DIR` replace), or against one CA file. The
/// OpenSSL context is made on first use (reading the trust store takes a few milliseconds) and
/// shared by every connection after it.
final class TrustSettings: @unchecked Sendable {
    let caFile: String?
    private let made = Mutex<OpaquePointer?>(nil)

    init(caFile: String?) { self.caFile = caFile }

    deinit { made.withLock { if let context = $0 { SSL_CTX_free(context) } } }

    func context(target: String) throws(HTTPError) -> OpaquePointer {
        let result: Result<OpaquePointer, HTTPError> = made.withLock { made in
            if let made { return .success(made) }
            guard let context = SSL_CTX_new(TLS_client_method()) else {
                return .failure(HTTPError(.unreachable, "\(target): cannot start TLS (OpenSSL could not make a context)"))
            }
            _ = modelctl_ssl_ctx_require_tls12(context)
            modelctl_ssl_ctx_ignore_unexpected_eof(context)
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            let loaded = caFile.map { SSL_CTX_load_verify_locations(context, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context)
            guard loaded == 1 else {
                ERR_clear_error()
                SSL_CTX_free(context)
                return .failure(HTTPError(.unreachable, "\(target): cannot read the TLS trust store\(caFile.map { " '\($0)'" } ?? "")"))
            }
            made = context
            return .success(context)
        }
        return try result.get()
    }
}
