import Foundation
import ModelCatalog
import Testing
import TestSupport

/// Something a test shuts down at the end.
protocol Stoppable: Sendable { func stop() }
extension LoopbackHTTPServer: Stoppable {}
extension RefusingLoopbackPort: Stoppable {
    func stop() { close() }
}

/// A source that fails is reported with its URL and the other sources still apply.
@Suite("Failing catalog sources")
struct SourceFailureTests {
    enum Failure: String, CaseIterable, Sendable {
        case down, status500, malformed, slow, dropped

        /// What the warning says, besides the URL.
        var reason: String {
            switch self {
            case .down: "connection refused"
            case .status500: "HTTP 500"
            case .malformed: "malformed JSON"
            case .slow: "timed out"
            case .dropped: "closed the connection"
            }
        }
    }

    /// A server that fails every request the given way, and its base URL. For `.down`, the
    /// URL is a reserved port where nothing listens.
    static func failingServer(_ failure: Failure) throws -> (any Stoppable, URL) {
        if failure == .down {
            let port = try RefusingLoopbackPort()
            return (port, port.baseURL)
        }
        let server = try LoopbackHTTPServer { request in
            switch failure {
            case .down: .text("unreachable")
            case .status500: .text("internal error", status: 500)
            case .malformed: .json(#"{"supported_models": [{"model_name": "x", }"#)
            case .slow: .json(Fixtures.capabilities, delay: .seconds(30))
            case .dropped: .closeWithoutAnswer
            }
        }
        return (server, server.baseURL)
    }

    @Test(arguments: Failure.allCases)
    func capabilitiesServerFailureIsReportedAndOtherSourcesApply(_ failure: Failure) async throws {
        let (server, base) = try Self.failingServer(failure)
        defer { server.stop() }
        let good = try Fixtures.server()
        defer { good.stop() }
        let file = try temporaryFile(#"[{"model_name": "team/From-File", "max_context_length": 4096}]"#)
        let log = WarningLog()
        let config = CatalogConfiguration(
            serverURL: base, catalogFile: file,
            backends: [BackendEndpoint(name: "vllm-ok", kind: .openAI, baseURL: good.url("/v1"))],
            overrides: [ModelSpec(modelName: "team/From-Override")],
            timeout: .milliseconds(500), now: fixedNow)
        let clock = ContinuousClock()
        let start = clock.now
        let catalog = await Catalog.load(config, warnings: log.warnings)
        // Generous bound: the suite runs on 2 loaded cores; waiting for the server would take 30 s.
        #expect(clock.now - start < .seconds(10), "the slow server must not hold up loading")

        let url = base.absoluteString + "/api/v1/get_server_capabilities"
        let failures = log.lines.filter { $0.contains(url) }
        #expect(failures.count == 1, "warnings: \(log.lines)")
        #expect(failures.first?.contains(failure.reason) == true, "warning: \(failures)")
        // Built-in, backend, file and override still apply.
        #expect(catalog.spec(for: "Qwen/Qwen3-8B")?.trainedContextLength == 32768)
        #expect(catalog.spec(for: "Qwen/Qwen3-8B")?.servedContextLength == 16384)
        #expect(catalog.spec(for: "my-finetune")?.available == true)
        #expect(catalog.spec(for: "team/From-File")?.maxContextLength == 4096)
        #expect(catalog.spec(for: "team/From-Override")?.source == .override)
        // Nothing from the failed server.
        #expect(catalog.spec(for: "acme/Brand-New-7B") == nil)
    }

    @Test(arguments: Failure.allCases)
    func backendFailureIsReportedAndOtherSourcesApply(_ failure: Failure) async throws {
        let (server, base) = try Self.failingServer(failure)
        defer { server.stop() }
        let good = try Fixtures.server()
        defer { good.stop() }
        let log = WarningLog()
        let backends = [
            BackendEndpoint(name: "broken", kind: .openAI, baseURL: base.appendingPathComponent("v1")),
            BackendEndpoint(name: "broken-ollama", kind: .ollama, baseURL: base),
            BackendEndpoint(name: "ollama-ok", kind: .ollama, baseURL: good.baseURL),
        ]
        let config = CatalogConfiguration(serverURL: good.baseURL, backends: backends, timeout: .milliseconds(500), now: fixedNow)
        let catalog = await Catalog.load(config, warnings: log.warnings)

        #expect(log.count(containing: "backend 'broken' \(base.absoluteString)/v1/models") == 1, "\(log.lines)")
        #expect(log.count(containing: "backend 'broken-ollama' \(base.absoluteString)/api/tags") == 1, "\(log.lines)")
        #expect(catalog.spec(for: "acme/Brand-New-7B")?.available == true)
        #expect(catalog.spec(for: "llama3.2:latest")?.available == true)
        #expect(catalog.spec(for: "Qwen/Qwen3-8B")?.servedContextLength == 40960)
    }

    @Test func sourcesAreFetchedConcurrently() async throws {
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/api/v1/get_server_capabilities": .json(Fixtures.capabilities, delay: .seconds(2))
            case "/v1/models": .json(Fixtures.vllmModels, delay: .seconds(2))
            default: .json(Fixtures.ollamaTags, delay: .seconds(2))
            }
        }
        defer { server.stop() }
        let backends = [
            BackendEndpoint(name: "a", kind: .openAI, baseURL: server.url("/v1")),
            BackendEndpoint(name: "b", kind: .ollama, baseURL: server.baseURL),
        ]
        let log = WarningLog()
        let clock = ContinuousClock()
        let start = clock.now
        let catalog = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, backends: backends, timeout: .seconds(8)), warnings: log.warnings)
        // One after another they would take 6 s; together about 2 s (bound generous for loaded CI).
        #expect(clock.now - start < .milliseconds(5000), "three 2 s sources took \(clock.now - start)")
        #expect(!log.lines.contains { $0.contains("timed out") }, "\(log.lines)")
        #expect(catalog.spec(for: "llama3.2:latest") != nil)
        #expect(catalog.spec(for: "acme/Brand-New-7B") != nil)
        #expect(catalog.spec(for: "my-finetune") != nil)
        #expect(server.requests.count == 3)
    }

    @Test func unexpectedShapeIsAFailureNamingTheURL() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"models": "not a list"}"#) }
        defer { server.stop() }
        let log = WarningLog()
        let catalog = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, timeout: .seconds(2)), warnings: log.warnings)
        #expect(log.count(containing: server.url("/api/v1/get_server_capabilities").absoluteString) >= 1)
        #expect(catalog.specs.count == BuiltinCatalog.specs.count)
        #expect(catalog.specs.allSatisfy { $0.available == nil })
    }

    @Test func missingAndMalformedCatalogFilesAreReportedWithTheirPath() async throws {
        let missing = "/nonexistent/dir/catalog.json"
        let log = WarningLog()
        let one = await Catalog.load(CatalogConfiguration(catalogFile: missing), warnings: log.warnings)
        #expect(one.specs.count == BuiltinCatalog.specs.count)
        #expect(log.count(containing: "\(missing): does not exist") == 1)

        let malformed = try temporaryFile("[{\"model_name\": \"a\",\n  oops}]")
        let two = await Catalog.load(CatalogConfiguration(catalogFile: malformed), warnings: log.warnings)
        #expect(two.specs.count == BuiltinCatalog.specs.count)
        #expect(log.count(containing: "\(malformed):2:") == 1, "\(log.lines)")

        let notArray = try temporaryFile(#"{"model_name": "a"}"#)
        _ = await Catalog.load(CatalogConfiguration(catalogFile: notArray), warnings: log.warnings)
        #expect(log.count(containing: "\(notArray): expected a JSON array") == 1, "\(log.lines)")
    }
}
