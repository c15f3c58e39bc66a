import Foundation
import Testing
import TestSupport

/// `select` checks the entry's served model id against the catalog in every mode.
struct CatalogCheckTests {
    func fixture() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("catalog-e2e")
        try dir.write("registry/model_registry.curated.json", """
            [
              {"name": "known", "backend": "vllm", "served_model_id": "Qwen/Qwen3-8B", "backend_config": {"port": 24001}},
              {"name": "mystery", "backend": "vllm", "served_model_id": "acme/secret-model-7b", "backend_config": {"port": 24002}}
            ]
            """)
        return dir
    }

    @Test("off is silent; warn warns once; enforce refuses with exit 1; --allow-unknown-model bypasses")
    func modes() throws {
        let dir = try fixture()
        let registry = ["--registry-dir", dir.file("registry")]

        let off = try modelctl(["select", "mystery"] + registry)
        #expect(off.status == 0)
        #expect(off.stderr.isEmpty)

        let warn = try modelctl(["select", "mystery", "--mode", "warn"] + registry)
        #expect(warn.status == 0)
        #expect(warn.stderr.components(separatedBy: "acme/secret-model-7b").count == 2, "\(warn.stderr)")
        #expect(warn.stdout.contains("http://localhost:24002/v1"))

        let enforce = try modelctl(["select", "mystery"] + registry, environment: ["MODELCTL_CATALOG_MODE": "enforce"])
        #expect(enforce.status == 1)
        #expect(enforce.stderr.contains("acme/secret-model-7b"))
        #expect(enforce.stderr.contains("--allow-unknown-model"))
        #expect(enforce.stderr.contains("(MODELCTL_CATALOG_MODE=enforce)"), "\(enforce.stderr)")
        #expect(enforce.stderr.contains("--mode warn"))
        #expect(enforce.stderr.contains("MODELCTL_CATALOG_PATH"))
        #expect(enforce.stdout.isEmpty)

        let allowed = try modelctl(["select", "mystery", "--allow-unknown-model"] + registry, environment: ["MODELCTL_CATALOG_MODE": "enforce"])
        #expect(allowed.status == 0)

        let known = try modelctl(["select", "known", "--mode", "enforce", "--json"] + registry)
        #expect(known.status == 0, "\(known.stderr)")
        #expect(known.stdout.contains("\"internal_model_id\": \"Qwen/Qwen3-8B\""))
    }

    @Test("a catalog warning names the setting the user gave, goes to the log, and --quiet silences it")
    func warningsNameTheirSettingAndFollowTheLog() throws {
        let dir = try fixture()
        let registry = ["--registry-dir", dir.file("registry")]
        let option = try modelctl(["select", "mystery", "--mode", "warn"] + registry)
        #expect(option.status == 0)
        #expect(option.stderr.contains("(--mode warn)"), "\(option.stderr)")
        #expect(!option.stderr.contains("MODELCTL_CATALOG_MODE"))
        let variable = try modelctl(["select", "mystery"] + registry, environment: ["MODELCTL_CATALOG_MODE": "warn"])
        #expect(variable.stderr.contains("(MODELCTL_CATALOG_MODE=warn)"), "\(variable.stderr)")
        let quiet = try modelctl(["--quiet", "select", "mystery", "--mode", "warn"] + registry)
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        let stamped = try modelctl(["select", "mystery", "--mode", "warn", "--log-timestamps"] + registry)
        let line = stamped.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z modelctl: warning: model 'acme/secret-model-7b'"#, options: .regularExpression) != nil, "\(line)")
    }

    @Test("a user catalog file makes a model known")
    func catalogFile() throws {
        let dir = try fixture()
        let file = try dir.write("catalog.json", #"[{"model_name": "acme/secret-model-7b", "max_context_length": 8192, "context_limit_source": "manual"}]"#)
        let result = try modelctl(["select", "mystery", "--mode", "enforce", "--catalog", file, "--registry-dir", dir.file("registry")])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("select --role applies ImageWorks' role requirements and refuses deprecated-only roles")
    func roleSelection() throws {
        let dir = TemporaryDirectory("select-role-e2e")
        try dir.write("registry/model_registry.curated.json", """
            [
              {"name": "vision-model", "backend": "vllm", "roles": ["keywords"], "role_priority": {"keywords": 10}, "capabilities": {" VL ": true}},
              {"name": "text-model", "backend": "vllm", "roles": ["keywords"], "role_priority": {"keywords": 90}},
              {"name": "old-model", "backend": "vllm", "roles": ["summary"], "deprecated": true}
            ]
            """)
        let registry = ["--registry-dir", dir.file("registry")]
        let keywords = try modelctl(["select", "--role", "keywords", "--json"] + registry)
        #expect(keywords.status == 0, "\(keywords.stderr)")
        #expect(keywords.stdout.contains("\"logical_name\": \"vision-model\""))
        let anyModel = try modelctl(["select", "--role", "keywords", "--require", "none", "--json"] + registry)
        #expect(anyModel.stdout.contains("\"logical_name\": \"text-model\""), "\(anyModel.stderr)")
        let deprecated = try modelctl(["select", "--role", "summary"] + registry)
        #expect(deprecated.status == 1)
        #expect(deprecated.stderr.contains("--allow-deprecated"))
        let allowed = try modelctl(["select", "--role", "summary", "--allow-deprecated", "--json"] + registry)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("\"logical_name\": \"old-model\""))
    }

    @Test("models reads TINKER_BASE_URL with the API key, shows trainable and sampleable, never prints the key")
    func modelsAgainstATinkerServer() throws {
        let fixture = try String(contentsOfFile: repositoryRoot + "/fixtures/tinker/get_server_capabilities.json", encoding: .utf8)
        let secret = "tml-e2e-secret-5551212"
        let server = try LoopbackHTTPServer { request in
            request.header("X-API-Key") == secret ? .json(fixture) : .json(#"{"detail": "no key"}"#, status: 401)
        }
        defer { server.stop() }
        let dir = TemporaryDirectory("models-e2e")
        let result = try modelctl(["models", "-o", "wide", "--registry-dir", dir.path],
                                  environment: ["TINKER_BASE_URL": server.baseURL.absoluteString, "TINKER_API_KEY": secret])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NAME ") == true)
        #expect(lines.first?.contains("AVAILABLE   TRAINABLE   SAMPLEABLE   CONTEXT") == true, "\(lines.first ?? "")")
        let llama = lines.first { $0.hasPrefix("meta-llama/Llama-3.1-70B ") } ?? ""
        #expect(llama.split(separator: " ", omittingEmptySubsequences: true).prefix(4) == ["meta-llama/Llama-3.1-70B", "no", "no", "no"], "\(llama)")
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        #expect(server.requests.first?.header("X-API-Key") == secret)

        let json = try modelctl(["models", "--json", "--registry-dir", dir.path],
                                environment: ["TINKER_BASE_URL": server.baseURL.absoluteString, "MODELCTL_CATALOG_API_KEY": secret])
        #expect(json.stdout.contains("\"trainable\": false"))
        #expect(!json.stdout.contains(secret))
    }

    @Test("durations are validated: no crash, no unsupervised backend")
    func durations() throws {
        let dir = TemporaryDirectory("durations-e2e")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "/models/m"}},
             {"name": "remote", "backend": "vllm", "backend_config": {"model_path": "ollama:qwen3:8b"}}]
            """)
        let image = try dir.write("x.png", "not really")
        let registry = ["--registry-dir", dir.file("registry")]
        let probe = try modelctl(["probe-vision", "m", image, "--timeout", "1e16"] + registry)
        #expect(probe.status == 64, "\(probe.stderr)")
        #expect(probe.stderr.contains("--timeout"))

        let orchestrator = [
            "MODELCTL_ORCHESTRATOR": "1", "MODELCTL_STATE_DIR": dir.file("state"),
            "MODELCTL_LAUNCH_COMMAND": #"["/bin/sleep", "30"]"#, "MODELCTL_VLLM_PORT": "1",
        ]
        var environment = orchestrator
        environment["MODELCTL_START_TIMEOUT"] = "1e20"
        let huge = try modelctl(["activate-model", "m"] + registry, environment: environment)
        #expect(huge.status == 1)
        #expect(huge.stderr.contains("MODELCTL_START_TIMEOUT"), "\(huge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("state/backend.log")), "nothing was launched")

        let remote = try modelctl(["activate-model", "remote"] + registry, environment: orchestrator)
        #expect(remote.status == 1)
        #expect(remote.stderr.contains("'ollama:qwen3:8b' is not a local path"), "\(remote.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("state/backend.log")), "nothing was launched")
    }
}
