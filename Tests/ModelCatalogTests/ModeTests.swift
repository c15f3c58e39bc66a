import Foundation
import ModelCatalog
import Testing
import TestSupport
import ErrorSupport

@Suite("Unknown-model modes")
struct ModeTests {
    let catalog = Catalog(specs: BuiltinCatalog.specs)

    @Test func offIsSilent() throws {
        let log = WarningLog()
        let warnings = log.warnings
        for _ in 0..<5 {
            #expect(try catalog.check(modelID: "nobody/knows-me", mode: .off, allowUnknown: false, warnings: warnings) == nil)
        }
        #expect(log.lines.isEmpty)
    }

    @Test func offStillReturnsKnownSpecs() throws {
        let spec = try catalog.check(modelID: "Qwen/Qwen3-8B", mode: .off, allowUnknown: false, warnings: WarningLog().warnings)
        #expect(spec?.modelName == "Qwen/Qwen3-8B")
    }

    @Test func warnWarnsExactlyOncePerModelHoweverManyLookups() throws {
        let log = WarningLog()
        let warnings = log.warnings
        for _ in 0..<10 {
            #expect(try catalog.check(modelID: "nobody/knows-me", mode: .warn, allowUnknown: false, warnings: warnings) == nil)
        }
        #expect(log.lines.count == 1)
        #expect(log.lines[0].contains("'nobody/knows-me'"))
        // Another unknown model gets its own single warning; known models get none.
        for _ in 0..<10 {
            _ = try catalog.check(modelID: "someone/else", mode: .warn, allowUnknown: false, warnings: warnings)
            _ = try catalog.check(modelID: "Qwen/Qwen3-8B", mode: .warn, allowUnknown: false, warnings: warnings)
        }
        #expect(log.lines.count == 2)
    }

    @Test func warnOnceHoldsAcrossConcurrentLookups() async {
        let log = WarningLog()
        let warnings = log.warnings
        let catalog = self.catalog
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask { _ = try? catalog.check(modelID: "nobody/knows-me", mode: .warn, allowUnknown: false, warnings: warnings) }
            }
        }
        #expect(log.lines.count == 1)
    }

    @Test func enforceRefusesUnknownModelsNamingTheModelAndTheWayOut() {
        let error = #expect(throws: CatalogError.self) {
            try catalog.check(modelID: "nobody/knows-me", mode: .enforce, allowUnknown: false, warnings: WarningLog().warnings)
        }
        #expect(error == .unknownModel(name: "nobody/knows-me"))
        let message = error?.description ?? ""
        #expect(message.contains("'nobody/knows-me'"))
        #expect(message.contains("unknown-model mode: enforce"))
        #expect(message.contains(#"add {"model_name": "nobody/knows-me"} to a catalog file"#))
    }

    @Test func enforceAcceptsKnownModels() throws {
        let spec = try catalog.check(modelID: "Qwen3-8B", mode: .enforce, allowUnknown: false, warnings: WarningLog().warnings)
        #expect(spec?.modelName == "Qwen/Qwen3-8B")
    }

    @Test func allowUnknownModelBypassesEnforce() throws {
        let log = WarningLog()
        let warnings = log.warnings
        for _ in 0..<3 {
            #expect(try catalog.check(modelID: "nobody/knows-me", mode: .enforce, allowUnknown: true, warnings: warnings) == nil)
        }
        #expect(log.lines.count == 1)
        #expect(log.lines[0].contains("--allow-unknown-model"))
    }

    @Test func checkModelInOffModeAsksNoSource() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let config = CatalogConfiguration(serverURL: server.baseURL)
        let spec = try await Catalog.checkModel("nobody/knows-me", mode: .off, allowUnknown: false,
                                                configuration: config, warnings: WarningLog().warnings)
        #expect(spec == nil)
        #expect(server.requests.isEmpty)
    }

    @Test func checkModelUsesServerAndFileButNoBackends() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let file = try temporaryFile(#"[{"model_name": "team/Private-Model"}]"#)
        var config = CatalogConfiguration(serverURL: server.baseURL, catalogFile: file)
        config.backends = [BackendEndpoint(name: "b", kind: .openAI, baseURL: server.url("/v1"))]
        let warnings = WarningLog().warnings
        let fromServer = try await Catalog.checkModel("acme/Brand-New-7B", mode: .enforce, allowUnknown: false,
                                                      configuration: config, warnings: warnings)
        #expect(fromServer?.source == .server)
        let fromFile = try await Catalog.checkModel("team/Private-Model", mode: .enforce, allowUnknown: false,
                                                    configuration: config, warnings: warnings)
        #expect(fromFile?.source == .file)
        await #expect(throws: CatalogError.unknownModel(name: "my-finetune")) {
            try await Catalog.checkModel("my-finetune", mode: .enforce, allowUnknown: false,
                                         configuration: config, warnings: warnings)
        }
        #expect(!server.requests.contains { $0.path == "/v1/models" })
    }

    /// `modelctl models --refresh --mode ...` applies the mode to models only backends list.
    @Test func backendOnlyModelsGetTheMode() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let backends = [BackendEndpoint(name: "vllm", kind: .openAI, baseURL: server.url("/v1"))]
        let file = try temporaryFile(#"[{"model_name": "my-finetune-known"}]"#)
        let catalog = await Catalog.load(
            CatalogConfiguration(catalogFile: file, backends: backends), warnings: WarningLog().warnings)
        #expect(catalog.backendOnlyModels == ["my-finetune"])  // Qwen3-8B matched the built-in spec

        let log = WarningLog()
        #expect(catalog.checkBackendOnlyModels(mode: .off, warnings: log.warnings).isEmpty)
        #expect(log.lines.isEmpty)
        #expect(catalog.checkBackendOnlyModels(mode: .warn, warnings: log.warnings).isEmpty)
        #expect(catalog.checkBackendOnlyModels(mode: .warn, warnings: log.warnings).isEmpty)
        #expect(log.lines.count == 1)
        #expect(log.lines.first?.contains("'my-finetune'") == true)
        #expect(catalog.checkBackendOnlyModels(mode: .enforce, warnings: log.warnings) == [.unknownModel(name: "my-finetune")])
        #expect(catalog.checkBackendOnlyModels(mode: .enforce, allowUnknown: true, warnings: log.warnings).isEmpty)
    }
}
