import Foundation
import Testing
import TestSupport

/// `hash`, `lock`, `verify` and `activate-model` resolve an entry's artifacts the one same way.
struct ResolverTests {
    /// A registry whose entry `repo` names a copy of the bundled Hugging Face repository
    /// directory (not its snapshot) and leaves out `tokenizer/**`.
    private func fixture() throws -> (dir: TemporaryDirectory, repo: String, args: [String]) {
        let dir = TemporaryDirectory("e2e-resolver")
        let repo = dir.file("hub/models--acme--tiny-lm")
        try FileManager.default.createDirectory(atPath: dir.file("hub"), withIntermediateDirectories: true)
        #expect(try runProcess("/bin/cp", ["-R", repositoryRoot + "/fixtures/hf-cache/hub/models--acme--tiny-lm", repo]).status == 0)
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "repo", "backend": "vllm", "backend_config": {"model_path": "\(repo)"}, "artifacts": {"exclude": ["tokenizer/**"]}},
             {"name": "whole", "backend": "vllm", "backend_config": {"model_path": "\(repo)"}}]
            """)
        return (dir, repo, ["--registry-dir", dir.file("registry")])
    }

    private func recorded(_ name: String, _ args: [String]) throws -> (aggregate: String?, files: [[String: Any]]) {
        let shown = try modelctl(["show", name, "--json"] + args)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(try modelctl(["show", name] + args).stdout == shown.stdout)
        let entry = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let lock = entry?["version_lock"] as? [String: Any]
        return (lock?["expected_aggregate_sha256"] as? String, (entry?["artifacts"] as? [String: Any])?["files"] as? [[String: Any]] ?? [])
    }

    @Test("hash --entry prints exactly the pin and files lock --set-expected records, exclusions and repository snapshot included")
    func hashEntryEqualsLock() throws {
        let (dir, _, args) = try fixture()
        _ = dir
        let aggregate = try modelctl(["hash", "--entry", "repo", "--aggregate-only"] + args)
        #expect(aggregate.status == 0, "\(aggregate.stderr)")
        let json = try modelctl(["hash", "--entry", "repo", "--json"] + args)
        let lines = try modelctl(["hash", "--entry", "repo"] + args)
        #expect(try modelctl(["lock", "repo", "--set-expected"] + args).status == 0)
        let (pin, files) = try recorded("repo", args)
        #expect(pin != nil && aggregate.stdout == pin! + "\n")
        let hashed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(hashed?["aggregate_sha256"] as? String == pin)
        let hashedFiles = (hashed?["files"] as? [[String: Any]] ?? []).map { "\($0["sha256"]!)  \($0["path"]!)" }.sorted()
        #expect(hashedFiles == files.map { "\($0["sha256"]!)  \($0["path"]!)" }.sorted())
        #expect(hashedFiles.count == 2 && !hashedFiles.contains { $0.contains("tokenizer") })
        #expect(lines.stdout.split(separator: "\n").map(String.init).sorted() == hashedFiles)
    }

    @Test("hash of a models--ORG--NAME directory equals the lock of an entry whose model_path is that directory")
    func hashRepositoryEqualsLock() throws {
        let (dir, repo, args) = try fixture()
        _ = dir
        let hashed = try modelctl(["hash", repo, "--aggregate-only"])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        #expect(try modelctl(["lock", "whole", "--set-expected"] + args).status == 0)
        #expect(try recorded("whole", args).aggregate.map { $0 + "\n" } == hashed.stdout)
        // The files are the snapshot's, not the blobs and refs around them.
        #expect(try modelctl(["hash", repo]).stdout.contains("  tokenizer/"))
        #expect(!(try modelctl(["hash", repo]).stdout.contains("blobs/")))
        // The global -j before the subcommand reaches hash.
        #expect(try modelctl(["-j", "2", "hash", repo, "--aggregate-only"]).stdout == hashed.stdout)
    }

    @Test("activate-model hands the backend the snapshot it verified, not the repository directory")
    func activateHandsOverVerifiedRoot() throws {
        let (dir, _, args) = try fixture()
        #expect(try modelctl(["lock", "whole", "--set-expected"] + args).status == 0)
        let marker = dir.file("argv")
        let env = ["MODELCTL_ORCHESTRATOR": "1", "MODELCTL_STATE_DIR": dir.file("state"), "MODELCTL_START_TIMEOUT": "2",
                   "MODELCTL_LAUNCH_COMMAND": "[\"/bin/sh\", \"-c\", \"echo \\\"$@\\\" > \(marker)\", \"sh\"]"]
        _ = try modelctl(["activate-model", "whole"] + args, environment: env)
        let argv = try String(contentsOfFile: marker, encoding: .utf8)
        #expect(argv.contains("--model \(dir.file("hub/models--acme--tiny-lm/snapshots/5f1c0ffee0ddba11cafe0000000000000000a11c"))"), "\(argv)")
    }
}

extension HashFormatTests {
    @Test("hash 'OLLAMA:NAME' is the same Ollama model as 'ollama:NAME' (the scheme in any case)")
    func ollamaSchemeAnyCase() throws {
        let dir = TemporaryDirectory("e2e-hash-ollama-case")
        let env = ["OLLAMA_MODELS": try ollamaStore(dir).store]
        let lower = try modelctl(["hash", "ollama:tiny"], environment: env)
        #expect(lower.status == 0, "\(lower.stderr)")
        #expect(try modelctl(["hash", "OLLAMA:tiny"], environment: env).stdout == lower.stdout)
    }
}

extension ResolverTests {
    @Test("the README's CI pin example runs as written: the shipped pin verifies, and a changed file is named, not listed as added")
    func readmeCIPinExample() throws {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "### Pins computed in CI").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        let dir = TemporaryDirectory("e2e-readme-pin")
        #expect(try runProcess("/bin/cp", ["-R", repositoryRoot + "/configs", repositoryRoot + "/fixtures", dir.path]).status == 0)
        let bin = (modelctlBinary as NSString).deletingLastPathComponent
        let run = try shell("PATH=\"$0:$PATH\"; set -e\n" + block, arguments: [bin], currentDirectory: dir.path)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("OK (locked, matches expected)"))
        try "{\"tampered\": true}".write(toFile: dir.file("fixtures/models/tiny-llm/config.json"), atomically: false, encoding: .utf8)
        let changed = try modelctl(["verify", "tiny-llm_(FP16)", "--no-record", "--registry-dir", dir.file("shipped")])
        #expect(changed.status == 2)
        #expect(changed.stdout.contains("changed  config.json") && !changed.stdout.contains("added"), "\(changed.stdout)")
    }
}
