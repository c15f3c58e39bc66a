import Foundation
import Testing
import TestSupport

/// `scan --quarantine`, `scan --restore` and `lock --from-download-metadata` through the built binary.
struct RepairCommandTests {
    /// The words a POSIX shell makes of `line`: what pasting a printed command would run.
    func shellWords(_ line: String) throws -> [String] {
        let result = try shell(#"eval "set -- $0"; printf '%s\n' "$@""#, arguments: [line])
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("scan --quarantine exits 2 with the blob moved and a pasteable `hf download`; --dry-run moves nothing; --restore exits 0")
    func quarantineAndRestore() throws {
        let dir = TemporaryDirectory("repair")
        let hub = dir.file("cache dir/hub")
        try FileManager.default.createDirectory(atPath: dir.file("cache dir"), withIntermediateDirectories: true)
        #expect(try shell("cp -a \"$0\" \"$1\"", arguments: [repositoryRoot + "/fixtures/hf-cache/hub", hub]).status == 0)
        let blobs = hub + "/models--acme--tiny-lm/blobs"
        let lfs = try #require(try FileManager.default.contentsOfDirectory(atPath: blobs).first { $0.count == 64 })
        var data = try Data(contentsOf: URL(fileURLWithPath: "\(blobs)/\(lfs)"))
        data[0] ^= 1
        try data.write(to: URL(fileURLWithPath: "\(blobs)/\(lfs)"))
        let quarantine = dir.file("quarantine")

        let dry = try modelctl(["scan", hub, "--quarantine", quarantine, "--dry-run"])
        #expect(dry.status == 2, "\(dry.stderr)")
        #expect(dry.stdout.contains("would quarantine \(blobs)/\(lfs)"))
        #expect(FileManager.default.fileExists(atPath: "\(blobs)/\(lfs)"))
        #expect(!FileManager.default.fileExists(atPath: quarantine))

        let inside = try modelctl(["scan", hub, "--quarantine", hub + "/q"])
        #expect(inside.status == 1)
        #expect(inside.stderr.contains("inside the scanned store"))

        let moved = try modelctl(["scan", hub, "--quarantine", quarantine])
        #expect(moved.status == 2, "\(moved.stderr)")
        #expect(moved.stdout.contains("quarantined \(blobs)/\(lfs) -> \(quarantine)/"))
        #expect(!FileManager.default.fileExists(atPath: "\(blobs)/\(lfs)"))
        let repair = try #require(moved.stdout.split(separator: "\n").first { $0.hasPrefix("repair  ") })
        #expect(try shellWords(String(repair.dropFirst(8))) == ["hf", "download", "acme/tiny-lm", "--cache-dir", hub])

        let restored = try modelctl(["scan", "--restore", quarantine])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("restored \(blobs)/\(lfs)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(blobs)/\(lfs)")) == data)
        #expect(try modelctl(["scan", "--restore", quarantine, hub]).status == 64)
        #expect(try modelctl(["scan", hub, "--dry-run"]).status == 64)
    }

    @Test("--json of scan --quarantine, scan --restore and lock --from-download-metadata follows docs/modelctl-output.schema.json")
    func jsonOutput() throws {
        let store = TemporaryDirectory("repair-json")
        let bytes = "weights"
        let digest = try sha256sumOf(text: bytes)
        try store.write("models/blobs/sha256-\(digest)", "damaged")
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:\#(digest)","size":7},"layers":[]}"#
        try store.write("models/manifests/registry.ollama.ai/library/tiny/latest", manifest + "\n")
        let scan = try modelctl(["scan", store.file("models"), "--quarantine", store.file("q"), "--json"])
        #expect(scan.status == 2, "\(scan.stderr)")
        #expect(try FormatCheckers.jsonProblems(scan.stdout, definition: "scan_report") == [])
        let object = try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any]
        let moved = (object?["quarantine"] as? [[String: Any]])?.first
        #expect(moved?["result"] as? String == "moved")
        #expect(moved?["repair_commands"] as? [String] == ["ollama pull tiny:latest"])
        let restore = try modelctl(["scan", "--restore", store.file("q"), "--json"])
        #expect(restore.status == 0)
        #expect(try FormatCheckers.jsonProblems(restore.stdout, definition: "restore_outcome", array: true) == [])
        let (dir, _) = try localDirRegistry()
        let lock = try modelctl(["lock", "tiny", "--from-download-metadata", "--json", "--registry-dir", dir.file("registry")])
        #expect(lock.status == 0, "\(lock.stderr)")
        #expect(try FormatCheckers.jsonProblems(lock.stdout, definition: "lock_change", array: true) == [])
        let changes = try JSONSerialization.jsonObject(with: Data(lock.stdout.utf8)) as? [[String: Any]]
        #expect(changes?.first?["hashed_files"] as? [String] == ["config.json", "tokenizer/tokenizer.json"])
    }

    @Test("a second process's quarantine waits for the store lock another holds, then gives up (exit 1) and moves nothing")
    func lockHeldByAnotherProcess() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/flock") else { return }
        let dir = TemporaryDirectory("repair-lock")
        #expect(try shell("cp -a \"$0\" \"$1\" && mkdir -p \"$1\"/.locks", arguments: [repositoryRoot + "/fixtures/hf-cache/hub", dir.file("hub")]).status == 0)
        let blobs = dir.file("hub/models--acme--tiny-lm/blobs")
        let lfs = try #require(try FileManager.default.contentsOfDirectory(atPath: blobs).first { $0.count == 64 })
        try flip(blobs + "/" + lfs)
        // flock(1) holds the lock while modelctl runs under it, as a concurrent scan would.
        let result = try shell(#"/usr/bin/flock "$0" "$1" scan "$2" --quarantine "$3" --lock-timeout 1"#,
                               arguments: [dir.file("hub/.locks/modelctl-scan.lock"), modelctlBinary, dir.file("hub"), dir.file("q")])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("modelctl-scan.lock"))
        #expect(FileManager.default.fileExists(atPath: blobs + "/" + lfs))
    }

    private func flip(_ path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[0] ^= 1
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test("scan --help says a corrupt blob exits 2 even once quarantined")
    func help() throws {
        let help = try modelctl(["scan", "--help"])
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("The exit code is still 2 when a corrupt blob was found, even once it is quarantined"))
    }

    /// A registry whose entry `tiny` is a copy of the local-dir fixture, its files dated before
    /// their metadata, as after a real download.
    func localDirRegistry() throws -> (TemporaryDirectory, String) {
        let dir = TemporaryDirectory("from-metadata")
        let tree = dir.file("tiny")
        #expect(try shell("cp -a \"$0\" \"$1\" && touch -d 2020-01-01 \"$1\"/config.json \"$1\"/model.safetensors \"$1\"/tokenizer/tokenizer.json",
                          arguments: [repositoryRoot + "/fixtures/hf-local-dir/tiny", tree]).status == 0)
        try dir.write("registry/model_registry.curated.json", #"[{"name": "tiny", "backend": "vllm", "backend_config": {"model_path": "\#(tree)"}}]"#)
        return (dir, tree)
    }

    @Test("lock --from-download-metadata pins the etags the Hub served, without reading LFS files: bytes changed under an old stamp fail the next verify")
    func lockFromMetadata() throws {
        let (dir, tree) = try localDirRegistry()
        let etag = try String(contentsOfFile: tree + "/.cache/huggingface/download/model.safetensors.metadata", encoding: .utf8)
            .split(separator: "\n")[1]
        // Damage the weights but keep the old modification time: only the metadata knows.
        #expect(try shell("printf X | dd of=\"$0\"/model.safetensors bs=1 seek=2 conv=notrunc status=none && touch -d 2020-01-01 \"$0\"/model.safetensors",
                          arguments: [tree]).status == 0)
        let lock = try modelctl(["lock", "tiny", "--from-download-metadata", "--registry-dir", dir.file("registry")])
        #expect(lock.status == 0, "\(lock.stderr)")
        #expect(lock.stdout.contains("1 of 3 digests from the download metadata, 2 hashed: config.json, tokenizer/tokenizer.json"))
        let expected = try ManifestLines.aggregate([
            "\(etag)  model.safetensors",
            "\(try sha256sumOf(tree + "/config.json"))  config.json",
            "\(try sha256sumOf(tree + "/tokenizer/tokenizer.json"))  tokenizer/tokenizer.json",
        ])
        #expect(lock.stdout.contains("expected aggregate \(expected)"))
        let verify = try modelctl(["verify", "tiny", "--registry-dir", dir.file("registry")])
        #expect(verify.status == 2, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("model.safetensors") || verify.stderr.contains("model.safetensors"))
    }

    @Test("lock --from-download-metadata never replaces another expected aggregate, and repeats when it is its own")
    func lockKeepsOtherExpectation() throws {
        let (dir, tree) = try localDirRegistry()
        let registry = ["--registry-dir", dir.file("registry")]
        #expect(try modelctl(["lock", "tiny", "--from-download-metadata"] + registry).status == 0)
        #expect(try modelctl(["lock", "tiny", "--from-download-metadata"] + registry).status == 0)
        #expect(try modelctl(["unlock", "tiny"] + registry).status == 0)
        #expect(try shell("printf X | dd of=\"$0\"/model.safetensors bs=1 seek=2 conv=notrunc status=none && touch -d 2020-01-01 \"$0\"/model.safetensors",
                          arguments: [tree]).status == 0)
        let (other, _) = try localDirRegistry()
        let otherRegistry = ["--registry-dir", other.file("registry")]
        try FileManager.default.removeItem(atPath: other.file("tiny"))
        #expect(try shell("cp -a \"$0\" \"$1\"", arguments: [tree, other.file("tiny")]).status == 0)
        #expect(try modelctl(["lock", "tiny", "--set-expected"] + otherRegistry).status == 0)  // trust on first use: the damaged bytes
        let refused = try modelctl(["lock", "tiny", "--from-download-metadata"] + otherRegistry)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already expects aggregate"))
    }

    @Test("lock --from-download-metadata refuses a file without metadata (1) and a small file that no longer matches its git blob id (2)")
    func lockRefusals() throws {
        let (dir, tree) = try localDirRegistry()
        try Data("mine".utf8).write(to: URL(fileURLWithPath: tree + "/NOTES.md"))
        let extra = try modelctl(["lock", "tiny", "--from-download-metadata", "--registry-dir", dir.file("registry")])
        #expect(extra.status == 1)
        #expect(extra.stderr.contains("no download metadata for NOTES.md"))
        try FileManager.default.removeItem(atPath: tree + "/NOTES.md")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: tree + "/config.json"))
        let changed = try modelctl(["lock", "tiny", "--from-download-metadata", "--registry-dir", dir.file("registry")])
        #expect(changed.status == 2, "\(changed.stderr)")
        #expect(changed.stderr.contains("config.json"))
        let show = try modelctl(["show", "tiny", "--registry-dir", dir.file("registry")])
        #expect(!show.stdout.contains("\"locked\": true"))
    }
}

/// The aggregate of manifest lines, from `sha256sum`: an independent oracle.
enum ManifestLines {
    static func aggregate(_ lines: [String]) throws -> String {
        try sha256sumOf(text: lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: "\n"))
    }
}
