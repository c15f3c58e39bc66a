import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

/// A registry for the report formats: `good` (unlocked), `bad` (locked, then changed: one file
/// changed, one missing, one added with a control character in its name), `gone` (its root
/// does not exist), and `odd "name\` whose name needs escaping in every format.
struct ReportFixture {
    let dir = TemporaryDirectory("formats")
    var registry: String { dir.file("registry") }
    static let oddName = #"odd "name\ <&>"#

    init() throws {
        try dir.write("models/good/weights.bin", String(repeating: "g", count: 5005))
        try dir.write("models/bad/a.txt", "a")
        try dir.write("models/bad/b.txt", "b")
        try dir.write("models/odd/x", "x")
        let oddJSON = #"odd \"name\\ <&>"#
        try dir.write("registry/model_registry.curated.json", """
            [
              {"name": "good", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/good"))"}},
              {"name": "bad", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/bad"))"}},
              {"name": "gone", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/gone"))"}},
              {"name": "\(oddJSON)", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/odd"))"}}
            ]
            """)
        #expect(try run(["lock", "bad"]).status == 0)
        #expect(try run(["verify", "bad"]).status == 0)
        try dir.write("models/bad/a.txt", "A")
        try FileManager.default.removeItem(atPath: dir.file("models/bad/b.txt"))
        try dir.write("models/bad/c\u{1}.txt", "c")
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try modelctl(arguments + ["--registry-dir", registry], environment: environment)
    }
}

struct OutputFormatTests {
    @Test("verify --prometheus writes the textfile format a real parser reads: HELP/TYPE, escaped labels, 0 ok/1 error/2 violation")
    func prometheus() throws {
        let f = try ReportFixture()
        let file = f.dir.file("out/modelctl.prom")
        try FileManager.default.createDirectory(atPath: f.dir.file("out"), withIntermediateDirectories: true)
        let result = try f.run(["verify", "--all", "--prometheus", file])
        #expect(result.status == 2, "\(result.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let parsed = try FormatCheckers.parsePrometheus(text)
        func value(_ metric: String, _ model: String) -> Double? {
            parsed.samples.first { $0.name == metric && $0.labels["model"] == model }?.value
        }
        #expect(value("modelctl_verify_status", "good") == 0)
        #expect(value("modelctl_verify_status", "bad") == 2)
        #expect(value("modelctl_verify_status", "gone") == 1)
        #expect(value("modelctl_verify_status", ReportFixture.oddName) == 0)
        #expect(value("modelctl_locked", "bad") == 1)
        #expect(value("modelctl_locked", "good") == 0)
        #expect(value("modelctl_artifact_bytes", "good") == 5005)
        #expect(value("modelctl_verify_duration_seconds", "good") != nil)
        // bad's last success is the verify that set its expectation: a time in the past hour.
        let success = try #require(value("modelctl_verify_last_success_timestamp_seconds", "bad"))
        #expect(abs(success - Date().timeIntervalSince1970) < 3600)
        for family in ["modelctl_verify_status", "modelctl_verify_last_success_timestamp_seconds", "modelctl_artifact_bytes",
                       "modelctl_verify_duration_seconds", "modelctl_locked"] {
            #expect(parsed.types[family] == "gauge")
            #expect(parsed.helps[family]?.isEmpty == false)
        }
        #expect(parsed.helps["modelctl_verify_status"]?.contains("2 violation") == true)
        // No temporary file is left beside the target (the collector reads every *.prom).
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir.file("out")) == ["modelctl.prom"])
        if let python = try FormatCheckers.pythonPrometheusSamples(file) {
            #expect(python.contains("modelctl_verify_status|model=\(ReportFixture.oddName)|0"), "\(python)")
            #expect(python.contains("modelctl_verify_status|model=bad|2"))
            #expect(python.count == parsed.samples.count)
        }
    }

    @Test("verify --junit writes JUnit XML that the schema accepts: a failure listing files, an error, escaped names")
    func junit() throws {
        let f = try ReportFixture()
        let file = f.dir.file("junit.xml")
        let result = try f.run(["verify", "--all", "--junit", file])
        #expect(result.status == 2, "\(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(data: data)
        let suites = try #require(document.rootElement())
        #expect(suites.name == "testsuites")
        let suite = try #require(suites.elements(forName: "testsuite").first)
        #expect(suite.attribute(forName: "tests")?.stringValue == "4")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        #expect(suite.attribute(forName: "errors")?.stringValue == "1")
        let cases = suite.elements(forName: "testcase")
        let names = cases.compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names.sorted() == ["bad", "gone", "good", ReportFixture.oddName].sorted())
        func named(_ name: String) throws -> XMLElement { try #require(cases.first { $0.attribute(forName: "name")?.stringValue == name }) }
        for c in cases {
            #expect(c.attribute(forName: "classname")?.stringValue == "modelctl.verify")
            #expect(Double(c.attribute(forName: "time")?.stringValue ?? "") != nil)
        }
        let failure = try #require(try named("bad").elements(forName: "failure").first)
        #expect(failure.attribute(forName: "type")?.stringValue == "lock_violation")
        #expect(failure.attribute(forName: "message")?.stringValue?.contains("1 changed, 1 missing, 1 added") == true)
        let body = failure.stringValue ?? ""
        #expect(body.contains("changed a.txt"))
        #expect(body.contains("missing b.txt"))
        // U+0001 (not an XML 1.0 character) is escaped as in every report, and the document parses.
        #expect(body.contains("added c\\x01.txt"))
        #expect(try named("gone").elements(forName: "error").first?.attribute(forName: "message")?.stringValue?.contains("does not exist") == true)
        #expect(try named("good").children?.allSatisfy { $0.name == "system-out" } ?? true)
        #endif
        try FormatCheckers.validateJUnitSchema(file, in: f.dir)
        if let parsed = try FormatCheckers.junitparserCases(file) {
            #expect(parsed.sorted() == ["good|modelctl.verify|passed", "bad|modelctl.verify|failure", "gone|modelctl.verify|error",
                                        "\(ReportFixture.oddName)|modelctl.verify|passed"].sorted())
        }
    }

    @Test("scan --junit and --prometheus report every store item")
    func scanReports() throws {
        let dir = TemporaryDirectory("formats-scan")
        let repo = dir.file("hub/models--acme--tiny")
        let blob = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        try dir.write("hub/models--acme--tiny/blobs/\(blob)", "not what the name says")
        try dir.write("hub/models--acme--tiny/refs/main", "c0ffee")
        try FileManager.default.createDirectory(atPath: repo + "/snapshots/c0ffee", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo + "/snapshots/c0ffee/model.safetensors", withDestinationPath: "../../blobs/\(blob)")
        let result = try modelctl(["scan", dir.file("hub"), "--junit", dir.file("scan.xml"), "--prometheus", dir.file("scan.prom")])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        let parsed = try FormatCheckers.parsePrometheus(try String(contentsOfFile: dir.file("scan.prom"), encoding: .utf8))
        #expect(parsed.samples.contains { $0.name == "modelctl_scan_status" && $0.labels["name"] == "acme/tiny" && $0.value == 2 })
        try FormatCheckers.validateJUnitSchema(dir.file("scan.xml"), in: dir)
        let xml = try String(contentsOfFile: dir.file("scan.xml"), encoding: .utf8)
        #expect(xml.contains(#"failures="1""#) && xml.contains(#"type="store_corrupt""#))
        if let python = try FormatCheckers.pythonPrometheusSamples(dir.file("scan.prom")) {
            #expect(python.contains("modelctl_scan_status|name=acme/tiny,store=huggingface|2"), "\(python)")
        }
    }

    @Test("GITHUB_ACTIONS=true: one ::error per violation and error, with %, CR, LF, : and , escaped")
    func annotations() throws {
        let f = try ReportFixture()
        let result = try f.run(["verify", "--all"], environment: ["GITHUB_ACTIONS": "true"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("::") }
        #expect(lines.count == 2, "\(result.stderr)")
        let violation = try #require(lines.first { $0.hasPrefix("::error title=modelctl verify%3A bad::") })
        #expect(violation.contains("1 changed, 1 missing, 1 added, 0 moved%0Aexpected aggregate"))
        #expect(violation.contains("%0Achanged a.txt"))
        #expect(lines.contains { $0.hasPrefix("::error title=modelctl verify%3A gone::") })
        let plain = try f.run(["verify", "--all"], environment: ["GITHUB_ACTIONS": ""])
        #expect(!plain.stderr.contains("::error"))
        // A name with %, a comma, a colon and a carriage return: escaped in the title property
        // (all four) and in the message (% and CR), so it can neither end the title nor the line.
        let odd = TemporaryDirectory("formats-annotation")
        try odd.write("registry/model_registry.curated.json", #"""
            [{"name": "50%,a:b\rc", "backend": "vllm", "backend_config": {"model_path": "\#(odd.file("none"))"}}]
            """#)
        let escaped = try modelctl(["verify", "--all", "--registry-dir", odd.file("registry")], environment: ["GITHUB_ACTIONS": "true"])
        #expect(escaped.status == 1)
        #expect(escaped.stderr.contains("::error title=modelctl verify%3A 50%25%2Ca%3Ab%0Dc::50%25,a:b%0Dc: artifact root"), "\(escaped.stderr)")
        #expect(!escaped.stderr.contains("\r"))
    }

    @Test("global options before the subcommand, as in git and kubectl")
    func globalOptions() throws {
        let f = try ReportFixture()
        let list = try modelctl(["--registry-dir", f.registry, "list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let verify = try modelctl(["--registry-dir=\(f.registry)", "-j", "2", "verify", "--all"])
        #expect(verify.status == 2, "\(verify.stderr)")
        #expect(verify.stdout.contains("bad: LOCK VIOLATION"))
        let quiet = try modelctl(["-q", "--registry-dir", f.registry, "verify", "good"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        let quietFailure = try modelctl(["--quiet", "verify", "--all", "--registry-dir", f.registry])
        #expect(quietFailure.stdout.isEmpty)
        #expect(quietFailure.stderr.contains("modelctl: error: lock violation"))
        #expect(!quietFailure.stderr.contains("verified 4 entries"))
        let quietJSON = try modelctl(["-q", "--registry-dir", f.registry, "verify", "good", "--json"])
        #expect(quietJSON.stdout.contains("\"schema_version\": 1"))
        #expect(try modelctl(["--color", "purple", "list"]).status == 64)
        #expect(try modelctl(["--registry-dir"]).status == 64)
        #expect(try modelctl(["--registry-dir", f.registry, "hash", f.dir.file("models/good")]).status == 0, "--registry-dir before the subcommand applies to every command, as git -C does")
    }

    @Test("--color: a violation in red only when asked (always) or on a terminal; NO_COLOR and pipes stay plain")
    func color() throws {
        let f = try ReportFixture()
        let red = "\u{1B}[31mLOCK VIOLATION"
        #expect(try f.run(["--color", "always", "verify", "bad"]).stdout.contains(red))
        #expect(try f.run(["--color=always", "verify", "bad"], environment: ["NO_COLOR": "1"]).stdout.contains(red))
        let piped = try f.run(["verify", "bad"])
        #expect(!piped.stdout.contains("\u{1B}") && !piped.stderr.contains("\u{1B}"))
        #expect(!(try f.run(["--no-color", "verify", "bad"]).stdout.contains("\u{1B}")))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/script") {
            let command = "\"$0\" verify bad --registry-dir \"$1\""
            let tty = try runProcess("/usr/bin/script", ["-qec", "sh -c '\(command)' \(modelctlBinary) \(f.registry)", "/dev/null"],
                                     environment: ["TERM": "xterm", "NO_COLOR": ""])
            #expect(tty.stdout.contains(red), "\(tty.stdout)")
            let noColor = try runProcess("/usr/bin/script", ["-qec", "sh -c '\(command)' \(modelctlBinary) \(f.registry)", "/dev/null"],
                                         environment: ["TERM": "xterm", "NO_COLOR": "1"])
            #expect(!noColor.stdout.contains("\u{1B}[31m"), "\(noColor.stdout)")
        }
    }

    @Test("stderr lines carry an ISO 8601 timestamp when stderr is not a terminal")
    func logTimestamps() throws {
        let f = try ReportFixture()
        let result = try f.run(["verify", "--all", "--log-timestamps"])
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z .+/) != nil, "\(line)")
        }
    }

    @Test("every --json output conforms to docs/modelctl-output.schema.json and carries schema_version")
    func jsonSchema() throws {
        let f = try ReportFixture()
        let all = try f.run(["verify", "--all", "--json"])
        #expect(try FormatCheckers.jsonProblems(all.stdout, definition: "verify_entry", array: true) == [])
        let array = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]] ?? []
        let bad = try #require(array.first { $0["name"] as? String == "bad" })
        #expect((bad["added"] as? [[String: Any]])?.first?["path"] as? String == "c\u{1}.txt")
        #expect(bad["file_count"] as? Int == 2 && bad["files"] == nil)
        #expect(try FormatCheckers.jsonProblems(try f.run(["verify", "good", "--json"]).stdout, definition: "verify_entry") == [])
        #expect(try FormatCheckers.jsonProblems(try f.run(["list", "--json"]).stdout, definition: "list_entry", array: true) == [])
        #expect(try FormatCheckers.jsonProblems(try f.run(["metrics", "--json"]).stdout, definition: "metrics_entry", array: true) == [])
        #expect(try FormatCheckers.jsonProblems(try f.run(["metrics", "bad", "--json"]).stdout, definition: "metrics_entry") == [])
        #expect(try FormatCheckers.jsonProblems(try f.run(["check", "--json"]).stdout, definition: "check_report") == [])
        #expect(try FormatCheckers.jsonProblems(try f.run(["lock", "good", "--json"]).stdout, definition: "lock_change", array: true) == [])
        #expect(try FormatCheckers.jsonProblems(try modelctl(["hash", f.dir.file("models/bad"), "--json"]).stdout, definition: "hash_report") == [])
        #expect(try FormatCheckers.jsonProblems(try modelctl(["scan", f.dir.file("models"), "--json"]).stdout, definition: "scan_report") == [])
        // Errors: one JSON object on stdout too.
        let unknown = try f.run(["metrics", "nope", "--json"])
        #expect(unknown.status == 1)
        #expect(try FormatCheckers.jsonProblems(unknown.stdout, definition: "error") == [])
        let usage = try f.run(["verify", "--json"])
        #expect(usage.status == 64)
        #expect(try FormatCheckers.jsonProblems(usage.stdout, definition: "error") == [])
        let missingRegistry = try modelctl(["list", "--json", "--registry-dir", f.dir.file("nothing-here/x")])
        if missingRegistry.status != 0 { #expect(try FormatCheckers.jsonProblems(missingRegistry.stdout, definition: "error") == []) }
        #expect(try modelctl(["probe-vision", "--help"]).stdout.contains("--json"))
    }

    @Test("a full device, a closed stdout and a broken pipe: exit 1 with the reason, or quietly for EPIPE", arguments: [
        ["list"], ["list", "--json"], ["metrics"], ["verify", "good"], ["verify", "--all", "--json"], ["check"], ["show", "good"], ["lock", "good"],
    ])
    func stdoutFailures(_ arguments: [String]) throws {
        let f = try ReportFixture()
        let args = arguments + ["--registry-dir", f.registry]
        let full = try shell("exec \"$0\" \"$@\" > /dev/full", arguments: [modelctlBinary] + args)
        #expect(full.status == 1, "\(full.stderr)")
        #expect(full.stderr.contains("cannot write to standard output: No space left on device"), "\(full.stderr)")
        #expect(!full.stderr.contains("Fatal error") && !full.stderr.contains("backtrace"))
        let closed = try shell("exec \"$0\" \"$@\" >&-", arguments: [modelctlBinary] + args)
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("standard output is closed"), "\(closed.stderr)")
        // SIGPIPE ignored, the reader gone before the first write: EPIPE, exit 1, not a word.
        let pipe = try shell("trap '' PIPE; { sleep 0.3; \"$0\" \"$@\"; echo \"status $?\" >&2; } | true; sleep 0.2",
                             arguments: [modelctlBinary] + args)
        #expect(pipe.stderr.hasSuffix("status 1\n") && !pipe.stderr.contains("standard output"), "\(pipe.stderr)")
    }

    @Test("tables never cut the name: a pipe gets whole values, $COLUMNS shortens or drops the other columns; -o wide; --no-headers")
    func tablesFit() throws {
        let dir = TemporaryDirectory("formats-table")
        let long = "org/" + String(repeating: "very-long-model-name-", count: 6) + "end"
        try dir.write("m/x", "x")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "\(long)", "backend": "vllm", "roles": ["chat", "vision", "embedding"], "backend_config": {"model_path": "\(dir.file("m"))"}},
             {"name": "short", "backend": "ollama", "backend_config": {"model_path": "\(dir.file("m"))"}}]
            """)
        let env = ["COLUMNS": ""]
        for command in [["list"], ["metrics"]] {
            let piped = try modelctl(command + ["--registry-dir", dir.file("registry")], environment: env)
            #expect(piped.status == 0, "\(piped.stderr)")
            let lines = piped.stdout.split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines[1].hasPrefix(long + " ") && !piped.stdout.contains("…"), "\(piped.stdout)")
            let wide = try modelctl(command + ["-o", "wide", "--registry-dir", dir.file("registry")], environment: env)
            #expect(wide.stdout == piped.stdout)
            let bare = try modelctl(command + ["--no-headers", "--registry-dir", dir.file("registry")], environment: env)
            #expect(bare.stdout.split(separator: "\n").count == 2 && !bare.stdout.contains("NAME"))
            let narrow = try modelctl(command + ["--registry-dir", dir.file("registry")], environment: ["COLUMNS": "60"])
            let narrowLines = narrow.stdout.split(separator: "\n")
            #expect(narrowLines[1] == Substring(long), "\(narrow.stdout)")
            #expect(narrowLines[2].hasPrefix("short") && narrowLines.dropFirst(2).allSatisfy { $0.count <= 60 }, "\(narrow.stdout)")
        }
    }

    @Test("sizes are printed in binary units exactly as ls -lh prints them", arguments: [1024, 5005, 10_239, 10_240, 1_500_000, 10_485_761, 1_073_741_823])
    func binaryUnits(_ size: Int) throws {
        let dir = TemporaryDirectory("formats-units")
        try FileManager.default.createDirectory(atPath: dir.file("m"), withIntermediateDirectories: true)
        #expect(try shell("truncate -s \"$0\" \"$1\"", arguments: ["\(size)", dir.file("m/f")]).status == 0)
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("m"))"}}]
            """)
        let ls = try shell("ls -lh \"$0\" | awk '{print $5}'", arguments: [dir.file("m/f")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let verify = try modelctl(["verify", "m", "--registry-dir", dir.file("registry")])
        #expect(verify.stdout.contains("files         1 (\(ls))"), "ls -lh: \(ls); modelctl: \(verify.stdout)")
    }

    @Test("progress on a terminal: never wider than the terminal, rate and ETA, nothing on TERM=dumb, cleared before exit 130 on Ctrl-C")
    func progress() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let dir = TemporaryDirectory("formats-progress")
        try FileManager.default.createDirectory(atPath: dir.file("a-rather-long-directory-name-for-the-progress-line/m"), withIntermediateDirectories: true)
        let root = dir.file("a-rather-long-directory-name-for-the-progress-line/m")
        #expect(try shell("truncate -s 3G \"$0\"/big", arguments: [root]).status == 0)
        let command = "stty cols 50; \"$0\" hash \"$1\" --jobs 1 & sleep 1.5; kill -INT $!; wait $!; echo \"status=$?\""
        let run = try runProcess("/usr/bin/script", ["-qec", "sh -c '\(command)' \(modelctlBinary) \(root)", "/dev/null"], environment: ["TERM": "xterm"])
        let output = run.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(output.contains("status=130"), "\(output)")
        let drawn = output.components(separatedBy: "\r\u{1B}[K").dropFirst()
        #expect(!drawn.isEmpty)
        let lines = drawn.map { $0.components(separatedBy: "\n")[0] }
        #expect(lines.allSatisfy { $0.count < 50 }, "\(lines)")
        #expect(lines.contains { $0.contains("/s") && $0.contains("ETA") } || lines.count < 3, "\(lines)")
        // The long root loses its beginning; the numbers stay.
        #expect(lines.contains { $0.hasPrefix("hashing …") && $0.contains("/big") || $0.hasPrefix("hashing …") && $0.hasSuffix("files") })
        // The last thing before the exit status is the erase sequence: no stale line.
        #expect(output.contains("\r\u{1B}[Kstatus=130") || output.contains("\r\u{1B}[K\nstatus=130"), "\(output.suffix(200).debugDescription)")
        // On a wide terminal the line also names the file being read.
        let wide = command.replacingOccurrences(of: "stty cols 50", with: "stty cols 200")
        let wideRun = try runProcess("/usr/bin/script", ["-qec", "sh -c '\(wide)' \(modelctlBinary) \(root)", "/dev/null"], environment: ["TERM": "xterm"])
        #expect(wideRun.stdout.contains("files, big"), "\(wideRun.stdout.suffix(300).debugDescription)")
        let dumb = try runProcess("/usr/bin/script", ["-qec", "sh -c '\(command)' \(modelctlBinary) \(root)", "/dev/null"], environment: ["TERM": "dumb"])
        #expect(!dumb.stdout.contains("hashing"), "\(dumb.stdout)")
    }
}
