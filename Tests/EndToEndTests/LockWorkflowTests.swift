import Foundation
import Testing
import TestSupport

/// The release, CI and cron paths of the lock, run through the built binary.
struct LockWorkflowTests {
    func entry(_ f: CLIFixture, _ name: String) throws -> [String: Any] {
        let out = try f.run(["show", name])
        return try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
    }

    @Test("lock --update re-baselines: new expected aggregate, who, when, why and the previous aggregate")
    func rebaseline() throws {
        let f = try CLIFixture()
        #expect(try f.run(["lock", "model-a_(FP16)", "--set-expected"]).status == 0)
        let before = try entry(f, "model-a_(FP16)")["version_lock"] as? [String: Any]
        try f.dir.write("models/a/weights.bin", "new weights")
        #expect(try f.run(["verify", "model-a_(FP16)"]).status == 2)
        // --set-expected keeps the old expectation; only --update replaces it, and needs a reason.
        #expect(try f.run(["lock", "model-a_(FP16)", "--update"]).status == 64)
        let update = try f.run(["lock", "model-a_(FP16)", "--update", "--reason", "new quantisation"])
        #expect(update.status == 0, "\(update.stderr)")
        let lock = try #require(try entry(f, "model-a_(FP16)")["version_lock"] as? [String: Any])
        #expect(lock["previous_aggregate_sha256"] as? String == before?["expected_aggregate_sha256"] as? String)
        #expect(lock["expected_aggregate_sha256"] as? String != before?["expected_aggregate_sha256"] as? String)
        #expect(lock["reason"] as? String == "new quantisation")
        #expect((lock["updated_by"] as? String)?.contains("@") == true)
        #expect(lock["updated_at"] as? String != nil)
        #expect(try f.run(["verify", "model-a_(FP16)"]).status == 0)
    }

    @Test("lock and unlock take several names and --all; an empty or missing root is refused as a baseline")
    func severalNamesAndEmptyRoots() throws {
        let f = try CLIFixture()
        let both = try f.run(["lock", "model-a_(FP16)", "model-b", "--set-expected"])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.components(separatedBy: "locked ").count == 3)
        let unlockAll = try f.run(["unlock", "--all"])
        #expect(unlockAll.status == 0)
        #expect(unlockAll.stdout.contains("unlocked model-a_(FP16)") && unlockAll.stdout.contains("unlocked model-b"))

        try FileManager.default.removeItem(atPath: f.dir.file("models/b/weights.bin"))
        let empty = try f.run(["lock", "model-b", "--update", "--reason", "x"])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("empty tree") && empty.stderr.contains("--allow-empty"))
        try FileManager.default.removeItem(atPath: f.dir.file("models/b"))
        let missing = try f.run(["lock", "model-b", "--update", "--reason", "x"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist"))
        #expect(try f.run(["lock", "model-b", "--update", "--reason", "x", "--allow-empty"]).status == 0)
    }

    @Test("a curated version_lock pins the entry: a tampered model fails, unlock is refused")
    func curatedPin() throws {
        let f = try CLIFixture()
        try f.pinModelB()
        #expect(try f.run(["verify", "model-b"]).status == 0)
        try f.dir.write("models/b/weights.bin", "tampered")
        let violation = try f.run(["verify", "model-b"])
        #expect(violation.status == 2)
        #expect(violation.stdout.contains("LOCK VIOLATION"))
        let unlock = try f.run(["unlock", "model-b"])
        #expect(unlock.status == 1)
        #expect(unlock.stderr.contains("pinned") && unlock.stderr.contains("model_registry.curated.json"))
    }

    @Test("verify --no-record writes nothing; a registry that cannot be written still gets its verdict")
    func noRecordAndReadOnly() throws {
        let f = try CLIFixture()
        #expect(try f.run(["lock", "model-a_(FP16)", "--set-expected"]).status == 0)
        let before = f.registryBytes()
        #expect(try f.run(["verify", "model-a_(FP16)", "--no-record"]).status == 0)
        #expect(f.registryBytes() == before)
        #expect(!FileManager.default.fileExists(atPath: f.registry + "/.model_registry.lock.new"))
        try f.dir.write("models/a/weights.bin", "tampered")
        let tampered = try f.run(["verify", "model-a_(FP16)", "--no-record"])
        #expect(tampered.status == 2)
        #expect(tampered.stdout.contains("changed  weights.bin"))
        #expect(f.registryBytes() == before)

        // A lock file that cannot be opened for writing stands in for a read-only registry
        // (root ignores permission bits, so a mode change would not do).
        try FileManager.default.removeItem(atPath: f.registry + "/.model_registry.lock")
        try FileManager.default.createDirectory(atPath: f.registry + "/.model_registry.lock", withIntermediateDirectories: false)
        let readOnly = try f.run(["verify", "model-a_(FP16)"])
        #expect(readOnly.status == 2, "\(readOnly.stderr)")
        #expect(readOnly.stderr.contains("nothing was recorded"))
        #expect(readOnly.stdout.contains("LOCK VIOLATION"))
    }

    @Test("--map-path and MODELCTL_MAP_PATH rewrite a model path prefix")
    func mapPath() throws {
        let f = try CLIFixture()
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "/srv/models/a"}}]
            """)
        #expect(try f.run(["verify", "m", "--no-record"]).status == 1)
        let mapped = try f.run(["verify", "m", "--no-record", "--map-path", "/srv/models=\(f.dir.file("models"))"])
        #expect(mapped.status == 0, "\(mapped.stderr)")
        let env = try modelctl(["verify", "m", "--no-record", "--registry-dir", f.registry],
                               environment: ["MODELCTL_MAP_PATH": "/elsewhere=/x;/srv/models=\(f.dir.file("models"))"])
        #expect(env.status == 0, "\(env.stderr)")
        #expect(try f.run(["verify", "m", "--map-path", "no-equals-sign"]).status == 64)
    }

    @Test("check validates without weights; --strict wants every local entry locked")
    func check() throws {
        let f = try CLIFixture()
        #expect(try f.run(["check"]).status == 0)
        let strict = try f.run(["check", "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("model-a_(FP16): not locked") && strict.stderr.contains("remote: not locked"))
        #expect(try f.run(["lock", "model-a_(FP16)"]).status == 0)
        let noExpected = try f.run(["check"])
        #expect(noExpected.status == 1)
        #expect(noExpected.stderr.contains("locked without an expected aggregate"))
        try f.dir.write("registry/model_registry.curated.json", #"[{"name": "p", "backend_config": {"port": 99999}}]"#)
        let port = try f.run(["check"])
        #expect(port.status == 1)
        #expect(port.stderr.contains("backend_config.port 99999 is not a TCP port"))
        let negative = try f.run(["verify", "p", "--lock-timeout", "-5"])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("--lock-timeout must be between 0 and 86400"))
        try f.dir.write("registry/model_registry.curated.json", #"[{"name": "x", "name": "y"}]"#)
        let duplicate = try f.run(["check"])
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr.contains("duplicate member \"name\""))
    }

    @Test("verify --all: a locked entry that cannot be checked is an error; --strict fails unlocked and empty")
    func strictAll() throws {
        let f = try CLIFixture()
        let plain = try f.run(["verify", "--all"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("remote: skipped"))
        let strict = try f.run(["verify", "--all", "--strict", "--no-record"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("not locked"))

        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "gone", "backend": "vllm", "backend_config": {"model_path": "/nonexistent/model"}, "version_lock": {"locked": true, "expected_aggregate_sha256": "0000000000000000000000000000000000000000000000000000000000000000"}},
             {"name": "o", "backend": "ollama", "backend_config": {"model_path": "ollama:/qwen3:8b"}, "version_lock": {"locked": true}}]
            """)
        let locked = try f.run(["verify", "--all"])
        #expect(locked.status == 1)
        #expect(locked.stderr.contains("gone: artifact root /nonexistent/model does not exist"))
        #expect(locked.stderr.contains("o: model_path"))
        #expect(try entry(f, "gone")["version_lock"].flatMap { ($0 as? [String: Any])?["last_result"] as? [String: Any] }?["status"] as? String == "error")

        for file in ["curated", "discovered"] { try f.dir.write("registry/model_registry.\(file).json", "[]") }
        try FileManager.default.removeItem(atPath: f.registry + "/model_registry.json")
        #expect(try f.run(["verify", "--all", "--strict"]).status == 1)
        #expect(try f.run(["verify", "--all"]).status == 0)
    }

    @Test("a NUL byte in model_path is refused naming the field, never cut short")
    func nulInModelPath() throws {
        let f = try CLIFixture()
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "n", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/a"))\\u0000/../b"}}]
            """)
        let out = try f.run(["verify", "n"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("backend_config.model_path contains a NUL byte"))
    }

    @Test("activate-model verifies a locked entry first: a violation exits 2 and launches nothing; signing keeps the lock")
    func activateVerifiesFirst() throws {
        let f = try CLIFixture()
        #expect(try f.run(["lock", "model-b", "--set-expected"]).status == 0)
        // model.sig beside the weights is not part of the locked model.
        try f.dir.write("models/b/model.sig", "{}")
        #expect(try f.run(["verify", "model-b"]).status == 0)
        try f.dir.write("models/b/weights.bin", "tampered")
        let marker = f.dir.file("launched")
        let env = ["MODELCTL_ORCHESTRATOR": "1", "MODELCTL_STATE_DIR": f.dir.file("state"),
                   "MODELCTL_LAUNCH_COMMAND": "[\"/bin/sh\", \"-c\", \"touch \(marker)\", \"sh\"]", "MODELCTL_START_TIMEOUT": "2"]
        let out = try modelctl(["activate-model", "model-b", "--registry-dir", f.registry], environment: env)
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stdout.contains("LOCK VIOLATION"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        let skipped = try modelctl(["activate-model", "model-b", "--skip-verify", "--registry-dir", f.registry], environment: env)
        #expect(skipped.stderr.contains("--skip-verify"))
    }

    @Test("activate-model on an entry that names a public key launches only with a signature that verifies")
    func activateChecksSignature() throws {
        let f = try CLIFixture()
        let keys = repositoryRoot + "/fixtures/model-signing/keys"
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "signed", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/b"))"},
              "version_lock": {"public_key": "\(keys)/p256.pub.pem"}}]
            """)
        let marker = f.dir.file("launched")
        let env = ["MODELCTL_ORCHESTRATOR": "1", "MODELCTL_STATE_DIR": f.dir.file("state"),
                   "MODELCTL_LAUNCH_COMMAND": "[\"/bin/sh\", \"-c\", \"touch \(marker)\", \"sh\"]", "MODELCTL_START_TIMEOUT": "2"]
        let activate = ["activate-model", "signed", "--registry-dir", f.registry]
        // A public key but no signature recorded: refused, nothing launched.
        let unsigned = try modelctl(activate, environment: env)
        #expect(unsigned.status == 2, "\(unsigned.stderr)")
        #expect(unsigned.stderr.contains("no signature is recorded"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let sign = try f.run(["sign", "signed", "--key", keys + "/p256.pem", "--output", f.dir.file("signed.sig")])
        #expect(sign.status == 0, "\(sign.stderr)")
        // Signed and intact: the check passes and the launch is attempted.
        _ = try modelctl(activate, environment: env)
        #expect(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)

        try f.dir.write("models/b/weights.bin", "tampered")
        let tampered = try modelctl(activate, environment: env)
        #expect(tampered.status == 2, "\(tampered.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
