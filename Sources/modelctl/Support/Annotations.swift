import Foundation
import ModelStores
import VersionLock

/// GitHub Actions workflow commands (`::error title=...::message`), written when
/// `GITHUB_ACTIONS=true` so a violation shows on the run's summary page.
///
/// The message escapes `%`, `\r` and `\n` (as `%25`, `%0D`, `%0A`); property values also
/// escape `:` and `,` (`%3A`, `%2C`). They go to stderr, which the runner reads for workflow
/// commands as it does stdout, so `--json` on stdout stays one document.
struct Annotation: Equatable {
    enum Level: String { case error, warning, notice }

    var level: Level
    var title: String
    var message: String

    /// `::error title=T::M`.
    var line: String { "::\(level.rawValue) title=\(Self.escapeProperty(title))::\(Self.escapeData(message))" }

    static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// Whether to annotate: `GITHUB_ACTIONS` is `true`.
    static var enabled: Bool { Settings.current.value("GITHUB_ACTIONS") == "true" }

    /// Writes `annotations` on stderr (warnings and notices not with `--quiet`).
    static func emit(_ annotations: [Annotation]) {
        guard enabled else { return }
        let quiet = Terminal.style.quiet
        let text = annotations.filter { !quiet || $0.level == .error }.map { $0.line + "\n" }.joined()
        if !text.isEmpty { Terminal.clearProgress(); Terminal.writeError(text) }
    }

    /// One annotation per violation, error and warning of a verify run.
    static func of(_ batch: BatchVerification) -> [Annotation] {
        var out: [Annotation] = []
        for r in batch.results {
            switch r.status {
            case .violation:
                let details = VerifyReport.details(r)
                out.append(Annotation(level: .error, title: "modelctl verify: \(r.name)",
                                      message: VerifyReport.summary(r) + (details.isEmpty ? "" : "\n" + details)))
            case .error:
                out.append(Annotation(level: .error, title: "modelctl verify: \(r.name)", message: r.error?.message ?? "could not be checked"))
            default:
                for warning in r.warnings where !warning.isEmpty {
                    out.append(Annotation(level: r.status == .skipped ? .notice : .warning, title: "modelctl verify: \(r.name)", message: warning))
                }
            }
        }
        for error in batch.errors { out.append(Annotation(level: .error, title: "modelctl verify", message: error.message)) }
        return out
    }

    /// One annotation per corrupt or failed item of a scan.
    static func of(_ report: ScanReport) -> [Annotation] {
        var out: [Annotation] = []
        for item in report.items {
            let title = "modelctl scan: \(ScanCommand.displayName(item))"
            switch item.status {
            case .ok: break
            case .corrupt:
                out.append(Annotation(level: .error, title: title,
                                      message: "corrupt: " + ScanCommand.problemLines(item).joined(separator: "\n")))
            case .error(let message):
                out.append(Annotation(level: .error, title: title, message: message))
            }
        }
        for error in report.errors { out.append(Annotation(level: .error, title: "modelctl scan", message: error)) }
        return out
    }
}
