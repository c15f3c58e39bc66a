import Foundation
import Testing
import TestSupport

/// `modelctl scan` on real store layouts: exit 0 when intact, 2 when a blob does not match its
/// name, 1 when a path is no store.
struct ScanCommandTests {
    /// A copy of the committed Hugging Face cache fixture (links kept), to tamper with.
    private func copyFixture() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("scan")
        let copied = try shell("cp -a \"$0\" \"$1\"", arguments: [repositoryRoot + "/fixtures/hf-cache/hub", dir.file("hub")])
        #expect(copied.status == 0, "\(copied.stderr)")
        return dir
    }

    @Test("an intact cache exits 0 with one ok line per repository")
    func intact() throws {
        let dir = try copyFixture()
        let result = try modelctl(["scan", dir.file("hub"), "--jobs", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("ok ") })
        #expect(result.stdout.contains("hf:acme/tiny-lm"))
    }

    @Test("a flipped byte in a blob exits 2 and names the file; --json says corrupt")
    func corrupt() throws {
        let dir = try copyFixture()
        let blobs = dir.file("hub/models--acme--tiny-lm/blobs")
        let lfs = try #require(try FileManager.default.contentsOfDirectory(atPath: blobs).first { $0.count == 64 })
        var data = try Data(contentsOf: URL(fileURLWithPath: "\(blobs)/\(lfs)"))
        data[0] ^= 1
        try data.write(to: URL(fileURLWithPath: "\(blobs)/\(lfs)"))
        let result = try modelctl(["scan", dir.file("hub")])
        #expect(result.status == 2)
        let bad = result.stdout.split(separator: "\n").filter { $0.hasPrefix("corrupt") }
        #expect(bad.count == 1)
        #expect(bad.first?.contains("model.safetensors") == true)
        #expect(bad.first?.contains(lfs) == true)

        let json = try modelctl(["scan", dir.file("hub"), "--json"])
        #expect(json.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let items = object?["items"] as? [[String: Any]] ?? []
        let tiny = items.first { $0["name"] as? String == "acme/tiny-lm" }
        #expect(tiny?["status"] as? String == "corrupt")
        let problem = (tiny?["problems"] as? [[String: Any]])?.first
        #expect(problem?["kind"] as? String == "digest_mismatch")
        #expect(problem?["expected"] as? String == lfs)
    }

    @Test("an Ollama store with a missing blob exits 2; a path that is no store exits 1")
    func ollamaAndErrors() throws {
        let dir = TemporaryDirectory("scan-ollama")
        let weights = try dir.write("w", "weights")
        let digest = try sha256sumOf(weights)
        try dir.write("models/blobs/sha256-\(digest)", "weights")
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:\#(digest)","size":7},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:\#(String(repeating: "0", count: 64))","size":3}]}"#
        try dir.write("models/manifests/registry.ollama.ai/library/tiny/latest", manifest + "\n")
        let result = try modelctl(["scan", dir.file("models")])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("corrupt  ollama:tiny:latest  model"))
        #expect(result.stdout.contains("missing"))

        try dir.write("plain/readme", "x")
        let none = try modelctl(["scan", dir.file("plain")])
        #expect(none.status == 1)
        #expect(none.stderr.contains(dir.file("plain")))
        #expect(none.stdout.isEmpty)
    }

    @Test("without PATH the default stores come from the environment; none there exits 1 naming where it looked")
    func defaults() throws {
        let dir = try copyFixture()
        let result = try modelctl(["scan"], environment: ["HF_HUB_CACHE": dir.file("hub"), "OLLAMA_MODELS": dir.file("absent"), "HOME": dir.file("home")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 2)
        let none = try modelctl(["scan"], environment: ["HF_HUB_CACHE": dir.file("nope"), "OLLAMA_MODELS": dir.file("absent"), "HOME": dir.file("home")])
        #expect(none.status == 1)
        #expect(none.stderr.contains(dir.file("nope")))
    }
}
