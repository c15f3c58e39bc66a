import ArtifactHashing
import ArgumentParser
import Foundation

/// A plain text table in the style of `kubectl get`: upper-case headers, columns separated by
/// three spaces, no borders. The first column (the name a user copies) is never cut: to fit a
/// width, the other columns are shortened (their cells end in `…`) down to their header's
/// width, and when that is not enough the rightmost columns are left out.
enum Table {
    static let separator = 3

    /// Renders the table. `width` nil means no limit; cells have control characters escaped.
    static func render(_ headers: [String], _ rows: [[String]], width: Int? = nil, headersShown: Bool = true) -> String {
        let rows = rows.map { $0.map { displayEscaped($0) } }
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        if let width { widths = fit(widths, into: width, headers: headers) }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.prefix(widths.count).enumerated() {
                let shown = i == 0 ? cell : Text.fit(cell, width: widths[i])
                out += i == widths.count - 1 ? shown : shown + String(repeating: " ", count: max(0, widths[i] - shown.count) + separator)
            }
            return out
        }
        return ((headersShown ? [line(headers)] : []) + rows.map(line)).joined(separator: "\n")
    }

    /// The widths of the columns shown within `total` characters (fewer entries than `widths`
    /// when columns are left out). The first column keeps its width; the others lose a
    /// character at a time, widest first, down to their header's width; when the line is still
    /// too long, the rightmost column goes and the rest start again at full width.
    static func fit(_ widths: [Int], into total: Int, headers: [String]) -> [Int] {
        for kept in stride(from: widths.count, to: 1, by: -1) {
            var shown = Array(widths.prefix(kept))
            let floors = shown.indices.map { $0 == 0 ? shown[0] : min(shown[$0], headers[$0].count) }
            let separators = (kept - 1) * separator
            while shown.reduce(0, +) + separators > total,
                  let widest = shown.indices.filter({ shown[$0] > floors[$0] }).max(by: { shown[$0] < shown[$1] }) {
                shown[widest] -= 1
            }
            if shown.reduce(0, +) + separators <= total { return shown }
        }
        return Array(widths.prefix(1))
    }
}

/// `-o wide` and `--no-headers`, for the commands that print tables (`list`, `metrics`, `models`).
struct TableOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case wide }

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("wide: print every column in full instead of fitting the terminal's width (a pipe gets every column in full unless $COLUMNS is set).", valueName: "format"))
    var output: Format?

    @Flag(name: .customLong("no-headers"), help: "Leave out the header line.")
    var noHeaders = false

    /// The width to fit: none with `-o wide`; the terminal's on a terminal; in a pipe, `COLUMNS`
    /// when it is set, else none (a script reading the table gets whole values).
    var width: Int? {
        if output == .wide { return nil }
        if isatty(STDOUT_FILENO) == 0 && Settings.current.value("COLUMNS").flatMap(Int.init) == nil { return nil }
        return Terminal.width(of: STDOUT_FILENO)
    }

    /// Renders a table as these options ask.
    func render(_ headers: [String], _ rows: [[String]]) -> String {
        Table.render(headers, rows, width: width, headersShown: !noHeaders)
    }
}
