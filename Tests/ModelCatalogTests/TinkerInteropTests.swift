import Foundation
import HTTPSupport
import ModelCatalog
import ModelRegistry
import Testing
import TestSupport
import OrderedJSON

/// The catalog against the real Tinker API's shapes and settings.
@Suite("Tinker interoperability")
struct TinkerInteropTests {
    /// The answer the real `tinker` 0.38.0 types produce (fixtures/tinker/README.md).
    static let capabilitiesFixture: String = {
        let path = repositoryRoot + "/fixtures/tinker/get_server_capabilities.json"
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "missing fixture \(path)"
    }()

    @Test func realSDKAnswerIsParsedWithTrainableAndSampleable() async throws {
        let server = try LoopbackHTTPServer { _ in .json(Self.capabilitiesFixture) }
        defer { server.stop() }
        let log = WarningLog()
        let catalog = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, now: fixedNow), warnings: log.warnings)

        let both = try #require(catalog.spec(for: "Qwen/Qwen3-8B"))
        #expect(both.trainable == true && both.sampleable == true && both.available == true)
        #expect(both.servedContextLength == 32768)
        let trainOnly = try #require(catalog.spec(for: "Qwen/Qwen3-VL-30B-A3B-Instruct"))
        #expect(trainOnly.trainable == true && trainOnly.sampleable == false && trainOnly.available == true)
        let neither = try #require(catalog.spec(for: "meta-llama/Llama-3.1-70B"))
        #expect(neither.trainable == false && neither.sampleable == false)
        #expect(neither.available == false, "listed with both flags false is not available")
        let bare = try #require(catalog.spec(for: "acme/Future-Model-9B"))
        #expect(bare.trainable == nil && bare.sampleable == nil && bare.available == true)
        #expect(bare.maxContextLength == nil)
        // The nameless entry is skipped with one warning naming the URL and the index.
        #expect(log.count(containing: "get_server_capabilities supported_models[4]: a spec needs \"model_name\"") == 1, "\(log.lines)")
        // Both flags are first-class: in the JSON output and the table.
        #expect(neither.json["trainable"] == false)
        #expect(neither.json["sampleable"] == false)
        #expect(CatalogTable.row(neither)[2...3] == ["no", "no"])
    }

    @Test func theKeyGoesOverPlainHTTPOnlyOnAConnectionThatReachedALoopbackAddress() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"supported_models": ["acme/Model-A"]}"#) }
        defer { server.stop() }
        // Decided by the address connected to: 127.0.0.1, and localhost because it resolves there.
        for host in ["127.0.0.1", "localhost"] {
            let log = WarningLog()
            _ = await Catalog.load(CatalogConfiguration(serverURL: URL(string: "http://\(host):\(server.port)/")!, apiKey: "k-123",
                                                        timeout: .seconds(5), now: fixedNow), warnings: log.warnings)
            #expect(log.count(containing: "the API key is not sent over plain http") == 0, "\(host): \(log.lines)")
        }
        #expect(server.requests.count == 2 && server.requests.allSatisfy { $0.header("X-API-Key") == "k-123" })
    }

    @Test func apiKeyGoesToTheCapabilitiesServerOnlyAndIsNeverPrinted() async throws {
        let secret = "tml-secret-key-1234567890"
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/api/v1/get_server_capabilities":
                request.header("X-API-Key") == secret ? .json(Self.capabilitiesFixture) : .json(#"{"detail": "bad key"}"#, status: 401)
            default:
                .json(Fixtures.vllmModels)
            }
        }
        defer { server.stop() }
        let log = WarningLog()
        var config = CatalogConfiguration(serverURL: server.baseURL, apiKey: secret, now: fixedNow)
        config.backends = [BackendEndpoint(name: "b", kind: .openAI, baseURL: server.url("/v1"))]
        let catalog = await Catalog.load(config, warnings: log.warnings)
        #expect(catalog.spec(for: "acme/Future-Model-9B") != nil)
        let capabilities = server.requests.filter { $0.path == "/api/v1/get_server_capabilities" }
        #expect(capabilities.count == 1 && capabilities.first?.header("X-API-Key") == secret)
        #expect(server.requests.filter { $0.path == "/v1/models" }.allSatisfy { $0.header("X-API-Key") == nil })

        // A wrong key: the 401 is reported, the key is not.
        let wrong = WarningLog()
        _ = await Catalog.load(CatalogConfiguration(serverURL: server.baseURL, apiKey: "tml-wrong-key-0987"), warnings: wrong.warnings)
        #expect(wrong.count(containing: "HTTP 401") == 1, "\(wrong.lines)")
        #expect(!wrong.lines.contains { $0.contains("tml-wrong-key-0987") })
    }

    @Test func repeatedAndCaseFoldedNamesInOneSourceAreWarnedOnce() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(#"{"supported_models": ["acme/Model-A", {"model_name": "ACME/model-a", "max_context_length": 8192}, "acme/Model-B", "acme/Model-B"]}"#)
        }
        defer { server.stop() }
        let log = WarningLog()
        let config = CatalogConfiguration(includeBuiltin: false, serverURL: server.baseURL)
        let catalog = await Catalog.load(config, warnings: log.warnings)
        _ = await Catalog.load(config, warnings: log.warnings)
        #expect(log.count(containing: "differ only in case") == 1, "\(log.lines)")
        #expect(log.count(containing: "'acme/Model-B' is listed more than once") == 1, "\(log.lines)")
        #expect(catalog.specs.map(\.modelName) == ["acme/Model-A", "acme/Model-B"])
        #expect(catalog.spec(for: "acme/Model-A")?.maxContextLength == 8192)
    }

    @Test func aWrongShapedAnswerIsOneWarningWithItsDetail() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"models": "not a list"}"#) }
        defer { server.stop() }
        let log = WarningLog()
        _ = await Catalog.load(CatalogConfiguration(serverURL: server.baseURL, timeout: .seconds(2)), warnings: log.warnings)
        let url = server.url("/api/v1/get_server_capabilities").absoluteString
        let lines = log.lines.filter { $0.contains(url) }
        #expect(lines.count == 1, "\(log.lines)")
        #expect(lines.first?.contains("unexpected answer: ") == true)
        #expect(lines.first?.contains(#"expected an object with "supported_models" (an array), got an object"#) == true, "\(lines)")
    }

    @Test func oversizeAnswersAndFilesAreRefused() async throws {
        let big = "{\"supported_models\": [" + String(repeating: "\"acme/padding-model\", ", count: 40_000) + "\"acme/last\"]}"
        let server = try LoopbackHTTPServer { _ in .json(big) }
        defer { server.stop() }
        let log = WarningLog()
        let catalog = await Catalog.load(
            CatalogConfiguration(includeBuiltin: false, serverURL: server.baseURL, maxDocumentBytes: 64 * 1024), warnings: log.warnings)
        #expect(catalog.specs.isEmpty)
        #expect(log.count(containing: "larger than the limit of 65536 bytes") == 1, "\(log.lines)")

        let dir = TemporaryDirectory("catalog-fifo")
        let fifo = dir.file("catalog.json")
        #expect(mkfifo(fifo, 0o600) == 0)
        let fileLog = WarningLog()
        let fromFifo = await Catalog.load(CatalogConfiguration(includeBuiltin: false, catalogFile: fifo), warnings: fileLog.warnings)
        #expect(fromFifo.specs.isEmpty)
        #expect(fileLog.count(containing: "not a regular file") == 1, "\(fileLog.lines)")
    }
}
