import Foundation
import Testing
import TestSupport

/// A person's mistake in the registry or the host set-up is never a silent pass: each is named,
/// with the model, the file or directory, and the next command to run.
struct FailClosedTests {
    let dir = TemporaryDirectory("e2e-failclosed")
    var registry: String { dir.file("registry") }
    /// No Ollama store anywhere this process looks (HOME is the test's, OLLAMA_MODELS names nothing).
    var noStore: [String: String] { ["HOME": dir.file("home"), "OLLAMA_MODELS": dir.file("no-ollama-store"), "NO_COLOR": "1"] }

    init() throws {
        try dir.write("models/a/weights.bin", "weights of a")
    }

    func curated(_ json: String) throws {
        try dir.write("registry/model_registry.curated.json", json)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try modelctl(arguments + ["--registry-dir", registry], environment: noStore.merging(environment) { $1 })
    }

    func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    // MARK: 1. misplaced and unknown keys

    @Test("a model_path at the top level of an entry: check names it and where it belongs, verify --all fails on it (never skips)")
    func misplacedModelPath() throws {
        try curated("""
            [{"name": "tiny-llm_(FP16)", "backend": "vllm", "model_path": "../models/a", "version_lok": {"locked": true}},
             {"name": "typo", "backend": "vllm", "backend_config": {"model_pth": "../models/a"}},
             {"name": "fine", "backend": "vllm", "backend_config": {"model_path": "../models/a"}}]
            """)
        let check = try run(["check"])
        #expect(check.status == 1)
        #expect(check.stderr.contains(#"tiny-llm_(FP16): "model_path" is at the top level of the entry"#), "\(check.stderr)")
        #expect(check.stderr.contains("it belongs in backend_config.model_path: move it there in \(registry)/model_registry.curated.json"))
        // Unknown keys are --strict's business.
        #expect(!check.stderr.contains("version_lok"))
        let strict = try run(["check", "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains(#"tiny-llm_(FP16): unknown field "version_lok" (did you mean "version_lock"?)"#), "\(strict.stderr)")
        #expect(strict.stderr.contains(#"typo: unknown field "backend_config.model_pth" (did you mean "backend_config.model_path"?)"#))

        let verify = try run(["verify", "--all"])
        #expect(verify.status == 1, "\(verify.stderr)")
        #expect(verify.stderr.contains(#"error: tiny-llm_(FP16): "model_path" is at the top level"#), "\(verify.stderr)")
        #expect(!verify.stderr.contains("tiny-llm_(FP16): skipped"))
        #expect(verify.stdout.contains("fine: OK"))
        // The unknown key is still kept: the saved snapshot carries it.
        let snapshot = try String(contentsOfFile: registry + "/model_registry.json", encoding: .utf8)
        #expect(snapshot.contains(#""version_lok": {"#))
    }

    // MARK: 2. malformed pins

    @Test("a pin that is no SHA-256 digest: check refuses it, verify is a configuration error (exit 1), not a lock violation",
          arguments: [String(repeating: "AB", count: 32), String(repeating: "a", count: 63), String(repeating: "g", count: 64)])
    func malformedPin(pin: String) throws {
        try curated("""
            [{"name": "pinned", "backend": "vllm", "backend_config": {"model_path": "../models/a"},
              "version_lock": {"locked": true, "expected_aggregate_sha256": "\(pin)"}}]
            """)
        let check = try run(["check"])
        #expect(check.status == 1)
        #expect(check.stderr.contains("pinned: version_lock.expected_aggregate_sha256 \"\(pin)\" is not a SHA-256 digest"), "\(check.stderr)")
        #expect(check.stderr.contains("64 lowercase hex digits"))
        #expect(check.stderr.contains("as modelctl hash --aggregate-only \(registry)/../models/a prints it; correct it in \(registry)/model_registry.curated.json"))
        for arguments in [["verify", "pinned"], ["verify", "--all"]] {
            let verify = try run(arguments)
            #expect(verify.status == 1, "\(arguments): \(verify.stdout)\(verify.stderr)")
            #expect(!verify.stdout.contains("LOCK VIOLATION"))
            #expect(verify.stderr.contains("pinned: version_lock.expected_aggregate_sha256"), "\(verify.stderr)")
            #expect(verify.stderr.contains("64 lowercase hex digits"))
        }
    }

    // MARK: 3. no registry files, a missing or dangling curated layer

    @Test("a directory with no registry files: commands that need entries exit 1 naming it and the three files, and write nothing there")
    func noRegistryFiles() throws {
        try FileManager.default.createDirectory(atPath: registry, withIntermediateDirectories: true)
        for arguments in [["verify", "--all"], ["verify", "--all", "--no-record"], ["lock", "--all"], ["unlock", "m"], ["list"], ["check"]] {
            let result = try run(arguments)
            #expect(result.status == 1, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains("\(registry): no registry files here"), "\(arguments): \(result.stderr)")
            for file in ["model_registry.curated.json", "model_registry.discovered.json", "model_registry.json"] {
                #expect(result.stderr.contains(file), "\(arguments)")
            }
            #expect(!result.stdout.contains("0 entries"))
            #expect(files(in: registry).isEmpty, "\(arguments) wrote \(files(in: registry))")
        }
    }

    @Test("a curated layer that is missing or a dangling link while the discovered layer exists: a warning on stderr, a problem for check",
          arguments: [true, false])
    func missingCuratedLayer(dangling: Bool) throws {
        try dir.write("registry/model_registry.discovered.json", """
            [{"name": "a", "backend": "vllm", "backend_config": {"model_path": "../models/a"}}]
            """)
        let curatedPath = registry + "/model_registry.curated.json"
        if dangling { try FileManager.default.createSymbolicLink(atPath: curatedPath, withDestinationPath: dir.file("unmounted/curated.json")) }
        let verify = try run(["verify", "--all"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let warning = verify.stderr.split(separator: "\n").filter { $0.contains("warning: \(curatedPath)") }
        #expect(warning.count == 1, "\(verify.stderr)")
        #expect(warning.first?.contains(dangling ? "is a symbolic link to \(dir.file("unmounted/curated.json")), which does not exist" : "is missing") == true)
        #expect(warning.first?.contains("pins are not loaded") == true)
        let check = try run(["check"])
        #expect(check.status == 1)
        #expect(check.stderr.contains("error: \(curatedPath) \(dangling ? "is a symbolic link" : "is missing")"), "\(check.stderr)")
    }

    // MARK: 5. --no-record

    @Test("verify --no-record says the result was not recorded, and writes nothing")
    func noRecordSaysSo() throws {
        try curated(#"[{"name": "a", "backend": "vllm", "backend_config": {"model_path": "../models/a"}}]"#)
        let result = try run(["verify", "a", "--no-record"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("a: OK (unlocked, not recorded)"), "\(result.stdout)")
        #expect(files(in: registry) == ["model_registry.curated.json"])
        let json = try run(["verify", "a", "--no-record", "--json"])
        #expect(json.stdout.contains(#""recorded": false"#))
        #expect(try run(["verify", "a"]).stdout.contains("a: OK (unlocked, recorded)"))
    }

    // MARK: 6. activation of unlocked entries, and pins without "locked"

    @Test("activate-model warns on an unlocked entry and records verified: false; --require-locked and MODELCTL_REQUIRE_LOCKED=1 refuse it with exit 2")
    func activateUnlocked() throws {
        try curated(#"[{"name": "tiny-llm_(FP16)", "backend": "vllm", "backend_config": {"model_path": "../models/a"}}]"#)
        let state = dir.file("state")
        let environment = ["MODELCTL_ORCHESTRATOR": "1", "MODELCTL_STATE_DIR": state, "MODELCTL_START_TIMEOUT": "30",
                           "MODELCTL_LAUNCH_COMMAND": #"["/usr/bin/python3", "\#(repositoryRoot)/fixtures/standin/fake_vllm.py"]"#,
                           "MODELCTL_VLLM_PORT": String(Int.random(in: 40000...49999))]
        for refusal in [(["--require-locked"], [:]), ([], ["MODELCTL_REQUIRE_LOCKED": "1"])] {
            let refused = try run(["activate-model", "tiny-llm_(FP16)"] + refusal.0, environment: environment.merging(refusal.1) { $1 })
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("tiny-llm_(FP16): not locked"))
            #expect(refused.stderr.contains("modelctl lock 'tiny-llm_(FP16)' --set-expected"))
            #expect(!FileManager.default.fileExists(atPath: state + "/backend.log"), "a refused entry was launched")
        }
        let launched = try run(["activate-model", "tiny-llm_(FP16)"], environment: environment)
        defer { _ = try? run(["activate-model", "--stop"], environment: environment) }
        #expect(launched.status == 0, "\(launched.stderr)")
        #expect(launched.stderr.contains("warning: tiny-llm_(FP16): not locked"), "\(launched.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state + "/active_model.json"))) as? [String: Any]
        #expect(record?["verified"] as? Bool == false, "\(String(describing: record))")
        #expect(try run(["activate-model", "--stop"], environment: environment).status == 0)
    }

    @Test("a curated pin without \"locked\" is enforced as a lock; \"locked\": false turns it off and check --strict says so")
    func pinWithoutLocked() throws {
        let actual = try modelctl(["hash", dir.file("models/a"), "--aggregate-only"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = String(repeating: "0", count: 64)
        try curated("""
            [{"name": "right", "backend": "vllm", "backend_config": {"model_path": "../models/a"}, "version_lock": {"expected_aggregate_sha256": "\(actual)"}},
             {"name": "wrong", "backend": "vllm", "backend_config": {"model_path": "../models/a"}, "version_lock": {"expected_aggregate_sha256": "\(other)"}},
             {"name": "off", "backend": "vllm", "backend_config": {"model_path": "../models/a"}, "version_lock": {"locked": false, "expected_aggregate_sha256": "\(other)"}}]
            """)
        let right = try run(["verify", "right"])
        #expect(right.status == 0)
        #expect(right.stdout.contains("right: OK (locked, matches expected)"), "\(right.stdout)")
        let wrong = try run(["verify", "wrong"])
        #expect(wrong.status == 2)
        #expect(wrong.stdout.contains("wrong: LOCK VIOLATION"))
        #expect(try run(["verify", "off"]).status == 0)
        let strict = try run(["check", "--strict"])
        #expect(strict.stderr.contains("off: not locked (--strict); its lock is pinned in \(registry)/model_registry.curated.json with \"locked\": false"), "\(strict.stderr)")
        #expect(!strict.stderr.contains("right:") && !strict.stderr.contains("wrong:"))
        let verifyStrict = try run(["verify", "off", "--strict"])
        #expect(verifyStrict.status == 1)
        #expect(verifyStrict.stderr.contains("off: not locked (--strict); its lock is pinned in \(registry)/model_registry.curated.json"), "\(verifyStrict.stderr)")
    }

    // MARK: 7. a stat cache that cannot be written

    @Test("a state directory that cannot be written: one warning naming it and MODELCTL_STATE_DIR, however many entries")
    func unwritableStatCache() throws {
        try curated("""
            [{"name": "a1", "backend": "vllm", "backend_config": {"model_path": "../models/a"}},
             {"name": "a2", "backend": "vllm", "backend_config": {"model_path": "../models/b"}},
             {"name": "a3", "backend": "vllm", "backend_config": {"model_path": "../models/c"}}]
            """)
        try dir.write("models/b/w", "b")
        try dir.write("models/c/w", "c")
        // Not a permission bit (root ignores those): nothing can create a directory in /proc.
        let state = "/proc/modelctl-test-\(getpid())/state"
        let result = try run(["verify", "--all", "--quick"], environment: ["MODELCTL_STATE_DIR": state])
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("stat cache") && $0.contains("warning") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(warnings.first?.contains(state + "/verify-cache") == true)
        #expect(warnings.first?.contains("MODELCTL_STATE_DIR") == true)
    }

    @Test("the systemd example gives verify a writable state directory for its stat cache")
    func systemdStateDirectory() throws {
        let unit = try ProductionExamplesTests.parseUnit(try ProductionExamplesTests.read("modelctl-verify.service"))
        let stateDirectory = try #require(unit["Service"]?["StateDirectory"]?.first)
        #expect(unit["Service"]?["Environment"]?.contains("MODELCTL_STATE_DIR=/var/lib/\(stateDirectory)") == true,
                "\(String(describing: unit["Service"]?["Environment"]))")
    }

    // MARK: 8. suggestions that run where they are printed

    @Test("check --strict suggests a lock only where it can run, quoted for the shell; elsewhere it says where to lock and how to skip")
    func runnableSuggestions() throws {
        try curated("""
            [{"name": "tiny-llm_(FP16)", "backend": "vllm", "backend_config": {"model_path": "../models/a"}},
             {"name": "it's", "backend": "vllm", "backend_config": {"model_path": "../models/a"}},
             {"name": "qwen3_(Q4)", "backend": "ollama", "backend_config": {"model_path": "ollama:qwen3:8b"}}]
            """)
        let strict = try run(["check", "--strict"])
        #expect(strict.status == 1)
        let ollama = try #require(strict.stderr.split(separator: "\n").first { $0.contains("qwen3_(Q4): not locked") })
        #expect(!ollama.contains("; run modelctl lock"), "\(ollama)")
        #expect(ollama.contains("not on this host") && ollama.contains("no Ollama store was found"))
        #expect(ollama.contains("on the host that holds them") && ollama.contains("--skip-backend ollama"))
        #expect(try run(["check", "--strict", "--skip-backend", "ollama"]).stderr.contains("qwen3_(Q4)") == false)
        // Each local suggestion, pasted into a shell as printed, locks its entry.
        for name in ["tiny-llm_(FP16)", "it's"] {
            let line = try #require(strict.stderr.split(separator: "\n").first { $0.contains("\(name): not locked") })
            let command = try #require(line.range(of: "; run modelctl ").map { String(line[$0.upperBound...]) })
            let pasted = try shell("\"$0\" \(command) --registry-dir \"$1\"", arguments: [modelctlBinary, registry])
            #expect(pasted.status == 0, "\(command): \(pasted.stderr)")
        }
        #expect(try run(["check", "--strict", "--skip-backend", "ollama"]).status == 0)
    }

    @Test("the GitHub Actions example passes on a registry holding Ollama entries, on a runner without the store, naming each one skipped")
    func githubActionsWithOllamaEntries() throws {
        try dir.write("mnt/models/qwen2.5-7b-instruct/config.json", "{}")
        let aggregate = try modelctl(["hash", dir.file("mnt/models/qwen2.5-7b-instruct"), "--aggregate-only"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let pin = String(repeating: "e", count: 64)
        try curated("""
            [{"name": "qwen2.5-7b-instruct", "backend": "vllm", "backend_config": {"model_path": "/srv/models/qwen2.5-7b-instruct"},
              "version_lock": {"locked": true, "expected_aggregate_sha256": "\(aggregate)"}},
             {"name": "llama3_(Q4)", "backend": "ollama", "backend_config": {"model_path": "ollama:llama3:8b"},
              "version_lock": {"locked": true, "expected_aggregate_sha256": "\(pin)"}}]
            """)
        try FileManager.default.createDirectory(atPath: dir.file("work"), withIntermediateDirectories: true)
        // The `run:` steps, and the verify the workflow runs through modelctl's action.
        let invocations = ProductionExamplesTests.invocations(try ProductionExamplesTests.read("github-actions-modelctl.yml"))
            + [try ProductionExamplesTests.actionVerify(registryDirectory: registry)]
        #expect(invocations.count >= 2 && invocations.contains { $0.first == "verify" && $0.contains("--skip-backend") })
        for invocation in invocations {
            let arguments = invocation.map { $0.replacingOccurrences(of: "/srv/models=/mnt/models", with: "/srv/models=" + dir.file("mnt/models")) }
            let result = try modelctl(arguments, environment: noStore.merging(["MODELCTL_REGISTRY_DIR": registry, "GITHUB_ACTIONS": ""]) { $1 },
                                      currentDirectory: dir.file("work"))
            #expect(result.status == 0, "modelctl \(invocation.joined(separator: " ")) -> \(result.status)\n\(result.stderr)")
            if invocation.first == "verify" {
                #expect(result.stderr.contains("llama3_(Q4): skipped (backend 'ollama'"), "\(result.stderr)")
                #expect(result.stdout.contains("qwen2.5-7b-instruct: OK (locked, matches expected)"))
            }
        }
    }
}
