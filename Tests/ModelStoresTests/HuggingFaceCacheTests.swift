import ArtifactHashing
import Foundation
import ModelStores
import Testing
import TestSupport

struct HuggingFaceCacheTests {
    @Test("an intact snapshot: every link lands in blobs/, 64-hex names equal SHA-256, 40-hex names equal the git blob id")
    func intactSnapshot() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        let manifest = try await ArtifactHasher(jobs: 2).hash(hf.snapshot)
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: manifest)
        #expect(result.problems.isEmpty)
        #expect(result.files == names)
        #expect(result.revision == hf.commit)
        #expect(result.repoDir == URL(fileURLWithPath: hf.repoDir).resolvingSymlinksInPath().path)
        #expect(result.location.repoID == "acme/tiny")
        #expect(result.location.repoType == "models")
        // The LFS name is the SHA-256 the manifest already holds.
        let weights = manifest.files.first { $0.path == "model.safetensors" }
        #expect(names["model.safetensors"] == weights?.sha256)
    }

    @Test("a repository directory resolves through refs/main, a named ref or a commit")
    func repoDirectory() async throws {
        let hf = HFFixture()
        try hf.build()
        let location = try #require(try HuggingFaceCache.locate(hf.repoDir))
        #expect(location.commit == hf.commit)
        #expect(location.snapshotPath.hasSuffix("/snapshots/\(hf.commit)"))
        try hf.dir.write("hub/models--acme--tiny/refs/pr/1", hf.commit)
        #expect(try HuggingFaceCache.locate(hf.repoDir, revision: "pr/1")?.commit == hf.commit)
        #expect(try HuggingFaceCache.locate(hf.repoDir, revision: hf.commit)?.commit == hf.commit)
        #expect(throws: StoreError(.revisionNotFound, "")) { try HuggingFaceCache.locate(hf.repoDir, revision: "v2") }
        #expect(throws: StoreError(.revisionNotFound, "")) { try HuggingFaceCache.locate(hf.repoDir, revision: "../../x") }
        // check() on the repository directory reads the snapshot's manifest.
        let manifest = try await ArtifactHasher().hash(location.snapshotPath)
        #expect(try HuggingFaceCache.check(root: hf.repoDir, manifest: manifest).problems.isEmpty)
        // A manifest of the whole repository directory (blobs/, refs/, snapshots/...) is not the
        // snapshot's: refused, never reported as every file missing.
        let whole = try await ArtifactHasher().hash(hf.repoDir)
        #expect(throws: StoreError(.notInCache, "")) { try HuggingFaceCache.check(root: hf.repoDir, manifest: whole) }
        // A subdirectory of a snapshot is inside the cache too.
        let sub = try #require(try HuggingFaceCache.locate(hf.snapshot + "/tokenizer"))
        #expect(sub.subpath == "tokenizer")
        let subManifest = try await ArtifactHasher().hash(hf.snapshot + "/tokenizer")
        let subResult = try HuggingFaceCache.check(root: hf.snapshot + "/tokenizer", manifest: subManifest)
        #expect(subResult.problems.isEmpty)
        #expect(subResult.files.keys.sorted() == ["tokenizer.json"])
    }

    @Test("a flipped byte in an LFS blob shows as a SHA-256 that differs from the blob's name")
    func flippedWeights() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        try flipByte("\(hf.repoDir)/blobs/\(names["model.safetensors"]!)", at: 3)
        let manifest = try await ArtifactHasher().hash(hf.snapshot)
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: manifest)
        #expect(result.problems.count == 1)
        let problem = try #require(result.problems.first)
        #expect(problem.role == "model.safetensors")
        if case .digestMismatch("sha256", let expected, _) = problem.kind {
            #expect(expected == names["model.safetensors"])
        } else { Issue.record("\(result.problems)") }
    }

    @Test("an edited small (non-LFS) file shows as a git blob id that differs from the blob's name")
    func editedSmallFile() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        let blob = "\(hf.repoDir)/blobs/\(names["config.json"]!)"
        try Data(#"{"architectures":["Evil"]}"#.utf8).write(to: URL(fileURLWithPath: blob))
        let manifest = try await ArtifactHasher().hash(hf.snapshot)
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: manifest)
        #expect(result.problems.map(\.role) == ["config.json"])
        if case .digestMismatch("git-sha1", let expected, let actual) = try #require(result.problems.first).kind {
            #expect(expected == names["config.json"])
            #expect(actual == (try gitBlobID(Array(#"{"architectures":["Evil"]}"#.utf8))))
        } else { Issue.record("\(result.problems)") }
    }

    @Test("a re-pointed link: to another valid blob the names still check, but the recorded blob name changes; outside blobs/ it is a problem")
    func repointedLink() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        let config = hf.snapshot + "/config.json"
        try replaceLink(config, to: "../../blobs/\(names["tokenizer/tokenizer.json"]!)")
        let manifest = try await ArtifactHasher().hash(hf.snapshot)
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: manifest)
        #expect(result.problems.isEmpty)
        #expect(result.files["config.json"] == names["tokenizer/tokenizer.json"])
        #expect(result.files != names)

        let outside = try hf.dir.write("elsewhere/\(names["config.json"]!)", #"{"architectures":["TinyModel"]}"#)
        try replaceLink(config, to: outside)
        let moved = try HuggingFaceCache.check(root: hf.snapshot, manifest: try await ArtifactHasher().hash(hf.snapshot))
        #expect(moved.problems.count == 1)
        #expect(moved.problems.first?.kind == .linkOutsideBlobs(target: outside))
        #expect(moved.files["config.json"] == nil)
    }

    @Test("a blob deleted after hashing is a dangling link; the walk itself refuses a dangling link")
    func missingBlob() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        let manifest = try await ArtifactHasher().hash(hf.snapshot)
        try FileManager.default.removeItem(atPath: "\(hf.repoDir)/blobs/\(names["model.safetensors"]!)")
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: manifest)
        #expect(result.problems.map(\.role) == ["model.safetensors"])
        #expect(result.problems.first?.kind == .danglingLink(target: "../../blobs/\(names["model.safetensors"]!)"))
        await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(hf.snapshot) }
    }

    @Test("a truncated LFS blob no longer matches its name")
    func truncatedBlob() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        try truncateFile("\(hf.repoDir)/blobs/\(names["model.safetensors"]!)", to: 4)
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: try await ArtifactHasher().hash(hf.snapshot))
        #expect(result.problems.map(\.role) == ["model.safetensors"])
    }

    @Test("the shared store: only the first hop's name (the SHA-256 etag) is checked, never the Xet name of the second hop")
    func sharedStore() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        let lfs = names["model.safetensors"]!
        let xet = String(repeating: "7e", count: 32)
        try hf.dir.write("hub/blobs/.huggingface-shared-blobs", "1\n")
        try FileManager.default.createDirectory(atPath: hf.dir.file("hub/blobs/7e"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: "\(hf.repoDir)/blobs/\(lfs)", toPath: hf.dir.file("hub/blobs/7e/\(xet)"))
        try hf.dir.write("hub/blobs/7e/\(xet).refs", "models--acme--tiny/blobs/\(lfs)\n")
        try link("\(hf.repoDir)/blobs/\(lfs)", to: "../../blobs/7e/\(xet)")
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: try await ArtifactHasher().hash(hf.snapshot))
        #expect(result.problems.isEmpty)
        #expect(result.files["model.safetensors"] == lfs)

        try flipByte(hf.dir.file("hub/blobs/7e/\(xet)"), at: 0)
        let tampered = try HuggingFaceCache.check(root: hf.snapshot, manifest: try await ArtifactHasher().hash(hf.snapshot))
        #expect(tampered.problems.map(\.role) == ["model.safetensors"])
    }

    @Test("a --local-dir download is not a cache: files are plain copies with no expected digest")
    func localDir() async throws {
        let dir = TemporaryDirectory("localdir")
        try dir.write("model/config.json", "{}")
        try dir.write("model/.cache/huggingface/download/config.json.metadata",
                      "0123456789abcdef0123456789abcdef01234567\n9e26dfeeb6e641a33dae4961196235bdb965b21b\n1712656091.123\n")
        #expect(try HuggingFaceCache.locate(dir.file("model")) == nil)
        let manifest = try await ArtifactHasher().hash(dir.file("model"))
        #expect(throws: StoreError(.notInCache, "")) { try HuggingFaceCache.check(root: dir.file("model"), manifest: manifest) }
    }

    @Test("a copied (not linked) snapshot file has no expected digest and no blob name")
    func copiedFile() async throws {
        let hf = HFFixture()
        try hf.build()
        let path = hf.snapshot + "/config.json"
        try FileManager.default.removeItem(atPath: path)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: path))
        let result = try HuggingFaceCache.check(root: hf.snapshot, manifest: try await ArtifactHasher().hash(hf.snapshot))
        #expect(result.problems.isEmpty)
        #expect(result.files["config.json"] == nil)
    }

    @Test("a 40-hex blob longer than one read is hashed as git does; a root reached through a link is located")
    func largeGitBlobAndLinkedRoot() async throws {
        let hf = HFFixture()
        try hf.build()
        let bytes = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let name = try gitBlobID(bytes)
        try hf.dir.write("hub/models--acme--tiny/blobs/\(name)", Data(bytes))
        try link(hf.snapshot + "/big.bin", to: "../../blobs/\(name)")
        try link(hf.dir.file("served/tiny"), to: hf.snapshot)
        let root = hf.dir.file("served/tiny")
        let manifest = try await ArtifactHasher().hash(root)
        let result = try HuggingFaceCache.check(root: root, manifest: manifest)
        #expect(result.problems.isEmpty)
        #expect(result.files["big.bin"] == name)
        try flipByte(hf.dir.file("hub/models--acme--tiny/blobs/\(name)"), at: 600_000)
        let tampered = try HuggingFaceCache.check(root: root, manifest: try await ArtifactHasher().hash(root))
        #expect(tampered.problems.map(\.role) == ["big.bin"])
    }
}
