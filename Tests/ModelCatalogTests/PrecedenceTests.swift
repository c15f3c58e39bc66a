import Foundation
import ModelCatalog
import ModelRegistry
import Testing
import TestSupport
import OrderedJSON

@Suite("Catalog precedence and provenance")
struct PrecedenceTests {
    /// Builtin, then server, then file, then override: each later source wins the fields it
    /// sets, and leaves the others alone.
    @Test func precedenceFieldByFieldAcrossAllFourSources() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let file = try temporaryFile("""
            [{"model_name": "Qwen/Qwen3-8B", "size": "medium", "features": ["team-pick"],
              "notes": "from the file", "metadata": {"owner": "team-a"}, "training_type": null}]
            """)
        let overrides = try Catalog.parseOverrides([#"{"model_name": "Qwen/Qwen3-8B", "training_type": "reasoning", "max_context_length": 8192}"#])
        let log = WarningLog()
        let config = CatalogConfiguration(
            serverURL: server.baseURL, catalogFile: file, overrides: overrides, timeout: .seconds(3), now: fixedNow)
        let catalog = await Catalog.load(config, warnings: log.warnings)
        let spec = try #require(catalog.spec(for: "Qwen/Qwen3-8B"))

        #expect(spec.architecture == .dense)                 // builtin only
        #expect(spec.trainedContextLength == 32768)          // builtin only
        #expect(spec.modelID == "qwen3-8b")                  // server over builtin (nil)
        #expect(spec.servedContextLength == 40960)           // server
        #expect(spec.available == true)                      // server
        #expect(spec.size == .medium)                        // file over builtin "small"
        #expect(spec.features == ["team-pick"])              // file over builtin ["thinking", "yarn"]
        #expect(spec.trainingType == .reasoning)             // override over builtin; the file's null erased nothing
        #expect(spec.maxContextLength == 8192)               // override over server over builtin
        #expect(spec.contextLimitSource == .manual)
        #expect(spec.contextLimitKind == nil)
        #expect(spec.contextLimitObservedAt == nil)
        #expect(spec.source == .override)
        // Metadata merges key by key across the layers.
        #expect(spec.metadata["reference"] == "https://huggingface.co/Qwen/Qwen3-8B")  // builtin
        #expect(spec.metadata["arch"] == "qwen3")                                      // server, unknown field
        #expect(spec.metadata["lora_ranks"] == [8, 32])                                 // server, unknown field
        #expect(spec.metadata["notes"] == "from the file")                              // file, unknown field
        #expect(spec.metadata["owner"] == "team-a")                                     // file metadata object
    }

    @Test func eachLaterSourceTakesOverOnlyTheFieldsItSets() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        // Without file and override, the server's served context is the limit.
        let serverOnly = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, now: fixedNow), warnings: WarningLog().warnings)
        let fromServer = try #require(serverOnly.spec(for: "Qwen/Qwen3-8B"))
        #expect(fromServer.maxContextLength == 40960)
        #expect(fromServer.contextLimitSource == .server)
        #expect(fromServer.contextLimitKind == .served)
        #expect(fromServer.contextLimitObservedAt == fixedNowText)
        #expect(fromServer.trainingType == .hybrid)
        #expect(fromServer.size == .small)
        #expect(fromServer.source == .server)

        // A file that states a limit replaces the server's, with its own provenance.
        let file = try temporaryFile("""
            [{"model_name": "Qwen/Qwen3-8B", "max_context_length": 20000, "context_limit_source": "probe",
              "context_limit_kind": "served", "context_limit_observed_at": "2025-12-24T10:00:00Z"}]
            """)
        let withFile = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, catalogFile: file, now: fixedNow),
            warnings: WarningLog().warnings)
        let fromFile = try #require(withFile.spec(for: "Qwen/Qwen3-8B"))
        #expect(fromFile.maxContextLength == 20000)
        #expect(fromFile.contextLimitSource == .probe)
        #expect(fromFile.contextLimitKind == .served)
        #expect(fromFile.contextLimitObservedAt == "2025-12-24T10:00:00Z")
        #expect(fromFile.servedContextLength == 40960)  // the server's number is still there
        #expect(fromFile.source == .file)
    }

    @Test func serverOnlyModelGetsAMinimalSpec() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let catalog = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, now: fixedNow), warnings: WarningLog().warnings)
        let spec = try #require(catalog.spec(for: "acme/Brand-New-7B"))
        #expect(spec.source == .server)
        #expect(spec.available == true)
        #expect(spec.maxContextLength == 65536)
        #expect(spec.servedContextLength == 65536)
        #expect(spec.trainedContextLength == nil)
        #expect(spec.contextLimitSource == .server)
        #expect(spec.contextLimitKind == .served)
        #expect(spec.contextLimitObservedAt == fixedNowText)
        #expect(spec.architecture == nil)
        #expect(spec.size == nil)
    }

    @Test func plainStringServerItemsAreModels() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let catalog = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, now: fixedNow), warnings: WarningLog().warnings)
        let plain = try #require(catalog.spec(for: "acme/Plain-String-Model"))
        #expect(plain.available == true)
        #expect(plain.maxContextLength == nil)
        #expect(plain.source == .server)
        #expect(plain.metadata.isEmpty)
        // A plain string naming a built-in model marks it available and keeps its traits.
        let llama = try #require(catalog.spec(for: "meta-llama/Llama-3.1-8B"))
        #expect(llama.available == true)
        #expect(llama.maxContextLength == 131072)
        #expect(llama.contextLimitSource == .docs)
        // Models the server did not list are not available once it answered.
        #expect(catalog.spec(for: "moonshotai/Kimi-K2-Thinking")?.available == false)
    }

    @Test func availabilityIsUnknownWhenNoServerWasAsked() async {
        let catalog = await Catalog.load(CatalogConfiguration(), warnings: WarningLog().warnings)
        #expect(catalog.specs.allSatisfy { $0.available == nil })
    }

    @Test func unknownFieldsAreKeptInMetadataAndWrittenBack() throws {
        let text = #"[{"model_name": "x/y", "quantization": {"bits": 4, "scale": 0.125}, "size": "small", "metadata": {"a": 1}}]"#
        let file = try temporaryFile(text)
        let json = try JSON.parse(Array(try String(contentsOfFile: file, encoding: .utf8).utf8), source: file)
        var problems: [String] = []
        let object = try #require(json.arrayValue?.first?.objectValue)
        let spec = try #require(ModelSpec.parse(object, origin: file) { problems.append($0) })
        #expect(problems.isEmpty)
        #expect(spec.metadata["quantization"] == ["bits": 4, "scale": 0.125])
        #expect(spec.metadata["a"] == 1)
        #expect(spec.json["metadata"]?["quantization"]?["scale"]?.doubleValue == 0.125)
    }

    /// Every context limit in a loaded catalog says where it came from and which kind it is.
    @Test func everyContextLimitHasProvenance() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let backends = [
            BackendEndpoint(name: "vllm-local", kind: .openAI, baseURL: server.url("/v1")),
            BackendEndpoint(name: "ollama-local", kind: .ollama, baseURL: server.baseURL),
        ]
        let file = try temporaryFile(#"[{"model_name": "team/Handmade", "max_context_length": 4096}]"#)
        let overrides = try Catalog.parseOverrides([#"{"model_name": "team/Override", "served_context_length": 2048}"#])
        let catalog = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, catalogFile: file, backends: backends,
                                 overrides: overrides, now: fixedNow),
            warnings: WarningLog().warnings)

        for spec in catalog.specs where spec.maxContextLength != nil {
            #expect(spec.contextLimitSource != nil, "\(spec.modelName) has a limit without a source")
            if spec.contextLimitSource == .server {
                #expect(spec.contextLimitKind == .served, "\(spec.modelName)")
                #expect(spec.contextLimitObservedAt == fixedNowText, "\(spec.modelName)")
            }
            if spec.contextLimitSource == .docs {
                #expect(spec.contextLimitKind == .trained, "\(spec.modelName)")
                #expect(spec.maxContextLength == spec.trainedContextLength, "\(spec.modelName)")
            }
        }
        // vLLM's max_model_len is a served context and, coming last among servers, the limit.
        let qwen = try #require(catalog.spec(for: "Qwen/Qwen3-8B"))
        #expect(qwen.maxContextLength == 16384)
        #expect(qwen.servedContextLength == 16384)
        #expect(qwen.trainedContextLength == 32768)
        #expect(qwen.contextLimitKind == .served)
        #expect(qwen.metadata["backend"] == "vllm-local")
        // A model only a backend serves.
        let finetune = try #require(catalog.spec(for: "my-finetune"))
        #expect(finetune.maxContextLength == 8192)
        #expect(finetune.contextLimitSource == .server)
        #expect(finetune.metadata["root"] == "/models/my-finetune")
        // Ollama lists models without a context length.
        let ollama = try #require(catalog.spec(for: "llama3.2:latest"))
        #expect(ollama.available == true)
        #expect(ollama.maxContextLength == nil)
        #expect(ollama.metadata["parameter_size"] == "3.2B")
        #expect(ollama.metadata["quantization_level"] == "Q4_K_M")
        #expect(ollama.metadata["backend"] == "ollama-local")
        // A number a person wrote is manual.
        let handmade = try #require(catalog.spec(for: "team/Handmade"))
        #expect(handmade.contextLimitSource == .manual)
        #expect(handmade.contextLimitKind == nil)
        #expect(handmade.source == .file)
        let overridden = try #require(catalog.spec(for: "team/Override"))
        #expect(overridden.maxContextLength == 2048)
        #expect(overridden.contextLimitKind == .served)
        #expect(overridden.contextLimitSource == .manual)
        #expect(overridden.source == .override)
        // Names only backends listed are reported as such.
        #expect(catalog.backendOnlyModels == ["my-finetune", "llama3.2:latest"])
        // The server saw one request per source.
        #expect(Set(server.requests.map(\.path)) == ["/api/v1/get_server_capabilities", "/v1/models", "/api/tags"])
        #expect(server.requests.allSatisfy { $0.method == "GET" })
    }

    @Test func unknownEnumerationValueIsKeptAndWarnedOnce() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let file = try temporaryFile("""
            [{"model_name": "team/A", "training_type": "distilled", "architecture": "ssm"},
             {"model_name": "team/B", "training_type": "distilled"}]
            """)
        let log = WarningLog()
        let warnings = log.warnings
        let config = CatalogConfiguration(serverURL: server.baseURL, catalogFile: file, now: fixedNow)
        let catalog = await Catalog.load(config, warnings: warnings)
        _ = await Catalog.load(config, warnings: warnings)  // a second load warns no more

        let a = try #require(catalog.spec(for: "team/A"))
        #expect(a.trainingType?.rawValue == "distilled")
        #expect(a.trainingType?.isKnown == false)
        #expect(a.architecture?.rawValue == "ssm")
        #expect(a.json["training_type"] == "distilled")
        #expect(catalog.spec(for: "acme/Brand-New-7B")?.trainingType == TrainingType(rawValue: "distilled"))
        #expect(log.count(containing: "training_type 'distilled'") == 1)
        #expect(log.count(containing: "architecture 'ssm'") == 1)
        #expect(log.lines.first { $0.contains("'distilled'") }?.contains("get_server_capabilities") == true)
    }

    @Test func wrongTypesInAFileAreSkippedWithAWarningNamingTheFile() async throws {
        let file = try temporaryFile("""
            [{"model_name": "team/A", "max_context_length": "lots", "size": "small"},
             {"size": "large"},
             42]
            """)
        let log = WarningLog()
        let catalog = await Catalog.load(CatalogConfiguration(includeBuiltin: false, catalogFile: file), warnings: log.warnings)
        #expect(catalog.specs.map(\.modelName) == ["team/A"])
        #expect(catalog.specs[0].size == .small)
        #expect(catalog.specs[0].maxContextLength == nil)
        #expect(log.count(containing: "\(file)[0]: team/A: \"max_context_length\" is a string") == 1)
        #expect(log.count(containing: "\(file)[1]: a spec needs \"model_name\"") == 1)
        #expect(log.count(containing: "\(file)[2]: expected an object, got a number") == 1)
    }

    @Test func overridesMustBeValidSpecs() {
        #expect(throws: CatalogError.self) { try Catalog.parseOverrides(["{not json"]) }
        #expect(throws: CatalogError.self) { try Catalog.parseOverrides([#"{"size": "small"}"#]) }
        #expect(throws: CatalogError.self) { try Catalog.parseOverrides([#"{"model_name": "a", "max_context_length": -1}"#]) }
        #expect((try? Catalog.parseOverrides([#"[{"model_name": "a"}, {"model_name": "b"}]"#]))?.count == 2)
    }

    /// `modelctl models --json` output read back as a catalog file gives the same catalog.
    @Test func jsonOutputRoundTripsAsACatalogFile() async throws {
        let server = try Fixtures.server()
        defer { server.stop() }
        let loaded = await Catalog.load(
            CatalogConfiguration(serverURL: server.baseURL, now: fixedNow), warnings: WarningLog().warnings)
        let text = JSON.serialize(.array(loaded.specs.map(\.json)))
        let file = try temporaryFile(text)
        let reread = await Catalog.load(
            CatalogConfiguration(includeBuiltin: false, catalogFile: file), warnings: WarningLog().warnings)
        #expect(reread.specs.count == loaded.specs.count)
        for (a, b) in zip(loaded.specs, reread.specs) {
            var a = a
            a.source = .file
            #expect(a == b)
        }
        // Every modeled key is present, in order, with null for what is unknown.
        let first = try #require(loaded.specs.first?.json.objectValue)
        #expect(first.keys == ModelSpec.modeledKeys)
    }
}
