import ArtifactHashing
import SystemSupport
import Foundation
import ModelStores
import VersionLock

/// A JUnit XML report: one `<testsuite>` in a `<testsuites>` root, one `<testcase>` per entry,
/// in the shape CI systems read (Jenkins, GitLab, GitHub test reporters; the Ant/Surefire
/// JUnit XSD): `tests`, `failures`, `errors`, `skipped` and `time` on the suite, `name`,
/// `classname` and `time` on every case, at most one `<failure>`, `<error>` or `<skipped>`.
struct JUnitReport: Equatable {
    /// One test case.
    struct TestCase: Equatable {
        enum Outcome: Equatable {
            case passed
            /// An integrity failure: `type` names it, `message` is one line, `details` the files.
            case failure(type: String, message: String, details: String)
            /// The entry could not be checked.
            case error(type: String, message: String)
            case skipped(message: String)
        }

        var classname: String
        var name: String
        var seconds: Double
        var outcome: Outcome
        /// Facts worth keeping for a passing case (aggregate, file count), as `<system-out>`.
        var output: String?
    }

    var name: String
    var timestamp: Date
    var hostname: String
    var seconds: Double
    var cases: [TestCase]

    var failures: Int { cases.count { if case .failure = $0.outcome { true } else { false } } }
    var errors: Int { cases.count { if case .error = $0.outcome { true } else { false } } }
    var skipped: Int { cases.count { if case .skipped = $0.outcome { true } else { false } } }

    /// The XML document, UTF-8, ending with a newline.
    func xml() -> String {
        let time = Self.seconds(seconds)
        let stamp = timestamp.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)).replacingOccurrences(of: "Z", with: "")
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        let counts = #"tests="\#(cases.count)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(time)""#
        out += #"<testsuites name="\#(Self.attribute(name))" \#(counts)>"# + "\n"
        out += #"  <testsuite name="\#(Self.attribute(name))" \#(counts) timestamp="\#(stamp)" hostname="\#(Self.attribute(hostname))" id="0" package="modelctl">"# + "\n"
        out += "    <properties/>\n"
        for c in cases {
            let open = #"    <testcase classname="\#(Self.attribute(c.classname))" name="\#(Self.attribute(c.name))" time="\#(Self.seconds(c.seconds))""#
            var body = ""
            switch c.outcome {
            case .passed: break
            case .failure(let type, let message, let details):
                body += #"      <failure type="\#(Self.attribute(type))" message="\#(Self.attribute(message))">\#(Self.text(details))</failure>"# + "\n"
            case .error(let type, let message):
                body += #"      <error type="\#(Self.attribute(type))" message="\#(Self.attribute(message))">\#(Self.text(message))</error>"# + "\n"
            case .skipped(let message):
                body += #"      <skipped message="\#(Self.attribute(message))"/>"# + "\n"
            }
            if let output = c.output, !output.isEmpty { body += "      <system-out>\(Self.text(output))</system-out>\n" }
            out += body.isEmpty ? open + "/>\n" : open + ">\n" + body + "    </testcase>\n"
        }
        out += "    <system-out/>\n    <system-err/>\n"
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// `1.234`: seconds with millisecond precision (the XSD's `xs:decimal`, never exponent form).
    static func seconds(_ value: Double) -> String {
        String(format: "%.3f", value.isFinite && value > 0 ? value : 0)
    }

    /// Character data: `&`, `<`, `>` escaped and characters XML 1.0 forbids replaced by U+FFFD.
    static func text(_ value: String) -> String { escape(value, attribute: false) }

    /// An attribute value in double quotes: also `"`, `'`, and tab, CR and LF as character
    /// references so they survive attribute-value normalisation.
    static func attribute(_ value: String) -> String { escape(value, attribute: true) }

    private static func escape(_ value: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\t" where attribute: out += "&#9;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            default:
                out.unicodeScalars.append(allowedInXML(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    /// XML 1.0's `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    static func allowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}

extension JUnitReport {
    /// The report of a verify run: one case per entry (classname `modelctl.verify`; a pass
    /// carries its figures and warnings in system-out), a failure for a violation listing the changed, missing, added and moved files, an error for an
    /// entry that could not be checked, skipped for a skipped one; errors of the run as a whole
    /// are cases named `(run)`.
    init(_ batch: BatchVerification, hostname: String, finished: Date) {
        var cases: [TestCase] = batch.results.map { r in
            var c = TestCase(classname: "modelctl.verify", name: r.name, seconds: r.duration.inSeconds, outcome: .passed, output: nil)
            switch r.status {
            case .ok, .recorded, .expectationSet:
                c.output = "status \(r.status.rawValue)\naggregate_sha256 \(r.aggregate ?? "-")\nfile_count \(r.fileCount)\nbytes \(r.bytes)"
                    + r.warnings.filter { !$0.isEmpty }.map { "\nwarning \($0)" }.joined()
            case .violation:
                c.outcome = .failure(type: r.storeProblems.isEmpty ? "lock_violation" : "store_corrupt",
                                     message: VerifyReport.summary(r), details: VerifyReport.details(r))
            case .error:
                c.outcome = .error(type: "error", message: r.error?.message ?? r.warnings.joined(separator: "; "))
            case .skipped:
                c.outcome = .skipped(message: r.warnings.joined(separator: "; "))
            }
            return c
        }
        for error in batch.errors {
            cases.append(TestCase(classname: "modelctl.verify", name: "(run)", seconds: 0, outcome: .error(type: "error", message: error.message)))
        }
        self.init(name: "modelctl verify", timestamp: finished.addingTimeInterval(-batch.duration.inSeconds), hostname: hostname,
                  seconds: batch.duration.inSeconds, cases: cases)
    }

    /// The report of a scan: one case per repository or model (classname
    /// `modelctl.scan.huggingface` or `modelctl.scan.ollama`), a failure for corruption with the
    /// bad files, an error for what could not be checked.
    init(_ report: ScanReport, hostname: String, finished: Date, seconds: Double) {
        var cases: [TestCase] = report.items.map { item in
            var c = TestCase(classname: "modelctl.scan.\(item.store.rawValue)", name: ScanCommand.displayName(item), seconds: 0, outcome: .passed, output: nil)
            switch item.status {
            case .ok:
                c.output = "path \(displayEscaped(item.path))\nblobs \(item.blobs)\nbytes \(item.bytes)"
            case .corrupt:
                c.outcome = .failure(type: "store_corrupt", message: "\(Format.count(item.problems.count, "bad file")) in \(displayEscaped(item.path))",
                                     details: ScanCommand.problemLines(item).joined(separator: "\n"))
            case .error(let message):
                c.outcome = .error(type: "error", message: message)
            }
            return c
        }
        for error in report.errors {
            cases.append(TestCase(classname: "modelctl.scan", name: "(run)", seconds: 0, outcome: .error(type: "error", message: error)))
        }
        self.init(name: "modelctl scan", timestamp: finished.addingTimeInterval(-seconds), hostname: hostname, seconds: seconds, cases: cases)
    }
}
