import Foundation

/// Where output goes: results on stdout, everything else on stderr.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    /// Writes raw text to stderr.
    static func writeError(_ text: String) {
        // Results printed so far go out first, so stdout and stderr read in order on a terminal or a log.
        fflush(nil)
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints `modelctl: error: MESSAGE` on stderr.
    static func error(_ message: String, prefix: Bool = true) {
        clearProgress()
        writeError((prefix ? "modelctl: error: " : "") + message + (message.hasSuffix("\n") ? "" : "\n"))
    }

    /// Prints `modelctl: warning: MESSAGE` on stderr.
    static func warning(_ message: String) {
        clearProgress()
        writeError("modelctl: warning: " + message + "\n")
    }

    /// Prints a line on stderr (notes, summaries that are not the result).
    static func note(_ message: String) {
        clearProgress()
        writeError(message + "\n")
    }

    private static let progressShown = ProgressFlag()

    /// Draws a one-line progress display on stderr, only when stderr is a terminal.
    static func progress(_ line: String) {
        guard stderrIsTerminal else { return }
        progressShown.set(true)
        writeError("\r\u{1B}[K" + line)
    }

    /// Erases the progress line, if one is shown.
    static func clearProgress() {
        guard stderrIsTerminal, progressShown.set(false) else { return }
        writeError("\r\u{1B}[K")
    }
}

import Synchronization

private final class ProgressFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// Sets the flag and returns what it was.
    @discardableResult
    func set(_ new: Bool) -> Bool { value.exchange(new, ordering: .relaxed) }
}
