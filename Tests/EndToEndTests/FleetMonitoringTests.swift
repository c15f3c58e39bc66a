import Foundation
import Testing
import TestSupport

/// What a fleet's monitoring reads from modelctl: the report files of a run that failed, and the
/// shipped alert rules and dashboard, checked against the metrics the binary really writes.
struct FleetMonitoringTests {
    /// A registry with one locked entry whose name needs shell quoting, verified once with both
    /// report files, so each file holds a good run.
    static func goodRun() throws -> (dir: TemporaryDirectory, prom: String, junit: String) {
        let dir = TemporaryDirectory("fleet")
        try dir.write("models/tiny/weights.bin", "weights")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny-llm_(FP16)", "backend": "vllm", "backend_config": {"model_path": "../models/tiny"}, "version_lock": {"locked": true}}]
            """)
        let (prom, junit) = (dir.file("out/modelctl.prom"), dir.file("out/junit.xml"))
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let first = try modelctl(["--registry-dir", dir.file("registry"), "verify", "--all", "--prometheus", prom, "--junit", junit])
        #expect(first.status == 0, "\(first.stderr)")
        let parsed = try FormatCheckers.parsePrometheus(try String(contentsOfFile: prom, encoding: .utf8))
        #expect(parsed.samples.contains { $0.name == "modelctl_verify_status" && $0.labels["model"] == "tiny-llm_(FP16)" && $0.value == 0 })
        return (dir, prom, junit)
    }

    /// Every way a run can fail before it has results: a layer that is not JSON, a layer that
    /// cannot be read (a directory where the file should be), a duplicate name.
    static let breakages: [(String, String)] = [
        ("malformed", "[{\"name\": "),
        ("unreadable", ""),
        ("duplicate", #"[{"name": "a", "backend": "vllm"}, {"name": "a", "backend": "vllm"}]"#),
    ]

    @Test("a verify run that fails rewrites --prometheus with run_errors > 0 and the attempt's time, and --junit with one failing case",
          arguments: breakages.map(\.0))
    func failedVerifyRewritesReports(breakage: String) throws {
        let (dir, prom, junit) = try Self.goodRun()
        let layer = dir.file("registry/model_registry.curated.json")
        try FileManager.default.removeItem(atPath: layer)
        if breakage == "unreadable" {
            try FileManager.default.createDirectory(atPath: layer, withIntermediateDirectories: false)
        } else {
            try dir.write("registry/model_registry.curated.json", Self.breakages.first { $0.0 == breakage }!.1)
        }
        let before = Date().timeIntervalSince1970
        let failed = try modelctl(["--registry-dir", dir.file("registry"), "verify", "--all", "--prometheus", prom, "--junit", junit])
        #expect(failed.status == 1, "\(failed.stderr)")
        let parsed = try FormatCheckers.parsePrometheus(try String(contentsOfFile: prom, encoding: .utf8))
        #expect(parsed.samples.first { $0.name == "modelctl_verify_run_errors" }?.value == 1)
        let stamp = try #require(parsed.samples.first { $0.name == "modelctl_verify_run_timestamp_seconds" }?.value)
        #expect(stamp >= before.rounded(.down) && stamp <= Date().timeIntervalSince1970 + 1)
        // Yesterday's per-entry verdicts are gone: nothing says the model is fine.
        #expect(!parsed.samples.contains { $0.name == "modelctl_verify_status" }, "\(parsed.samples)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains(#"tests="1" failures="0" errors="1""#), "\(xml)")
        #expect(xml.contains("model_registry.curated.json"), "the failing case names the file: \(xml)")
        try FormatCheckers.validateJUnitSchema(junit, in: dir)
    }

    @Test("a scan that fails (no store to scan) rewrites --prometheus with scan_run_errors 1")
    func failedScanRewritesReports() throws {
        let dir = TemporaryDirectory("fleet-scan")
        let prom = try dir.write("out/scan.prom", "modelctl_scan_run_errors 0\n")
        let environment = ["HOME": dir.file("home"), "HF_HUB_CACHE": dir.file("none/hub"), "HF_HOME": dir.file("none"), "OLLAMA_MODELS": dir.file("none/ollama")]
        let failed = try modelctl(["scan", "--prometheus", prom], environment: environment)
        #expect(failed.status == 1, "\(failed.stderr)")
        let parsed = try FormatCheckers.parsePrometheus(try String(contentsOfFile: prom, encoding: .utf8))
        #expect(parsed.samples.first { $0.name == "modelctl_scan_run_errors" }?.value == 1)
        #expect(parsed.samples.contains { $0.name == "modelctl_scan_run_timestamp_seconds" })
    }

    @Test("the commands check --strict and verify --strict suggest quote model names, and run as pasted into a shell")
    func suggestedCommandsRunAsPasted() throws {
        let dir = TemporaryDirectory("fleet-quote")
        for name in ["tiny", "quoted"] { try dir.write("models/\(name)/w.bin", name) }
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny-llm_(FP16)", "backend_config": {"model_path": "../models/tiny"}},
             {"name": "it's-7b", "backend_config": {"model_path": "../models/quoted"}}]
            """)
        let check = try modelctl(["--registry-dir", dir.file("registry"), "check", "--strict"])
        let verify = try modelctl(["--registry-dir", dir.file("registry"), "verify", "--all", "--strict", "--no-record"])
        #expect(check.status == 1 && verify.status == 1)
        var commands: [String] = []
        for line in (check.stderr + verify.stderr).split(separator: "\n") {
            if let match = line.firstMatch(of: /(modelctl lock .*--set-expected)/) { commands.append(String(match.output.1)) }
        }
        #expect(commands.count == 4, "\(check.stderr)\(verify.stderr)")
        #expect(commands.contains("modelctl lock 'tiny-llm_(FP16)' --set-expected") && commands.contains(#"modelctl lock 'it'\''s-7b' --set-expected"#))
        for command in Set(commands) {
            let pasted = try shell("bin=\"$0\" registry=\"$1\"; modelctl() { \"$bin\" --registry-dir \"$registry\" \"$@\"; }; " + command, arguments: [modelctlBinary, dir.file("registry")])
            #expect(pasted.status == 0, "\(command): \(pasted.stderr)")
        }
        let locked = try modelctl(["--registry-dir", dir.file("registry"), "check", "--strict"])
        #expect(locked.status == 0, "\(locked.stderr)")
    }

    // MARK: the shipped rules and dashboard against what the binary writes

    /// Every sample modelctl writes, from real runs: a verify of a passing, a tampered, a
    /// quote-named and a missing entry; a verify that fails; a scan of the Hugging Face cache
    /// fixture with a corrupt blob; a scan that fails.
    static func writtenSamples() throws -> [FormatCheckers.Sample] {
        let dir = TemporaryDirectory("fleet-written")
        for name in ["tiny", "quoted", "embed"] { try dir.write("models/\(name)/weights.bin", name) }
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny-llm_(FP16)", "backend_config": {"model_path": "../models/tiny"}},
             {"name": "it's-7b", "backend_config": {"model_path": "../models/quoted"}},
             {"name": "embed-small", "backend_config": {"model_path": "../models/embed"}},
             {"name": "gone", "backend_config": {"model_path": "../models/gone"}, "version_lock": {"locked": true}}]
            """)
        let locked = try modelctl(["--registry-dir", dir.file("registry"), "lock", "tiny-llm_(FP16)", "it's-7b", "--set-expected"])
        #expect(locked.status == 0, "\(locked.stderr)")
        try dir.write("models/tiny/weights.bin", "tampered")
        var texts: [String] = []
        func run(_ arguments: [String], _ status: Int32, environment: [String: String] = [:]) throws {
            let file = dir.file("out\(texts.count).prom")
            let result = try modelctl(arguments + ["--prometheus", file], environment: environment)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            texts.append(try String(contentsOfFile: file, encoding: .utf8))
        }
        try run(["--registry-dir", dir.file("registry"), "verify", "--all"], 2)
        try shell("cp -a \"$0\" \"$1\" && f=$(ls \"$1\"/models--acme--tiny-lm/blobs/* | head -1) && printf X >> \"$f\"",
                  arguments: [repositoryRoot + "/fixtures/hf-cache/hub", dir.file("hub")])
        try run(["scan", dir.file("hub")], 2)
        try run(["scan"], 1, environment: ["HOME": dir.file("home"), "HF_HOME": dir.file("none"), "HF_HUB_CACHE": dir.file("none/hub"), "OLLAMA_MODELS": dir.file("none/o")])
        try dir.write("registry/model_registry.curated.json", "[")
        try run(["--registry-dir", dir.file("registry"), "verify", "--all"], 1)
        return try texts.flatMap { try FormatCheckers.parsePrometheus($0).samples }
    }

    /// The `modelctl_*` names in a PromQL query.
    static func metricNames(_ query: String) -> Set<String> {
        Set(query.matches(of: /modelctl_[a-z_]+/).map { String($0.output) })
    }

    @Test("every query of the Grafana dashboard names metrics modelctl writes")
    func dashboardQueries() throws {
        let written = Set(try Self.writtenSamples().map(\.name))
        #expect(written.contains("modelctl_verify_last_full_timestamp_seconds"))
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ProductionExamplesTests.examples + "/grafana-dashboard.json")))
        var queries: [String] = []
        func walk(_ value: Any, key: String) {
            if let object = value as? [String: Any] { for (k, v) in object { walk(v, key: k) } }
            else if let array = value as? [Any] { for v in array { walk(v, key: key) } }
            else if let text = value as? String, ["expr", "query", "definition"].contains(key), text != "prometheus" { queries.append(text) }
        }
        walk(dashboard, key: "")
        #expect(queries.count >= 8, "\(queries)")
        for query in queries {
            let names = Self.metricNames(query)
            #expect(!names.isEmpty, "names no modelctl metric: \(query)")
            #expect(names.isSubset(of: written), "names a metric modelctl does not write: \(names.subtracting(written)) in \(query)")
        }
        let titles = (dashboard as? [String: Any])?["panels"].flatMap { $0 as? [[String: Any]] }?.compactMap { $0["title"] as? String } ?? []
        for topic in ["hosts x models", "last full verify", "Bytes verified", "Violations over time"] {
            #expect(titles.contains { $0.contains(topic) }, "no panel on \(topic): \(titles)")
        }
    }

    @Test("promtool accepts the rules and passes their unit tests (where promtool is installed: make fleet-deps)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
    func promtool() throws {
        for arguments in [["check", "rules", "prometheus-rules.yml"], ["test", "rules", "prometheus-rules.test.yml"]] {
            let result = try runProcess("/usr/bin/promtool", arguments, currentDirectory: ProductionExamplesTests.examples)
            #expect(result.status == 0 && result.stdout.contains("SUCCESS"), "promtool \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)")
        }
    }

    @Test("the alert rules name metrics modelctl writes, and their unit tests' series are ones it writes")
    func rulesAndTheirTestSeries() throws {
        let samples = try Self.writtenSamples()
        let written = Set(samples.map(\.name))
        let rules = try ProductionExamplesTests.read("prometheus-rules.yml")
        #expect(Self.metricNames(rules).isSubset(of: written), "\(Self.metricNames(rules).subtracting(written))")
        let tests = try ProductionExamplesTests.read("prometheus-rules.test.yml")
        var count = 0
        for line in tests.split(separator: "\n") {
            guard let match = line.firstMatch(of: /series: (['"])(.*)\1$/) else { continue }
            let text = match.output.1 == "\"" ? match.output.2.replacingOccurrences(of: "\\\"", with: "\"") : String(match.output.2)
            let name = text.prefix { $0 != "{" }
            let parsed = try FormatCheckers.parsePrometheus("# TYPE \(name) gauge\n\(text) 0\n").samples[0]
            // The scrape adds instance and job; everything else is modelctl's.
            let own = parsed.labels.filter { $0.key != "instance" && $0.key != "job" }
            #expect(Set(parsed.labels.keys).isSuperset(of: ["instance", "job"]), "\(text)")
            #expect(samples.contains { $0.name == parsed.name && $0.labels == own }, "not a series modelctl writes: \(text)")
            count += 1
        }
        #expect(count > 0 && count == tests.components(separatedBy: "- series:").count - 1)
        for alert in ["ModelLockViolation", "ModelUnverifiable", "ModelVerifyRunFailed", "ModelStoreCorrupt", "ModelStoreScanFailed", "ModelVerifyStale"] {
            #expect(rules.contains("alert: \(alert)") && tests.contains("alertname: \(alert)\n        exp_alerts:\n          - exp_labels"), "\(alert) untested")
        }
    }
}
