public import Foundation
import FileSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// The HTTP client of modelctl: one shared session, an exact deadline for the whole exchange,
/// a bounded body, and one typed error (``HTTPError``) whose message names the URL.
///
/// - The deadline covers everything: connecting, sending, the headers, the body and its
///   decompression. When it passes, the call returns ``HTTPError/Code/timeout`` at once and
///   the transfer is cancelled.
/// - The body is counted as it arrives (after decompression), and the transfer is stopped as
///   soon as it passes `maxBodyBytes` (``HTTPError/Code/tooLarge``); a `Content-Length` above the
///   limit is refused before any of the body is read. Requests ask for `identity` encoding.
/// - Redirects are followed to `http` and `https` URLs only, at most ``maximumRedirects`` times;
///   a redirect to any other scheme (`file:`, `ftp:`) stops the exchange at once with
///   ``HTTPError/Code/redirectRefused``. `X-API-Key`, `Authorization` and `Cookie` are dropped
///   when a redirect leaves the origin (scheme, host, port) of the request.
/// - `http://` URLs whose host is an IPv6 literal (`http://[::1]:24001/v1`) are sent over a
///   plain socket, because FoundationNetworking on Linux cannot connect to them.
///
/// ```swift
/// let response = try await HTTPClient.shared.get(url, timeout: .seconds(3))
/// ```
public final class HTTPClient: Sendable {
    /// The process-wide client; its session is reused across requests.
    public static let shared = HTTPClient()

    /// The default body limit, 4 MiB: room for any JSON document modelctl reads.
    public static let defaultMaxBodyBytes = 4 << 20
    /// The longest deadline the client accepts (one day); longer ones are cut to it.
    public static let maximumTimeout: Duration = .seconds(86_400)
    /// How many redirects are followed before the exchange fails.
    public static let maximumRedirects = 5

    private let router: SessionRouter
    private let session: URLSession

    /// A client with a session of its own (tests; the CLI uses ``shared``).
    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.timeoutIntervalForResource = Self.maximumTimeout.inSeconds + 60
        router = SessionRouter()
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends one request and reads the whole answer, whatever its status.
    ///
    /// - Parameters:
    ///   - timeout: the deadline for the whole exchange (cut to 1 ms ... ``maximumTimeout``).
    ///   - maxBodyBytes: the largest body accepted, after decompression.
    /// - Throws: ``HTTPError`` (`invalidURL`, `unreachable`, `timeout`, `tooLarge`, `malformed`,
    ///   `redirectRefused`), its message starting with the URL.
    public func send(
        method: String = "GET", url: URL, headers: [String: String] = [:], body: [UInt8]? = nil,
        timeout: Duration, maxBodyBytes: Int = HTTPClient.defaultMaxBodyBytes
    ) async throws(HTTPError) -> HTTPResponse {
        let target = url.redactedText
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else {
            throw HTTPError(.invalidURL, "\(target): not an http or https URL with a host")
        }
        let timeout = min(max(timeout, .milliseconds(1)), Self.maximumTimeout)
        let limit = max(0, maxBodyBytes)
        if host.contains(":") && !Platform.urlSessionConnectsToIPv6Literals {
            guard scheme == "http" else {
                throw HTTPError(.invalidURL, "\(target): https to an IPv6 address literal is not supported on this platform; use a host name")
            }
            let exchange = SocketExchange(
                method: method, url: url, host: host, headers: headers, body: body, timeout: timeout, maxBodyBytes: limit)
            return try await exchange.run()
        }

        var request = URLRequest(
            url: url, cachePolicy: .reloadIgnoringLocalCacheData,
            // FoundationNetworking truncates timeouts to whole seconds (0.5 s would mean none), so the
            // session gets a generous whole second one and the deadline below enforces the exact one.
            timeoutInterval: (timeout.inSeconds + 1).rounded(.up))
        request.httpMethod = method
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }

        let task = session.dataTask(with: request)
        let result = await withCheckedContinuation { continuation in
            router.register(task, Exchange(url: target, timeout: timeout, limit: limit, continuation: continuation))
            task.resume()
            let router = self.router
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.inSeconds) {
                router.finish(task, .failure(HTTPError(.timeout, "\(target): no answer within \(timeout.secondsText) (timed out)")))
            }
        }
        return try result.get()
    }

    /// GETs `url` and returns the answer when its status is 2xx.
    ///
    /// - Throws: ``HTTPError``: what ``send(method:url:headers:body:timeout:maxBodyBytes:)``
    ///   throws, or `status` (`URL: HTTP 503: <start of the body>`) for any other status.
    public func get(
        _ url: URL, headers: [String: String] = [:], timeout: Duration, maxBodyBytes: Int = HTTPClient.defaultMaxBodyBytes
    ) async throws(HTTPError) -> HTTPResponse {
        let response = try await send(url: url, headers: headers, timeout: timeout, maxBodyBytes: maxBodyBytes)
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

/// One exchange in flight on the shared session.
struct Exchange {
    var url: String
    var timeout: Duration
    var limit: Int
    var continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>
    var status = 0
    var body: [UInt8] = []
    var redirects = 0
}

/// The session's delegate: routes each task's events to its ``Exchange`` and finishes it once.
final class SessionRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let exchanges = Mutex<[Int: Exchange]>([:])

    func register(_ task: URLSessionTask, _ exchange: Exchange) {
        exchanges.withLock { $0[task.taskIdentifier] = exchange }
    }

    /// Resumes the exchange's caller with `result` (only the first time) and cancels the task.
    func finish(_ task: URLSessionTask, _ result: Result<HTTPResponse, HTTPError>) {
        let exchange = exchanges.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        guard let exchange else { return }
        exchange.continuation.resume(returning: result)
        if case .failure = result { task.cancel() }
    }

    private func exchange(_ task: URLSessionTask) -> Exchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let tooLarge: Exchange? = exchanges.withLock { all in
            guard var exchange = all[dataTask.taskIdentifier] else { return nil }
            exchange.status = status
            all[dataTask.taskIdentifier] = exchange
            return response.expectedContentLength > Int64(exchange.limit) ? exchange : nil
        }
        if let tooLarge {
            completionHandler(.cancel)
            finish(dataTask, .failure(HTTPError(.tooLarge, "\(tooLarge.url): the answer's body (\(response.expectedContentLength) bytes) is larger than the limit of \(tooLarge.limit) bytes; nothing of it was read")))
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflow: Exchange? = exchanges.withLock { all in
            let id = dataTask.taskIdentifier
            guard let count = all[id]?.body.count, let limit = all[id]?.limit else { return nil }
            if count + data.count > limit { return all[id] }
            // Appended in place: a copy of the exchange would copy the whole body for every
            // chunk (quadratic), and chunks would queue up unprocessed meanwhile.
            all[id]?.body.append(contentsOf: data)
            return nil
        }
        if let overflow {
            finish(dataTask, .failure(HTTPError(.tooLarge, "\(overflow.url): the answer's body is larger than the limit of \(overflow.limit) bytes; stopped reading")))
        }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        // FoundationNetworking rewrites a Location of another scheme onto the current origin
        // (`file:///etc/passwd` becomes `http://host/etc/passwd`), so judge the header itself.
        let location = response.value(forHTTPHeaderField: "Location")
        let destination = location.flatMap { URL(string: $0, relativeTo: response.url)?.absoluteURL } ?? request.url
        let target = destination?.redactedText ?? "(no URL)"
        let scheme = destination?.scheme?.lowercased()
        let refusal: String? = exchanges.withLock { all in
            guard var exchange = all[task.taskIdentifier] else { return nil }
            guard scheme == "http" || scheme == "https" else {
                return "\(exchange.url): redirected (HTTP \(response.statusCode)) to \(target): only http and https redirects are followed; stopped at this first refused redirect"
            }
            exchange.redirects += 1
            all[task.taskIdentifier] = exchange
            guard exchange.redirects <= HTTPClient.maximumRedirects else {
                return "\(exchange.url): more than \(HTTPClient.maximumRedirects) redirects (the last to \(target))"
            }
            return nil
        }
        if let refusal {
            completionHandler(nil)
            finish(task, .failure(HTTPError(.redirectRefused, refusal)))
            return
        }
        // Credentials stay with the origin they were meant for.
        var next = request
        if let destination { next.url = destination }
        let from = task.originalRequest?.url
        if from?.scheme?.lowercased() != scheme || from?.host?.lowercased() != next.url?.host?.lowercased() || from?.port != next.url?.port {
            for name in ["X-API-Key", "Authorization", "Cookie"] { next.setValue(nil, forHTTPHeaderField: name) }
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = exchange(task) else { return }
        if let error {
            finish(task, .failure(Self.describe(error, exchange: exchange)))
        } else {
            finish(task, .success(HTTPResponse(status: exchange.status, body: exchange.body)))
        }
    }

    /// The transport error as an ``HTTPError`` naming the URL: the one table of failure words.
    static func describe(_ error: any Error, exchange: Exchange) -> HTTPError {
        let url = exchange.url
        guard let urlError = error as? URLError else {
            return HTTPError(.unreachable, "\(url): request failed: \(error)")
        }
        switch urlError.code {
        case .timedOut:
            return HTTPError(.timeout, "\(url): no answer within \(exchange.timeout.secondsText) (timed out)")
        case .cannotConnectToHost:
            return HTTPError(.unreachable, "\(url): connection refused (is the server running?)")
        case .cannotFindHost, .dnsLookupFailed:
            return HTTPError(.unreachable, "\(url): cannot resolve the host name")
        case .networkConnectionLost:
            return HTTPError(.unreachable, "\(url): the server closed the connection without answering")
        case .badServerResponse:
            return HTTPError(.malformed, "\(url): the server's answer is not valid HTTP (it closed the connection or sent garbage)")
        case .badURL, .unsupportedURL:
            return HTTPError(.invalidURL, "\(url): this URL cannot be requested")
        case .httpTooManyRedirects:
            return HTTPError(.redirectRefused, "\(url): too many redirects")
        default:
            return HTTPError(.unreachable, "\(url): request failed: \(urlError.localizedDescription)")
        }
    }
}
