import ArtifactHashing
import Foundation
import ModelStores
import Testing
import TestSupport

struct OllamaReferenceTests {
    @Test("names parse as Ollama parses them, with its defaults", arguments: [
        ("ollama:/llama3.1:8b", "registry.ollama.ai/library/llama3.1:8b", "llama3.1:8b"),
        ("ollama:llama3.1", "registry.ollama.ai/library/llama3.1:latest", "llama3.1:latest"),
        ("qwen2.5vl:7b-q4_K_M", "registry.ollama.ai/library/qwen2.5vl:7b-q4_K_M", "qwen2.5vl:7b-q4_K_M"),
        ("ollama:hf_user/my-model:q8", "registry.ollama.ai/hf_user/my-model:q8", "hf_user/my-model:q8"),
        ("hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M", "hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M", "hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M"),
        ("localhost:5000/team/model:v1", "localhost:5000/team/model:v1", "localhost:5000/team/model:v1"),
        ("https://registry.ollama.ai/library/gemma3:4b", "registry.ollama.ai/library/gemma3:4b", "gemma3:4b"),
    ])
    func parses(input: String, full: String, short: String) throws {
        let ref = try OllamaReference(parsing: input)
        #expect(ref.description == full)
        #expect(ref.shortName == short)
    }

    @Test("invalid names are refused before they touch a path", arguments: [
        "ollama:../../etc/passwd", "a/b/c/d:e", "ns.x/model:tag", "model:", "ollama:", "ollama:/", "mo del", "model:a/b", "-x",
    ])
    func refuses(input: String) {
        #expect(throws: StoreError(.invalidReference, "")) { try OllamaReference(parsing: input) }
    }

    @Test("the first store that exists is used")
    func firstExisting() {
        let dir = TemporaryDirectory("roots")
        #expect(OllamaStore.firstExisting([dir.file("a"), dir.path])?.root == dir.path)
        #expect(OllamaStore.firstExisting([dir.file("a")]) == nil)
    }
}

struct OllamaStoreTests {
    @Test("a legacy manifest resolves; every blob checks out; the aggregate is the standard one over manifest and blobs")
    func legacyIntact() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        let manifestPath = try store.writeLegacy("registry.ollama.ai/library/llama3.1/8b", config: config, layers: layers)

        let model = try OllamaStore(root: store.root).resolve("ollama:/llama3.1:8b")
        #expect(model.layout == .legacy)
        #expect(model.manifestPath == manifestPath)
        #expect(model.manifestDigest == (try sha256sumOf(manifestPath)))
        #expect(model.artifactFiles.map(\.role) == ["manifest", "config", "model", "template", "params", "license"])
        #expect(model.artifactFiles[0].expectedSHA256 == nil)
        #expect(model.artifactFiles[2].relativePath == "blobs/sha256-\(layers[0].digest)")
        #expect(model.artifactFiles[2].size == Int64(layers[0].size))

        let result = try await model.verify(ArtifactHasher(jobs: 2))
        #expect(result.problems.isEmpty)
        #expect(result.isIntact)
        var lines = ["\(try sha256sumOf(manifestPath))  manifest"]
        lines += ([config] + layers).map { "\($0.digest)  blobs/sha256-\($0.digest)" }
        #expect(result.aggregate == (try OllamaFixture.aggregate(lines)))
        #expect(result.manifest.files.count == 6)
    }

    @Test("a manifests-v2 link under ollama.com resolves for the registry.ollama.ai name, and is checked against its blob name")
    func v2Link() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        let json = OllamaFixture.manifestJSON(config: config, layers: layers)
        let (linkPath, digest) = try store.writeV2("ollama.com/library/llama3.1/8b", json: json)

        let model = try OllamaStore(root: store.root).resolve("llama3.1:8b")
        #expect(model.layout == .link)
        #expect(model.manifestPath == linkPath)
        #expect(model.manifestDigest == digest)
        #expect(model.artifactFiles[0].expectedSHA256 == digest)
        let intact = try await model.verify(ArtifactHasher(jobs: 3))
        #expect(intact.problems.isEmpty)

        // The same bytes as a legacy manifest give the same aggregate: the layout does not count.
        let legacy = OllamaFixture()
        let (c2, l2) = try legacy.standardLayers()
        try legacy.writeLegacy("registry.ollama.ai/library/llama3.1/8b", config: c2, layers: l2)
        let legacyResult = try await OllamaStore(root: legacy.root).resolve("llama3.1:8b").verify()
        #expect(legacyResult.aggregate == intact.aggregate)

        // The link re-pointed to another model's (valid) manifest blob: every name checks, but
        // the model's digest and aggregate are another's, which a lock catches.
        let (c3, l3) = try store.standardLayers(weights: "another model")
        let other = try store.blob("manifest", OllamaFixture.manifestJSON(config: c3, layers: l3))
        try replaceLink(linkPath, to: "../../../../blobs/sha256-\(other.digest)")
        let repointed = try await OllamaStore(root: store.root).resolve("llama3.1:8b").verify()
        #expect(repointed.problems.isEmpty)
        #expect(repointed.model.manifestDigest == other.digest)
        #expect(repointed.aggregate != intact.aggregate)
        try replaceLink(linkPath, to: "../../../../blobs/sha256-\(digest)")

        // A manifest blob whose bytes were edited no longer matches its name.
        try flipByte(store.blobPath(digest), at: 10)
        let tampered = try await OllamaStore(root: store.root).resolve("llama3.1:8b").verify()
        #expect(tampered.problems.count == 1)
        #expect(tampered.problems.first?.role == "manifest")
        if case .digestMismatch(_, let expected, _)? = tampered.problems.first?.kind { #expect(expected == digest) } else { Issue.record("\(tampered.problems)") }
        #expect(tampered.hasIntegrityFailure)
    }

    @Test("a v2 host with a port is stored with %3A; a v2 link that leaves blobs/ is a problem")
    func v2HostPortAndOutsideLink() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        let json = OllamaFixture.manifestJSON(config: config, layers: layers)
        try store.writeV2("localhost%3A5000/team/model/v1", json: json)
        let model = try OllamaStore(root: store.root).resolve("localhost:5000/team/model:v1")
        #expect(model.reference.host == "localhost:5000")
        #expect(try await model.verify().problems.isEmpty)

        // Re-point the named link at a copy of the manifest outside blobs/.
        let copy = try store.dir.write("elsewhere/sha256-x", json)
        try replaceLink(store.dir.file("models/manifests-v2/localhost%3A5000/team/model/v1"), to: copy)
        let moved = try await OllamaStore(root: store.root).resolve("localhost:5000/team/model:v1").verify()
        #expect(moved.problems.contains { if case .linkOutsideBlobs = $0.kind { true } else { false } })
    }

    @Test("a manifest list: the list, each present child manifest and all their blobs; an absent child is noted, not a fault")
    func manifestList() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        let ggml = try store.blob("manifest", OllamaFixture.manifestJSON(config: config, layers: layers))
        let mlxWeights = try store.blob("application/vnd.ollama.image.tensor", "tensor bytes")
        let absent = String(repeating: "ab", count: 32)
        let list = """
            {"schemaVersion":2,"mediaType":"application/vnd.ollama.manifest.list.v2+json","manifests":[\
            {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:\(ggml.digest)","runner":"ggml","format":"gguf"},\
            {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:\(absent)","runner":"llamacpp"},\
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:\(config.digest)","size":\(config.size)},\
            "layers":[{"mediaType":"application/vnd.ollama.image.tensor","digest":"sha256:\(mlxWeights.digest)","size":\(mlxWeights.size),"name":"w"}],"runner":"mlx"}]}
            """
        try store.writeV2("ollama.com/library/gemma4/e4b", json: list)
        let model = try OllamaStore(root: store.root).resolve("gemma4:e4b")
        #expect(model.isManifestList)
        #expect(model.absentChildManifests == [store.blobPath(absent)])
        #expect(model.artifactFiles.map(\.role) == ["manifest", "child-manifest", "config", "model", "template", "params", "license", "tensor"])
        let result = try await model.verify()
        #expect(result.problems.isEmpty)

        // A child manifest that was edited is caught by its name.
        try flipByte(store.blobPath(ggml.digest), at: 5)
        let tampered = try await OllamaStore(root: store.root).resolve("gemma4:e4b").verify()
        #expect(tampered.problems.map(\.role) == ["child-manifest"])
    }

    @Test("tampering: a flipped byte in the weights, a truncated blob, a missing blob, a partial pull")
    func tampering() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers(weights: String(repeating: "w", count: 4096))
        try store.writeLegacy("registry.ollama.ai/library/m/t", config: config, layers: layers)
        let ollama = OllamaStore(root: store.root)
        let before = try await ollama.resolve("m:t").verify()
        #expect(before.isIntact)

        try flipByte(store.blobPath(layers[0].digest), at: 1000)
        let flipped = try await ollama.resolve("m:t").verify()
        #expect(flipped.problems.count == 1)
        let problem = try #require(flipped.problems.first)
        #expect(problem.role == "model")
        #expect(problem.path == store.blobPath(layers[0].digest))
        if case .digestMismatch("sha256", let expected, let actual) = problem.kind {
            #expect(expected == layers[0].digest)
            #expect(actual == (try sha256sumOf(store.blobPath(layers[0].digest))))
        } else { Issue.record("\(flipped.problems)") }
        #expect(flipped.aggregate != before.aggregate)

        try truncateFile(store.blobPath(layers[1].digest), to: 3)
        let truncated = try await ollama.resolve("m:t").verify()
        let template = truncated.problems.filter { $0.role == "template" }.map(\.kind)
        #expect(template.contains(.sizeMismatch(expected: Int64(layers[1].size), actual: 3)))

        try FileManager.default.removeItem(atPath: store.blobPath(layers[2].digest))
        let missing = try await ollama.resolve("m:t").verify()
        #expect(missing.problems.contains(StoreProblem(.missing, path: store.blobPath(layers[2].digest), role: "params")))
        #expect(!missing.manifest.files.contains { $0.path == "blobs/sha256-\(layers[2].digest)" })

        try FileManager.default.moveItem(atPath: store.blobPath(layers[3].digest), toPath: store.blobPath(layers[3].digest) + "-partial")
        let partial = try await ollama.resolve("m:t").verify()
        let license = partial.problems.first { $0.role == "license" }
        #expect(license?.kind == .partialDownload(partialPath: store.blobPath(layers[3].digest) + "-partial"))
        #expect(try OllamaStore(root: store.root).partialDownloads() == [store.blobPath(layers[3].digest) + "-partial"])
        // The partial file is never hashed as part of the model.
        #expect(!partial.manifest.files.contains { $0.path.contains("partial") })
    }

    @Test("a missing model, a missing store, a malformed manifest and an oversized one are errors naming the path")
    func errors() throws {
        let store = OllamaFixture()
        let ollama = OllamaStore(root: store.root)
        #expect(throws: StoreError(.storeNotFound, "")) { try ollama.resolve("x:y") }
        let (config, layers) = try store.standardLayers()
        try store.writeLegacy("registry.ollama.ai/library/m/t", config: config, layers: layers)
        do {
            _ = try ollama.resolve("other:t")
            Issue.record("resolved a missing model")
        } catch {
            #expect(error.code == .modelNotFound)
            #expect(error.message.contains("manifests/registry.ollama.ai/library/other/t"))
            #expect(error.message.contains("ollama pull other:t"))
        }
        try store.dir.write("models/manifests/registry.ollama.ai/library/bad/t", "{not json")
        #expect(throws: StoreError(.malformedManifest, "")) { try ollama.resolve("bad:t") }
        try store.dir.write("models/manifests/registry.ollama.ai/library/baddigest/t",
                            #"{"schemaVersion":2,"config":{"digest":"sha256:../../etc","size":1},"layers":[]}"#)
        #expect(throws: StoreError(.malformedManifest, "")) { try ollama.resolve("baddigest:t") }
        let huge = try store.dir.write("models/manifests/registry.ollama.ai/library/huge/t", "")
        try FileHandle(forWritingTo: URL(fileURLWithPath: huge)).truncate(atOffset: UInt64(OllamaStore.maxManifestBytes + 1))
        #expect(throws: StoreError(.tooLarge, "")) { try ollama.resolve("huge:t") }
    }

    @Test("a manifest naming one digest in two letter cases is refused: Ollama reads two blob files, only one could be checked")
    func digestInTwoCases() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        // Ollama accepts upper-case hex and names the blob file with the digest as written, so
        // the upper-case name is another file on a case-sensitive file system.
        let upper = layers[0].digest.uppercased()
        let evil = Array("adapter an attacker wrote".utf8)
        try store.dir.write("models/blobs/sha256-\(upper)", Data(evil))
        let adapter = OllamaFixture.Layer(mediaType: "application/vnd.ollama.image.adapter", bytes: evil, digest: upper)
        try store.writeLegacy("registry.ollama.ai/library/twocase/t", config: config, layers: layers + [adapter])
        do {
            let model = try OllamaStore(root: store.root).resolve("twocase:t")
            let result = try await model.verify(ArtifactHasher(jobs: 2))
            Issue.record("resolved, intact: \(result.isIntact), files \(model.artifactFiles.map(\.relativePath))")
        } catch let error as StoreError {
            #expect(error.code == .malformedManifest)
            #expect(error.message.contains(layers[0].digest) && error.message.contains(upper), "\(error.message)")
        }
    }
}
