public import Foundation

/// The one way modelctl writes times into registries and state files: UTC ISO 8601, seconds.
public enum Timestamp {
    /// `2026-11-21T20:15:03Z`, or `2026-11-21T20:15:03+00:00` when `existing` (the value the
    /// file held before) is spelled that way, as ImageWorks writes it: when both tools share a
    /// registry, a save does not flip the spelling of every timestamp.
    public static func utc(_ date: Date, spelledLike existing: String? = nil) -> String {
        var components = DateComponents()
        let calendar = Calendar(identifier: .gregorian)
        var utc = calendar
        utc.timeZone = TimeZone(identifier: "UTC")!
        components = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", components.year ?? 0, components.month ?? 0, components.day ?? 0,
                          components.hour ?? 0, components.minute ?? 0, components.second ?? 0)
        return text + (existing?.hasSuffix("+00:00") == true ? "+00:00" : "Z")
    }
}
