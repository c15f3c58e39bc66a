import Foundation
import ModelCatalog
import Synchronization
import TestSupport

/// Collects catalog warnings for assertions. ``warnings`` is one channel, so its warn-once
/// memory is shared by every use of the same log.
final class WarningLog: Sendable {
    private final class Lines: Sendable {
        let storage = Mutex<[String]>([])
    }

    private let store: Lines
    /// The channel that records into this log.
    let warnings: CatalogWarnings

    init() {
        let store = Lines()
        self.store = store
        self.warnings = CatalogWarnings { line in store.storage.withLock { $0.append(line) } }
    }

    var lines: [String] { store.storage.withLock { $0 } }

    func count(containing text: String) -> Int { lines.filter { $0.contains(text) }.count }
}

/// A fixed clock for `context_limit_observed_at`.
let fixedNow: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_767_225_600) }  // 2026-01-01T00:00:00Z
let fixedNowText = "2026-01-01T00:00:00Z"

/// Writes `text` to a new temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "catalog.json") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("modelcatalog-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// The answers of the real services, in their documented shapes.
enum Fixtures {
    /// Tinker-style `GET /api/v1/get_server_capabilities`: objects and plain strings mixed.
    static let capabilities = """
        {"supported_models": [
          {"model_name": "Qwen/Qwen3-8B", "model_id": "qwen3-8b", "arch": "qwen3", "max_context_length": 40960, "lora_ranks": [8, 32]},
          "meta-llama/Llama-3.1-8B",
          {"model_name": "acme/Brand-New-7B", "max_context_length": 65536, "training_type": "distilled"},
          "acme/Plain-String-Model"
        ]}
        """

    /// vLLM's OpenAI-compatible `GET /v1/models`.
    static let vllmModels = """
        {"object": "list", "data": [
          {"id": "Qwen3-8B", "object": "model", "created": 1731000000, "owned_by": "vllm",
           "root": "/models/Qwen3-8B", "parent": null, "max_model_len": 16384,
           "permission": [{"id": "modelperm-1", "object": "model_permission", "created": 1731000000,
             "allow_create_engine": false, "allow_sampling": true, "allow_logprobs": true,
             "allow_search_indices": false, "allow_view": true, "allow_fine_tuning": false,
             "organization": "*", "group": null, "is_blocking": false}]},
          {"id": "my-finetune", "object": "model", "created": 1731000000, "owned_by": "vllm",
           "root": "/models/my-finetune", "parent": null, "max_model_len": 8192}
        ]}
        """

    /// Ollama's `GET /api/tags`.
    static let ollamaTags = """
        {"models": [
          {"name": "llama3.2:latest", "model": "llama3.2:latest", "modified_at": "2025-05-04T17:37:44.706015396-07:00",
           "size": 2019393189, "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
           "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                       "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}}
        ]}
        """

    /// A server that answers the three endpoints with the fixtures above.
    static func server() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            switch request.path {
            case "/api/v1/get_server_capabilities": .json(capabilities)
            case "/v1/models": .json(vllmModels)
            case "/api/tags": .json(ollamaTags)
            default: .text("not found", status: 404)
            }
        }
    }
}
