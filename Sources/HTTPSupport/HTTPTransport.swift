public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// A finished HTTP exchange: the status and the whole body.
public struct HTTPResponse: Sendable {
    /// The HTTP status code (0 when the answer carried none).
    public var status: Int
    /// The whole body.
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// One HTTP request over URLSession with an exact deadline; the catalog and the runtime build
/// their own error messages on top.
public enum HTTPTransport {
    /// Sends one request and reads the whole answer, whatever its status.
    ///
    /// FoundationNetworking on Linux truncates timeouts to whole seconds (0.5 s would mean no
    /// time at all), so the session gets a generous whole-second timeout and a deadline
    /// enforces the exact one: whichever of the answer and the deadline comes first wins.
    ///
    /// - Parameter timeout: seconds for the whole exchange.
    /// - Returns: the response, or the error: a `URLError` (`.timedOut` when the deadline
    ///   passed, `.cannotConnectToHost`, ...) or any other transport error.
    public static func send(method: String = "GET", url: URL, body: [UInt8]? = nil, headers: [String: String] = [:],
                            timeout: Double) async -> Result<HTTPResponse, any Error> {
        let sessionTimeout = (timeout + 1).rounded(.up)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: sessionTimeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = sessionTimeout
        configuration.timeoutIntervalForResource = sessionTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }

        typealias Outcome = Result<HTTPResponse, any Error>
        return await withCheckedContinuation { continuation in
            let slot = Mutex<CheckedContinuation<Outcome, Never>?>(continuation)
            let finish: @Sendable (Outcome) -> Void = { result in
                slot.withLock { pending in
                    pending?.resume(returning: result)
                    pending = nil
                }
            }
            let task = session.dataTask(with: request) { data, response, error in
                if let error {
                    finish(.failure(error))
                } else {
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    finish(.success(HTTPResponse(status: status, body: Array(data ?? Data()))))
                }
            }
            task.resume()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                finish(.failure(URLError(.timedOut)))
                task.cancel()
            }
        }
    }
}
