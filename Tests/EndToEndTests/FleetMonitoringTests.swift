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
}
