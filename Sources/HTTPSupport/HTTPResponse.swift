/// A finished HTTP exchange: the status and the whole (bounded) body.
public struct HTTPResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// The whole body, decoded from any transfer or content coding.
    public var body: [UInt8]
    /// The secret headers (lowercased names) that were left out because a connection went over
    /// plain http to an address other than the loopback (see ``HTTPClient/send(method:url:headers:secretHeaders:body:timeout:maxBodyBytes:)``).
    public var withheldHeaders: Set<String>

    /// A response from values.
    public init(status: Int, body: [UInt8], withheldHeaders: Set<String> = []) {
        self.status = status
        self.body = body
        self.withheldHeaders = withheldHeaders
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is in 200...299.
    public var isSuccess: Bool { (200...299).contains(status) }
}
