import Foundation
import Synchronization
import Testing
import TestSupport

/// `modelctl select NAME --served-digest` against a loopback stand-in for Ollama's `/api/tags`
/// and a store built byte for byte.
struct SelectServedDigestTests {
    /// A legacy store holding `library/tiny:8b`; returns the store and the manifest's SHA-256.
    func store(_ dir: TemporaryDirectory) throws -> (store: String, manifestDigest: String) {
        let model = try OllamaTestModel(in: dir, tag: "8b", weights: String(repeating: "W", count: 2048))
        return (model.store, try sha256sumOf(text: model.manifest))
    }

    func tags(name: String, digest: String) -> String {
        """
        {"models": [{"name": "other:latest", "model": "other:latest", "digest": "\(String(repeating: "0", count: 64))", "size": 1},
                    {"name": "\(name)", "model": "\(name)", "modified_at": "2026-11-20T10:00:00.5+01:00",
                     "size": 2100, "digest": "\(digest)", "details": {"format": "gguf", "family": "llama"}}]}
        """
    }

    @Test("select --served-digest: match exits 0, another digest exits 2, an unlisted model or a dead server exits 1")
    func servedDigest() throws {
        let dir = TemporaryDirectory("e2e-served")
        let (store, manifestDigest) = try store(dir)
        let answer = Mutex(tags(name: "tiny:8b", digest: manifestDigest))
        let server = try LoopbackHTTPServer { request in
            request.path == "/api/tags" ? .json(answer.withLock { $0 }) : .init(status: 404)
        }
        defer { server.stop() }
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "tiny_(Q4)", "backend": "ollama", "served_model_id": "tiny:8b",
              "backend_config": {"model_path": "ollama:/tiny:8b", "base_url": "\(server.url("/v1").absoluteString)"}},
             {"name": "vllm-model", "backend": "vllm", "backend_config": {"model_path": "/nowhere", "port": 24001}}]
            """)
        let env = ["OLLAMA_MODELS": store]
        let args = ["--registry-dir", dir.file("registry")]

        // Nothing recorded yet: exit 1 saying what to do.
        let unrecorded = try modelctl(["select", "tiny_(Q4)", "--served-digest"] + args, environment: env)
        #expect(unrecorded.status == 1)
        #expect(unrecorded.stderr.contains("modelctl verify"), "\(unrecorded.stderr)")

        #expect(try modelctl(["lock", "tiny_(Q4)", "--set-expected"] + args, environment: env).status == 0)
        let match = try modelctl(["select", "tiny_(Q4)", "--served-digest"] + args, environment: env)
        #expect(match.status == 0, "\(match.stderr)")
        #expect(match.stdout.contains("served_digest:     match \(manifestDigest)"), "\(match.stdout)")
        #expect(server.requests.contains { $0.path == "/api/tags" && $0.method == "GET" })

        let json = try modelctl(["select", "tiny_(Q4)", "--served-digest", "--json"] + args, environment: env)
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let served = object?["served_digest"] as? [String: Any]
        #expect(served?["outcome"] as? String == "match")
        #expect(served?["recorded_digest"] as? String == manifestDigest)
        #expect(served?["served_size"] as? Int == 2100)
        #expect(served?["served_modified_at"] as? String == "2026-11-20T10:00:00.5+01:00")
        #expect(served?["locked"] as? Bool == true)

        // Without the flag, select does not ask the server.
        let before = server.requests.count
        #expect(try modelctl(["select", "tiny_(Q4)"] + args, environment: env).status == 0)
        #expect(server.requests.count == before)

        // The server holds other bytes under that name: an integrity failure.
        answer.withLock { $0 = tags(name: "tiny:8b", digest: "sha256:" + String(repeating: "ab", count: 32)) }
        let mismatch = try modelctl(["select", "tiny_(Q4)", "--served-digest"] + args, environment: env)
        #expect(mismatch.status == 2, "\(mismatch.stderr)")
        #expect(mismatch.stdout.contains("served_digest:     mismatch"))
        #expect(mismatch.stderr.contains(manifestDigest) && mismatch.stderr.contains(String(repeating: "ab", count: 32)))

        // The server does not list it; the answer is not a model list; names escape in messages.
        answer.withLock { $0 = tags(name: "tiny:70b", digest: manifestDigest) }
        let unlisted = try modelctl(["select", "tiny_(Q4)", "--served-digest"] + args, environment: env)
        #expect(unlisted.status == 1)
        #expect(unlisted.stderr.contains("does not list"), "\(unlisted.stderr)")
        answer.withLock { $0 = #"["not", "a", "list"]"# }
        #expect(try modelctl(["select", "tiny_(Q4)", "--served-digest"] + args, environment: env).status == 1)

        // Not an Ollama entry.
        let vllm = try modelctl(["select", "vllm-model", "--served-digest"] + args, environment: env)
        #expect(vllm.status == 1)
        #expect(vllm.stderr.contains("Ollama entries"))

        // A server that is gone.
        server.stop()
        let down = try modelctl(["select", "tiny_(Q4)", "--served-digest"] + args, environment: env)
        #expect(down.status == 1)
        #expect(down.stderr.contains("/api/tags"), "\(down.stderr)")
    }

    @Test("a served name matches with the default tag and namespace: ollama:/tiny is tiny:latest")
    func defaultTag() throws {
        let dir = TemporaryDirectory("e2e-served")
        let (store, manifestDigest) = try store(dir)
        // Store the same model also as tiny:latest.
        let manifest = try String(contentsOfFile: dir.file("ollama/manifests/registry.ollama.ai/library/tiny/8b"), encoding: .utf8)
        try dir.write("ollama/manifests/registry.ollama.ai/library/tiny/latest", manifest)
        let server = try LoopbackHTTPServer { _ in .json(tags(name: "tiny:latest", digest: manifestDigest)) }
        defer { server.stop() }
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "t", "backend": "ollama", "backend_config": {"model_path": "ollama:/library/tiny", "base_url": "\(server.baseURL.absoluteString)"}}]
            """)
        let env = ["OLLAMA_MODELS": store]
        let args = ["--registry-dir", dir.file("registry")]
        #expect(try modelctl(["verify", "t"] + args, environment: env).status == 0)
        let result = try modelctl(["select", "t", "--served-digest"] + args, environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("served_digest:     match"))
    }
}

struct SelectOutputEscapeTests {
    @Test("select's text output escapes control characters in names; --json keeps them exactly")
    func escapesNames() throws {
        let dir = TemporaryDirectory()
        try dir.write("registry/model_registry.curated.json", #"""
            [{"name": "evil\u001b[2J", "backend": "vllm", "served_model_id": "id\u001b]0;owned\u0007\nendpoint:          http://evil/v1",
              "backend_config": {"port": 24001}}]
            """#)
        let args = ["--registry-dir", dir.file("registry")]
        let text = try modelctl(["select", "evil\u{1B}[2J"] + args)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(!text.stdout.contains("\u{1B}") && !text.stdout.contains("\u{07}"))
        #expect(text.stdout.contains(#"logical_name:      evil\x1b[2J"#))
        #expect(text.stdout.split(separator: "\n").count == 5, "\(text.stdout)")
        let json = try modelctl(["select", "evil\u{1B}[2J", "--json"] + args)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["internal_model_id"] as? String == "id\u{1B}]0;owned\u{07}\nendpoint:          http://evil/v1")
    }
}

struct SelectOutputErrorTests {
    @Test("select to a full device or a closed stdout exits 1 saying so")
    func writeErrors() throws {
        let dir = TemporaryDirectory()
        try dir.write("registry/model_registry.curated.json", #"[{"name": "m", "backend": "vllm", "backend_config": {"port": 24001}}]"#)
        for json in [false, true] {
            let full = try shell(#""$0" select m --registry-dir "$1" $2 > /dev/full"#, arguments: [modelctlBinary, dir.file("registry"), json ? "--json" : ""])
            #expect(full.status == 1, "json \(json): \(full.stderr)")
            #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        }
        let closed = try shell(#""$0" select m --registry-dir "$1" >&-"#, arguments: [modelctlBinary, dir.file("registry")])
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("standard output is closed"), "\(closed.stderr)")
    }
}
