import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPSupport

/// The few HTTP calls modelctl's runtime makes, over URLSession, with a hard deadline and
/// errors that name the URL.
enum HTTPClient {
    /// Sends one request and reads the whole answer, whatever its status.
    ///
    /// - Parameter timeout: seconds for the whole exchange, enforced exactly.
    /// - Throws: ``RuntimeError`` `timeout` or `backendUnreachable`, naming the URL.
    static func send(method: String, url: URL, body: [UInt8]? = nil, headers: [String: String] = [:], timeout: Double) async throws(RuntimeError) -> HTTPResponse {
        let outcome = await HTTPTransport.send(method: method, url: url, body: body, headers: headers, timeout: timeout)
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
