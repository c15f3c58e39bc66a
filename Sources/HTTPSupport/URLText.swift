public import Foundation

extension URL {
    /// The URL as text for messages: user information (`user:password@`) is written `***@`,
    /// so a credential written into a URL (`http://user:secret@host/`) is sent as the URL says
    /// but never printed.
    ///
    /// ```swift
    /// URL(string: "http://me:secret@gpu-box:8000/v1")!.redactedText   // "http://***@gpu-box:8000/v1"
    /// ```
    public var redactedText: String {
        let text = absoluteString
        guard user != nil || password != nil, let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        // The authority ends at the first '/', '?' or '#'; the user information at its last '@'.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<schemeEnd.upperBound]) + "***" + String(rest[at...])
    }
}
