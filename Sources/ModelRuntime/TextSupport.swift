import Foundation
import HTTPSupport

/// Collapses whitespace and control characters and cuts `text` to `limit` characters (with `...`).
func excerpt(_ text: String, limit: Int = 200) -> String {
    HTTPClient.excerpt(text, limit: limit)
}

/// The current time, UTC ISO 8601 to the second (`2025-06-01T12:34:56Z`).
func utcTimestamp() -> String {
    Date().formatted(.iso8601)
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
