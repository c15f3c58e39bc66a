import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ModelCatalog
import ModelRegistry
import Testing
import TestSupport
import OrderedJSON

@Suite("Built-in list, matching, output")
struct CatalogTests {
    /// Every model of tinker-cookbook 0.6.1's `model_info.py`, and nothing else.
    @Test func builtinListHasEveryTinkerModelWithTraitsAndDocsLimits() {
        let names = [
            "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-3B",
            "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.3-70B-Instruct",
            "Qwen/Qwen3-VL-30B-A3B-Instruct", "Qwen/Qwen3-VL-235B-A22B-Instruct", "Qwen/Qwen3-8B-Base",
            "Qwen/Qwen3-30B-A3B-Base", "Qwen/Qwen3-8B", "Qwen/Qwen3-32B", "Qwen/Qwen3-30B-A3B",
            "Qwen/Qwen3-4B-Instruct-2507", "Qwen/Qwen3-30B-A3B-Instruct-2507", "Qwen/Qwen3-235B-A22B-Instruct-2507",
            "Qwen/Qwen3.5-4B", "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-9B-Base", "Qwen/Qwen3.5-27B", "Qwen/Qwen3.5-35B-A3B",
            "Qwen/Qwen3.5-35B-A3B-Base", "Qwen/Qwen3.5-397B-A17B", "Qwen/Qwen3.6-27B", "Qwen/Qwen3.6-35B-A3B",
            "Qwen/Qwen3.8-27B",
            "deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1-Base", "deepseek-ai/DeepSeek-V4.1-Flash",
            "deepseek-ai/DeepSeek-V4.1-Flash-1017",
            "openai/gpt-oss-20b", "openai/gpt-oss-120b",
            "moonshotai/Kimi-K2-Thinking", "moonshotai/Kimi-K2.5", "moonshotai/Kimi-K2.6", "moonshotai/Kimi-K3.1-Pro",
            "zai-org/GLM-5.3", "zai-org/GLM-5.3-Flash",
            "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16",
            "nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16", "nvidia/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16",
            "nvidia/NVIDIA-Nemotron-3.5-Super-VL-120B-A12B-BF16",
            "thinkingmachines/Inkling", "thinkingmachines/Inkling-Small", "thinkingmachines/Inkling-2-Small",
        ]
        #expect(names.count == 46)
        #expect(BuiltinCatalog.specs.map(\.modelName) == names)
        for spec in BuiltinCatalog.specs {
            #expect(spec.source == .builtin)
            #expect(spec.trainingType?.isKnown == true && spec.architecture?.isKnown == true && spec.size?.isKnown == true)
            if spec.maxContextLength != nil {
                #expect(spec.contextLimitSource == .docs)
                #expect(spec.contextLimitKind == .trained)
            } else {
                // Unknown, never guessed: no provenance without a number.
                #expect(spec.contextLimitSource == nil && spec.contextLimitKind == nil)
            }
            #expect(spec.maxContextLength == spec.trainedContextLength)
            #expect(spec.servedContextLength == nil)
            #expect(spec.metadata["reference"]?.stringValue == "https://huggingface.co/\(spec.modelName)")
        }
        // Every vision-language model of model_info.py (is_vl) has the vision feature.
        let vision = ["Qwen/Qwen3.5-27B", "Qwen/Qwen3.8-27B", "moonshotai/Kimi-K2.5", "thinkingmachines/Inkling",
                      "nvidia/NVIDIA-Nemotron-3.5-Super-VL-120B-A12B-BF16", "Qwen/Qwen3-VL-30B-A3B-Instruct"]
        for name in vision {
            #expect(BuiltinCatalog.specs.first { $0.modelName == name }?.features?.contains("vision") == true, "\(name)")
        }
    }

    @Test(arguments: [
        ("Qwen/Qwen3-8B", 32768, "hybrid", "dense", "small"),
        ("Qwen/Qwen3-235B-A22B-Instruct-2507", 262_144, "instruction", "moe", "large"),
        ("Qwen/Qwen3-VL-30B-A3B-Instruct", 262_144, "vision", "moe", "medium"),
        ("Qwen/Qwen3-4B-Instruct-2507", 262_144, "instruction", "dense", "compact"),
        ("meta-llama/Llama-3.1-70B", 131_072, "base", "dense", "large"),
        ("meta-llama/Llama-3.2-1B", 131_072, "base", "dense", "compact"),
        ("deepseek-ai/DeepSeek-V3.1", 131_072, "hybrid", "moe", "large"),
        ("moonshotai/Kimi-K2-Thinking", 262_144, "reasoning", "moe", "large"),
        ("openai/gpt-oss-20b", 131_072, "reasoning", "moe", "small"),
        ("Qwen/Qwen3.5-397B-A17B", 262_144, "hybrid", "moe", "large"),
        ("Qwen/Qwen3.6-27B", 262_144, "hybrid", "dense", "medium"),
        ("moonshotai/Kimi-K2.5", 262_144, "hybrid", "moe", "large"),
    ])
    func builtinKnownAnswers(name: String, context: Int, training: String, architecture: String, size: String) throws {
        let spec = try #require(Catalog(specs: BuiltinCatalog.specs).spec(for: name))
        #expect(spec.trainedContextLength == context)
        #expect(spec.trainingType?.rawValue == training)
        #expect(spec.architecture?.rawValue == architecture)
        #expect(spec.size?.rawValue == size)
    }

    @Test func yarnExtensionIsMetadataNotTheTrainedContext() throws {
        let spec = try #require(Catalog(specs: BuiltinCatalog.specs).spec(for: "Qwen/Qwen3-32B"))
        #expect(spec.trainedContextLength == 32768)
        #expect(spec.metadata["context_length_extended"] == 131072)
        #expect(spec.features?.contains("yarn") == true)
    }

    @Test func nameMatchingRules() {
        let catalog = Catalog(specs: [
            ModelSpec(modelName: "Qwen/Qwen3-8B", modelID: "qwen3-8b-served"),
            ModelSpec(modelName: "org-a/Shared-Name"),
            ModelSpec(modelName: "org-b/Shared-Name"),
        ])
        #expect(catalog.spec(for: "Qwen/Qwen3-8B")?.modelName == "Qwen/Qwen3-8B")      // exact
        #expect(catalog.spec(for: "qwen3-8b-served")?.modelName == "Qwen/Qwen3-8B")    // model_id
        #expect(catalog.spec(for: "qwen/qwen3-8b")?.modelName == "Qwen/Qwen3-8B")      // case
        #expect(catalog.spec(for: "QWEN3-8B-SERVED")?.modelName == "Qwen/Qwen3-8B")    // model_id, case
        #expect(catalog.spec(for: "Qwen3-8B")?.modelName == "Qwen/Qwen3-8B")           // short name
        #expect(catalog.spec(for: "qwen3-8b")?.modelName == "Qwen/Qwen3-8B")           // short name, case
        #expect(catalog.spec(for: "myorg/Qwen3-8B") == nil)                            // other organisation
        #expect(catalog.spec(for: "Shared-Name") == nil)                               // ambiguous
        #expect(catalog.spec(for: "org-b/Shared-Name")?.modelName == "org-b/Shared-Name")
        #expect(catalog.spec(for: "Qwen3") == nil)                                     // no prefix matching
    }

    @Test func namesAreTakenLiterally() {
        let catalog = Catalog(specs: [ModelSpec(modelName: "florence-2-large_(FP16)")])
        #expect(catalog.spec(for: "florence-2-large_(FP16)") != nil)
        #expect(catalog.spec(for: "florence-2-large_(fp16)") != nil)
        #expect(catalog.spec(for: "florence-2-large") == nil)
    }

    @Test func tableCellsForEveryColumn() {
        let specs = [
            ModelSpec(modelName: "Qwen/Qwen3-8B", trainingType: .hybrid, architecture: .dense, size: .small,
                      maxContextLength: 40960, contextLimitSource: .server, contextLimitKind: .served, available: true,
                      trainable: true, sampleable: false),
            ModelSpec(modelName: "x", trainingType: TrainingType(rawValue: "distilled"), available: false),
            ModelSpec(modelName: "unknown/avail"),
        ]
        #expect(CatalogTable.headers == [
            "NAME", "AVAILABLE", "TRAINABLE", "SAMPLEABLE", "CONTEXT", "KIND", "LIMIT SOURCE", "TRAINING", "ARCH", "SIZE",
        ])
        let rows = CatalogTable.rows(specs)
        #expect(rows.count == 3)
        #expect(rows[0] == ["Qwen/Qwen3-8B", "yes", "yes", "no", "40960", "served", "server", "hybrid", "dense", "small"])
        #expect(rows[1] == ["x", "no", "-", "-", "-", "-", "-", "distilled", "-", "-"])
        #expect(rows[2] == ["unknown/avail", "-", "-", "-", "-", "-", "-", "-", "-", "-"])
        #expect(rows.allSatisfy { $0.count == CatalogTable.headers.count })
    }

    @Test func backendModelsURLs() {
        let openAI = BackendEndpoint(name: "a", kind: .openAI, baseURL: URL(string: "http://h:8000/v1/")!)
        #expect(openAI.modelsURL.absoluteString == "http://h:8000/v1/models")
        let ollama = BackendEndpoint(name: "b", kind: .ollama, baseURL: URL(string: "http://h:11434/v1")!)
        #expect(ollama.modelsURL.absoluteString == "http://h:11434/api/tags")
        let plain = BackendEndpoint(name: "c", kind: .ollama, baseURL: URL(string: "http://h:11434")!)
        #expect(plain.modelsURL.absoluteString == "http://h:11434/api/tags")
    }

    @Test func serverBaseURLWithTrailingSlash() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let base = URL(string: server.baseURL.absoluteString + "/")!
        let catalog = await Catalog.load(CatalogConfiguration(serverURL: base), warnings: WarningLog().warnings)
        #expect(catalog.spec(for: "acme/Brand-New-7B") != nil)
        #expect(server.requests.map(\.target) == ["/api/v1/get_server_capabilities"])
    }
}

@Suite("LoopbackHTTPServer")
struct LoopbackHTTPServerTests {
    @Test func recordsPostedBodiesAndHeaders() async throws {
        let server = try LoopbackHTTPServer { request in
            .json(#"{"echo": \#(request.body.count)}"#, status: request.method == "POST" ? 201 : 405)
        }
        defer { server.stop() }
        var request = URLRequest(url: server.url("/v1/chat/completions?stream=false"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body = #"{"model": "m", "messages": [{"role": "user", "content": "\#(String(repeating: "x", count: 50_000))"}]}"#
        request.httpBody = Data(body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 201)
        #expect(String(decoding: data, as: UTF8.self) == #"{"echo": \#(body.utf8.count)}"#)
        let received = try #require(server.requests.first)
        #expect(received.method == "POST")
        #expect(received.path == "/v1/chat/completions")
        #expect(received.query == "stream=false")
        #expect(received.header("content-type") == "application/json")
        #expect(received.bodyText == body)
    }

    @Test func answersConcurrentRequestsIndependently() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/slow" ? .text("slow", delay: .seconds(6)) : .text("fast")
        }
        defer { server.stop() }
        async let slow = URLSession.shared.data(from: server.url("/slow"))
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let start = clock.now
        let (fast, _) = try await URLSession.shared.data(from: server.url("/fast"))
        // The slow answer takes 6 s; the fast one must not wait for it.
        #expect(clock.now - start < .seconds(4))
        #expect(String(decoding: fast, as: UTF8.self) == "fast")
        #expect(String(decoding: try await slow.0, as: UTF8.self) == "slow")
        #expect(server.requests.count == 2)
    }

    @Test func stopRefusesNewConnections() async throws {
        let server = try LoopbackHTTPServer { _ in .text("ok") }
        let url = server.url("/")
        _ = try await URLSession.shared.data(from: url)
        server.stop()
        server.stop()
        // Another test's server may have taken the freed port; either way this one serves no more.
        _ = try? await URLSession.shared.data(from: url)
        #expect(server.requests.count == 1)
    }

    @Test func refusingPortRefuses() async throws {
        let down = try RefusingLoopbackPort()
        defer { down.close() }
        await #expect(throws: (any Error).self) { _ = try await URLSession.shared.data(from: down.url("/api/tags")) }
    }
}

struct OllamaServedModelTests {
    @Test("Ollama names compare with the default tag, namespace and host, case-insensitively", arguments: [
        ("ollama:/llama3.1", "llama3.1:latest"), ("ollama:llama3.1:8b", "llama3.1:8b"), ("registry.ollama.ai/library/Qwen3:8B", "qwen3:8b"),
        ("user/model", "user/model:latest"), ("myhost:5000/ns/m:t", "myhost:5000/ns/m:t"), ("myhost:5000/ns/m", "myhost:5000/ns/m:latest"),
    ])
    func canonicalNames(name: String, canonical: String) {
        #expect(OllamaServedModel.canonicalName(name) == canonical)
    }

    @Test("the /api/tags digest, size and modification time are kept in the spec's metadata")
    func tagsMetadataKept() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let backend = BackendEndpoint(name: "o", kind: .ollama, baseURL: server.baseURL)
        let catalog = await Catalog.load(CatalogConfiguration(backends: [backend]))
        let spec = try #require(catalog.spec(for: "llama3.2:latest"))
        #expect(spec.metadata["digest"]?.stringValue == "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72")
        #expect(spec.metadata["size"]?.intValue == 2019393189)
        #expect(spec.metadata["modified_at"]?.stringValue == "2025-05-04T17:37:44.706015396-07:00")
    }
}

struct CatalogWarningEscapeTests {
    @Test("a model name a server lists with escape sequences and a line feed reaches the warning escaped, on one line")
    func servedNamesAreEscapedInWarnings() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(#"{"models": [{"name": "x\u001b]0;owned\u0007\n\u001b[2J:latest", "digest": "zz"}]}"#)
        }
        defer { server.stop() }
        let log = WarningLog()
        let backend = BackendEndpoint(name: "o", kind: .ollama, baseURL: server.baseURL)
        let catalog = await Catalog.load(CatalogConfiguration(backends: [backend]), warnings: log.warnings)
        let name = "x\u{1B}]0;owned\u{07}\n\u{1B}[2J:latest"
        #expect(catalog.spec(for: name) != nil)
        #expect(catalog.checkBackendOnlyModels(mode: .warn, warnings: log.warnings).isEmpty)
        #expect(!log.lines.isEmpty)
        for line in log.lines {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(line)")
        }
        #expect(log.count(containing: #"x\x1b]0;owned\x07\n\x1b[2J:latest"#) == 1, "\(log.lines)")
    }

    @Test func printableEscapesControlsAndBidiOnly() {
        #expect(CatalogWarnings.printable("plain ü \\ text") == "plain ü \\ text")
        #expect(CatalogWarnings.printable("a\tb\rc\u{7F}\u{85}\u{202E}") == #"a\tb\rc\x7f\u{0085}\u{202E}"#)
    }
}

struct CatalogCredentialTests {
    @Test("a password written into the catalog server's or a backend's URL never reaches a warning")
    func credentialsAreRedacted() async throws {
        let log = WarningLog()
        let server = URL(string: "http://me:s3cret@127.0.0.1:1")!
        let backend = BackendEndpoint(name: "o", kind: .ollama, baseURL: URL(string: "http://me:s3cret@127.0.0.1:1")!)
        _ = await Catalog.load(CatalogConfiguration(serverURL: server, backends: [backend], timeout: .seconds(2)), warnings: log.warnings)
        #expect(log.lines.count == 2, "\(log.lines)")
        #expect(!log.lines.contains { $0.contains("s3cret") }, "\(log.lines)")
        #expect(log.count(containing: "http://***@127.0.0.1:1/") == 2, "\(log.lines)")
    }
}
