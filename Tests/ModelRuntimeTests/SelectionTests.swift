import ModelRegistry
import Testing

@testable import ModelRuntime
import OrderedJSON

struct EndpointResolverTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var json: String
        var ollamaHost: String?
        var expected: String
        var testDescription: String { expected }
    }

    @Test(arguments: [
        // base_url wins, trailing slashes dropped
        Case(json: #"{"name": "a", "backend": "vllm", "backend_config": {"base_url": "https://api.example.com/v1/", "host": "other", "port": 1}}"#,
             expected: "https://api.example.com/v1"),
        // host as a URL, used as is
        Case(json: #"{"name": "a", "backend": "ollama", "backend_config": {"host": "http://gpu-box:11500//"}}"#, ollamaHost: "ignored",
             expected: "http://gpu-box:11500"),
        Case(json: #"{"name": "a", "backend": "vllm", "backend_config": {"host": "HTTPS://Secure.Example"}}"#,
             expected: "HTTPS://Secure.Example"),
        // host and port
        Case(json: #"{"name": "a", "backend": "vllm", "backend_config": {"host": "gpu-box", "port": 24002}}"#,
             expected: "http://gpu-box:24002/v1"),
        // default ports by backend, for a missing, zero or negative port
        Case(json: #"{"name": "a", "backend": "vllm"}"#, expected: "http://localhost:24001/v1"),
        Case(json: #"{"name": "a", "backend": "VLLM", "backend_config": {"port": 0}}"#, expected: "http://localhost:24001/v1"),
        Case(json: #"{"name": "a", "backend": "lmdeploy", "backend_config": {"port": -1}}"#, expected: "http://localhost:24001/v1"),
        Case(json: #"{"name": "a", "backend": "ollama", "backend_config": {"port": 0}}"#, expected: "http://localhost:11434/v1"),
        Case(json: #"{"name": "a", "backend": "triton"}"#, expected: "http://localhost:9000/v1"),
        Case(json: #"{"name": "a", "backend": "lmstudio"}"#, expected: "http://localhost:8000/v1"),
        Case(json: #"{"name": "a"}"#, expected: "http://localhost:8000/v1"),
        // Ollama without a host: MODELCTL_OLLAMA_HOST, as a name, host:port or URL
        Case(json: #"{"name": "a", "backend": "ollama"}"#, ollamaHost: "gpu-box", expected: "http://gpu-box:11434/v1"),
        Case(json: #"{"name": "a", "backend": "ollama", "backend_config": {"port": 11500}}"#, ollamaHost: "gpu-box",
             expected: "http://gpu-box:11500/v1"),
        Case(json: #"{"name": "a", "backend": "ollama"}"#, ollamaHost: "gpu-box:11600", expected: "http://gpu-box:11600/v1"),
        Case(json: #"{"name": "a", "backend": "ollama"}"#, ollamaHost: "http://gpu-box:11434/", expected: "http://gpu-box:11434"),
        Case(json: #"{"name": "a", "backend": "ollama"}"#, ollamaHost: "  ", expected: "http://localhost:11434/v1"),
        Case(json: #"{"name": "a", "backend": "ollama", "backend_config": {"host": "imageworks-ollama", "port": 11434}}"#,
             ollamaHost: "gpu-box", expected: "http://imageworks-ollama:11434/v1"),
        // the Ollama host applies to Ollama entries only
        Case(json: #"{"name": "a", "backend": "vllm"}"#, ollamaHost: "gpu-box", expected: "http://localhost:24001/v1"),
        // an IPv6 literal goes in brackets
        Case(json: #"{"name": "a", "backend": "vllm", "backend_config": {"host": "::1", "port": 9}}"#, expected: "http://[::1]:9/v1"),
    ])
    func endpoint(_ c: Case) throws {
        let resolver = EndpointResolver(ollamaHost: c.ollamaHost)
        #expect(try resolver.endpoint(for: try entry(c.json)) == c.expected)
    }
}

struct CapabilitiesTests {
    @Test(arguments: [
        // canonical names promoted from synonyms, any case and separator
        ("VL", "vision"), ("mm", "vision"), ("MultiModal", "vision"), ("image", "vision"), ("visual", "vision"),
        ("function_calling", "tools"), ("tool_choice", "tools"), ("tool_calls", "tools"), ("Function-Calling", "tools"),
        ("tool-use", "tools"), ("cot", "reasoning"), ("reasoner", "reasoning"), ("chain_of_thought", "reasoning"),
        ("think", "thinking"), ("embed", "embedding"), ("text-embedding", "embedding"), ("speech", "audio"),
        ("asr", "audio"), ("chat", "text"), ("Vision", "vision"), ("custom_Thing", "custom_thing"),
    ])
    func canonicalName(_ name: String, _ canonical: String) {
        #expect(Capabilities.canonicalName(name) == canonical)
    }

    @Test func synonymsPromoteAndKeysAreLowerCased() {
        let caps = Capabilities([("VL", true), ("function_calling", true), ("Vision", false), ("OCR", true), ("ocr", false)])
        #expect(caps["vision"])
        #expect(caps["tools"])
        #expect(caps["text"])  // default
        #expect(!caps["audio"])
        #expect(caps.enabled == ["text", "vision", "tools", "ocr"])
        #expect(caps.members.map(\.name) == Capabilities.canonicalNames + ["ocr"])
    }

    @Test func thinkingAndReasoningGoTogether() {
        #expect(Capabilities([("cot", true)]).enabled == ["text", "thinking", "reasoning"])
        #expect(Capabilities([("thinking", true)]).enabled == ["text", "thinking", "reasoning"])
        #expect(Capabilities([("reasoner", false)]).enabled == ["text"])
    }

    @Test func textDefaultsToTrueUnlessSaidOtherwise() {
        #expect(Capabilities([]).enabled == ["text"])
        #expect(Capabilities([("embedding", true), ("text", false)]).enabled == ["embedding"])
        #expect(Capabilities([("text", false), ("chat", true)])["text"])
    }

    @Test func missingUsesCanonicalNamesWithoutDuplicates() {
        let caps = Capabilities([("tools", true)])
        #expect(caps.missing(["vision", "VL", "tools", "function_calling", "audio"]) == ["vision", "audio"])
        #expect(caps.missing(["tool_calls"]).isEmpty)
    }

    @Test func imageWorksEntryNormalises() throws {
        // As ImageWorks writes capabilities: canonical keys and every synonym.
        let e = try entry(#"""
            {"name": "qwen", "capabilities": {"text": true, "vision": true, "tools": false, "mm": true, "tool_use": false,
             "function-call": false, "reasoning": false, "think": false, "deepseek": false, "language": true}}
            """#)
        let caps = Capabilities(entry: e)
        #expect(caps.enabled == ["text", "vision"])
        #expect(JSON.serializeCompact(caps.json) == #"{"text": true, "vision": true, "audio": false, "embedding": false, "tools": false, "thinking": false, "reasoning": false}"#)
    }
}

struct ModelSelectionTests {
    @Test func selectionFields() throws {
        let e = try entry(#"{"name": "florence-2-large_(FP16)", "backend": "vllm", "backend_config": {"port": 24002}, "capabilities": {"vl": true}}"#)
        let selection = try ModelSelection.select(e, requiring: ["vision", "text"], endpoints: EndpointResolver())
        #expect(selection.logicalName == "florence-2-large_(FP16)")
        #expect(selection.endpoint == "http://localhost:24002/v1")
        #expect(selection.backend == "vllm")
        #expect(selection.internalModelID == "florence-2-large_(FP16)")
        #expect(JSON.serializeCompact(selection.json) == #"{"logical_name": "florence-2-large_(FP16)", "endpoint": "http://localhost:24002/v1", "backend": "vllm", "internal_model_id": "florence-2-large_(FP16)", "capabilities": {"text": true, "vision": true, "audio": false, "embedding": false, "tools": false, "thinking": false, "reasoning": false}}"#)
    }

    @Test func servedModelIDIsTheInternalID() throws {
        let e = try entry(#"{"name": "qwen3_8b_(Q4_K_M)", "backend": "ollama", "served_model_id": "qwen3:8b"}"#)
        #expect(try ModelSelection(entry: e, endpoints: EndpointResolver()).internalModelID == "qwen3:8b")
        let blank = try entry(#"{"name": "x", "served_model_id": " "}"#)
        #expect(ModelSelection.internalModelID(of: blank) == "x")
    }

    @Test func missingCapabilityNamesWhatIsMissingAndWhatTheEntryHas() throws {
        let e = try entry(#"{"name": "llama_8.0b_(Q5_K_M)", "backend": "ollama", "capabilities": {"text": true, "function_calling": true}}"#)
        let error = #expect(throws: RuntimeError(.missingCapability)) {
            try ModelSelection.select(e, requiring: ["vision"], endpoints: EndpointResolver())
        }
        #expect(error?.message == "model 'llama_8.0b_(Q5_K_M)' lacks the required capability vision (it has: text, tools)")
        let two = #expect(throws: RuntimeError(.missingCapability)) {
            try ModelSelection.select(e, requiring: ["mm", "audio"], endpoints: EndpointResolver())
        }
        #expect(two?.message == "model 'llama_8.0b_(Q5_K_M)' lacks the required capabilities vision, audio (it has: text, tools)")
    }
}

struct RoleSelectorTests {
    let entries: [RegistryEntry]

    init() throws {
        entries = try [
            entry(#"{"name": "b-model", "roles": ["caption"], "role_priority": {"caption": 80}, "capabilities": {"vision": true}}"#),
            entry(#"{"name": "a-model", "roles": ["caption", "keywords"], "role_priority": {"caption": 80, "keywords": 10}, "capabilities": {"vision": true}}"#),
            entry(#"{"name": "c-model", "roles": ["caption"], "role_priority": {"caption": 95}, "capabilities": {"text": true}}"#),
            entry(#"{"name": "old-model", "roles": ["caption"], "role_priority": {"caption": 100}, "deprecated": true, "capabilities": {"vision": true}}"#),
            entry(#"{"name": "no-priority", "roles": ["keywords"]}"#),
            entry(#"{"name": "no-roles"}"#),
        ]
    }

    @Test func highestPriorityWins() throws {
        #expect(try RoleSelector.select(role: "caption", from: entries, roleDefaults: false).name == "c-model")
        #expect(try RoleSelector.select(role: "keywords", from: entries).name == "a-model")
    }

    @Test func tiesAreBrokenByNameAndDeprecatedEntriesComeLast() {
        #expect(RoleSelector.ranked(role: "caption", from: entries).map(\.name) == ["c-model", "a-model", "b-model", "old-model"])
    }

    @Test func rolesMatchCaseInsensitively() throws {
        #expect(try RoleSelector.select(role: "Caption", from: entries, roleDefaults: false).name == "c-model")
        #expect(try RoleSelector.select(role: "Caption", from: entries).name == "a-model")
    }

    @Test func requiredCapabilitiesFilterCandidates() throws {
        #expect(try RoleSelector.select(role: "caption", from: entries, requiring: ["vl"]).name == "a-model")
        let error = #expect(throws: RuntimeError(.noModelForRole)) {
            try RoleSelector.select(role: "caption", from: entries, requiring: ["audio"], roleDefaults: false)
        }
        #expect(error?.message.contains("no model with role 'caption' has audio") == true)
        #expect(error?.message.contains("'c-model' has text") == true)
    }

    /// ImageWorks' DEFAULT_ROLE_CAPABILITIES: vision for caption, keywords, description, narration.
    @Test func rolesNeedTheirCapabilitiesAsInImageWorks() throws {
        // c-model has the highest caption priority but no vision: ImageWorks picks a vision model.
        #expect(try RoleSelector.select(role: "caption", from: entries).name == "a-model")
        #expect(RoleSelector.requirements(forRole: "Narration") == ["vision"])
        #expect(RoleSelector.requirements(forRole: "description", requiring: ["tools", "VL"]) == ["vision", "tools"])
        #expect(RoleSelector.requirements(forRole: "summary") == [])
        let textOnly = try [
            entry(#"{"name": "t", "roles": ["keywords"], "role_priority": {"keywords": 90}, "capabilities": {"text": true}}"#),
        ]
        let error = #expect(throws: RuntimeError(.noModelForRole)) { try RoleSelector.select(role: "keywords", from: textOnly) }
        #expect(error?.message.contains("requires vision unless --require none") == true, "\(error?.message ?? "")")
        #expect(try RoleSelector.select(role: "keywords", from: textOnly, roleDefaults: false).name == "t")
    }

    @Test func deprecatedEntriesAreRefusedUnlessAllowed() throws {
        let onlyOld = try [
            entry(#"{"name": "old-a", "roles": ["summary"], "deprecated": true}"#),
            entry(#"{"name": "old-b", "roles": ["summary"], "deprecated": true}"#),
        ]
        let error = #expect(throws: RuntimeError(.noModelForRole)) { try RoleSelector.select(role: "summary", from: onlyOld) }
        #expect(error?.message == "every model with role 'summary' is deprecated ('old-a', 'old-b'); pass --allow-deprecated to use one anyway")
        #expect(try RoleSelector.select(role: "summary", from: onlyOld, allowDeprecated: true).name == "old-a")
        // A deprecated entry with the capability does not stand in for live ones without it.
        let mixed = try [
            entry(#"{"name": "live", "roles": ["caption"], "capabilities": {"text": true}}"#),
            entry(#"{"name": "old", "roles": ["caption"], "deprecated": true, "capabilities": {"vision": true}}"#),
        ]
        #expect(throws: RuntimeError(.noModelForRole)) { try RoleSelector.select(role: "caption", from: mixed) }
        #expect(try RoleSelector.select(role: "caption", from: mixed, allowDeprecated: true).name == "old")
    }

    @Test func capabilityKeysAreTrimmedAndLowerCased() throws {
        let padded = try entry(#"{"name": "p", "roles": ["caption"], "capabilities": {" VL ": true, "\tTools\n": true}}"#)
        let caps = Capabilities(entry: padded)
        #expect(caps["vision"] && caps["tools"])
        #expect(Capabilities.canonicalName("  Vision ") == "vision")
        #expect(try RoleSelector.select(role: "caption", from: [padded], requiring: [" tools "]).name == "p")
    }

    @Test func unknownRoleNamesTheKnownOnes() {
        let error = #expect(throws: RuntimeError(.noModelForRole)) {
            try RoleSelector.select(role: "narration", from: entries)
        }
        #expect(error?.message == "no model has role 'narration' (known roles: caption, keywords)")
    }
}
