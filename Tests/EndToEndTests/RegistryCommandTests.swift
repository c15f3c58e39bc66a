import Foundation
import Testing
import TestSupport

/// A registry directory with two local models and one Ollama entry.
struct CLIFixture {
    let dir = TemporaryDirectory("e2e")
    var registry: String { dir.file("registry") }

    init() throws {
        try dir.write("models/a/weights.bin", String(repeating: "a", count: 5000))
        try dir.write("models/a/config.json", "{}")
        try dir.write("models/a/tokenizer.json", "tok")
        try dir.write("models/a/old.txt", "moving")
        try dir.write("models/b/weights.bin", "b")
        try dir.write("registry/model_registry.curated.json", """
            [
              {"name": "model-a_(FP16)", "backend": "vllm", "backend_config": {"model_path": "../models/a", "port": 24001}, "roles": ["chat"], "capabilities": {"vl": true}},
              {"name": "model-b", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/b"))"}},
              {"name": "remote", "backend": "ollama", "backend_config": {"model_path": "ollama:/qwen3:8b"}}
            ]
            """)
    }

    func run(_ arguments: [String]) throws -> ProcessResult {
        try modelctl(arguments + ["--registry-dir", registry])
    }

    /// Replaces the curated file with model-b alone, its lock pinned there to the aggregate of
    /// its artifacts as they are now; returns that aggregate.
    @discardableResult
    func pinModelB() throws -> String {
        let hashed = try run(["verify", "model-b", "--no-record", "--json"])
        let aggregate = try #require((try JSONSerialization.jsonObject(with: Data(hashed.stdout.utf8)) as? [String: Any])?["aggregate_sha256"] as? String)
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "model-b", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/b"))"},
              "version_lock": {"locked": true, "expected_aggregate_sha256": "\(aggregate)"}}]
            """)
        return aggregate
    }

    /// The registry files parsed, with every `version_lock.last_result` taken out.
    func registryWithoutLastResult() -> [String: NSArray] {
        registryBytes().compactMapValues { data in
            guard let items = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
            return items.map { item -> [String: Any] in
                var item = item
                if var lock = item["version_lock"] as? [String: Any] {
                    lock["last_result"] = nil
                    item["version_lock"] = lock
                }
                return item
            } as NSArray
        }
    }

    func registryBytes() -> [String: Data] {
        var out: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: registry)) ?? [] where name.hasSuffix(".json") {
            out[name] = FileManager.default.contents(atPath: registry + "/" + name)
        }
        return out
    }
}

struct RegistryCommandTests {
    @Test("verify exits 0, then 2 on a violation naming each changed, missing, added and moved file")
    func verifyExitCodes() throws {
        let f = try CLIFixture()
        #expect(try f.run(["verify", "model-a_(FP16)"]).status == 0)
        let lock = try f.run(["lock", "model-a_(FP16)"])
        #expect(lock.status == 0, "\(lock.stderr)")
        // Lock state persists across processes.
        #expect(try f.run(["list", "--json"]).stdout.contains("\"locked\": true"))
        #expect(try f.run(["verify", "model-a_(FP16)"]).status == 0)

        try f.dir.write("models/a/weights.bin", "tampered")
        try FileManager.default.removeItem(atPath: f.dir.file("models/a/tokenizer.json"))
        try FileManager.default.moveItem(atPath: f.dir.file("models/a/old.txt"), toPath: f.dir.file("models/a/new.txt"))
        try f.dir.write("models/a/extra.bin", "new")
        let before = f.registryWithoutLastResult()
        let violation = try f.run(["verify", "model-a_(FP16)"])
        #expect(violation.status == 2)
        for fragment in ["LOCK VIOLATION", "changed  weights.bin", "missing  tokenizer.json", "added    extra.bin", "moved    old.txt -> new.txt"] {
            #expect(violation.stdout.contains(fragment), "\(fragment) in \(violation.stdout)")
        }
        #expect(violation.stderr.contains("model-a_(FP16)"))
        // Only version_lock.last_result records the failure; the lock and the files stay.
        #expect(f.registryWithoutLastResult() == before)
        #expect(try f.run(["metrics", "model-a_(FP16)"]).stdout.contains("last_result   violation"))

        let json = try f.run(["verify", "model-a_(FP16)", "--json"])
        #expect(json.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "violation")
        #expect((object?["changed"] as? [[String: Any]])?.first?["path"] as? String == "weights.bin")
        #expect((object?["moved"] as? [[String: Any]])?.first?["to"] as? String == "new.txt")

        // Unlocked, the same files verify and are recorded.
        #expect(try f.run(["unlock", "model-a_(FP16)"]).status == 0)
        #expect(try f.run(["verify", "model-a_(FP16)"]).status == 0)
    }

    @Test("verify exits 1 for an unknown model (with suggestions) and a missing artifact root")
    func verifyErrors() throws {
        let f = try CLIFixture()
        let unknown = try f.run(["verify", "model-a"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown model 'model-a'"))
        #expect(unknown.stderr.contains("model-a_(FP16)"))
        try FileManager.default.removeItem(atPath: f.dir.file("models/b"))
        let missing = try f.run(["verify", "model-b"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(f.dir.file("models/b")))
    }

    @Test("verify --all goes past failures, notes non-local entries, and exits 2 when any entry violates")
    func verifyAll() throws {
        let f = try CLIFixture()
        #expect(try f.run(["lock", "model-a_(FP16)", "--set-expected"]).status == 0)
        let clean = try f.run(["verify", "--all"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stderr.contains("remote: skipped"))
        #expect(clean.stderr.contains("2 ok"))

        try f.dir.write("models/a/weights.bin", "tampered")
        try FileManager.default.removeItem(atPath: f.dir.file("models/b"))
        let mixed = try f.run(["verify", "--all", "--json"])
        #expect(mixed.status == 2)
        let array = try JSONSerialization.jsonObject(with: Data(mixed.stdout.utf8)) as? [[String: Any]]
        #expect(Set(array?.compactMap { $0["status"] as? String } ?? []) == ["skipped", "violation", "error"])
        #expect(mixed.stderr.contains("1 lock violation, 1 error, 1 skipped"))
    }

    @Test("list, show and metrics print the registry; --json is clean JSON")
    func listShowMetrics() throws {
        let f = try CLIFixture()
        let list = try f.run(["list"])
        #expect(list.status == 0)
        #expect(list.stdout.hasPrefix("NAME"))
        #expect(list.stdout.contains("model-a_(FP16)"))
        let chat = try f.run(["list", "--role", "chat", "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(chat.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.map { $0["name"] as? String } == ["model-a_(FP16)"])
        #expect(entries?.first?["vision"] as? Bool == true)

        let show = try f.run(["show", "model-a_(FP16)"])
        let shown = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect(shown?["backend"] as? String == "vllm")
        #expect(try f.run(["show", "nope"]).status == 1)

        #expect(try f.run(["verify", "model-b"]).status == 0)
        let one = try f.run(["metrics", "model-b", "--json"])
        let metrics = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any]
        #expect((metrics?["aggregate_sha256"] as? String)?.count == 64)
        #expect(metrics?["locked"] as? Bool == false)
        #expect(try f.run(["metrics"]).stdout.contains("model-b"))
    }

    @Test("an empty --registry-dir is a usage error (exit 64), never read as unset; an empty variable is unset")
    func emptyRegistryDirectory() throws {
        let f = try CLIFixture()
        // A script passing an empty variable through the option must not land on $MODELCTL_REGISTRY_DIR's registry.
        for arguments in [["list", "--registry-dir", ""], ["list", "--registry-dir="], ["--registry-dir", "", "list"], ["list", "--registry-dir", " "]] {
            let result = try modelctl(arguments, environment: ["MODELCTL_REGISTRY_DIR": f.registry])
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            // argument-parser itself refuses `--registry-dir=` as a missing value; modelctl refuses the rest.
            #expect(result.stderr.contains("--registry-dir was given an empty value") || arguments[1] == "--registry-dir=",
                    "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        // The variable set but empty counts as unset: the default ./configs, here missing.
        let unset = try modelctl(["list"], environment: ["MODELCTL_REGISTRY_DIR": ""], currentDirectory: f.dir.path)
        #expect(unset.status == 1)
        #expect(unset.stderr.contains("configs"), "\(unset.stderr)")
    }

    @Test("a failure whose fix is a setting names the option or variable (libraries do not know them)")
    func settingHints() throws {
        let f = try CLIFixture()
        let missing = try modelctl(["list", "--registry-dir", f.dir.file("nowhere")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("registry directory not found (set --registry-dir or MODELCTL_REGISTRY_DIR)"), "\(missing.stderr)")
        // verify reaches the registry through the locker, which passes the registry's error on.
        let verify = try modelctl(["verify", "--all", "--registry-dir", f.dir.file("nowhere")])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("registry directory not found (set --registry-dir or MODELCTL_REGISTRY_DIR)"), "\(verify.stderr)")
        let disabled = try modelctl(["activate-model", "model-b", "--registry-dir", f.registry], environment: ["MODELCTL_STATE_DIR": f.dir.file("state")])
        #expect(disabled.status == 1)
        #expect(disabled.stderr.contains("the single-port orchestrator is disabled; enable it"), "\(disabled.stderr)")
        #expect(disabled.stderr.contains("(set MODELCTL_ORCHESTRATOR=1)"), "\(disabled.stderr)")
    }

    @Test("bad registry input exits 1 naming the file, and leaves every file byte-identical", arguments: [
        "[{\"name\": \"a\",}]", "", "{}", "[{\"name\": \"a\"}, {\"name\": \"a\"}]", "[{\"name\": \"a\", \"backend_config\": {\"port\": \"80\"}}]",
    ])
    func badInput(text: String) throws {
        let f = try CLIFixture()
        try f.dir.write("registry/model_registry.discovered.json", text)
        let before = f.registryBytes()
        for command in [["list"], ["verify", "model-b"], ["lock", "model-b"], ["unlock", "model-b"], ["verify", "--all"]] {
            let result = try f.run(command)
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr.contains(f.registry + "/model_registry.discovered.json"), "\(command): \(result.stderr)")
            #expect(f.registryBytes() == before)
        }
    }
}
