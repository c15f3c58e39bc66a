public import Foundation

/// The one way modelctl writes times into registries and state files: UTC ISO 8601, seconds.
public enum Timestamp {
    /// `2026-11-21T20:15:03Z`, or `2026-11-21T20:15:03+00:00` when `existing` (the value the
    /// file held before) is spelled that way, as ImageWorks writes it: when both tools share a
    /// registry, a save does not flip the spelling of every timestamp.
    public static func utc(_ date: Date, spelledLike existing: String? = nil) -> String {
        let text = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)).formatted(style)
        guard existing?.hasSuffix("+00:00") == true, text.hasSuffix("Z") else { return text }
        return text.dropLast() + "+00:00"
    }

    /// `.iso8601`, made once: making the style was half the cost of each stamp (verify --all
    /// stamps every entry).
    private static let style = Date.ISO8601FormatStyle()
}
