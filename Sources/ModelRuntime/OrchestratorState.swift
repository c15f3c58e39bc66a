import ModelRegistry
public import OrderedJSON

/// What the orchestrator records about the backend it launched (`active_model.json`).
///
/// `pid` is also the process group id (the backend runs in its own group).
/// `process_start_ticks` (field 22 of `/proc/PID/stat`) tells a later process whether `pid`
/// still names the launched program or has been reused by another one.
public struct OrchestratorState: Sendable, Hashable {
    /// The registry name.
    public var logicalName: String
    /// The name the backend serves the model under (`--served-model-name`).
    public var servedModelID: String
    /// The port it listens on.
    public var port: Int
    /// The backend's pid, which is also its process group id.
    public var pid: Int32
    /// When it was launched, UTC ISO 8601.
    public var startedAt: String
    /// The full argument list it was launched with.
    public var command: [String]
    /// The process start time in clock ticks since boot, when the system tells it.
    public var processStartTicks: UInt64?
    /// The log file of its output.
    public var logFile: String?
    /// `false` while the activation waits for health, `true` once it is healthy.
    public var ready: Bool
    /// Whether the artifacts were verified against their lock (or signature) before the
    /// launch: `false` when `--skip-verify` bypassed the check or the entry is not locked;
    /// `nil` in a record that says nothing.
    public var verified: Bool?

    /// A state from values.
    public init(logicalName: String, servedModelID: String, port: Int, pid: Int32, startedAt: String, command: [String],
                processStartTicks: UInt64?, logFile: String?, ready: Bool) {
        self.logicalName = logicalName
        self.servedModelID = servedModelID
        self.port = port
        self.pid = pid
        self.startedAt = startedAt
        self.command = command
        self.processStartTicks = processStartTicks
        self.logFile = logFile
        self.ready = ready
    }

    /// Reads a state object.
    ///
    /// - Returns: `nil` when a required field (`logical_name`, `port`, `pid`, `command` as an
    ///   array of strings) is missing or mistyped. A record that is read but cannot prove its
    ///   process (an empty `command` and no `process_start_ticks`) never leads to a signal; see
    ///   ``Orchestrator``.
    public init?(json: JSONValue) {
        guard let name = json["logical_name"]?.stringValue,
              let port = json["port"]?.intValue,
              let pid = json["pid"]?.intValue, pid > 1, pid <= Int(Int32.max),
              let items = json["command"]?.arrayValue, items.allSatisfy({ $0.stringValue != nil })
        else { return nil }
        let command = items.compactMap(\.stringValue)
        logicalName = name
        servedModelID = json["served_model_id"]?.stringValue ?? name
        self.port = port
        self.pid = Int32(pid)
        startedAt = json["started_at"]?.stringValue ?? ""
        self.command = command
        processStartTicks = json["process_start_ticks"]?.number.flatMap { UInt64($0.literal) }.flatMap { $0 > 0 ? $0 : nil }
        logFile = json["log_file"]?.stringValue
        ready = json["ready"]?.boolValue ?? true
        verified = json["verified"]?.boolValue
    }

    /// `{logical_name, served_model_id, port, pid, started_at, command, process_start_ticks, log_file, ready}`.
    public var json: JSONValue {
        var object = JSONObject([
            ("logical_name", .string(logicalName)),
            ("served_model_id", .string(servedModelID)),
            ("port", .number(JSONNumber(port))),
            ("pid", .number(JSONNumber(Int(pid)))),
            ("started_at", .string(startedAt)),
            ("command", .array(command.map(JSONValue.string))),
            ("process_start_ticks", processStartTicks.map { .number(JSONNumber(Int(clamping: $0))) } ?? .null),
            ("log_file", logFile.map(JSONValue.string) ?? .null),
            ("ready", .bool(ready)),
        ])
        if let verified { object["verified"] = .bool(verified) }
        return .object(object)
    }
}

extension JSONValue {
    fileprivate var number: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }
}
