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
        #expect(enforce.stdout.isEmpty)

        let allowed = try modelctl(["select", "mystery", "--allow-unknown-model"] + registry, environment: ["MODELCTL_CATALOG_MODE": "enforce"])
        #expect(allowed.status == 0)

        let known = try modelctl(["select", "known", "--mode", "enforce", "--json"] + registry)
        #expect(known.status == 0, "\(known.stderr)")
        #expect(known.stdout.contains("\"internal_model_id\": \"Qwen/Qwen3-8B\""))
    }

    @Test("a user catalog file makes a model known")
    func catalogFile() throws {
        let dir = try fixture()
        let file = try dir.write("catalog.json", #"[{"model_name": "acme/secret-model-7b", "max_context_length": 8192, "context_limit_source": "manual"}]"#)
        let result = try modelctl(["select", "mystery", "--mode", "enforce", "--catalog", file, "--registry-dir", dir.file("registry")])
        #expect(result.status == 0, "\(result.stderr)")
    }
}
