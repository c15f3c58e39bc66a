/// The catalog as table cells, for `modelctl models` on a terminal (the command line draws them).
///
/// Columns: `NAME`, `AVAILABLE` (`yes`, `no`, or `-` when no server was asked), `TRAINABLE`
/// and `SAMPLEABLE` (`yes`, `no`, `-` when no source said), `CONTEXT` (`max_context_length`),
/// `KIND` (`trained` or `served`), `LIMIT SOURCE` (`context_limit_source`), `TRAINING`,
/// `ARCH`, `SIZE`. Unknown values print as `-`.
public enum CatalogTable {
    /// The column titles, in order.
    public static let headers = [
        "NAME", "AVAILABLE", "TRAINABLE", "SAMPLEABLE", "CONTEXT", "KIND", "LIMIT SOURCE", "TRAINING", "ARCH", "SIZE",
    ]

    /// The table cells for one spec, in ``headers`` order.
    public static func row(_ spec: ModelSpec) -> [String] {
        func yesNo(_ value: Bool?) -> String { value.map { $0 ? "yes" : "no" } ?? "-" }
        return [
            spec.modelName, yesNo(spec.available), yesNo(spec.trainable), yesNo(spec.sampleable),
            spec.maxContextLength.map(String.init) ?? "-",
            spec.contextLimitKind?.rawValue ?? "-", spec.contextLimitSource?.rawValue ?? "-",
            spec.trainingType?.rawValue ?? "-", spec.architecture?.rawValue ?? "-", spec.size?.rawValue ?? "-",
        ]
    }

    /// The cells of every spec, in order.
    public static func rows(_ specs: [ModelSpec]) -> [[String]] {
        specs.map(row)
    }
}
