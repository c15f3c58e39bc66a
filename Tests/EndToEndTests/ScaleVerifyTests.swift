import Foundation
import Testing
import TestSupport

/// A registry of one entry `m` whose weights are at `models/m`, run with its own state directory.
private struct ScaleFixture {
    let dir = TemporaryDirectory("e2e-scale")
    var registry: String { dir.file("registry") }

    init(extra: String = "") throws {
        try dir.write("models/m/model.safetensors", String(repeating: "w", count: 4096))
        try dir.write("models/m/config.json", "{}")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/m"))"}\(extra)}]
            """)
    }

    func run(_ arguments: [String]) throws -> ProcessResult {
        try modelctl(arguments + ["--registry-dir", registry], environment: ["MODELCTL_STATE_DIR": dir.file("state")])
    }
}

struct ScaleVerifyTests {
    @Test("hf download --local-dir rewrites .cache/huggingface metadata: a locked model still verifies")
    func hfLocalDirMetadata() throws {
        let f = try ScaleFixture()
        try f.dir.write("models/m/.cache/huggingface/.gitignore", "*\n")
        try f.dir.write("models/m/.cache/huggingface/download/model.safetensors.metadata", "abc\netag-1\n1700000000.0\n")
        let lock = try f.run(["lock", "m", "--set-expected"])
        #expect(lock.status == 0, "\(lock.stderr)")
        try f.dir.write("models/m/.cache/huggingface/download/model.safetensors.metadata", "abc\netag-1\n1800000000.5\n")
        try f.dir.write("models/m/.cache/huggingface/download/config.json.lock", "")
        let verify = try f.run(["verify", "m"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // With --include-all the metadata is part of the hash: it no longer matches the lock.
        #expect(try f.run(["verify", "m", "--include-all", "--no-record"]).status == 2)
        // A change to the weights is still caught.
        try f.dir.write("models/m/config.json", "{\"tampered\": true}")
        #expect(try f.run(["verify", "m"]).status == 2)
    }

    @Test("a .git/lfs copy of the weights is not hashed; --include-all hashes it")
    func gitCopyNotHashed() throws {
        let f = try ScaleFixture()
        try f.dir.write("models/m/.git/lfs/objects/aa/bb/aabb", String(repeating: "w", count: 4096))
        try f.dir.write("models/m/sub/.git/HEAD", "ref\n")
        let hashed = try modelctl(["hash", f.dir.file("models/m")])
        #expect(hashed.status == 0)
        #expect(hashed.stdout.split(separator: "\n").count == 2)
        #expect(!hashed.stdout.contains(".git"))
        let all = try modelctl(["hash", f.dir.file("models/m"), "--include-all"])
        #expect(all.stdout.contains(".git/lfs/objects/aa/bb/aabb") && all.stdout.contains("sub/.git/HEAD"))
        #expect(all.stdout.split(separator: "\n").count == 4)
        let clean = TemporaryDirectory("e2e-scale-clean")
        try clean.write("model.safetensors", String(repeating: "w", count: 4096))
        try clean.write("config.json", "{}")
        // Identical to ImageWorks' aggregate (every file) of the same tree without those directories.
        let expected = try modelctl(["hash", clean.path, "--aggregate-only", "--include-all"])
        #expect(try modelctl(["hash", f.dir.file("models/m"), "--aggregate-only"]).stdout == expected.stdout)
    }

    @Test("artifacts.exclude leaves matching files out; a malformed list is an error naming the entry and field")
    func artifactsExclude() throws {
        let f = try ScaleFixture(extra: #", "artifacts": {"exclude": ["logs/**", "*.tmp"]}"#)
        try f.dir.write("models/m/logs/a.log", "1")
        try f.dir.write("models/m/x.tmp", "1")
        #expect(try f.run(["lock", "m", "--set-expected"]).status == 0)
        try f.dir.write("models/m/logs/a.log", "2")
        try f.dir.write("models/m/logs/b.log", "3")
        try f.dir.write("models/m/x.tmp", "2")
        let verify = try f.run(["verify", "m", "--json"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains(#""file_count":2"#) || verify.stdout.contains(#""file_count": 2"#))
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/m"))"}, "artifacts": {"exclude": [true]}}]
            """)
        let bad = try f.run(["verify", "m"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("m:") && bad.stderr.contains("artifacts.exclude[0]"))
    }

    @Test("verify --quick says how many files came from the cache and that it does not detect bit rot; a touch -d rewrite is caught")
    func quickVerify() throws {
        let f = try ScaleFixture()
        try shell(#"touch -d "2024-01-01 00:00:00" "$0"/*"#, arguments: [f.dir.file("models/m")])
        #expect(try f.run(["lock", "m", "--set-expected"]).status == 0)
        usleep(2_100_000)
        #expect(try f.run(["verify", "m"]).status == 0)
        let quick = try f.run(["verify", "m", "--quick"])
        #expect(quick.status == 0, "\(quick.stderr)")
        #expect(quick.stderr.contains("2 of 2 files taken from the stat cache"))
        #expect(quick.stderr.contains("bit rot"))
        // Same size, mtime put back as `touch -d` does: ctime moved, so it is read again.
        let rewrite = try shell(#"printf '%4096s' x > "$0"/model.safetensors && touch -d "2024-01-01 00:00:00" "$0"/model.safetensors"#,
                                arguments: [f.dir.file("models/m")])
        #expect(rewrite.status == 0)
        let caught = try f.run(["verify", "m", "--quick"])
        #expect(caught.status == 2)
        #expect(caught.stdout.contains("changed") && caught.stdout.contains("model.safetensors"))
        #expect(caught.stderr.contains("1 of 2 files taken from the stat cache"))
    }

    @Test("--max-bytes takes binary sizes, goes with --all, and --io-nice runs")
    func scrubOptions() throws {
        let f = try ScaleFixture()
        #expect(try f.run(["verify", "--all", "--max-bytes", "lots"]).status == 64)
        #expect(try f.run(["verify", "m", "--max-bytes", "1G"]).status == 64)
        let scrub = try f.run(["verify", "--all", "--max-bytes", "50G", "--io-nice"])
        #expect(scrub.status == 0, "\(scrub.stderr)")
        #expect(scrub.stderr.contains("from the stat cache"))
    }

    @Test("verify --all killed at random moments never leaves a torn or shortened registry file")
    func crashMidBatch() throws {
        let dir = TemporaryDirectory("e2e-scale-crash")
        var entries: [String] = []
        for i in 0..<200 {
            try dir.write("models/\(i)/w.bin", String(repeating: "x", count: 2000 + i))
            entries.append(#"{"name": "e\#(i)", "backend": "vllm", "backend_config": {"model_path": "\#(dir.file("models/\(i)"))"}, "metadata": {"pad": "\#(String(repeating: "p", count: 300))"}}"#)
        }
        try dir.write("registry/model_registry.curated.json", "[" + entries.joined(separator: ",") + "]")
        #expect(try modelctl(["verify", "--all", "--registry-dir", dir.file("registry")]).status == 0)
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        for _ in 0..<12 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: modelctlBinary)
            process.arguments = ["verify", "--all", "--registry-dir", dir.file("registry")]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...150_000, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            for name in ["model_registry.discovered.json", "model_registry.json"] {
                let data = try #require(FileManager.default.contents(atPath: dir.file("registry/" + name)))
                let parsed = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
                #expect(parsed?.count == 200, "\(name) is torn or short")
                #expect(parsed?.allSatisfy { $0["artifacts"] != nil } == true)
            }
            #expect(FileManager.default.contents(atPath: dir.file("registry/model_registry.curated.json")) != nil)
        }
        #expect(killed > 0, "no run was killed: the test proved nothing")
        #expect(try modelctl(["verify", "--all", "--registry-dir", dir.file("registry")]).status == 0)
    }
}
