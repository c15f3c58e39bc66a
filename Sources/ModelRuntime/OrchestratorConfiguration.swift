import HTTPSupport
import ModelRegistry
public import SystemSupport
public import OrderedJSON

/// Settings of the single-port orchestrator, as values.
///
/// The command line reads the environment and passes it in
/// (``init(environment:)``); tests build the value they need directly.
///
/// ```swift
/// let configuration = try OrchestratorConfiguration(environment: ProcessInfo.processInfo.environment)
/// ```
public struct OrchestratorConfiguration: Sendable, Hashable {
    /// vLLM's OpenAI-compatible server: `python3 -m vllm.entrypoints.openai.api_server`.
    public static let defaultLaunchCommand = ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    /// The canonical port, 24001.
    public static let defaultPort = 24001
    /// How long to wait for a launched backend to turn healthy, 180 s.
    public static let defaultStartTimeout: Duration = .seconds(180)
    /// The longest start timeout accepted, one day: a larger value is refused, never cut.
    public static let maximumStartTimeout: Duration = .seconds(86_400)
    /// How long to wait between SIGTERM and SIGKILL when stopping a backend, 10 s.
    public static let defaultStopGracePeriod: Duration = .seconds(10)

    /// Holds the state file, the lock file and the backend's log; created when missing.
    public var stateDirectory: String
    /// The program and its first arguments; `--model PATH --port PORT --served-model-name ID`
    /// and the entry's `extra_args` are appended.
    public var launchCommand: [String]
    /// The port every orchestrated backend listens on.
    public var port: Int
    /// How long to wait for a launched backend to turn healthy (above 0, at most
    /// ``maximumStartTimeout``; an activation refuses anything else before it launches).
    public var startTimeout: Duration
    /// How long to wait between SIGTERM and SIGKILL when stopping a backend.
    public var stopGracePeriod: Duration
    /// Whether activation is allowed (`MODELCTL_ORCHESTRATOR=1`).
    public var enabled: Bool

    /// A configuration from values.
    public init(
        stateDirectory: String,
        launchCommand: [String] = OrchestratorConfiguration.defaultLaunchCommand,
        port: Int = OrchestratorConfiguration.defaultPort,
        startTimeout: Duration = OrchestratorConfiguration.defaultStartTimeout,
        stopGracePeriod: Duration = OrchestratorConfiguration.defaultStopGracePeriod,
        enabled: Bool = true
    ) {
        self.stateDirectory = stateDirectory
        self.launchCommand = launchCommand
        self.port = port
        self.startTimeout = startTimeout
        self.stopGracePeriod = stopGracePeriod
        self.enabled = enabled
    }

    /// A configuration from environment variables (empty values count as unset):
    /// - `MODELCTL_STATE_DIR`, else `$XDG_STATE_HOME/modelctl`, else `$HOME/.local/state/modelctl`;
    /// - `MODELCTL_ORCHESTRATOR`: `1` (or `true`, `yes`, `on`) enables activation;
    /// - `MODELCTL_LAUNCH_COMMAND`: a JSON array of strings;
    /// - `MODELCTL_VLLM_PORT`: 1...65535;
    /// - `MODELCTL_START_TIMEOUT`: seconds, above 0 and at most 86400 (one day).
    ///
    /// - Throws: ``RuntimeError`` `invalidConfiguration`, naming the variable and its value.
    public init(environment: [String: String]) throws(RuntimeError) {
        func value(_ name: String) -> String? {
            guard let v = environment[name]?.trimmingWhitespace, !v.isEmpty else { return nil }
            return v
        }
        let stateDirectory: String
        if let dir = value("MODELCTL_STATE_DIR") {
            stateDirectory = dir
        } else if let xdg = value("XDG_STATE_HOME") {
            stateDirectory = xdg + "/modelctl"
        } else if let home = value("HOME") {
            stateDirectory = home + "/.local/state/modelctl"
        } else {
            throw RuntimeError(.invalidConfiguration, "cannot find a state directory: set MODELCTL_STATE_DIR (HOME is not set)")
        }
        self.init(stateDirectory: stateDirectory)
        enabled = ["1", "true", "yes", "on"].contains(value("MODELCTL_ORCHESTRATOR")?.lowercased() ?? "")
        if let text = value("MODELCTL_LAUNCH_COMMAND") {
            let parsed = try? JSON.parse(text, source: "MODELCTL_LAUNCH_COMMAND")
            guard let items = parsed?.arrayValue, !items.isEmpty, items.allSatisfy({ $0.stringValue?.isEmpty == false }) else {
                throw RuntimeError(.invalidConfiguration, "MODELCTL_LAUNCH_COMMAND must be a JSON array of non-empty strings, such as [\"python3\", \"-m\", \"vllm.entrypoints.openai.api_server\"]; found: \(text)")
            }
            launchCommand = items.compactMap(\.stringValue)
        }
        if let text = value("MODELCTL_VLLM_PORT") {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw RuntimeError(.invalidConfiguration, "MODELCTL_VLLM_PORT must be a port number from 1 to 65535; found: \(text)")
            }
            self.port = port
        }
        if let text = value("MODELCTL_START_TIMEOUT") {
            let limit = Self.maximumStartTimeout
            guard let seconds = Double(text), let timeout = Duration.validSeconds(seconds, maximum: limit) else {
                throw RuntimeError(.invalidConfiguration, "MODELCTL_START_TIMEOUT must be a number of seconds above 0 and at most \(Int(limit.inSeconds)); found: \(text)")
            }
            startTimeout = timeout
        }
    }

    /// `<state dir>/active_model.json`: the running backend, written atomically.
    public var stateFilePath: String { stateDirectory + "/active_model.json" }
    /// `<state dir>/orchestrator.lock`: held for a whole activation or stop.
    public var lockFilePath: String { stateDirectory + "/orchestrator.lock" }
    /// `<state dir>/backend.log`: the launched backend's stdout and stderr.
    public var logFilePath: String { stateDirectory + "/backend.log" }
}
