extension Duration {
    /// The duration in seconds, as a `Double` (the one conversion every module uses).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
