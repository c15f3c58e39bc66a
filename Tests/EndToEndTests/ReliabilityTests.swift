import Foundation
import Testing
import TestSupport

struct ReliabilityTests {
    @Test("a writer killed with SIGKILL at random moments never leaves a torn file")
    func killedWriters() throws {
        let f = try CLIFixture()
        // Make the files big enough that a write takes a while: many entries.
        var entries: [String] = []
        for i in 0..<300 {
            entries.append(#"{"name": "bulk-\#(i)", "backend": "vllm", "backend_config": {"model_path": "/nonexistent/\#(i)"}, "metadata": {"pad": "\#(String(repeating: "x", count: 400))"}}"#)
        }
        try f.dir.write("registry/model_registry.discovered.json", "[" + entries.joined(separator: ",") + "]")
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        for i in 0..<40 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: modelctlBinary)
            process.arguments = [i % 2 == 0 ? "lock" : "unlock", "bulk-\(i)", "--registry-dir", f.registry]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...40_000, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            for name in ["model_registry.discovered.json", "model_registry.json"] {
                guard let data = FileManager.default.contents(atPath: f.registry + "/" + name) else { continue }
                let parsed = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
                #expect(parsed?.count ?? 0 >= 300, "\(name) after run \(i) is torn")
            }
        }
        #expect(killed > 0, "no writer was killed: the test proved nothing")
        // A killed writer may leave a temporary file behind; the next save clears it.
        #expect(try f.run(["lock", "bulk-0"]).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: f.registry).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("three processes writing different entries at once lose no update")
    func concurrentWriters() throws {
        let f = try CLIFixture()
        try f.dir.write("models/c/w", "c")
        try f.dir.write("registry/model_registry.curated.json", """
            [
              {"name": "x", "backend": "vllm", "backend_config": {"model_path": "../models/a"}},
              {"name": "y", "backend": "vllm", "backend_config": {"model_path": "../models/b"}},
              {"name": "z", "backend": "vllm", "backend_config": {"model_path": "../models/c"}}
            ]
            """)
        #expect(try f.run(["lock", "y"]).status == 0)
        let script = """
            for i in $(seq 1 20); do "$0" lock x --registry-dir "$1" >/dev/null || exit 1; done &
            for i in $(seq 1 20); do "$0" unlock y --registry-dir "$1" >/dev/null || exit 1; done &
            for i in $(seq 1 20); do "$0" verify z --registry-dir "$1" >/dev/null || exit 1; done &
            fail=0; for job in $(jobs -p); do wait $job || fail=1; done; exit $fail
            """
        let result = try runProcess("/bin/bash", ["-c", script, modelctlBinary, f.registry])
        #expect(result.status == 0, "\(result.stderr)")
        let list = try JSONSerialization.jsonObject(with: Data(try f.run(["list", "--json"]).stdout.utf8)) as? [[String: Any]]
        let byName = Dictionary(uniqueKeysWithValues: (list ?? []).map { ($0["name"] as! String, $0) })
        #expect(byName["x"]?["locked"] as? Bool == true)
        #expect(byName["y"]?["locked"] as? Bool == false)
        #expect((byName["z"]?["aggregate_sha256"] as? String)?.count == 64)
        let metrics = try JSONSerialization.jsonObject(with: Data(try f.run(["metrics", "z", "--json"]).stdout.utf8)) as? [String: Any]
        #expect(metrics?["last_verified"] is String)
    }
}
