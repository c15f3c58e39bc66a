import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// A finished HTTP exchange: the status and the whole body.
struct HTTPResponse: Sendable {
    var status: Int
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// The few HTTP calls modelctl's runtime makes, over URLSession, with a hard deadline and
/// errors that name the URL.
enum HTTPClient {
    /// Sends one request and reads the whole answer, whatever its status.
    ///
    /// - Parameter timeout: seconds for the whole exchange, enforced exactly.
    /// - Throws: ``RuntimeError`` `timeout` or `backendUnreachable`, naming the URL.
    static func send(method: String, url: URL, body: [UInt8]? = nil, headers: [String: String] = [:], timeout: Double) async throws(RuntimeError) -> HTTPResponse {
        // FoundationNetworking on Linux truncates timeouts to whole seconds (0.5 s would mean
        // no time at all), so the session gets a generous whole-second timeout and the
        // deadline below enforces the exact one.
        let sessionTimeout = (timeout + 1).rounded(.up)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: sessionTimeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = sessionTimeout
        configuration.timeoutIntervalForResource = sessionTimeout
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }

        typealias Outcome = Result<HTTPResponse, any Error>
        let outcome: Outcome = await withCheckedContinuation { continuation in
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
        switch outcome {
        case .success(let response):
            return response
        case .failure(let error as URLError):
            throw describe(error, url: url, timeout: timeout)
        case .failure(let error):
            throw RuntimeError(.backendUnreachable, "\(url.absoluteString): request failed: \(error)")
        }
    }

    private static func describe(_ error: URLError, url: URL, timeout: Double) -> RuntimeError {
        let target = url.absoluteString
        switch error.code {
        case .timedOut:
            return RuntimeError(.timeout, "\(target): no answer within \(formatSeconds(timeout)) (timed out)")
        case .cannotConnectToHost:
            return RuntimeError(.backendUnreachable, "\(target): cannot connect (connection refused; is the backend running?)")
        case .cannotFindHost, .dnsLookupFailed:
            return RuntimeError(.backendUnreachable, "\(target): cannot resolve the host name")
        case .networkConnectionLost:
            return RuntimeError(.backendUnreachable, "\(target): the connection was closed before an answer arrived")
        case .badServerResponse:
            return RuntimeError(.backendUnreachable, "\(target): the server's answer is not valid HTTP")
        default:
            return RuntimeError(.backendUnreachable, "\(target): request failed: \(error.localizedDescription)")
        }
    }
}
