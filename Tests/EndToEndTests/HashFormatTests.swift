import Foundation
import Testing
import TestSupport

/// `modelctl hash --format model-signing` and `modelctl hash 'ollama:...'`.
struct HashFormatTests {
    /// A copy of model_signing's fixture tree (named `tree`, as the subject is its last
    /// component) with a `.git/` directory, as when model_signing signed it.
    func fixtureTree(_ dir: TemporaryDirectory) throws -> String {
        let copy = try shell(#"cp -R "$0/fixtures/model-signing/tree" "$1/tree" && mkdir "$1/tree/.git" && printf 'ref: refs/heads/main\n' > "$1/tree/.git/HEAD""#,
                             arguments: [repositoryRoot, dir.path])
        #expect(copy.status == 0, "\(copy.stderr)")
        return dir.file("tree")
    }

    @Test("--format model-signing prints model_signing's statement for its own fixture tree, byte for byte, no newline added")
    func statementMatchesModelSigning() throws {
        let dir = TemporaryDirectory()
        let tree = try fixtureTree(dir)
        let expected = try String(contentsOfFile: repositoryRoot + "/fixtures/model-signing/statement.canonical.json", encoding: .utf8)
        let result = try modelctl(["hash", tree, "--format", "model-signing"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected)
        #expect(!result.stdout.hasSuffix("\n"))
        // A trailing slash names the same model.
        #expect(try modelctl(["hash", tree + "/", "--format", "model-signing", "--jobs", "1"]).stdout == expected)
    }

    @Test("the printed statement is exactly the payload modelctl sign signs")
    func statementIsSignedPayload() throws {
        let dir = TemporaryDirectory()
        let tree = try fixtureTree(dir)
        try FileManager.default.removeItem(atPath: tree + "/model.sig")
        try dir.write("tree/extra/new.bin", "new")
        let statement = try modelctl(["hash", tree, "--format", "model-signing"])
        #expect(statement.status == 0, "\(statement.stderr)")
        let key = repositoryRoot + "/fixtures/model-signing/keys/p256.pem"
        let sign = try shell(#"cp "$0" "$1/k.pem" && chmod 600 "$1/k.pem" && "$2" sign "$3" --key "$1/k.pem""#,
                             arguments: [key, dir.path, modelctlBinary, tree])
        #expect(sign.status == 0, "\(sign.stderr)")
        let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tree + "/model.sig"))) as? [String: Any]
        let payload = ((bundle?["dsseEnvelope"] as? [String: Any])?["payload"] as? String).flatMap { Data(base64Encoded: $0) }
        #expect(payload.map { String(decoding: $0, as: UTF8.self) } == statement.stdout)
        // Now that model.sig exists beside the weights, the statement leaves it out: unchanged.
        #expect(try modelctl(["hash", tree, "--format", "model-signing"]).stdout == statement.stdout)
        #expect(statement.stdout.contains("\"name\": \"extra/new.bin\""))
    }

    @Test("--signature names the signature to leave out; a file root is listed as \".\"")
    func signatureOptionAndFileRoot() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/w.bin", "w")
        try dir.write("m/release.sig", "not a model file")
        let leftOut = try modelctl(["hash", dir.file("m"), "--format", "model-signing", "--signature", dir.file("m/release.sig")])
        #expect(leftOut.status == 0, "\(leftOut.stderr)")
        #expect(!leftOut.stdout.contains("\"name\": \"release.sig\""))
        #expect(leftOut.stdout.contains("\"release.sig\""))
        let kept = try modelctl(["hash", dir.file("m"), "--format", "model-signing"])
        #expect(kept.stdout.contains("\"name\": \"release.sig\""))
        let file = try modelctl(["hash", dir.file("m/w.bin"), "--format", "model-signing"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout.contains("\"name\": \".\""))
        #expect(file.stdout.contains("\"name\": \"w.bin\""))
    }

    @Test("--format is documented; model-signing with --json or --aggregate-only, or an unknown format, is a usage error",
          arguments: [["--format", "model-signing", "--json"], ["--format", "model-signing", "--aggregate-only"],
                      ["--format", "sha1sum"], ["--signature", "x.sig"]])
    func formatUsage(extra: [String]) throws {
        let dir = TemporaryDirectory()
        try dir.write("m/x", "x")
        let result = try modelctl(["hash", dir.file("m")] + extra)
        #expect(result.status == 64, "\(extra): \(result.stderr)")
        // With --json even a usage error is a JSON document on stdout (the documented schema).
        if extra.contains("--json") {
            #expect(result.stdout.contains("\"exit_status\": 64"))
        } else {
            #expect(result.stdout.isEmpty)
        }
        let help = try modelctl(["hash", "--help"]).stdout
        #expect(help.contains("--format") && help.contains("model-signing") && help.contains("sha256sum"))
    }

    @Test("--format sha256sum is the default output")
    func explicitDefault() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/x", "x")
        let plain = try modelctl(["hash", dir.file("m")])
        let explicit = try modelctl(["hash", dir.file("m"), "--format", "sha256sum"])
        #expect(explicit.status == 0)
        #expect(explicit.stdout == plain.stdout)
    }

    // MARK: Ollama

    /// A legacy Ollama store holding `library/tiny:latest`; returns the store, the weights blob
    /// path and the manifest's bytes.
    func ollamaStore(_ dir: TemporaryDirectory) throws -> (store: String, weights: String, manifest: String) {
        let model = try OllamaTestModel(in: dir, weights: String(repeating: "G", count: 4096))
        return (model.store, model.weightsPath, model.manifest)
    }

    @Test("hash 'ollama:NAME' prints the manifest and blob lines whose aggregate verify records; a flipped blob byte exits 2")
    func ollamaModel() throws {
        let dir = TemporaryDirectory("e2e-hash-ollama")
        let (store, weights, manifest) = try ollamaStore(dir)
        let env = ["OLLAMA_MODELS": store]
        let result = try modelctl(["hash", "ollama:tiny"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.contains("\(try sha256sumOf(text: manifest))  manifest"))
        #expect(lines.filter { $0.contains("  blobs/sha256-") }.count == 2)
        // The blob lines are checkable with sha256sum from the store.
        try dir.write("lines", lines.filter { $0.contains("blobs/") }.joined(separator: "\n") + "\n")
        #expect(try runProcess("/usr/bin/sha256sum", ["-c", dir.file("lines")], currentDirectory: store).status == 0)

        // The aggregate is the one verify records for an ollama: entry.
        try dir.write("registry/model_registry.curated.json", #"[{"name": "tiny", "backend": "ollama", "backend_config": {"model_path": "ollama:/tiny:latest"}}]"#)
        let args = ["--registry-dir", dir.file("registry")]
        #expect(try modelctl(["verify", "tiny"] + args, environment: env).status == 0)
        let shown = try modelctl(["show", "tiny"] + args, environment: env)
        let aggregate = try modelctl(["hash", "ollama:/tiny:latest", "--aggregate-only"], environment: env)
        #expect(aggregate.status == 0)
        #expect(aggregate.stdout == (try sha256sumOf(text: lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: "\n"))) + "\n")
        #expect(shown.stdout.contains(String(aggregate.stdout.dropLast())))
        let json = try modelctl(["hash", "ollama:tiny", "--json"], environment: env)
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"root\": \"ollama:tiny\""))

        var bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        bytes[7] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: weights))
        let corrupt = try modelctl(["hash", "ollama:tiny"], environment: env)
        #expect(corrupt.status == 2, "\(corrupt.stderr)")
        #expect(corrupt.stderr.contains("model") && corrupt.stderr.contains("does not match"), "\(corrupt.stderr)")
        #expect(corrupt.stdout.split(separator: "\n").count == 3)
        try FileManager.default.removeItem(atPath: weights)
        let missing = try modelctl(["hash", "ollama:tiny"], environment: env)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("missing"))
    }

    @Test("hash 'ollama:NAME' exits 1 naming the model when it or the store is absent")
    func ollamaErrors() throws {
        let dir = TemporaryDirectory("e2e-hash-ollama")
        let (store, _, _) = try ollamaStore(dir)
        let absent = try modelctl(["hash", "ollama:other:7b"], environment: ["OLLAMA_MODELS": store])
        #expect(absent.status == 1)
        #expect(absent.stderr.contains("other"), "\(absent.stderr)")
        let noStore = try modelctl(["hash", "ollama:tiny"], environment: ["OLLAMA_MODELS": dir.file("nowhere")])
        #expect(noStore.status == 1)
        #expect(noStore.stderr.contains("no Ollama store was found"), "\(noStore.stderr)")
        #expect(noStore.stderr.contains("(OLLAMA_MODELS names the store)"), "\(noStore.stderr)")
        let bad = try modelctl(["hash", "ollama:../../etc"], environment: ["OLLAMA_MODELS": store])
        #expect(bad.status == 1)
        let signing = try modelctl(["hash", "ollama:tiny", "--format", "model-signing"], environment: ["OLLAMA_MODELS": store])
        #expect(signing.status == 64)
    }
}
