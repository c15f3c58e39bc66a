import ArtifactHashing
import Foundation
import ModelStores
import Testing
import TestSupport

struct StoreScannerTests {
    @Test("an HF cache: every repo, snapshot and blob; a corrupt blob, an interrupted download and a dangling ref")
    func huggingFaceCache() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        try hf.build(repo: "models--acme--other")
        try hf.dir.write("hub/.locks/models--acme--tiny/x.lock", "")
        try hf.dir.write("hub/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
        let scanner = StoreScanner(hasher: ArtifactHasher(jobs: 2))

        let clean = try await scanner.scan(paths: [hf.cache])
        #expect(clean.errors.isEmpty)
        #expect(clean.items.map(\.name) == ["acme/other", "acme/tiny"])
        #expect(clean.items.allSatisfy { $0.status == .ok })
        #expect(clean.items[0].blobs == 3)
        #expect(!clean.hasCorruption)

        try flipByte("\(hf.repoDir)/blobs/\(names["model.safetensors"]!)", at: 2)
        try hf.dir.write("hub/models--acme--other/blobs/\(names["model.safetensors"]!).incomplete", "part")
        try hf.dir.write("hub/models--acme--other/refs/v9", String(repeating: "f", count: 40))
        let dirty = try await scanner.scan(paths: [hf.cache])
        let other = try #require(dirty.items.first { $0.name == "acme/other" })
        let tiny = try #require(dirty.items.first { $0.name == "acme/tiny" })
        #expect(tiny.status == .corrupt)
        #expect(tiny.problems.count == 1)
        #expect(tiny.problems.first?.role == "\(hf.commit.prefix(12))/model.safetensors")
        #expect(other.status == .corrupt)
        #expect(other.problems.map(\.role) == ["refs/v9"])
        #expect(other.notes.contains { $0.contains(".incomplete") })
        #expect(dirty.hasCorruption)

        // One repository directory alone can be scanned too.
        let one = try await scanner.scan(paths: [hf.dir.file("hub/models--acme--other")])
        #expect(one.items.map(\.name) == ["acme/other"])
    }

    @Test("an Ollama store: every manifest (legacy and v2), every blob; interrupted pulls are listed, a bad stray blob is corrupt")
    func ollamaStore() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        try store.writeLegacy("registry.ollama.ai/library/llama3.1/8b", config: config, layers: layers)
        let (c2, l2) = try store.standardLayers(weights: "other weights")
        try store.writeV2("ollama.com/library/qwen3/4b", json: OllamaFixture.manifestJSON(config: c2, layers: l2))
        try store.dir.write("models/blobs/sha256-\(String(repeating: "c", count: 64))-partial", "half")
        try store.dir.write("models/blobs/sha256-\(String(repeating: "c", count: 64))-partial-0", "{}")
        try store.dir.write("models/blobs/sha256-3141592653", "a temporary file of an interrupted pull")
        try store.dir.write("models/blobs/manifest.tmp", "{")
        let scanner = StoreScanner(hasher: ArtifactHasher(jobs: 3))

        let clean = try await scanner.scan(paths: [store.root])
        #expect(clean.errors.isEmpty)
        #expect(Set(clean.items.map(\.name)) == ["qwen3:4b", "llama3.1:8b"])
        #expect(clean.items.allSatisfy { $0.status == .ok })
        #expect(clean.interrupted.map { ($0 as NSString).lastPathComponent }.sorted()
            == ["manifest.tmp", "sha256-3141592653", "sha256-\(String(repeating: "c", count: 64))-partial", "sha256-\(String(repeating: "c", count: 64))-partial-0"])
        let llama = try #require(clean.items.first { $0.name == "llama3.1:8b" })
        let direct = try await OllamaStore(root: store.root).resolve("llama3.1:8b").verify()
        #expect(llama.aggregate == direct.aggregate)

        try flipByte(store.blobPath(l2[0].digest), at: 1)
        let stray = try store.blob("application/vnd.ollama.image.model", "unused")
        try flipByte(store.blobPath(stray.digest), at: 0)
        let dirty = try await scanner.scan(paths: [store.root])
        let qwen = try #require(dirty.items.first { $0.name == "qwen3:4b" })
        #expect(qwen.status == .corrupt)
        #expect(qwen.problems.map(\.role) == ["model"])
        #expect(dirty.items.first { $0.name == "llama3.1:8b" }?.status == .ok)
        let strays = try #require(dirty.items.first { $0.name == "(unreferenced blobs)" })
        #expect(strays.status == .corrupt)
        #expect(strays.problems.map(\.path) == [store.blobPath(stray.digest)])
    }

    @Test("a malformed manifest is an error for that model only; a path that is no store is an error")
    func errors() async throws {
        let store = OllamaFixture()
        let (config, layers) = try store.standardLayers()
        try store.writeLegacy("registry.ollama.ai/library/good/t", config: config, layers: layers)
        try store.dir.write("models/manifests/registry.ollama.ai/library/bad/t", "[")
        let notStore = TemporaryDirectory("plain")
        try notStore.write("readme.txt", "hi")
        let report = try await StoreScanner().scan(paths: [store.root, notStore.path, notStore.file("absent")])
        #expect(report.items.first { $0.name == "good:t" }?.status == .ok)
        if case .error(let message)? = report.items.first(where: { $0.name == "bad:t" })?.status {
            #expect(message.contains("bad/t"))
        } else { Issue.record("\(report.items)") }
        #expect(report.errors.count == 2)
        #expect(report.hasErrors)
        #expect(!report.hasCorruption)
    }
}
