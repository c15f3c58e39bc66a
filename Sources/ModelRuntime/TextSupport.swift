import Foundation
import HTTPSupport
import ModelRegistry

/// Collapses whitespace and control characters and cuts `text` to `limit` characters (with `...`).
func excerpt(_ text: String, limit: Int = 200) -> String {
    HTTPClient.excerpt(text, limit: limit)
}

/// The current time, UTC ISO 8601 to the second (`2025-06-01T12:34:56Z`), as every registry
/// and state timestamp is written (``Timestamp``).
func utcTimestamp() -> String {
    Timestamp.utc(Date())
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
