public import Foundation
import SystemSupport
import Synchronization

/// The HTTP client of modelctl: HTTP/1.1 over its own sockets, TLS through OpenSSL, an exact
/// deadline for the whole exchange, a bounded body, and one typed error (``HTTPError``) whose
/// message names the URL.
///
/// - The deadline covers everything: resolving the name, connecting, TLS, sending, the headers
///   and the body. When it passes, the call returns ``HTTPError/Code/timeout`` at once.
/// - The body is counted as it arrives, and reading stops as soon as it passes `maxBodyBytes`
///   (``HTTPError/Code/tooLarge``); a `Content-Length` above the limit is refused before any of
///   the body is read. Requests ask for `identity` encoding; a compressed answer is refused.
/// - Redirects are followed to `http` and `https` URLs only, at most ``maximumRedirects`` times;
///   a redirect to any other scheme (`file:`, `ftp:`) stops the exchange at once with
///   ``HTTPError/Code/redirectRefused``. `X-API-Key`, `Authorization` and `Cookie` are dropped
///   when a redirect leaves the origin (scheme, host, port) of the request, as are the
///   request's secret headers, which plain http carries only to a loopback address it reached.
/// - `https` checks the server's certificate against the system's trust store (OpenSSL's
///   default locations; `SSL_CERT_FILE` or `SSL_CERT_DIR` name others) and the URL's host name
///   or IP address.
/// - Requests go through the proxies of ``ProxySettings`` (plain HTTP forwarded, https through
///   a `CONNECT` tunnel), except to loopback hosts and those in ``ProxySettings/noProxy``.
///
/// ```swift
/// let response = try await HTTPClient.shared.get(url, timeout: .seconds(3))
/// ```
public final class HTTPClient: Sendable {
    /// The process-wide client: no proxies and the system's trust store until the program
    /// installs its own with ``useShared(_:)`` (the command line does, with the proxies the
    /// environment names).
    public static var shared: HTTPClient { sharedClient.withLock { $0 } }
    private static let sharedClient = Mutex(HTTPClient())

    /// Makes `client` the process-wide ``shared`` client.
    public static func useShared(_ client: HTTPClient) {
        sharedClient.withLock { $0 = client }
    }

    /// The default body limit, 4 MiB: room for any JSON document modelctl reads.
    public static let defaultMaxBodyBytes = 4 << 20
    /// The longest deadline the client accepts (one day); longer ones are cut to it.
    public static let maximumTimeout: Duration = .seconds(86_400)
    /// How many redirects are followed before the exchange fails.
    public static let maximumRedirects = 5

    private let trust: TrustSettings
    private let proxies: ProxySettings

    /// A client that trusts the system's certificate authorities, or only those in `caFile`
    /// (a PEM file) when it is given, and goes through `proxies`.
    public init(caFile: String? = nil, proxies: ProxySettings = ProxySettings()) {
        trust = TrustSettings(caFile: caFile)
        self.proxies = proxies
    }

    /// Sends one request and reads the whole answer, whatever its status.
    ///
    /// - Parameters:
    ///   - timeout: the deadline for the whole exchange (cut to 1 ms ... ``maximumTimeout``).
    ///   - maxBodyBytes: the largest body accepted.
    ///   - secretHeaders: headers sent like `headers` over https, but over plain http only on a
    ///     connection that reached a loopback address directly (decided by the address
    ///     connected to, never by the host's name); otherwise left out and named in
    ///     ``HTTPResponse/withheldHeaders``.
    /// - Throws: ``HTTPError`` (`invalidURL`, `unreachable`, `timeout`, `tooLarge`, `malformed`,
    ///   `redirectRefused`), its message starting with the URL.
    public func send(
        method: String = "GET", url: URL, headers: [String: String] = [:], secretHeaders: [String: String] = [:], body: [UInt8]? = nil,
        timeout: Duration, maxBodyBytes: Int = HTTPClient.defaultMaxBodyBytes
    ) async throws(HTTPError) -> HTTPResponse {
        let target = url.redactedText
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else {
            throw HTTPError(.invalidURL, "\(target): not an http or https URL with a host")
        }
        let timeout = min(max(timeout, .milliseconds(1)), Self.maximumTimeout)
        let timedOut = HTTPError(.timeout, "\(target): no answer within \(timeout.secondsText) (timed out)")
        let all = headers.merging(secretHeaders) { _, secret in secret }
        let exchange = HTTPExchange(
            method: method, url: url, headers: all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            secretHeaders: Set(secretHeaders.keys.map { $0.lowercased() }), body: body,
            target: target, deadline: .now + timeout, timedOut: timedOut, maxBodyBytes: max(0, maxBodyBytes), trust: trust,
            proxies: proxies)
        // The exchange blocks in poll and the resolver, so it runs as a blocking call of the
        // executor, on a thread beyond those hashing uses (two slow servers never hold up a
        // third, fast one). The timer answers for it when the resolver (which no deadline
        // reaches) is still busy.
        var timer: Task<Void, Never>?
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) in
            let once = Once(continuation)
            BlockingExecutor.shared.execute { once.resume(Self.follow(exchange)) }
            timer = Task {
                try? await Task.sleep(for: timeout + .milliseconds(50))
                if !Task.isCancelled { once.resume(.failure(timedOut)) }
            }
        }
        timer?.cancel()
        return try result.get()
    }

    /// Runs `first` and the redirects it leads to.
    static func follow(_ first: HTTPExchange) -> Result<HTTPResponse, HTTPError> {
        var exchange = first
        var redirects = 0
        var withheld = Set<String>()
        while true {
            let answer: HTTPExchange.Answer
            switch exchange.perform() {
            case .success(let done): answer = done
            case .failure(let error): return .failure(error)
            }
            withheld.formUnion(answer.withheld)
            guard [301, 302, 303, 307, 308].contains(answer.status), let location = answer.location else {
                return .success(HTTPResponse(status: answer.status, body: answer.body, withheldHeaders: withheld))
            }
            let destination = URL(string: location, relativeTo: exchange.url)?.absoluteURL
            let shown = destination?.redactedText ?? excerpt(location, limit: 200)
            guard let destination, let scheme = destination.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  destination.host?.isEmpty == false
            else {
                return .failure(HTTPError(.redirectRefused, "\(first.target): redirected (HTTP \(answer.status)) to \(shown): "
                    + "only http and https redirects are followed; stopped at this first refused redirect"))
            }
            redirects += 1
            guard redirects <= maximumRedirects else {
                return .failure(HTTPError(.redirectRefused, "\(first.target): more than \(maximumRedirects) redirects (the last to \(shown))"))
            }
            // 303, and 301 or 302 after a POST, continue as a GET without the body (as browsers do).
            if answer.status == 303 || (exchange.method == "POST" && (answer.status == 301 || answer.status == 302)) {
                exchange.method = "GET"
                exchange.body = nil
            }
            // Credentials stay with the origin they were meant for.
            let from = exchange.url
            if from.scheme?.lowercased() != scheme || from.host?.lowercased() != destination.host?.lowercased() || from.port != destination.port {
                exchange.headers.removeAll { ["x-api-key", "authorization", "cookie"].contains($0.name.lowercased()) || exchange.secretHeaders.contains($0.name.lowercased()) }
            }
            exchange.url = destination
        }
    }

    /// GETs `url` and returns the answer when its status is 2xx.
    ///
    /// - Throws: ``HTTPError``: what ``send(method:url:headers:secretHeaders:body:timeout:maxBodyBytes:)``
    ///   throws, or `status` (`URL: HTTP 503: <start of the body>`) for any other status.
    public func get(
        _ url: URL, headers: [String: String] = [:], secretHeaders: [String: String] = [:], timeout: Duration,
        maxBodyBytes: Int = HTTPClient.defaultMaxBodyBytes
    ) async throws(HTTPError) -> HTTPResponse {
        let response = try await send(url: url, headers: headers, secretHeaders: secretHeaders, timeout: timeout, maxBodyBytes: maxBodyBytes)
        guard response.isSuccess else {
            let detail = Self.excerpt(response.bodyText, limit: 200)
            throw HTTPError(.status, "\(url.redactedText): HTTP \(response.status)\(detail.isEmpty ? "" : ": " + detail)")
        }
        return response
    }

    /// Collapses whitespace and control characters and cuts `text` to `limit` characters (with `...`).
    public static func excerpt(_ text: String, limit: Int) -> String {
        let collapsed = text.split { $0.isWhitespace || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }
            .joined(separator: " ")
        return collapsed.count > limit ? String(collapsed.prefix(limit)) + "..." : collapsed
    }
}

/// Resumes a continuation once: whichever of the exchange and its timer finishes first.
private final class Once: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>?>

    init(_ continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<HTTPResponse, HTTPError>) {
        continuation.withLock { pending in
            pending?.resume(returning: result)
            pending = nil
        }
    }
}
