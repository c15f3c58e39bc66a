import Foundation

/// `2 s`, `0.5 s`, `180 s`.
func formatSeconds(_ seconds: Double) -> String {
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return "\((seconds * 1000).rounded() / 1000) s"
}

/// Collapses whitespace and cuts `text` to `limit` characters (with `...`).
func excerpt(_ text: String, limit: Int = 200) -> String {
    let collapsed = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    return collapsed.count > limit ? String(collapsed.prefix(limit)) + "..." : collapsed
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
