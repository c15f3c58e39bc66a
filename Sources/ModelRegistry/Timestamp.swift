public import Foundation
import Synchronization

/// The one way modelctl writes times into registries and state files: UTC ISO 8601, seconds.
public enum Timestamp {
    /// `2026-11-21T20:15:03Z`, or `2026-11-21T20:15:03+00:00` when `existing` (the value the
    /// file held before) is spelled that way, as ImageWorks writes it: when both tools share a
    /// registry, a save does not flip the spelling of every timestamp.
    public static func utc(_ date: Date, spelledLike existing: String? = nil) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        // A batch stamps a thousand entries within a second or two: the text of the last
        // second is kept.
        let text = lastSecond.withLock { last in
            if let last, last.seconds == seconds { return last.text }
            let text = civil(seconds)
            last = (seconds, text)
            return text
        }
        return text + (existing?.hasSuffix("+00:00") == true ? "+00:00" : "Z")
    }

    private static let lastSecond = Mutex<(seconds: Int64, text: String)?>(nil)

    /// `YYYY-MM-DDTHH:MM:SS` for seconds since 1970 (proleptic Gregorian calendar, UTC),
    /// worked out by arithmetic: a batch of 1,000 entries stamps 1,000 times, and a calendar
    /// object per stamp costs more than the rest of the stamp.
    static func civil(_ seconds: Int64) -> String {
        let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (d, s) = second < 0 ? (days - 1, second + 86_400) : (days, second)
        // Days since 1970-01-01 to a date (H. Hinnant's days-to-civil, eras of 400 years).
        let z = d + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let y = year >= 0 && year < 10_000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        return "\(y)-\(two(month))-\(two(day))T\(two(s / 3600)):\(two(s % 3600 / 60)):\(two(s % 60))"
    }
}
