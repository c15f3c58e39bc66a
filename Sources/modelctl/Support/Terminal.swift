import ArtifactHashing
import Foundation
import Synchronization

/// How the command line asked output to look: set once by `main` from the global options
/// (`--quiet`, `--color`, `--log-timestamps`) and the environment, before any command runs.
struct OutputStyle: Sendable {
    /// When to colour.
    enum ColorMode: String, Sendable, CaseIterable { case auto, always, never }

    /// `--quiet`: nothing but errors (and output asked for by name: `--json`, files).
    var quiet = false
    /// `--color`, after `NO_COLOR` and `TERM=dumb` were applied to `auto`.
    var color = ColorMode.auto
    /// `--log-timestamps`: prefix stderr lines with an ISO 8601 time even on a terminal.
    var logTimestamps = false
    /// `--json` was given: results on stdout are machine output that `--quiet` keeps.
    var json = false
    /// `TERM=dumb`: no progress line, no colour in `auto`.
    var dumbTerminal = false
}

/// Where output goes: results on stdout, everything else on stderr.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    private static let styleState = Mutex(OutputStyle())

    /// The style in force.
    static var style: OutputStyle {
        get { styleState.withLock { $0 } }
        set { styleState.withLock { $0 = newValue } }
    }

    /// Whether text for stdout (`forStderr` false) or stderr may carry colour.
    static func colors(forStderr: Bool) -> Bool {
        let style = style
        switch style.color {
        case .always: return true
        case .never: return false
        case .auto: return !style.dumbTerminal && (forStderr ? stderrIsTerminal : stdoutIsTerminal)
        }
    }

    /// `text` in red (violations, corruption, errors) when that stream is coloured.
    static func red(_ text: String, forStderr: Bool = false) -> String {
        colors(forStderr: forStderr) ? "\u{1B}[31m" + text + "\u{1B}[0m" : text
    }

    /// `text` in yellow (warnings) when that stream is coloured.
    static func yellow(_ text: String, forStderr: Bool = true) -> String {
        colors(forStderr: forStderr) ? "\u{1B}[33m" + text + "\u{1B}[0m" : text
    }

    /// The ISO 8601 prefix of a log line (`2026-11-22T01:19:49.123Z `) when stderr is kept by
    /// something other than a person (not a terminal), or `--log-timestamps` asks for it.
    static func timestampPrefix(now: Date = Date()) -> String {
        guard style.logTimestamps || !stderrIsTerminal else { return "" }
        return isoTimestamp(now) + " "
    }

    /// `2026-11-22T01:19:49.123Z`: UTC with milliseconds.
    static func isoTimestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Writes raw text to stderr.
    static func writeError(_ text: String) {
        // Results printed so far go out first, so stdout and stderr read in order on a terminal or a log.
        fflush(nil)
        var text = text
        text.withUTF8 { buffer in
            var done = 0
            while done < buffer.count {
                let n = Foundation.write(STDERR_FILENO, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }  // stderr gone: there is nowhere left to say so
                done += n
            }
        }
    }

    /// Writes a log message on stderr: every line gets the timestamp prefix, the first one
    /// `label` too; control characters in `text` (a file or entry name) are shown escaped.
    private static func logLine(_ label: String, _ text: String) {
        clearProgress()
        let prefix = timestampPrefix()
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
            prefix + (index == 0 ? label : "") + line.split(separator: "\t", omittingEmptySubsequences: false).map { displayEscaped(String($0), backslashes: false) }.joined(separator: "\t")
        }
        writeError(lines.joined(separator: "\n") + "\n")
    }

    /// Prints `modelctl: error: MESSAGE` on stderr (always, even with `--quiet`).
    static func error(_ message: String, prefix: Bool = true) {
        logLine(prefix ? red("modelctl: error:", forStderr: true) + " " : "", message)
    }

    /// Prints `modelctl: warning: MESSAGE` on stderr (not with `--quiet`).
    static func warning(_ message: String) {
        guard !style.quiet else { return }
        logLine(yellow("modelctl: warning:") + " ", message)
    }

    /// Prints a line on stderr (notes, summaries that are not the result; not with `--quiet`).
    static func note(_ message: String) {
        guard !style.quiet else { return }
        logLine("", message)
    }

    /// Whether a progress line may be drawn: stderr is a terminal that is not `TERM=dumb`, and
    /// `--quiet` is off.
    static var progressEnabled: Bool { stderrIsTerminal && !style.dumbTerminal && !style.quiet }

    /// The width of the terminal on `descriptor` (`TIOCGWINSZ`), else `COLUMNS`, else 80.
    static func width(of descriptor: Int32 = STDERR_FILENO) -> Int {
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = Settings.current.value("COLUMNS").flatMap(Int.init), (20...1000).contains(columns) { return columns }
        return 80
    }

    /// Draws a one-line progress display on stderr, cut to the terminal's width so it never
    /// wraps (a wrapped line cannot be erased with `\r` and leaves stale lines behind).
    static func progress(_ line: String) {
        guard progressEnabled else { return }
        progressVisible.set(true)
        writeError("\r\u{1B}[K" + Text.fit(displayEscaped(line, backslashes: false), width: width() - 1))
    }

    /// Erases the progress line, if one is shown.
    static func clearProgress() {
        guard stderrIsTerminal, progressVisible.set(false) else { return }
        writeError("\r\u{1B}[K")
    }

    /// Installs a SIGINT handler that erases a progress line and exits 130, as a shell reports
    /// a process that Ctrl-C ended. Only where a progress line can be drawn.
    static func installInterruptHandler() {
        guard progressEnabled else { return }
        progressVisible.set(false)  // initialises the global before the handler may read it
        signal(SIGINT) { _ in
            // Only async-signal-safe calls here: an atomic load, write(2), _exit(2).
            if progressVisible.peek() {
                let clear: StaticString = "\r\u{1B}[K"
                _ = Foundation.write(STDERR_FILENO, clear.utf8Start, clear.utf8CodeUnitCount)
            }
            _exit(130)
        }
    }
}

/// Text shaping for terminals: lines cut to a width (names are escaped by ``displayEscaped(_:)``).
enum Text {
    /// `text` cut to `width` characters, the last one an ellipsis when something was cut.
    static func fit(_ text: String, width: Int) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(width - 1)) + "…"
    }
}

/// A flag a signal handler may read (an atomic; lock-free).
final class ProgressFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// Sets the flag and returns what it was.
    @discardableResult
    func set(_ new: Bool) -> Bool { value.exchange(new, ordering: .relaxed) }
    /// The flag's value.
    func peek() -> Bool { value.load(ordering: .relaxed) }
}

/// Whether a progress line is on the screen now.
let progressVisible = ProgressFlag()
