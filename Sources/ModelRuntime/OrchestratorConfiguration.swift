import SystemSupport

/// Settings of the single-port orchestrator, as values (the command line builds them from
/// its options and environment).
///
/// ```swift
/// let configuration = OrchestratorConfiguration(stateDirectory: "/var/lib/modelctl", port: 24001)
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
    /// Whether activation is allowed.
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

    /// `<state dir>/active_model.json`: the running backend, written atomically.
    public var stateFilePath: String { stateDirectory + "/active_model.json" }
    /// `<state dir>/orchestrator.lock`: held for a whole activation or stop.
    public var lockFilePath: String { stateDirectory + "/orchestrator.lock" }
    /// `<state dir>/backend.log`: the launched backend's stdout and stderr.
    public var logFilePath: String { stateDirectory + "/backend.log" }
}
