import ArtifactHashing
import ArgumentParser
import Foundation

/// A plain text table in the style of `kubectl get`: upper-case headers, columns separated by
/// three spaces, no borders. It fits a width by cutting the widest column (its cells end in
/// `…`), unless `-o wide` asks for everything.
enum Table {
    /// The narrowest a cut column gets.
    static let minimumColumnWidth = 6

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
            for (i, cell) in cells.enumerated() {
                let shown = i < widths.count ? Text.fit(cell, width: widths[i]) : cell
                if i == cells.count - 1 {
                    out += shown
                } else {
                    out += shown + String(repeating: " ", count: max(0, widths[i] - shown.count) + 3)
                }
            }
            return out
        }
        return ((headersShown ? [line(headers)] : []) + rows.map(line)).joined(separator: "\n")
    }

    /// Column widths that fit `total` characters: the widest column loses a character at a time
    /// until the line fits or every column is at its floor (its header, at most ``minimumColumnWidth``).
    static func fit(_ widths: [Int], into total: Int, headers: [String]) -> [Int] {
        var widths = widths
        let separators = max(0, widths.count - 1) * 3
        let floors = widths.indices.map { min(widths[$0], max(minimumColumnWidth, min(headers[$0].count, minimumColumnWidth))) }
        while widths.reduce(0, +) + separators > total {
            guard let widest = widths.indices.filter({ widths[$0] > floors[$0] }).max(by: { widths[$0] < widths[$1] }) else { break }
            widths[widest] -= 1
        }
        return widths
    }
}

/// `-o wide` and `--no-headers`, for the commands that print tables (`list`, `metrics`, `models`).
struct TableOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case wide }

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("wide: print every column in full instead of fitting the terminal (80 columns in a pipe, or $COLUMNS).", valueName: "format"))
    var output: Format?

    @Flag(name: .customLong("no-headers"), help: "Leave out the header line.")
    var noHeaders = false

    /// The width to fit: none with `-o wide`, else the terminal's, else `COLUMNS`, else 80.
    var width: Int? { output == .wide ? nil : Terminal.width(of: STDOUT_FILENO) }

    /// Renders a table as these options ask.
    func render(_ headers: [String], _ rows: [[String]]) -> String {
        Table.render(headers, rows, width: width, headersShown: !noHeaders)
    }
}
