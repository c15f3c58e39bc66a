import Foundation
import Testing
import TestSupport

/// configs/examples/: the files parse (YAML, systemd units) and every modelctl command in them
/// is a valid invocation that succeeds on a temporary registry laid out like production.
struct ProductionExamplesTests {
    static let examples = repositoryRoot + "/configs/examples"
    static let yamlFiles = ["kubernetes-vllm.yaml", "kubernetes-daemonset.yaml", "github-actions-modelctl.yml", "prometheus-rules.yml"]
    static let placeholder = "REPLACE-with-the-aggregate-from-modelctl-lock"

    static func read(_ name: String) throws -> String { try String(contentsOfFile: examples + "/" + name, encoding: .utf8) }

    /// A Python with PyYAML: the test venv's, else the system's; nil when neither has it.
    static var yamlPython: String? {
        for python in [FormatCheckers.venvPython, "/usr/bin/python3"].compactMap({ $0 }) where FileManager.default.isExecutableFile(atPath: python) {
            if (try? runProcess(python, ["-c", "import yaml"]).status) == 0 { return python }
        }
        return nil
    }

    /// Every modelctl invocation in `text`: `ExecStart=`/`run:` lines and YAML `command:` or
    /// `args:` lists whose first item is `modelctl`. Arguments are split on spaces (the examples
    /// quote nothing).
    static func invocations(_ text: String) -> [[String]] {
        var out: [[String]] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            if line.hasPrefix("#") { continue }
            for prefix in ["ExecStart=", "run: "] where line.hasPrefix(prefix) {
                let words = line.dropFirst(prefix.count).split(separator: " ").map(String.init)
                if let first = words.first, first.hasSuffix("modelctl") { out.append(Array(words.dropFirst())) }
            }
            if line == "command:" || line == "args:" {
                var items: [String] = []
                while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("- ") {
                    items.append(String(lines[index].trimmingCharacters(in: .whitespaces).dropFirst(2)))
                    index += 1
                }
                if items.first == "modelctl" { out.append(Array(items.dropFirst())) }
            }
        }
        return out
    }

    @Test("the YAML examples parse and have the shape their consumers need")
    func yamlParses() throws {
        for name in Self.yamlFiles {
            let text = try Self.read(name)
            #expect(!text.contains("\t"), "\(name) has a tab")
            #expect(!Self.invocations(text).isEmpty || name == "prometheus-rules.yml", "\(name) runs no modelctl")
        }
        guard let python = Self.yamlPython else { return }
        let script = """
            import sys, yaml, json
            d = sys.argv[1]
            def docs(n): return [x for x in yaml.safe_load_all(open(d + "/" + n)) if x is not None]
            vllm = docs("kubernetes-vllm.yaml")
            kinds = [x["kind"] for x in vllm]
            assert kinds == ["ConfigMap", "Deployment"], kinds
            pod = vllm[1]["spec"]["template"]["spec"]
            init = pod["initContainers"][0]
            assert init["command"][:2] == ["modelctl", "verify"], init["command"]
            mounts = {m["name"] for m in init["volumeMounts"]}
            assert "models" in mounts and any(m["name"] == "models" for m in pod["containers"][0]["volumeMounts"])
            registry = json.loads(vllm[0]["data"]["model_registry.curated.json"])
            assert registry[0]["name"] == init["command"][2], registry
            import os, re
            ds = docs("kubernetes-daemonset.yaml")[0]
            assert ds["kind"] == "DaemonSet", ds["kind"]
            node = ds["spec"]["template"]["spec"]
            c = node["containers"][0]
            assert c["args"][0] == "modelctl" and "--prometheus" in c["args"], c["args"]
            # The textfile lands in this node's node_exporter directory, which must exist.
            prom = c["args"][c["args"].index("--prometheus") + 1]
            mount = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}[os.path.dirname(prom)]
            textfile = {v["name"]: v for v in node["volumes"]}[mount]["hostPath"]
            assert textfile == {"path": "/var/lib/node_exporter/textfile_collector", "type": "Directory"}, textfile
            assert c["command"][:2] == ["/bin/sh", "-c"] and '"$@"' in c["command"][2], c["command"]
            period = int(re.search(r"sleep (\\d+)", c["command"][2]).group(1))
            wf = docs("github-actions-modelctl.yml")[0]
            steps = wf["jobs"]["verify"]["steps"]
            runs = [s.get("run", "") for s in steps]
            assert any(r.startswith("modelctl check --strict") for r in runs), runs
            action = [s for s in steps if s.get("uses", "").startswith("example/modelctl@")]
            assert action and all(x in action[0]["with"]["args"] for x in ["--all", "--no-record", "--map-path"]) and action[0]["with"]["junit"], steps
            assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps)
            rules = docs("prometheus-rules.yml")[0]["groups"][0]["rules"]
            assert any("modelctl_verify_status" in r["expr"] for r in rules)
            for r in rules: assert set(r) >= {"alert", "expr", "labels", "annotations"}, r
            # The staleness alert matches the DaemonSet's period: one missed run, not a late one.
            stale = [r for r in rules if r["alert"] == "ModelVerifyStale"][0]["expr"]
            lhs, rhs = stale.split(">")
            assert lhs.strip() == "time() - modelctl_verify_run_timestamp_seconds", stale
            assert period < eval(rhs, {"__builtins__": {}}) < 2 * period, (stale, period)
            print("ok")
            """
        let result = try runProcess(python, ["-c", script, Self.examples])
        #expect(result.status == 0 && result.stdout == "ok\n", "\(result.stderr)")
    }

    @Test("the systemd service and timer pass systemd-analyze verify (or a unit-file parser)")
    func systemdUnits() throws {
        let dir = TemporaryDirectory("units")
        // ExecStart must name an executable that exists: point it at the built modelctl.
        let service = try Self.read("modelctl-verify.service").replacingOccurrences(of: "/usr/local/bin/modelctl", with: modelctlBinary)
        try dir.write("modelctl-verify.service", service)
        try dir.write("modelctl-verify.timer", try Self.read("modelctl-verify.timer"))
        for (name, sections) in [("modelctl-verify.service", ["Unit", "Service"]), ("modelctl-verify.timer", ["Unit", "Timer", "Install"])] {
            let units = try Self.parseUnit(try String(contentsOfFile: dir.file(name), encoding: .utf8))
            #expect(Array(units.keys).sorted() == sections.sorted(), "\(name)")
        }
        let service2 = try Self.parseUnit(service)
        #expect(service2["Service"]?["Type"] == ["oneshot"])
        #expect(service2["Service"]?["ExecStart"]?.first?.contains("verify --all") == true)
        let timer = try Self.parseUnit(try Self.read("modelctl-verify.timer"))
        #expect(timer["Timer"]?["Unit"] == ["modelctl-verify.service"])
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let result = try runProcess("/usr/bin/systemd-analyze", ["verify", "--man=no", dir.file("modelctl-verify.service"), dir.file("modelctl-verify.timer")],
                                        currentDirectory: dir.path)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(!result.stderr.contains("Unknown key"), "\(result.stderr)")
            let calendar = try runProcess("/usr/bin/systemd-analyze", ["calendar", timer["Timer"]?["OnCalendar"]?.first ?? ""])
            #expect(calendar.status == 0, "\(calendar.stderr)")
        }
    }

    /// A unit file as systemd reads it: `[Section]` headers, `Key=Value` lines, `#`/`;` comments.
    static func parseUnit(_ text: String) throws -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:]
        var section: String?
        for (n, raw) in text.split(separator: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw UnitError(line: n + 1) }
                section = String(line.dropFirst().dropLast())
                out[section!, default: [:]] = [:]
                continue
            }
            guard let section, let equals = line.firstIndex(of: "="),
                  line[..<equals].allSatisfy({ $0.isLetter || $0.isNumber }) else { throw UnitError(line: n + 1) }
            out[section, default: [:]][String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return out
    }

    struct UnitError: Error { let line: Int }

    @Test("every modelctl command in the examples is a valid invocation that passes on a production-like registry")
    func invocationsRun() throws {
        let dir = TemporaryDirectory("examples")
        // The model volume (/srv/models in the registry, mounted at /models or /mnt/models).
        try dir.write("mnt/models/qwen2.5-7b-instruct/config.json", "{}")
        try dir.write("mnt/models/qwen2.5-7b-instruct/model.safetensors", String(repeating: "w", count: 4096))
        let aggregate = try modelctl(["hash", dir.file("mnt/models/qwen2.5-7b-instruct"), "--aggregate-only"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(aggregate.count == 64)
        // The registry is the ConfigMap's, with the placeholder filled in.
        let vllm = try Self.read("kubernetes-vllm.yaml")
        let registryJSON = try #require(Self.blockScalar(vllm, key: "model_registry.curated.json"))
        #expect(registryJSON.contains(Self.placeholder))
        try dir.write("registry/model_registry.curated.json", registryJSON.replacingOccurrences(of: Self.placeholder, with: aggregate))
        try FileManager.default.createDirectory(atPath: dir.file("textfile"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("work"), withIntermediateDirectories: true)
        let environment = ["MODELCTL_REGISTRY_DIR": dir.file("registry"), "MODELCTL_MAP_PATH": "/srv/models=" + dir.file("mnt/models"),
                           "GITHUB_ACTIONS": "", "NO_COLOR": "1"]
        var count = 0
        for name in Self.yamlFiles + ["modelctl-verify.service"] {
            for invocation in Self.invocations(try Self.read(name)) {
                let arguments = invocation.map { argument in
                    argument
                        .replacingOccurrences(of: "/srv/models=/models", with: "/srv/models=" + dir.file("mnt/models"))
                        .replacingOccurrences(of: "/srv/models=/mnt/models", with: "/srv/models=" + dir.file("mnt/models"))
                        .replacingOccurrences(of: "/var/lib/node_exporter/textfile_collector", with: dir.file("textfile"))
                        .replacingOccurrences(of: "/etc/modelctl", with: dir.file("registry"))
                }
                let result = try modelctl(arguments, environment: environment, currentDirectory: dir.file("work"))
                #expect(result.status == 0, "\(name): modelctl \(invocation.joined(separator: " ")) -> \(result.status)\n\(result.stderr)")
                count += 1
                if let index = arguments.firstIndex(of: "--prometheus") {
                    let parsed = try FormatCheckers.parsePrometheus(try String(contentsOfFile: arguments[index + 1], encoding: .utf8))
                    #expect(parsed.samples.contains { $0.name == "modelctl_verify_status" && $0.labels["model"] == "qwen2.5-7b-instruct" && $0.value == 0 })
                }
                if let index = arguments.firstIndex(of: "--junit") {
                    let path = arguments[index + 1].hasPrefix("/") ? arguments[index + 1] : dir.file("work/" + arguments[index + 1])
                    try FormatCheckers.validateJUnitSchema(path, in: dir)
                }
            }
        }
        // The workflow's verify goes through action.yml, which runs `modelctl verify ARGS --registry-dir DIR --junit FILE`.
        let actionArguments = try Self.actionVerify(registryDirectory: dir.file("registry")).map {
            $0.replacingOccurrences(of: "/srv/models=/mnt/models", with: "/srv/models=" + dir.file("mnt/models"))
        }
        let junit = try #require(actionArguments.last)
        #expect(try Self.read("../../action.yml").contains(#"modelctl verify "${args[@]}" --registry-dir "$INPUT_REGISTRY_DIR" "${junit[@]}""#))
        let viaAction = try modelctl(actionArguments, environment: environment, currentDirectory: dir.file("work"))
        #expect(viaAction.status == 0, "\(viaAction.stderr)")
        try FormatCheckers.validateJUnitSchema(dir.file("work/" + junit), in: dir)
        #expect(count == 4)
        // The rule file's metric is one verify writes.
        #expect(try Self.read("prometheus-rules.yml").contains("expr: modelctl_verify_status == 2"))
    }

    /// The command line action.yml runs for the workflow's `uses:` step:
    /// `verify ARGS --registry-dir DIR --junit FILE`, from the step's `with:` values.
    static func actionVerify(registryDirectory: String) throws -> [String] {
        let workflow = try read("github-actions-modelctl.yml")
        let with = Dictionary(uniqueKeysWithValues: ["args", "junit"].compactMap { key in
            workflow.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(key + ": ") }
                .map { (key, String($0.dropFirst(key.count + 2))) }
        })
        return ["verify"] + (with["args"] ?? "").split(separator: " ").map(String.init)
            + ["--registry-dir", registryDirectory, "--junit", with["junit"] ?? ""]
    }

    /// The text of a YAML block scalar `key: |` (its lines, de-indented).
    static func blockScalar(_ text: String, key: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "\(key): |" }) else { return nil }
        let keyIndent = lines[start].prefix { $0 == " " }.count
        var body: [String] = []
        for line in lines[(start + 1)...] {
            let indent = line.prefix { $0 == " " }.count
            if !line.trimmingCharacters(in: .whitespaces).isEmpty && indent <= keyIndent { break }
            body.append(line)
        }
        let strip = body.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return body.map { String($0.dropFirst(min(strip, $0.count))) }.joined(separator: "\n")
    }
}
