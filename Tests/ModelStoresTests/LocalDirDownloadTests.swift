import ArtifactHashing
import Foundation
import ModelStores
import Testing
import TestSupport

/// `hf download --local-dir` trees, from the committed fixture huggingface_hub wrote
/// (`scripts/make_local_dir_fixture.py`), checked offline against their download metadata.
struct LocalDirDownloadTests {
    static let fixture = repositoryRoot + "/fixtures/hf-local-dir/tiny"

    /// A copy of the fixture to change.
    static func copy() throws -> (TemporaryDirectory, String) {
        let dir = TemporaryDirectory("local-dir")
        #expect(try shell("cp -a \"$0\" \"$1\"", arguments: [fixture, dir.file("tiny")]).status == 0)
        return (dir, dir.file("tiny"))
    }

    @Test("the metadata huggingface_hub wrote reads as commit, etag and time; SHA-256 for the LFS file, git blob ids for the others")
    func readsMetadata() throws {
        let (files, notes) = try LocalDirDownload.metadata(of: Self.fixture)
        #expect(notes.isEmpty)
        #expect(files.keys.sorted() == ["config.json", "model.safetensors", "tokenizer/tokenizer.json"])
        let weights = try #require(files["model.safetensors"])
        #expect(weights.algorithm == "sha256")
        #expect(weights.etag == (try sha256sumOf(Self.fixture + "/model.safetensors")))
        #expect(weights.commit == "5f1c0ffee0ddba11cafe0000000000000000a11c")
        let config = try #require(files["config.json"])
        #expect(config.algorithm == "git-sha1")
        #expect(config.etag == (try gitBlobID(Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/config.json"))))))
        #expect(config.timestamp > 1_600_000_000)
    }

    @Test("scan recognizes the tree and finds it intact")
    func intact() async throws {
        #expect(try StoreScanner.classify(Self.fixture) == .huggingFaceLocalDir)
        let report = try await StoreScanner().scan(paths: [Self.fixture])
        let item = try #require(report.items.first)
        #expect(item.store == .huggingFaceLocalDir)
        #expect(item.status == .ok)
        #expect(item.blobs == 3)
        #expect(item.notes.isEmpty)
    }

    @Test("a changed LFS file fails its SHA-256, a changed small file its git blob id, a deleted one is missing, an added one has no metadata")
    func changes() async throws {
        let (keep, tree) = try Self.copy()
        defer { withExtendedLifetime(keep) {} }
        try flipByte(tree + "/model.safetensors", at: 3)
        try Data("{\"version\":\"2.0\"}".utf8).write(to: URL(fileURLWithPath: tree + "/tokenizer/tokenizer.json"))
        try FileManager.default.removeItem(atPath: tree + "/config.json")
        try Data("local notes".utf8).write(to: URL(fileURLWithPath: tree + "/NOTES.md"))
        let item = try #require(try await StoreScanner().scan(paths: [tree]).items.first)
        #expect(item.status == .corrupt)
        let kinds = Dictionary(uniqueKeysWithValues: item.problems.map { ($0.role, $0.kind) })
        #expect(kinds.count == 3)
        if case .digestMismatch(let algorithm, _, let actual)? = kinds["model.safetensors"] {
            #expect(algorithm == "sha256")
            #expect(actual == (try sha256sumOf(tree + "/model.safetensors")))
        } else { Issue.record("model.safetensors: \(String(describing: kinds["model.safetensors"]))") }
        if case .digestMismatch(let algorithm, _, let actual)? = kinds["tokenizer/tokenizer.json"] {
            #expect(algorithm == "git-sha1")
            #expect(actual == (try gitBlobID(Array("{\"version\":\"2.0\"}".utf8))))
        } else { Issue.record("tokenizer.json: \(String(describing: kinds["tokenizer/tokenizer.json"]))") }
        #expect(kinds["config.json"] == .missing)
        #expect(item.notes.contains { $0.contains("no download metadata") && $0.contains("NOTES.md") })
        #expect(item.notes.contains { $0.contains("model.safetensors: changed since the download") })
    }

    @Test("expected digests: a SHA-256 etag is reused for a file not modified after its download, never for one that was")
    func expectedDigests() throws {
        let (keep, tree) = try Self.copy()
        defer { withExtendedLifetime(keep) {} }
        let metadata = try LocalDirDownload.metadata(of: tree).files
        // A file touched after the download (a fresh checkout does that too): huggingface_hub
        // itself would no longer trust the etag.
        #expect(try shell("touch \"$0\"/model.safetensors", arguments: [tree]).status == 0)
        #expect(LocalDirDownload.expectedDigests(tree, metadata: metadata).paths.isEmpty)
        #expect(try shell("touch -d 2020-01-01 \"$0\"/model.safetensors \"$0\"/config.json", arguments: [tree]).status == 0)
        let (cache, paths) = LocalDirDownload.expectedDigests(tree, metadata: metadata)
        #expect(paths == ["model.safetensors"])
        #expect(cache.count == 1)
    }
}
