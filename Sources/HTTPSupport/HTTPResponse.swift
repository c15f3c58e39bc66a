/// A finished HTTP exchange: the status and the whole (bounded) body.
public struct HTTPResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// The whole body, decoded from any transfer or content coding.
    public var body: [UInt8]

    /// A response from values.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is in 200...299.
    public var isSuccess: Bool { (200...299).contains(status) }
}
