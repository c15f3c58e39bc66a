public import ErrorSupport
/// Why an HTTP exchange failed. Every message starts with the URL it is about.
///
/// Errors compare equal by ``code`` alone:
///
/// ```swift
/// #expect(throws: HTTPError(.timeout)) { try await HTTPClient.shared.send(url: url, timeout: .seconds(1)) }
/// ```
public struct HTTPError: CodedError {
    /// The kind of failure.
    public enum Code: Hashable, Sendable {
        /// The URL cannot be requested (no http(s) scheme, no host, a scheme this client does not speak).
        case invalidURL
        /// The server could not be reached: connection refused, unknown host, no route.
        case unreachable
        /// No complete answer within the deadline (connect, send, headers, body and decoding together).
        case timeout
        /// The server answered with a status outside 200...299 (from ``HTTPClient/get(_:headers:timeout:maxBodyBytes:)``).
        case status
        /// The answer's body is larger than the caller's limit.
        case tooLarge
        /// The answer is not valid HTTP, the connection closed early, or (set by callers) the body
        /// is not the document that was expected.
        case malformed
        /// The server redirected to a URL this client refuses to follow (another scheme, such as `file:`).
        case redirectRefused
    }

    /// The kind of failure; errors compare equal by it.
    public let code: Code
    /// The full message, starting with the URL.
    public let message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }
}
