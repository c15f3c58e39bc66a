import Foundation
import Testing
import TestSupport

/// The first hour of a new user, through the built binary: init, add, exec, manifests, tables,
/// messages, packaging and Ollama IDs.
struct FirstHourTests {
    private func model(_ dir: TemporaryDirectory) throws -> String {
        try dir.write("weights/tiny/model.gguf", "GGUF weights")
        try dir.write("weights/tiny/config.json", "{}")
        return dir.file("weights/tiny")
    }

    @Test("init, add --lock, verify, tamper, verify: the quick start; init and add refuse to overwrite")
    func quickStart() throws {
        let dir = TemporaryDirectory("first-quickstart")
        let weights = try model(dir)
        let registry = dir.file("reg")
        let initialized = try modelctl(["init", registry])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(try String(contentsOfFile: registry + "/model_registry.curated.json", encoding: .utf8) == "[]\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: registry).filter { !$0.hasPrefix(".") } == ["model_registry.curated.json"])
        let again = try modelctl(["init", registry])
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again.stderr)")

        let added = try modelctl(["--registry-dir", registry, "add", "tiny_(Q4)", weights, "--lock"], currentDirectory: dir.path)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("added tiny_(Q4)") && added.stdout.contains("locked tiny_(Q4)"))
        let duplicate = try modelctl(["--registry-dir", registry, "add", "tiny_(Q4)", weights])
        #expect(duplicate.status == 1 && duplicate.stderr.contains("already exists"), "\(duplicate.stderr)")
        #expect(try modelctl(["--registry-dir", registry, "check", "--strict"]).status == 0)

        #expect(try modelctl(["--registry-dir", registry, "verify", "tiny_(Q4)"]).status == 0)
        try dir.write("weights/tiny/model.gguf", "GGUF weights, tampered")
        let tampered = try modelctl(["--registry-dir", registry, "verify", "tiny_(Q4)"])
        #expect(tampered.status == 2)
        #expect(tampered.stdout.contains("changed  model.gguf"), "\(tampered.stdout)")
    }

    @Test("add keeps every byte of the entries already in a curated file (ImageWorks' real one) and writes the fields it reads")
    func addKeepsCuratedBytes() throws {
        let dir = TemporaryDirectory("first-add-bytes")
        let weights = try model(dir)
        let imageworks = repositoryRoot + "/../shared/interop/imageworks/model_registry.curated.json"
        let original = FileManager.default.fileExists(atPath: imageworks)
            ? try Data(contentsOf: URL(fileURLWithPath: imageworks))
            : Data("[\n    {\"name\": \"hand-written\",   \"backend\": \"vllm\"}  \n]\n".utf8)
        try dir.write("reg/model_registry.curated.json", original)
        let result = try modelctl(["--registry-dir", dir.file("reg"), "add", "new-model", weights, "--backend", "llama.cpp"])
        #expect(result.status == 0, "\(result.stderr)")
        let after = try Data(contentsOf: URL(fileURLWithPath: dir.file("reg/model_registry.curated.json")))
        let lastBrace = try #require(original.lastIndex(of: UInt8(ascii: "}")))
        #expect(after.prefix(lastBrace + 1) == original.prefix(lastBrace + 1))
        let entries = try #require(try JSONSerialization.jsonObject(with: after) as? [[String: Any]])
        let entry = try #require(entries.last)
        #expect(entry["name"] as? String == "new-model" && entry["backend"] as? String == "llama.cpp")
        let config = try #require(entry["backend_config"] as? [String: Any])
        #expect(config["model_path"] as? String == weights && config["port"] as? Int == 8080)
        #expect(entry["capabilities"] is [String: Any] && entry["roles"] is [Any])
        // The merged snapshot has it too, and nothing else was written.
        #expect(try String(contentsOfFile: dir.file("reg/model_registry.json"), encoding: .utf8).contains("\"new-model\""))
        #expect(!FileManager.default.fileExists(atPath: dir.file("reg/model_registry.discovered.json")))
    }

    @Test("add writes the port the endpoint resolver assumes for each backend (an entry without one resolves to the same URL)",
          arguments: [("triton", 9000), ("sglang", 8000), ("lmdeploy", 24001), ("vllm", 24001)])
    func addDefaultPorts(backend: String, port: Int) throws {
        let dir = TemporaryDirectory("first-add-port-\(backend)")
        let weights = try model(dir)
        #expect(try modelctl(["init", dir.file("reg")]).status == 0)
        #expect(try modelctl(["--registry-dir", dir.file("reg"), "add", "m", weights, "--backend", backend]).status == 0)
        let show = try modelctl(["show", "m", "--registry-dir", dir.file("reg")])
        #expect(show.stdout.contains("\"port\": \(port)"), "\(show.stdout)")
    }

    @Test("add ollama:NAME:TAG and hf:ORG/NAME: backend, port, served id; the snapshot of refs/main; unknown sources exit 1")
    func addStores() throws {
        let dir = TemporaryDirectory("first-add-stores")
        #expect(try modelctl(["init", dir.file("reg")]).status == 0)
        let args = ["--registry-dir", dir.file("reg")]
        #expect(try modelctl(["add", "llama", "ollama:llama3.1:8b"] + args).status == 0)
        let show = try modelctl(["show", "llama"] + args)
        #expect(show.stdout.contains("\"backend\": \"ollama\"") && show.stdout.contains("\"port\": 11434"), "\(show.stdout)")
        #expect(show.stdout.contains("\"model_path\": \"ollama:llama3.1:8b\"") && show.stdout.contains("\"served_model_id\": \"llama3.1:8b\""))
        let hf = try modelctl(["add", "tiny-lm", "hf:acme/tiny-lm", "--port", "8001"] + args,
                              environment: ["HF_HUB_CACHE": repositoryRoot + "/fixtures/hf-cache/hub"])
        #expect(hf.status == 0, "\(hf.stderr)")
        let hfShow = try modelctl(["show", "tiny-lm"] + args)
        #expect(hfShow.stdout.contains("models--acme--tiny-lm/snapshots/5f1c0ffee0ddba11cafe0000000000000000a11c\""), "\(hfShow.stdout)")
        #expect(hfShow.stdout.contains("\"port\": 8001"))
        let missing = try modelctl(["add", "other", "hf:acme/absent"] + args, environment: ["HF_HUB_CACHE": repositoryRoot + "/fixtures/hf-cache/hub"])
        #expect(missing.status == 1 && missing.stderr.contains("not in the Hugging Face cache"), "\(missing.stderr)")
        let nowhere = try modelctl(["add", "other", dir.file("no-such-dir")] + args)
        #expect(nowhere.status == 1 && nowhere.stderr.contains("does not exist"))
    }

    @Test("exec verifies, then becomes COMMAND (same pid, {model_path} replaced); a violation exits 2 and starts nothing")
    func execGate() throws {
        let dir = TemporaryDirectory("first-exec")
        let weights = try model(dir)
        let registry = dir.file("reg")
        #expect(try modelctl(["init", registry]).status == 0)
        #expect(try modelctl(["--registry-dir", registry, "add", "tiny", weights, "--lock"]).status == 0)
        // The shell prints its pid and execs modelctl, which execs a shell that prints its own:
        // the same pid when exec replaced the process rather than starting a child.
        let run = try shell("echo \"$$\"; exec \"$0\" --registry-dir \"$1\" exec tiny -- sh -c 'echo \"$$ $0\"' '{model_path}/model.gguf'",
                            arguments: [modelctlBinary, registry])
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(run.status == 0 && lines.count == 2, "\(run.stdout) \(run.stderr)")
        #expect(lines.last == "\(lines.first ?? "?") \(weights)/model.gguf", "\(run.stdout)")

        try dir.write("weights/tiny/model.gguf", "tampered")
        let marker = dir.file("started")
        let refused = try modelctl(["--registry-dir", registry, "exec", "tiny", "--", "touch", marker])
        #expect(refused.status == 2 && refused.stderr.contains("lock violation"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))

        #expect(try modelctl(["--registry-dir", registry, "unlock", "tiny"]).status == 0)
        let unlocked = try modelctl(["--registry-dir", registry, "exec", "tiny", "--require-locked", "--", "touch", marker])
        #expect(unlocked.status == 2 && !FileManager.default.fileExists(atPath: marker))
        let notFound = try modelctl(["--registry-dir", registry, "exec", "tiny", "--", dir.file("no-such-program")])
        #expect(notFound.status == 1 && notFound.stderr.contains("cannot run"), "\(notFound.stderr)")
    }

    @Test("the systemd examples: llama-server through exec (its ExecStart runs as written), Ollama behind ExecStartPre verify; StateDirectory set")
    func systemdExamples() throws {
        let dir = TemporaryDirectory("first-units")
        let examples = repositoryRoot + "/configs/examples/"
        for name in ["modelctl-llama-server.service", "modelctl-ollama.service"] {
            // systemd-analyze wants the programs to exist: the built modelctl, and /bin/echo for the servers.
            let text = try String(contentsOfFile: examples + name, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/modelctl", with: modelctlBinary)
                .replacingOccurrences(of: "/usr/local/bin/llama-server", with: "/bin/echo")
                .replacingOccurrences(of: "/usr/local/bin/ollama", with: "/bin/echo")
            try dir.write(name, text)
            let unit = try ProductionExamplesTests.parseUnit(text)
            #expect(unit["Service"]?["StateDirectory"]?.isEmpty == false, "\(name)")
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
                let result = try runProcess("/usr/bin/systemd-analyze", ["verify", "--man=no", dir.file(name)], currentDirectory: dir.path)
                #expect(!result.stderr.contains("Unknown key") && !result.stderr.contains("Invalid"), "\(name): \(result.stderr)")
            }
        }
        let llama = try ProductionExamplesTests.parseUnit(try String(contentsOfFile: dir.file("modelctl-llama-server.service"), encoding: .utf8))
        let execStart = try #require(llama["Service"]?["ExecStart"]?.first).split(separator: " ").map(String.init)
        #expect(execStart.contains("exec") && execStart.contains("{model_path}/model.gguf"))
        let ollama = try ProductionExamplesTests.parseUnit(try String(contentsOfFile: dir.file("modelctl-ollama.service"), encoding: .utf8))
        #expect(ollama["Service"]?["ExecStartPre"]?.first?.contains("verify --all") == true)

        // The llama-server unit's command line, run against a registry that holds its entry.
        let weights = try model(dir)
        #expect(try modelctl(["init", dir.file("reg")]).status == 0)
        let name = try #require(execStart.firstIndex(of: "exec").map { execStart[$0 + 1] })
        #expect(try modelctl(["add", name, weights, "--backend", "llama.cpp", "--lock", "--registry-dir", dir.file("reg")]).status == 0)
        let run = try runProcess(execStart[0], Array(execStart.dropFirst()), environment: ["MODELCTL_REGISTRY_DIR": dir.file("reg"), "MODELCTL_REQUIRE_LOCKED": "1"])
        #expect(run.status == 0 && run.stdout.hasPrefix("-m \(weights)/model.gguf"), "\(run.stdout) \(run.stderr)")
    }

    @Test("hash takes several paths and - (stdin), as sha256sum; verify DIR --manifest reports changed, missing, added and moved")
    func manifests() throws {
        let dir = TemporaryDirectory("first-manifest")
        try dir.write("t/a", "a")
        try dir.write("t/sub/b", "b")
        try dir.write("c.txt", "c")
        let several = try modelctl(["hash", "t", "c.txt"], currentDirectory: dir.path)
        #expect(several.status == 0)
        #expect(Set(several.stdout.split(separator: "\n").map { String($0.dropFirst(66)) }) == ["t/a", "t/sub/b", "c.txt"])
        let checked = try shell("\"$0\" hash t c.txt | sha256sum -c", arguments: [modelctlBinary], currentDirectory: dir.path)
        #expect(checked.status == 0 && checked.stdout.contains("t/sub/b: OK"), "\(checked.stdout)")
        let stdin = try runProcess(modelctlBinary, ["hash", "-"], currentDirectory: dir.path, stdin: "t\nc.txt\nmissing\n")
        #expect(stdin.status == 1 && stdin.stdout == several.stdout && stdin.stderr.contains("missing"), "\(stdin.stderr)")

        let lines = try modelctl(["hash", dir.file("t")])
        try dir.write("t.sha256", lines.stdout)
        try dir.write("t.json", try modelctl(["hash", dir.file("t"), "--json"]).stdout)
        for manifest in ["t.sha256", "t.json"] {
            let ok = try modelctl(["verify", dir.file("t"), "--manifest", dir.file(manifest)])
            #expect(ok.status == 0 && ok.stdout.contains("OK"), "\(ok.stderr)")
        }
        try FileManager.default.moveItem(atPath: dir.file("t/a"), toPath: dir.file("t/sub/a2"))
        try dir.write("t/sub/b", "B")
        try dir.write("t/new", "new")
        try FileManager.default.removeItem(atPath: dir.file("c.txt"))
        try dir.write("t.sha256", lines.stdout + "\(String(repeating: "0", count: 64))  gone\n")
        let bad = try modelctl(["verify", dir.file("t"), "--manifest", dir.file("t.sha256")])
        #expect(bad.status == 2)
        for expected in ["changed  sub/b", "missing  gone", "added    new", "moved    a -> sub/a2"] {
            #expect(bad.stdout.contains(expected), "\(bad.stdout)")
        }
        let json = try modelctl(["verify", dir.file("t"), "--manifest", dir.file("t.json"), "--json"])
        #expect(json.status == 2 && json.stdout.contains("\"status\": \"mismatch\""))
        try dir.write("broken.sha256", "not a manifest\n")
        let broken = try modelctl(["verify", dir.file("t"), "--manifest", dir.file("broken.sha256")])
        #expect(broken.status == 1 && broken.stderr.contains("broken.sha256:1"), "\(broken.stderr)")
    }

    @Test("list and models never cut a name: other columns shorten or go; a pipe gets whole values; list is sorted by name")
    func tables() throws {
        let dir = TemporaryDirectory("first-tables")
        let weights = try model(dir)
        let long = "org/" + String(repeating: "very-long-model-name-", count: 4) + "end"
        try dir.write("reg/model_registry.curated.json", """
            [{"name": "zeta", "backend": "vllm", "backend_config": {"model_path": "\(weights)"}},
             {"name": "\(long)", "backend": "vllm", "roles": ["chat", "vision", "embedding"], "backend_config": {"model_path": "\(weights)"}},
             {"name": "alpha", "backend": "ollama", "backend_config": {"model_path": "\(weights)"}}]
            """)
        let args = ["--registry-dir", dir.file("reg")]
        let piped = try modelctl(["list"] + args, environment: ["COLUMNS": ""])
        let rows = piped.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != " " }) }
        #expect(rows == ["alpha", long, "zeta"], "\(piped.stdout)")
        #expect(piped.stdout.contains("chat,vision,embedding") && !piped.stdout.contains("…"))
        for width in [60, 40] {
            let narrow = try modelctl(["list"] + args, environment: ["COLUMNS": "\(width)"])
            let lines = narrow.stdout.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix(long) }, "\(narrow.stdout)")
            #expect(lines.allSatisfy { $0.count <= max(width, long.count) })
        }
        let models = try modelctl(["models", "--override", "{\"model_name\": \"\(long)\"}"] + args, environment: ["COLUMNS": "50"])
        #expect(models.status == 0, "\(models.stderr)")
        #expect(models.stdout.split(separator: "\n").contains { $0.hasPrefix(long) }, "\(models.stdout)")
    }

    @Test("words: a misspelled subcommand is named, one key hash, plurals agree, metrics says what it is")
    func words() throws {
        let typo = try modelctl(["verifyy", "--all"])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean 'verify'"), "\(typo.stderr)")
        #expect(!typo.stderr.contains("Unknown option"))
        let signHelp = try modelctl(["sign", "--help"])
        #expect(!signHelp.stdout.contains("key_hint") && !signHelp.stdout.contains(" files}"), "\(signHelp.stdout)")
        #expect(try modelctl(["metrics", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains("not a Prometheus endpoint"))

        let dir = TemporaryDirectory("first-words")
        let weights = try model(dir)
        try dir.write("reg/model_registry.curated.json", """
            [{"name": "one", "backend": "vllm", "backend_config": {"model_path": "\(weights)"}},
             {"name": "two", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("absent"))"}, "version_lock": {"locked": true}}]
            """)
        let args = ["--registry-dir", dir.file("reg")]
        #expect(try modelctl(["lock", "one", "--set-expected"] + args).status == 0)
        try dir.write("weights/tiny/config.json", "{\"changed\": true}")
        let all = try modelctl(["verify", "--all"] + args)
        #expect(all.status == 2)
        #expect(all.stderr.contains("verified 2 entries: 0 ok, 1 lock violation, 1 error, 0 skipped"), "\(all.stderr)")
        try dir.write("reg2/model_registry.curated.json", "[{\"name\": \"only\", \"backend\": \"vllm\"}]")
        #expect(try modelctl(["check", "--registry-dir", dir.file("reg2")]).stdout.contains(": 1 entry, no problems"))

        // The key is named by one hash: sign's fingerprint is what verify --signature prints.
        let key = dir.file("key.pem"), pub = dir.file("pub.pem")
        #expect(try shell("openssl ecparam -name prime256v1 -genkey -noout -out \"$0\" && openssl ec -in \"$0\" -pubout -out \"$1\" 2>/dev/null",
                          arguments: [key, pub]).status == 0)
        let signed = try modelctl(["sign", weights, "--key", key, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(signed.stdout.utf8)) as? [String: Any])
        #expect(object["key_hint"] == nil && object["file_count"] as? Int == 2)
        let der = try shell("openssl pkey -pubin -in \"$0\" -outform DER | sha256sum", arguments: [pub])
        #expect(object["key_fingerprint"] as? String == String(der.stdout.prefix(64)))
    }

    @Test("packaging: completions for bash, zsh and fish name every subcommand; make install puts binary, man page and completions in place")
    func packaging() throws {
        for shellName in ["bash", "zsh", "fish"] {
            let script = try modelctl(["--generate-completion-script", shellName])
            #expect(script.status == 0)
            #expect(["exec", "init", "add", "verify"].allSatisfy(script.stdout.contains), "\(shellName)")
        }
        let plan = try shell("make -n install PREFIX=/opt/m DESTDIR=/tmp/stage", currentDirectory: repositoryRoot)
        #expect(plan.status == 0, "\(plan.stderr)")
        for installed in ["/opt/m/bin/modelctl", "/opt/m/share/man/man1", "bash-completion/completions/modelctl",
                          "zsh/site-functions/_modelctl", "fish/vendor_completions.d/modelctl.fish"] {
            #expect(plan.stdout.contains(installed), "\(installed) in \(plan.stdout)")
        }
        let action = try String(contentsOfFile: repositoryRoot + "/action.yml", encoding: .utf8)
        #expect(action.contains("using: composite") && action.contains("--junit") && action.contains("verify"))
        let workflow = try String(contentsOfFile: repositoryRoot + "/configs/examples/github-actions-modelctl.yml", encoding: .utf8)
        #expect(workflow.contains("uses: ./") || workflow.contains("/modelctl@"))
    }

    @Test("ollama: entries show ollama list's 12-digit ID in list and show; scan lists interrupted pulls")
    func ollama() throws {
        let dir = TemporaryDirectory("first-ollama")
        let model = try OllamaTestModel(in: dir, weights: String(repeating: "G", count: 4096))
        let weightsHex = model.weightsDigest
        let id = String(try sha256sumOf(text: model.manifest).prefix(12))
        let env = ["OLLAMA_MODELS": dir.file("ollama")]
        #expect(try modelctl(["init", dir.file("reg")]).status == 0)
        let args = ["--registry-dir", dir.file("reg")]
        #expect(try modelctl(["add", "tiny", "ollama:tiny:latest", "--lock"] + args, environment: env).status == 0)
        let list = try modelctl(["list"] + args, environment: env)
        #expect(list.stdout.contains("ID") && list.stdout.contains(" \(id) "), "\(list.stdout)")
        let show = try modelctl(["show", "tiny"] + args, environment: env)
        #expect(show.stderr.contains("Ollama ID \(id)") && !show.stdout.contains("Ollama ID"), "\(show.stderr)")

        // exec passes an ollama: entry through the same gate; {model_path} is the store.
        let served = try modelctl(args + ["exec", "tiny", "--", "sh", "-c", "echo \"$0\"", "{model_path}"], environment: env)
        #expect(served.status == 0 && served.stdout == dir.file("ollama") + "\n", "\(served.stdout) \(served.stderr)")

        try dir.write("ollama/blobs/sha256-\(weightsHex)-partial", "half")
        try dir.write("ollama/blobs/sha256-2718281828", "temporary")
        try dir.write("ollama/blobs/pull.tmp", "temporary")
        let scan = try modelctl(["scan", dir.file("ollama")])
        #expect(scan.status == 0, "\(scan.stderr)")
        let interrupted = scan.stdout.split(separator: "\n").filter { $0.hasPrefix("interrupted") }
        #expect(interrupted.count == 3, "\(scan.stdout)")
        #expect(interrupted.contains { $0.contains("-partial") } && interrupted.contains { $0.contains("pull.tmp") })
    }
}
