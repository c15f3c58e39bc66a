extension Duration {
    /// The duration in seconds, as a `Double` (`.milliseconds(1500)` gives 1.5).
    ///
    /// Safe for any duration (`components` traps past about 292 billion years, and a duration
    /// read from a person can be that large before it is validated).
    public var inSeconds: Double {
        self / .seconds(1)
    }

    /// The duration for people: `2 s`, `0.5 s`, `180 s` (to the millisecond).
    public var secondsText: String {
        let seconds = inSeconds
        if seconds == seconds.rounded(), abs(seconds) < 1e15 { return "\(Int(seconds)) s" }
        return "\((seconds * 1000).rounded() / 1000) s"
    }

    /// A duration of `seconds`, or `nil` when it is not a finite number in `0 < seconds <= maximum`.
    ///
    /// Every duration read from people (options, environment) goes through this, so a huge or
    /// odd value is refused with a message instead of overflowing a conversion later.
    public static func validSeconds(_ seconds: Double, maximum: Duration) -> Duration? {
        guard seconds.isFinite, seconds > 0, seconds <= maximum.inSeconds else { return nil }
        return .nanoseconds(max(1, Int64((seconds * 1e9).rounded())))
    }
}
