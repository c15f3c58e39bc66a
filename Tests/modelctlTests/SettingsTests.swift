import Foundation
import HTTPSupport
import ModelCatalog
import ModelRuntime
import Synchronization
import Testing
@testable import modelctl

/// The settings the command line reads from the environment, as typed values: each variable,
/// its precedence under an option, and the one rule for empty values.
struct SettingsTests {
    /// A warnings channel that records what it is given.
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        var warnings: CatalogWarnings { CatalogWarnings { line in self.lines.withLock { $0.append(line) } } }
        var count: Int { lines.withLock(\.count) }
    }

    @Test func emptyAndBlankVariablesCountAsUnset() {
        let settings = Settings(environment: ["MODELCTL_REGISTRY_DIR": "", "OLLAMA_MODELS": "  ", "HOME": "/home/u"])
        #expect(settings.value("MODELCTL_REGISTRY_DIR") == nil)
        #expect(settings.registryDirectory(option: nil) == "configs")
        #expect(settings.registryDirectory(option: "/r") == "/r")
        #expect(settings.ollamaStores == ["/home/u/.ollama/models", "/usr/share/ollama/.ollama/models"])
    }

    @Test func anEmptyOptionIsAUsageError() {
        #expect(throws: (any Error).self) { try Settings.requireValue("", "--registry-dir") }
        #expect(throws: (any Error).self) { try Settings.requireValue(" ", "--catalog") }
        #expect(throws: Never.self) { try Settings.requireValue(nil, "--registry-dir") }
        #expect(throws: Never.self) { try Settings.requireValue("configs", "--registry-dir") }
    }

    @Test("the Ollama store is OLLAMA_MODELS alone when set, else the home and the service stores")
    func ollamaStores() {
        #expect(Settings(environment: ["OLLAMA_MODELS": "/data/ollama", "HOME": "/home/u"]).ollamaStores == ["/data/ollama"])
        #expect(Settings(environment: ["HOME": "/root"]).ollamaStores == ["/root/.ollama/models", "/usr/share/ollama/.ollama/models"])
    }

    @Test("the cache directory follows huggingface_hub: HF_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME, ~/.cache")
    func huggingFaceCache() {
        #expect(Settings(environment: ["HF_HUB_CACHE": "/c", "HF_HOME": "/h", "HOME": "/u"]).huggingFaceCache == "/c")
        #expect(Settings(environment: ["HF_HUB_CACHE": "", "HF_HOME": "/h", "HOME": "/u"]).huggingFaceCache == "/h/hub")
        #expect(Settings(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/u"]).huggingFaceCache == "/x/huggingface/hub")
        #expect(Settings(environment: ["HOME": "/u"]).huggingFaceCache == "/u/.cache/huggingface/hub")
    }

    @Test func proxiesAreReadAsCurlReadsThem() {
        let all = Settings(environment: ["HTTP_PROXY": "http://cgi-injected:1", "HTTPS_PROXY": "http://p:3128",
                                         "no_proxy": " internal.example , .corp.example,", "NO_PROXY": "ignored"]).proxies
        #expect(all.http == nil, "HTTP_PROXY in capitals can come from a CGI request's Proxy header")
        #expect(all.https == "http://p:3128")
        #expect(all.noProxy == ["internal.example", ".corp.example"])
        let fallback = Settings(environment: ["all_proxy": "p:8080", "http_proxy": " "]).proxies
        #expect(fallback.http == "p:8080" && fallback.https == "p:8080")
        #expect(Settings(environment: [:]).proxies == ProxySettings())
        let cidr = Settings(environment: ["no_proxy": "10.0.0.0/8 fd00::/8, corp.example., 192.168.1.7"]).proxies
        #expect(cidr.noProxy == ["10.0.0.0/8", "fd00::/8", "corp.example.", "192.168.1.7"])
    }

    @Test(arguments: [
        (nil, [:], UnknownModelMode.off, "default"),
        (nil, ["MODELCTL_CATALOG_MODE": "warn"], .warn, "MODELCTL_CATALOG_MODE=warn"),
        (nil, ["MODELCTL_CATALOG_MODE": "ENFORCE"], .enforce, "MODELCTL_CATALOG_MODE=ENFORCE"),
        (UnknownModelMode.off, ["MODELCTL_CATALOG_MODE": "enforce"], .off, "--mode off"),
        (UnknownModelMode.enforce, [:], .enforce, "--mode enforce"),
        (nil, ["MODELCTL_CATALOG_MODE": "strict"], .off, "default"),
    ] as [(UnknownModelMode?, [String: String], UnknownModelMode, String)])
    func catalogModeAndItsOrigin(option: UnknownModelMode?, environment: [String: String], expected: UnknownModelMode, origin: String) {
        let log = Log()
        let mode = Settings(environment: environment).catalogMode(option: option, warnings: log.warnings)
        #expect(mode.value == expected)
        #expect(mode.origin == origin)
        #expect(log.count == (environment["MODELCTL_CATALOG_MODE"] == "strict" ? 1 : 0))
    }

    @Test func catalogOptionsBeatTheEnvironment() {
        let env = Settings(environment: ["MODELCTL_CATALOG_SERVER": "http://env.invalid:1", "MODELCTL_CATALOG_PATH": "/env/catalog.json"])
        let fromEnv = env.catalogConfiguration(server: nil, catalogFile: nil, warnings: Log().warnings)
        #expect(fromEnv.serverURL?.absoluteString == "http://env.invalid:1")
        #expect(fromEnv.catalogFile == "/env/catalog.json")
        let fromOptions = env.catalogConfiguration(server: "http://127.0.0.1:9", catalogFile: "/opt/catalog.json", warnings: Log().warnings)
        #expect(fromOptions.serverURL?.absoluteString == "http://127.0.0.1:9")
        #expect(fromOptions.catalogFile == "/opt/catalog.json")
        let log = Log()
        let bad = Settings(environment: [:]).catalogConfiguration(server: "not a url", catalogFile: nil, warnings: log.warnings)
        #expect(bad.serverURL == nil)
        #expect(log.lines.withLock { $0.filter { $0.contains("'not a url'") }.count } == 1)
    }

    @Test func catalogSettingsFollowTheTinkerSDK() {
        let quiet = Log().warnings
        let tinkerOnly = Settings(environment: ["TINKER_BASE_URL": "https://tinker.example/services/x", "TINKER_API_KEY": "k-tinker"])
            .catalogConfiguration(server: nil, catalogFile: nil, warnings: quiet)
        #expect(tinkerOnly.serverURL?.absoluteString == "https://tinker.example/services/x")
        #expect(tinkerOnly.apiKey == "k-tinker")
        let both = Settings(environment: [
            "TINKER_BASE_URL": "https://tinker.example", "MODELCTL_CATALOG_SERVER": "http://127.0.0.1:9",
            "TINKER_API_KEY": "k-tinker", "MODELCTL_CATALOG_API_KEY": "k-modelctl",
        ]).catalogConfiguration(server: nil, catalogFile: nil, warnings: quiet)
        #expect(both.serverURL?.absoluteString == "http://127.0.0.1:9")
        #expect(both.apiKey == "k-modelctl")
        let empty = Settings(environment: ["MODELCTL_CATALOG_SERVER": "", "TINKER_BASE_URL": "https://t.example", "MODELCTL_CATALOG_API_KEY": "", "TINKER_API_KEY": "k"])
            .catalogConfiguration(server: nil, catalogFile: nil, warnings: quiet)
        #expect(empty.serverURL?.absoluteString == "https://t.example")
        #expect(empty.apiKey == "k")
    }

    @Test func orchestratorDefaults() throws {
        let c = try Settings(environment: ["HOME": "/home/u"]).orchestrator()
        #expect(c.stateDirectory == "/home/u/.local/state/modelctl")
        #expect(c.launchCommand == ["python3", "-m", "vllm.entrypoints.openai.api_server"])
        #expect(c.port == 24001)
        #expect(c.startTimeout == .seconds(180))
        #expect(!c.enabled)
        #expect(c.lockFilePath == "/home/u/.local/state/modelctl/orchestrator.lock")
    }

    @Test func orchestratorEnvironmentValues() throws {
        let c = try Settings(environment: [
            "HOME": "/home/u", "XDG_STATE_HOME": "/xdg", "MODELCTL_STATE_DIR": "/state", "MODELCTL_ORCHESTRATOR": "1",
            "MODELCTL_LAUNCH_COMMAND": #"["/opt/venv/bin/python", "-m", "vllm.entrypoints.openai.api_server"]"#,
            "MODELCTL_VLLM_PORT": "24010", "MODELCTL_START_TIMEOUT": "2.5",
        ]).orchestrator()
        #expect(c.stateDirectory == "/state")
        #expect(c.enabled)
        #expect(c.launchCommand == ["/opt/venv/bin/python", "-m", "vllm.entrypoints.openai.api_server"])
        #expect(c.port == 24010)
        #expect(c.startTimeout == .milliseconds(2500))
        #expect(try Settings(environment: ["HOME": "/h", "XDG_STATE_HOME": "/xdg"]).orchestrator().stateDirectory == "/xdg/modelctl")
        #expect(try !Settings(environment: ["HOME": "/h", "MODELCTL_ORCHESTRATOR": "0"]).orchestrator().enabled)
    }

    @Test(arguments: [
        ("MODELCTL_LAUNCH_COMMAND", "python3 -m vllm"),
        ("MODELCTL_LAUNCH_COMMAND", "[]"),
        ("MODELCTL_LAUNCH_COMMAND", #"["python3", 1]"#),
        ("MODELCTL_VLLM_PORT", "70000"),
        ("MODELCTL_VLLM_PORT", "abc"),
        ("MODELCTL_START_TIMEOUT", "0"),
        ("MODELCTL_START_TIMEOUT", "soon"),
        ("MODELCTL_START_TIMEOUT", "1e20"),
        ("MODELCTL_START_TIMEOUT", "86401"),
        ("MODELCTL_START_TIMEOUT", "nan"),
        ("MODELCTL_START_TIMEOUT", "inf"),
    ])
    func invalidOrchestratorValuesAreNamed(_ variable: String, _ value: String) {
        let error = #expect(throws: RuntimeError(.invalidConfiguration)) {
            try Settings(environment: ["HOME": "/h", variable: value]).orchestrator()
        }
        #expect(error?.message.hasPrefix(variable) == true)
        #expect(error?.message.hasSuffix(value) == true)
    }
}
