import Foundation
import Testing
import TestSupport

/// `ollama:` entries and Hugging Face cache snapshots, verified through the built binary.
struct StoreVerifyTests {
    /// A legacy Ollama store holding `library/tiny:latest` (a config and one model layer).
    func ollamaStore(_ dir: TemporaryDirectory) throws -> (store: String, weights: String) {
        let model = try OllamaTestModel(in: dir, weights: String(repeating: "G", count: 4096))
        return (model.store, model.weightsPath)
    }

    func sha256(_ data: Data) throws -> String {
        let out = try runProcess("/usr/bin/sha256sum", [], stdin: String(decoding: data, as: UTF8.self))
        return String(out.stdout.prefix(64))
    }

    @Test("an ollama: entry verifies against its store, locks, and a flipped blob byte exits 2 naming the layer")
    func ollamaEntry() throws {
        let dir = TemporaryDirectory("e2e-ollama")
        let (store, weights) = try ollamaStore(dir)
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny_(Q4)", "backend": "ollama", "backend_config": {"model_path": "ollama:/tiny:latest"}}]
            """)
        let env = ["OLLAMA_MODELS": store]
        let args = ["--registry-dir", dir.file("registry")]
        let first = try modelctl(["verify", "tiny_(Q4)"] + args, environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("files         3"))
        #expect(try modelctl(["lock", "tiny_(Q4)", "--set-expected"] + args, environment: env).status == 0)
        #expect(try modelctl(["verify", "--all"] + args, environment: env).status == 0)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        bytes[100] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: weights))
        let corrupt = try modelctl(["verify", "tiny_(Q4)"] + args, environment: env)
        #expect(corrupt.status == 2)
        #expect(corrupt.stdout.contains("CORRUPT") && corrupt.stdout.contains("model"))

        // Without its store, a locked Ollama entry is an error, never a skip.
        let noStore = try modelctl(["verify", "--all"] + args, environment: ["OLLAMA_MODELS": dir.file("nowhere")])
        #expect(noStore.status == 1)
        #expect(noStore.stderr.contains("no Ollama store was found"))
    }

    @Test("a Hugging Face snapshot whose blob no longer hashes to its name exits 2, even unlocked")
    func huggingFaceSnapshot() throws {
        let dir = TemporaryDirectory("e2e-hf")
        let weights = Data(repeating: 0x11, count: 2048)
        let hex = try sha256(weights)
        let repo = "hub/models--acme--tiny"
        try dir.write("\(repo)/blobs/\(hex)", weights)
        try dir.write("\(repo)/refs/main", "0123456789abcdef0123456789abcdef01234567")
        let snapshot = dir.file("\(repo)/snapshots/0123456789abcdef0123456789abcdef01234567")
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: snapshot + "/model.safetensors", withDestinationPath: "../../blobs/\(hex)")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny", "backend": "vllm", "backend_config": {"model_path": "\(snapshot)"}}]
            """)
        let args = ["--registry-dir", dir.file("registry")]
        #expect(try modelctl(["verify", "tiny"] + args).status == 0)
        // The whole models--ORG--NAME directory means its refs/main snapshot, not its blobs.
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny", "backend": "vllm", "backend_config": {"model_path": "\(dir.file(repo))"}}]
            """)
        let repoVerify = try modelctl(["verify", "tiny", "--json", "--no-record"] + args)
        #expect(repoVerify.status == 0, "\(repoVerify.stdout) \(repoVerify.stderr)")
        #expect(repoVerify.stdout.contains("\"file_count\": 1"))
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny", "backend": "vllm", "backend_config": {"model_path": "\(snapshot)"}}]
            """)
        let shown = try modelctl(["show", "tiny"] + args).stdout
        #expect(shown.contains("\"blob\": \"\(hex)\""))
        var bytes = weights
        bytes[0] = 0x12
        try bytes.write(to: URL(fileURLWithPath: dir.file("\(repo)/blobs/\(hex)")))
        let corrupt = try modelctl(["verify", "tiny"] + args)
        #expect(corrupt.status == 2, "\(corrupt.stdout) \(corrupt.stderr)")
        #expect(corrupt.stdout.contains("CORRUPT"))
    }
}
