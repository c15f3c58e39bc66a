/// The catalog as a text table, for `modelctl models` on a terminal.
///
/// Columns: `NAME`, `AVAILABLE` (`yes`, `no`, or `-` when no server was asked), `CONTEXT`
/// (`max_context_length`), `KIND` (`trained` or `served`), `LIMIT SOURCE`
/// (`context_limit_source`), `TRAINING`, `ARCH`, `SIZE`. Unknown values print as `-`.
///
/// ```
/// NAME           AVAILABLE  CONTEXT  KIND     LIMIT SOURCE  TRAINING  ARCH   SIZE
/// Qwen/Qwen3-8B  yes        40960    served   server        hybrid    dense  small
/// ```
public enum CatalogTable {
    /// The column titles, in order.
    public static let headers = ["NAME", "AVAILABLE", "CONTEXT", "KIND", "LIMIT SOURCE", "TRAINING", "ARCH", "SIZE"]

    /// The table cells for one spec, in ``headers`` order.
    public static func row(_ spec: ModelSpec) -> [String] {
        let available = spec.available.map { $0 ? "yes" : "no" } ?? "-"
        return [
            spec.modelName, available, spec.maxContextLength.map(String.init) ?? "-",
            spec.contextLimitKind?.rawValue ?? "-", spec.contextLimitSource?.rawValue ?? "-",
            spec.trainingType?.rawValue ?? "-", spec.architecture?.rawValue ?? "-", spec.size?.rawValue ?? "-",
        ]
    }

    /// The whole table: a header line and one line per spec, columns padded with spaces and
    /// separated by two spaces, no trailing spaces, each line ending in a newline.
    public static func render(_ specs: [ModelSpec]) -> String {
        let rows = [headers] + specs.map(row)
        var widths = [Int](repeating: 0, count: headers.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] + 2 - cell.count)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
