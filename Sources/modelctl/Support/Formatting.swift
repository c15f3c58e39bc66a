import ArtifactHashing
import FileSupport
import Foundation

/// Formatting shared by the commands.
enum Format {
    /// `1.23 GB`, `456 MB`, `12 kB`, `5 B` (decimal units, as disk sizes are quoted).
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.2f %@", value, units[unit])
    }

    /// A progress callback that draws `hashing NAME: 45% 1.2 GB / 2.7 GB` on a terminal.
    static func progressHandler(label: String) -> (@Sendable (HashProgress) -> Void)? {
        guard Terminal.stderrIsTerminal else { return nil }
        return { p in
            let percent = p.bytesTotal > 0 ? Int(Double(p.bytesDone) * 100 / Double(p.bytesTotal)) : 100
            Terminal.progress("hashing \(label): \(percent)% \(bytes(p.bytesDone)) / \(bytes(p.bytesTotal)), \(p.filesDone)/\(p.filesTotal) files")
        }
    }

    /// A progress callback for runs over several entries: `hashing NAME: 45% ...`.
    static func progressHandler() -> (@Sendable (String, HashProgress) -> Void)? {
        guard Terminal.stderrIsTerminal else { return nil }
        return { name, p in
            let percent = p.bytesTotal > 0 ? Int(Double(p.bytesDone) * 100 / Double(p.bytesTotal)) : 100
            Terminal.progress("hashing \(name): \(percent)% \(bytes(p.bytesDone)) / \(bytes(p.bytesTotal)), \(p.filesDone)/\(p.filesTotal) files")
        }
    }

    /// The first 12 hex digits of a digest, or `-` when there is none.
    static func short(_ digest: String?) -> String {
        guard let digest, !digest.isEmpty else { return "-" }
        return String(digest.prefix(12))
    }
}

extension Duration {
    /// Seconds, rounded to milliseconds, for JSON output.
    var inSecondsRounded: Double { (inSeconds * 1000).rounded() / 1000 }
}
