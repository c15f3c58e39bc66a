import Foundation
import ModelStores
import VersionLock

/// Metrics in the Prometheus text exposition format (version 0.0.4), for node_exporter's
/// textfile collector: every family has `# HELP` and `# TYPE` lines, label values escape
/// `\`, `"` and newlines, and the text ends with a newline.
///
/// `modelctl_verify_status` (and `modelctl_scan_status`): 0 ok, 1 error (could not be
/// checked), 2 violation (integrity failure). Skipped entries have no status sample.
struct PrometheusReport: Equatable {
    struct Sample: Equatable {
        var labels: [(String, String)]
        var value: Double
        static func == (a: Sample, b: Sample) -> Bool { a.value == b.value && a.labels.elementsEqual(b.labels, by: ==) }
    }

    struct Family: Equatable {
        var name: String
        var help: String
        var type = "gauge"
        var samples: [Sample] = []
    }

    var families: [Family]

    /// The exposition text. Families without samples are left out.
    func text() -> String {
        var out = ""
        for family in families where !family.samples.isEmpty {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n# TYPE \(family.name) \(family.type)\n"
            for sample in family.samples {
                out += family.name
                if !sample.labels.isEmpty {
                    out += "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + Self.number(sample.value) + "\n"
            }
        }
        return out
    }

    /// A label value: `\` as `\\`, `"` as `\"`, a newline as `\n`.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// HELP text: `\` as `\\`, a newline as `\n`.
    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `42`, `0.125`, `1763774389.5`, `NaN`, `+Inf`.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Seconds since the epoch of an RFC 3339 time as the registry records it.
    static func epochSeconds(_ text: String?) -> Double? {
        guard let text else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date.timeIntervalSince1970 }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date.timeIntervalSince1970 }
        return nil
    }
}

extension PrometheusReport {
    /// The status value of a verify result: 0 ok, 1 error, 2 violation; nil when skipped.
    static func statusValue(_ status: EntryVerification.Status) -> Double? {
        switch status {
        case .ok, .recorded, .expectationSet: 0
        case .error: 1
        case .violation: 2
        case .skipped: nil
        }
    }

    /// The metrics of a verify run.
    init(_ batch: BatchVerification, finished: Date) {
        var status = Family(name: "modelctl_verify_status", help: "Outcome of the entry's last verify: 0 ok, 1 error (could not be checked), 2 violation (integrity failure).")
        var success = Family(name: "modelctl_verify_last_success_timestamp_seconds", help: "When the entry's artifacts last verified successfully (its last_verified), in seconds since the epoch.")
        var full = Family(name: "modelctl_verify_last_full_timestamp_seconds", help: "When every byte of the entry's artifacts was last read and verified (its last_full_verify), in seconds since the epoch.")
        var bytes = Family(name: "modelctl_artifact_bytes", help: "Bytes of the entry's artifacts hashed by the last verify.")
        var files = Family(name: "modelctl_artifact_files", help: "Files of the entry's artifacts hashed by the last verify.")
        var duration = Family(name: "modelctl_verify_duration_seconds", help: "Seconds the last verify spent hashing the entry.")
        var locked = Family(name: "modelctl_locked", help: "1 when the entry is locked (its artifacts must match an expected aggregate), else 0.")
        for r in batch.results {
            let labels = [("model", r.name)]
            if let value = Self.statusValue(r.status) { status.samples.append(Sample(labels: labels, value: value)) }
            if let when = Self.epochSeconds(r.lastVerified) { success.samples.append(Sample(labels: labels, value: when)) }
            if let when = Self.epochSeconds(r.lastFullVerify) { full.samples.append(Sample(labels: labels, value: when)) }
            if r.manifest != nil {
                bytes.samples.append(Sample(labels: labels, value: Double(r.bytes)))
                files.samples.append(Sample(labels: labels, value: Double(r.fileCount)))
            }
            if r.status != .skipped { duration.samples.append(Sample(labels: labels, value: r.duration.inSecondsRounded)) }
            locked.samples.append(Sample(labels: labels, value: r.locked ? 1 : 0))
        }
        let run = [
            Family(name: "modelctl_verify_run_timestamp_seconds", help: "When this verify run finished (or failed), in seconds since the epoch.",
                   samples: [Sample(labels: [], value: (finished.timeIntervalSince1970 * 1000).rounded() / 1000)]),
            Family(name: "modelctl_verify_run_duration_seconds", help: "Wall time of this verify run in seconds.",
                   samples: [Sample(labels: [], value: batch.duration.inSecondsRounded)]),
            Family(name: "modelctl_verify_run_errors", help: "Errors of this verify run as a whole (not of one entry); a run that failed before it had results has 1 and no entry samples.",
                   samples: [Sample(labels: [], value: Double(batch.errors.count))]),
        ]
        self.init(families: [status, success, full, bytes, files, duration, locked] + run)
    }

    /// The metrics of a scan: `modelctl_scan_status{store,name}` 0 ok, 1 error, 2 corrupt.
    init(_ report: ScanReport, finished: Date, seconds: Double) {
        var status = Family(name: "modelctl_scan_status", help: "Outcome of the last scan of a store item: 0 ok, 1 error (could not be checked), 2 corrupt (integrity failure).")
        var bytes = Family(name: "modelctl_scan_bytes", help: "Bytes of the store item's blobs hashed by the last scan.")
        var blobs = Family(name: "modelctl_scan_blobs", help: "Blobs of the store item checked by the last scan.")
        for item in report.items {
            let labels = [("store", item.store.rawValue), ("name", item.name)]
            let value: Double = switch item.status {
            case .ok: 0
            case .error: 1
            case .corrupt: 2
            }
            status.samples.append(Sample(labels: labels, value: value))
            bytes.samples.append(Sample(labels: labels, value: Double(item.bytes)))
            blobs.samples.append(Sample(labels: labels, value: Double(item.blobs)))
        }
        let run = [
            Family(name: "modelctl_scan_run_timestamp_seconds", help: "When this scan finished (or failed), in seconds since the epoch.",
                   samples: [Sample(labels: [], value: (finished.timeIntervalSince1970 * 1000).rounded() / 1000)]),
            Family(name: "modelctl_scan_run_duration_seconds", help: "Wall time of this scan in seconds.",
                   samples: [Sample(labels: [], value: (seconds * 1000).rounded() / 1000)]),
            Family(name: "modelctl_scan_run_errors", help: "Errors of this scan as a whole (a path that could not be read).",
                   samples: [Sample(labels: [], value: Double(report.errors.count))]),
        ]
        self.init(families: [status, bytes, blobs] + run)
    }
}
