import Foundation
import Testing
import TestSupport

/// Hostile inputs of the second adversarial review, run through the built binary.
struct HostileRoundTwoTests {
    static let keys = repositoryRoot + "/fixtures/model-signing/keys"

    /// The launch environment of a stand-in backend that only touches `marker`.
    static func launchEnvironment(_ f: CLIFixture, marker: String) -> [String: String] {
        ["MODELCTL_ORCHESTRATOR": "1", "MODELCTL_STATE_DIR": f.dir.file("state"),
         "MODELCTL_LAUNCH_COMMAND": "[\"/bin/sh\", \"-c\", \"touch \(marker)\", \"sh\"]", "MODELCTL_START_TIMEOUT": "2"]
    }

    @Test("a relative public_key and signature path are read from the registry directory, never from the working directory")
    func relativeKeyAndSignatureFollowTheRegistry() throws {
        let f = try CLIFixture()
        let fm = FileManager.default
        try fm.createDirectory(atPath: f.dir.file("registry/keys"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: Self.keys + "/p256.pub.pem", toPath: f.dir.file("registry/keys/release.pub"))
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "signed", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/b"))"},
              "version_lock": {"public_key": "keys/release.pub"}}]
            """)
        // sign --output with a relative path, from a directory of its own: the entry records a
        // path that finds the bundle from anywhere.
        try fm.createDirectory(atPath: f.dir.file("work"), withIntermediateDirectories: true)
        let sign = try modelctl(["sign", "signed", "--key", Self.keys + "/p256.pem", "--output", "signed.sig", "--registry-dir", f.registry],
                                currentDirectory: f.dir.file("work"))
        #expect(sign.status == 0, "\(sign.stderr)")
        let shown = try modelctl(["show", "signed", "--registry-dir", f.registry])
        let lock = (try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])?["version_lock"] as? [String: Any]
        let recorded = try #require((lock?["signature"] as? [String: Any])?["path"] as? String)
        #expect(recorded.hasPrefix("/") && fm.fileExists(atPath: recorded), "\(recorded)")

        // A recorded registry-relative signature path, the genuine bundle beside the registry.
        try fm.moveItem(atPath: recorded, toPath: f.dir.file("registry/signed.sig"))
        try f.dir.write("registry/model_registry.discovered.json", """
            [{"name": "signed", "version_lock": {"signature": {"path": "signed.sig"}}}]
            """)
        let marker = f.dir.file("launched")
        let env = Self.launchEnvironment(f, marker: marker)
        let activate = ["activate-model", "signed", "--registry-dir", f.registry]
        let intact = try modelctl(activate, environment: env, currentDirectory: f.dir.file("work"))
        #expect(fm.fileExists(atPath: marker), "\(intact.stderr)")
        try? fm.removeItem(atPath: marker)

        // The attacker's directory holds its own key and a bundle over the tampered model, under
        // the names the registry uses.
        try f.dir.write("models/b/weights.bin", "tampered")
        let attacker = f.dir.file("attacker")
        try fm.createDirectory(atPath: attacker + "/keys", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Self.keys + "/p384.pub.pem", toPath: attacker + "/keys/release.pub")
        try fm.copyItem(atPath: Self.keys + "/p384.pem", toPath: attacker + "/p384.pem")
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: attacker + "/p384.pem")
        let forged = try modelctl(["sign", f.dir.file("models/b"), "--key", attacker + "/p384.pem", "--output", attacker + "/signed.sig"])
        #expect(forged.status == 0, "\(forged.stderr)")
        let launched = try modelctl(activate, environment: env, currentDirectory: attacker)
        #expect(launched.status == 2, "\(launched.stdout)\(launched.stderr)")
        #expect(!fm.fileExists(atPath: marker))
        let checked = try modelctl(["verify", "signed", "--signature", attacker + "/signed.sig", "--registry-dir", f.registry],
                                   currentDirectory: attacker)
        #expect(checked.status == 2, "\(checked.stdout)\(checked.stderr)")
    }

    @Test("extra_args that name other weights, in either layer, are refused at activation (exit 1) and reported by check")
    func extraArgsCannotOverrideTheModel() throws {
        let f = try CLIFixture()
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/b"))",
              "extra_args": ["--served-model-name", "chat", "--mod", "/unverified"]}},
             {"name": "fine", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/a"))",
              "extra_args": ["--model-loader-extra-config", "{}", "--served-model-name=x"]}}]
            """)
        try f.dir.write("registry/model_registry.discovered.json", """
            [{"name": "fine", "backend_config": {"extra_args": ["--load_format=dummy"]}}]
            """)
        #expect(try f.run(["lock", "m", "--set-expected"]).status == 0)
        let marker = f.dir.file("launched")
        let env = Self.launchEnvironment(f, marker: marker)
        let refused = try modelctl(["activate-model", "m", "--registry-dir", f.registry], environment: env)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("'m'") && refused.stderr.contains("'--mod'") && refused.stderr.contains("--model"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        let launched = try modelctl(["activate-model", "fine", "--registry-dir", f.registry], environment: env)
        #expect(FileManager.default.fileExists(atPath: marker), "\(launched.stderr)")

        let check = try f.run(["check", "--json"])
        #expect(check.status == 1)
        let problems = (try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?["problems"] as? [String] ?? []
        #expect(problems.contains { $0.hasPrefix("m: ") && $0.contains("'--mod'") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("fine: ") && $0.contains("'--load_format=dummy'") && $0.contains("discovered") }, "\(problems)")
        #expect(!problems.contains { $0.contains("--served-model-name") || $0.contains("--model-loader-extra-config") })
    }

    @Test("file names in violation reports are escaped: no forged workflow command, JUnit line or terminal escape")
    func fileNamesCannotForgeReportLines() throws {
        let f = try CLIFixture()
        let keys = Self.keys
        #expect(try f.run(["lock", "model-b", "--set-expected"]).status == 0)
        let sign = try f.run(["sign", "model-b", "--key", keys + "/p256.pem", "--output", f.dir.file("b.sig")])
        #expect(sign.status == 0, "\(sign.stderr)")
        try f.dir.write("models/b/notes\n::error title=x::all models verified", "x")
        try f.dir.write("models/b/\u{1B}]0;pwned\u{07}\u{1B}[2Jevil.bin", "y")
        let junit = f.dir.file("report.xml")
        let out = try modelctl(["verify", "model-b", "--junit", junit, "--registry-dir", f.registry], environment: ["GITHUB_ACTIONS": "true"])
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stdout.contains("added") && out.stdout.contains("notes\\n::error title=x::all models verified"), "\(out.stdout)")
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        let signed = try modelctl(["verify", f.dir.file("models/b"), "--signature", f.dir.file("b.sig"), "--public-key", keys + "/p256.pub.pem"])
        #expect(signed.status == 2, "\(signed.stderr)")
        for (what, text) in [("stdout", out.stdout), ("stderr", out.stderr), ("junit", report), ("signature stdout", signed.stdout), ("signature stderr", signed.stderr)] {
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("::error title=x") }, "\(what): \(text)")
            #expect(!text.unicodeScalars.contains("\u{1B}"), "\(what) holds an ESC")
            #expect(!text.unicodeScalars.contains("\u{07}"), "\(what) holds a BEL")
        }
        #expect(out.stderr.contains("::error title=modelctl verify%3A model-b::"))
    }

    @Test("a rolling scrub rotates past an entry that keeps failing, and a recorded size of Int64.max saturates")
    func scrubRotatesAndSaturates() throws {
        let f = try CLIFixture()
        let env = ["MODELCTL_STATE_DIR": f.dir.file("state")]
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "model-a_(FP16)", "backend": "vllm", "backend_config": {"model_path": "../models/a"}},
             {"name": "model-b", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/b"))"}}]
            """)
        func run(_ arguments: [String]) throws -> ProcessResult { try modelctl(arguments + ["--registry-dir", f.registry], environment: env) }
        #expect(try run(["lock", "model-a_(FP16)", "model-b", "--set-expected"]).status == 0)
        Thread.sleep(forTimeInterval: 2.1)  // the stat cache keeps files left alone for 2 s
        #expect(try run(["verify", "--all", "--quick"]).status == 0)
        // model-a waits longest for its full read, and fails it.
        let path = f.dir.file("registry/model_registry.discovered.json")
        var entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        for i in entries.indices {
            var lock = entries[i]["version_lock"] as? [String: Any] ?? [:]
            lock["last_full_verify"] = entries[i]["name"] as? String == "model-b" ? "2021-01-01T00:00:00Z" : "2020-01-01T00:00:00Z"
            entries[i]["version_lock"] = lock
        }
        try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: path))
        try f.dir.write("models/a/config.json", "{\"tampered\": true}")
        func lastFull(_ name: String) throws -> String? {
            let shown = try run(["show", name])
            return ((try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])?["version_lock"] as? [String: Any])?["last_full_verify"] as? String
        }
        #expect(try run(["verify", "--all", "--max-bytes", "1"]).status == 2)
        #expect(try lastFull("model-b") == "2021-01-01T00:00:00Z")
        // The next night, the failing entry has had its turn: model-b is read in full.
        #expect(try run(["verify", "--all", "--max-bytes", "1"]).status == 2)
        #expect(try lastFull("model-b") != "2021-01-01T00:00:00Z")

        // A recorded size near Int64.max: the run ends with a verdict and its textfile.
        var huge = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        for i in huge.indices {
            var artifacts = huge[i]["artifacts"] as? [String: Any] ?? [:]
            var files = artifacts["files"] as? [[String: Any]] ?? []
            for j in files.indices { files[j]["size"] = Int64.max }
            artifacts["files"] = files
            huge[i]["artifacts"] = artifacts
        }
        try JSONSerialization.data(withJSONObject: huge).write(to: URL(fileURLWithPath: path))
        let textfile = f.dir.file("modelctl.prom")
        let saturated = try run(["verify", "--all", "--max-bytes", "1G", "--prometheus", textfile])
        #expect(saturated.status == 2, "\(saturated.stderr)")
        #expect(FileManager.default.fileExists(atPath: textfile))
    }

    @Test("a discovered artifacts.exclude under a curated pin is ignored with a warning, and check --strict names it")
    func discoveredExcludeUnderACuratedPin() throws {
        let f = try CLIFixture()
        let aggregate = try f.pinModelB()
        try f.dir.write("registry/model_registry.discovered.json", """
            [{"name": "model-b", "artifacts": {"exclude": ["modeling_evil.py"]}}]
            """)
        try f.dir.write("models/b/modeling_evil.py", "import os")
        let out = try f.run(["verify", "model-b"])
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("modeling_evil.py"))
        #expect(out.stderr.contains("artifacts.exclude") && out.stderr.contains("ignored"), "\(out.stderr)")
        let check = try f.run(["check", "--strict", "--json"])
        #expect(check.status == 1)
        let problems = (try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?["problems"] as? [String] ?? []
        #expect(problems.contains { $0.hasPrefix("model-b: artifacts.exclude ['modeling_evil.py']") }, "\(problems)")
        // Written in the curated file, the same exclude is a reviewed choice.
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "model-b", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/b"))"},
              "artifacts": {"exclude": ["modeling_evil.py"]},
              "version_lock": {"locked": true, "expected_aggregate_sha256": "\(aggregate)"}}]
            """)
        let reviewed = try f.run(["verify", "model-b"])
        #expect(reviewed.status == 0, "\(reviewed.stdout)\(reviewed.stderr)")
    }
}
