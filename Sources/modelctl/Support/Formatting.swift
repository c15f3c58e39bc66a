import ArtifactHashing
import SystemSupport
import Foundation
import Synchronization

/// Formatting shared by the commands.
enum Format {
    /// `5 B`, `12K`, `4.5M`, `1.2G` (binary units, as `ls -lh` prints them: one decimal below
    /// 10, none above, rounded up).
    static func bytes(_ n: Int64) -> String {
        let units = ["K", "M", "G", "T", "P", "E"]
        guard n >= 1024 else { return "\(max(n, 0)) B" }
        var value = Double(n)
        var unit = -1
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if value < 10 {
            let rounded = (value * 10).rounded(.up) / 10
            if rounded < 10 { return String(format: "%.1f%@", rounded, units[unit]) }
            value = rounded
        }
        var whole = value.rounded(.up)
        if whole >= 1024, unit < units.count - 1 {
            whole = 1
            unit += 1
            return "\(Int(whole)).0\(units[unit])"
        }
        return "\(Int(whole))\(units[unit])"
    }

    /// `1:05`, `12:00:03`: an ETA or elapsed time.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(min(seconds, 359_999).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// A progress callback that draws `hashing NAME: 45% 1.2G / 2.7G, 310M/s, ETA 0:05, 3/10 files`.
    static func progressHandler(label: String) -> (@Sendable (HashProgress) -> Void)? {
        guard let meter = ProgressMeter.make() else { return nil }
        return { meter.update(label, $0) }
    }

    /// A progress callback for runs over several entries: `hashing NAME: 45% ...`.
    static func progressHandler() -> (@Sendable (String, HashProgress) -> Void)? {
        guard let meter = ProgressMeter.make() else { return nil }
        return { meter.update($0, $1) }
    }

    /// The progress line for `label` at `progress`, `elapsed` seconds after it started, at most
    /// `width` characters: a long label loses its beginning (`…/end/of/the/path`) before the
    /// numbers lose anything.
    static func progressLine(_ label: String, _ p: HashProgress, elapsed: Double, width: Int = .max) -> String {
        let percent = p.bytesTotal > 0 ? Int(Double(p.bytesDone) * 100 / Double(p.bytesTotal)) : 100
        var stats = "\(min(percent, 100))% \(bytes(p.bytesDone)) / \(bytes(p.bytesTotal))"
        if elapsed >= 0.5, p.bytesDone > 0 {
            let rate = Double(p.bytesDone) / elapsed
            stats += ", \(bytes(Int64(rate)))/s"
            if p.bytesTotal > p.bytesDone { stats += ", ETA " + clock(Double(p.bytesTotal - p.bytesDone) / rate) }
        }
        stats += ", \(p.filesDone)/\(p.filesTotal) files"
        // The file being read, when there is room for it: what a slow mount is stuck on.
        if let file = p.currentFile, !file.isEmpty {
            let room = width - "hashing : ".count - label.count - stats.count - 2
            if room >= 12 { stats += ", " + (file.count > room ? "…" + String(file.suffix(room - 1)) : file) }
        }
        var name = displayEscaped(label, backslashes: false)
        let room = width - "hashing : ".count - stats.count
        if name.count > room { name = room > 1 ? "…" + String(name.suffix(room - 1)) : "…" }
        return "hashing \(name): \(stats)"
    }

    /// `n` and the noun in agreement: `1 entry`, `2 entries`, `1 lock violation`. The plural
    /// is the noun with `s`, or `plural` when given.
    static func count(_ n: Int, _ noun: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? noun : plural ?? noun + "s")
    }

    /// The first 12 hex digits of a digest, or `-` when there is none.
    static func short(_ digest: String?) -> String {
        guard let digest, !digest.isEmpty else { return "-" }
        return String(digest.prefix(12))
    }
}

/// Draws progress at most ten times a second, with the rate measured from the first report
/// of each entry.
final class ProgressMeter: Sendable {
    private struct State {
        var label = ""
        var started = ContinuousClock.now
        var lastDrawn: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    /// A meter, or nil where no progress is drawn (not a terminal, `TERM=dumb`, `--quiet`).
    static func make() -> ProgressMeter? { Terminal.progressEnabled ? ProgressMeter() : nil }

    func update(_ label: String, _ progress: HashProgress) {
        let now = ContinuousClock.now
        let line: String? = state.withLock { state in
            if state.label != label {
                state = State(label: label, started: now, lastDrawn: nil)
            }
            let finished = progress.bytesDone >= progress.bytesTotal && progress.filesDone >= progress.filesTotal
            if let last = state.lastDrawn, now - last < .milliseconds(100), !finished { return nil }
            state.lastDrawn = now
            let elapsed = (now - state.started).inSeconds
            return Format.progressLine(label, progress, elapsed: elapsed, width: Terminal.width() - 1)
        }
        if let line { Terminal.progress(line) }
    }
}

extension Duration {
    /// Seconds, rounded to milliseconds, for JSON output.
    var inSecondsRounded: Double { (inSeconds * 1000).rounded() / 1000 }
}
