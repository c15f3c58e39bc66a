import ArgumentParser
import SystemSupport
import Foundation
import ModelStores
import VersionLock

/// `--junit FILE` and `--prometheus FILE`, for the commands with batch results (`verify`,
/// `scan`). Both files are written atomically (a reader sees the old file or the new one).
struct ReportFileOptions: ParsableArguments {
    @Option(name: .customLong("junit"), help: ArgumentHelp("Also write the results as JUnit XML to this file (one test case per entry).", valueName: "file"))
    var junit: String?

    @Option(name: .customLong("prometheus"),
            help: ArgumentHelp("Also write the results as Prometheus metrics to this file (node_exporter textfile collector format).", valueName: "file"))
    var prometheus: String?

    func validate() throws {
        for (option, path) in [("--junit", junit), ("--prometheus", prometheus)] {
            if let path, path.isEmpty || path.utf8.contains(0) { throw ValidationError("\(option) needs a file path") }
        }
        if let junit, junit == prometheus { throw ValidationError("--junit and --prometheus name the same file") }
    }

    /// Writes the files asked for; a failure is reported and makes the command exit 1 at the
    /// end (the verdict on stdout stands). Returns whether every file was written.
    func write(junit makeJUnit: () -> JUnitReport, prometheus makeMetrics: () -> PrometheusReport) -> Bool {
        var ok = true
        if let junit { ok = Self.write(makeJUnit().xml(), to: junit) && ok }
        if let prometheus { ok = Self.write(makeMetrics().text(), to: prometheus) && ok }
        return ok
    }

    private static func write(_ text: String, to path: String) -> Bool {
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
            return true
        } catch {
            Terminal.error("cannot write \(path): \(error.message)")
            return false
        }
    }

    /// This host's name, for the JUnit `hostname`.
    static var hostname: String { ProcessInfo.processInfo.hostName }
}
