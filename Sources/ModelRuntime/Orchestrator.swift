import Foundation
import HTTPSupport
public import ModelRegistry
import SystemSupport
public import OrderedJSON
import ErrorSupport

/// The single-port orchestrator: at most one vLLM backend at a time, on one canonical port.
///
/// ``activate(_:modelPath:progress:)`` holds an exclusive lock (`<state dir>/orchestrator.lock`) for the
/// whole switch: it stops the recorded backend, launches the entry's backend on the canonical
/// port in a process group of its own (output to `<state dir>/backend.log`), waits until it
/// is healthy (``HealthCheck``), and records it in `<state dir>/active_model.json`. A second
/// activation waits for the first and then replaces it. The backend outlives the calling
/// process; later processes find it through the state file.
///
/// The state file is written (with `ready: false`) as soon as the backend is launched, so
/// that an activation that is itself killed while waiting leaves a record the next activation
/// or `--stop` can clean up; it is marked ready once the backend is healthy, and removed when
/// the activation fails.
///
/// A recorded pid that no longer runs, that now belongs to another program (its start time
/// differs from the recorded one), or that the record cannot prove to be the launched program
/// (no usable start time and no command line to compare) is stale: it is reported and
/// cleared, never signalled.
///
/// ```swift
/// let orchestrator = Orchestrator(configuration: OrchestratorConfiguration(stateDirectory: "/var/lib/modelctl"))
/// let report = try await orchestrator.activate(entry, modelPath: "/models/qwen3-8b")
/// print(report.state.pid)
/// ```
public struct Orchestrator: Sendable {
    /// The settings.
    public let configuration: OrchestratorConfiguration

    /// An orchestrator with `configuration`.
    public init(configuration: OrchestratorConfiguration) {
        self.configuration = configuration
    }

    // MARK: - Activate

    /// Makes `entry` the backend on the canonical port, launched with `--model modelPath`.
    ///
    /// `modelPath` must be the entry's weights as a resolved local path: absolute, on this
    /// machine. Anything else (a relative path, `ollama:...`, `hf:...`) is refused before any
    /// process is touched; the caller resolves `backend_config.model_path` first.
    ///
    /// The activation runs in four steps under the orchestrator lock: check the preconditions,
    /// deal with the recorded backend (keep it when it already is this entry, launched with the
    /// same arguments and healthy: ``ActivationReport/alreadyActive``; otherwise stop it),
    /// launch, and wait until healthy. A launched backend is never left running unsupervised:
    /// any failure after the launch stops its process group and removes the record.
    ///
    /// - Throws: ``RuntimeError``: `orchestratorDisabled`, `unsupportedBackend` (not vLLM),
    ///   `missingModelPath`, `modelPathNotLocal`, `invalidConfiguration` (a start timeout out
    ///   of range), `portInUse` (a program modelctl did not start holds the port),
    ///   `activationFailed` (cannot start, exits early, never healthy; the message ends with
    ///   the last lines of the backend's log), `stateIO`.
    /// - Parameter progress: told when the previous backend has been dealt with and when the new
    ///   one is launched (before the wait for health), for a command line to report.
    /// - Parameter verified: recorded in the state: whether the caller verified the artifacts
    ///   against their lock (`false` when the check was bypassed or there is no lock, `nil` for no word).
    public func activate(_ entry: RegistryEntry, modelPath: String, verified: Bool? = nil,
                         progress: (ActivationEvent) -> Void = { _ in }) async throws(RuntimeError) -> ActivationReport {
        let arguments = try checkPreconditions(entry, modelPath: modelPath)
        try createStateDirectory()
        let lock = try await acquireLock()
        defer { lock.unlock() }

        let previous: StopOutcome
        switch try await clearPrevious(for: entry, arguments: arguments) {
        case .kept(let report): return report
        case .cleared(let outcome): previous = outcome
        }
        if previous != .nothingActive { progress(.previousCleared(previous)) }

        // From the launch until the backend is healthy and recorded as ready, Ctrl-C, SIGTERM
        // (a CI job's timeout, systemd) or a hang-up stop the launched backend and remove its
        // record before modelctl ends, instead of leaving it running unsupervised as "starting".
        let watch = Platform.watchTerminationSignals()
        defer { Platform.endWatch(watch) }
        var state = try launch(entry, arguments: arguments)
        state.verified = verified
        do throws(RuntimeError) {
            try writeState(state)
            progress(.launched(state))
            if let problem = await waitUntilHealthy(state) {
                throw RuntimeError(.activationFailed, "cannot activate '\(entry.name)': \(problem); last lines of \(configuration.logFilePath):\n\(logTail())")
            }
            if let signal = Platform.caughtSignal { throw interrupted(entry, by: signal) }
            state.ready = true
            try writeState(state)
        } catch {
            _ = await terminate(group: state.pid)
            try? removeState()
            throw error
        }
        return ActivationReport(state: state, previous: previous, alreadyActive: false)
    }

    /// Step 1: everything that can be checked without touching a process. Returns the launch arguments.
    private func checkPreconditions(_ entry: RegistryEntry, modelPath: String) throws(RuntimeError) -> [String] {
        guard configuration.enabled else {
            throw RuntimeError(.orchestratorDisabled, "cannot activate '\(entry.name)': the single-port orchestrator is disabled; enable it to let modelctl launch and stop backends on port \(configuration.port)")
        }
        guard entry.backend?.lowercased() == "vllm" else {
            let backend = entry.backend.map { "backend '\($0)'" } ?? "no backend"
            throw RuntimeError(.unsupportedBackend, "cannot activate '\(entry.name)': it has \(backend); the orchestrator only launches vLLM entries (\"backend\": \"vllm\")")
        }
        if let problem = entry.backendConfig.weightOverrideProblem {
            throw RuntimeError(.invalidConfiguration, "cannot activate '\(entry.name)': \(problem)")
        }
        guard !modelPath.isEmpty else {
            throw RuntimeError(.missingModelPath, "cannot activate '\(entry.name)': it has no backend_config.model_path")
        }
        guard modelPath.hasPrefix("/"), !modelPath.contains("\0") else {
            throw RuntimeError(.modelPathNotLocal, "cannot activate '\(entry.name)': its model path '\(modelPath)' is not a resolved local path; vLLM is launched on local weights only (an absolute path on this machine)")
        }
        let limit = OrchestratorConfiguration.maximumStartTimeout
        guard configuration.startTimeout > .zero, configuration.startTimeout <= limit else {
            throw RuntimeError(.invalidConfiguration, "cannot activate '\(entry.name)': the start timeout \(configuration.startTimeout.secondsText) is not above 0 and at most \(limit.secondsText)")
        }
        return launchArguments(for: entry, modelPath: modelPath)
    }

    private enum PreviousBackend {
        /// The recorded backend already is the requested one, healthy: nothing to do.
        case kept(ActivationReport)
        /// The record is gone; what happened to it.
        case cleared(StopOutcome)
    }

    /// Step 2: keeps the recorded backend when it already serves `entry` with `arguments`,
    /// otherwise stops it (or clears its stale record) and checks that the port is free.
    private func clearPrevious(for entry: RegistryEntry, arguments: [String]) async throws(RuntimeError) -> PreviousBackend {
        var previous = StopOutcome.nothingActive
        switch try readState() {
        case .none:
            break
        case .malformed(let reason):
            previous = .discardedMalformedState(reason: reason)
        case .state(let recorded):
            if recorded.logicalName == entry.name, recorded.command == arguments, recorded.ready, recorded.port == configuration.port,
               ProcessControl.liveness(of: recorded.pid, startTicks: recorded.processStartTicks, command: recorded.command) == .running,
               await HealthCheck.check(port: recorded.port, timeout: .seconds(5))
            {
                return .kept(ActivationReport(state: recorded, previous: .nothingActive, alreadyActive: true))
            }
            previous = await stop(recorded)
        }
        try removeState()
        guard !ProcessControl.isListening(port: configuration.port) else {
            throw RuntimeError(.portInUse, "cannot activate '\(entry.name)': port \(configuration.port) is in use by a program modelctl did not start; stop it or choose another port")
        }
        return .cleared(previous)
    }

    /// Step 3: starts the backend with its log, and returns its (not yet ready) state.
    private func launch(_ entry: RegistryEntry, arguments: [String]) throws(RuntimeError) -> OrchestratorState {
        let log = configuration.logFilePath
        let header = "# modelctl: \(utcTimestamp()): activating '\(entry.name)': \(arguments.joined(separator: " "))\n"
        do {
            try AtomicFile.write(Array(header.utf8), to: log)
        } catch {
            throw RuntimeError(.stateIO, "cannot activate '\(entry.name)': \(error.message)")
        }
        let pid: Int32
        do {
            pid = try ProcessControl.spawn(arguments, logPath: log)
        } catch {
            throw RuntimeError(.activationFailed, "cannot activate '\(entry.name)': \(error.message)")
        }
        return OrchestratorState(
            logicalName: entry.name, servedModelID: ModelSelection.internalModelID(of: entry), port: configuration.port,
            pid: pid, startedAt: utcTimestamp(), command: arguments, processStartTicks: ProcessControl.startTicks(of: pid),
            logFile: log, ready: false)
    }

    /// The launch command: ``OrchestratorConfiguration/launchCommand``, then
    /// `--model PATH --port PORT --served-model-name ID`, then the entry's `extra_args`.
    public func launchArguments(for entry: RegistryEntry, modelPath: String) -> [String] {
        configuration.launchCommand
            + ["--model", modelPath, "--port", String(configuration.port), "--served-model-name", ModelSelection.internalModelID(of: entry)]
            + entry.backendConfig.extraArgs
    }

    /// The error of an activation ended by `signal` (the backend is stopped and its record removed).
    private func interrupted(_ entry: RegistryEntry, by signal: Int32) -> RuntimeError {
        RuntimeError(.activationFailed, "activation of '\(entry.name)' interrupted by \(Platform.signalName(signal)); the launched backend was stopped and its record removed")
    }

    /// Step 4: waits, with back-off (0.5 s, x1.5, at most 5 s between tries), until the
    /// launched backend answers healthy; returns why not when it exits or the start timeout passes.
    private func waitUntilHealthy(_ state: OrchestratorState) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.startTimeout
        var delay = Duration.milliseconds(500)
        while true {
            if let signal = Platform.caughtSignal { return "interrupted by \(Platform.signalName(signal))" }
            let liveness = ProcessControl.liveness(of: state.pid, startTicks: state.processStartTicks, command: state.command)
            guard liveness == .running else {
                var how = "exited"
                if case .gone(let status?) = liveness { how = ProcessControl.describe(status: status) }
                return "the backend (pid \(state.pid)) \(how) before it turned healthy"
            }
            var remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            if await HealthCheck.check(port: state.port, timeout: min(max(remaining, .milliseconds(250)), .seconds(5))) {
                // Healthy only counts while our process still runs (not some other listener).
                if ProcessControl.liveness(of: state.pid, startTicks: state.processStartTicks, command: state.command) == .running {
                    return nil
                }
                continue
            }
            remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            // Sleep in short slices, so a termination signal is acted on within 0.1 s.
            let wake = clock.now + min(delay, remaining)
            while clock.now < wake, Platform.caughtSignal == nil {
                try? await Task.sleep(for: min(.milliseconds(100), clock.now.duration(to: wake)))
            }
            delay = min(delay * 1.5, .seconds(5))
        }
        return "the backend did not turn healthy within \(configuration.startTimeout.secondsText)"
    }

    // MARK: - Stop

    /// Stops the recorded backend: SIGTERM to its process group, SIGKILL after the grace
    /// period, and clears the state. A stale record is cleared without signalling anything.
    ///
    /// Works whether or not orchestration is enabled, so a backend can always be stopped.
    ///
    /// - Throws: ``RuntimeError`` `stateIO` when the state cannot be read or cleared.
    public func stop() async throws(RuntimeError) -> StopOutcome {
        guard directoryExists(configuration.stateDirectory) else { return .nothingActive }
        let lock = try await acquireLock()
        defer { lock.unlock() }
        let outcome: StopOutcome
        switch try readState() {
        case .none: return .nothingActive
        case .malformed(let reason): outcome = .discardedMalformedState(reason: reason)
        case .state(let recorded): outcome = await stop(recorded)
        }
        try removeState()
        return outcome
    }

    /// Stops `recorded` when it still runs; reports it stale otherwise.
    private func stop(_ recorded: OrchestratorState) async -> StopOutcome {
        switch ProcessControl.liveness(of: recorded.pid, startTicks: recorded.processStartTicks, command: recorded.command) {
        case .gone:
            return .stale(recorded, reason: "its process (pid \(recorded.pid)) no longer runs")
        case .replaced:
            return .stale(recorded, reason: "pid \(recorded.pid) now belongs to another program, which was left alone")
        case .unverifiable:
            return .stale(recorded, reason: "the record cannot prove that pid \(recorded.pid) is the backend modelctl started (no usable process_start_ticks or command); nothing was signalled")
        case .running:
            let forced = await terminate(group: recorded.pid)
            return .stopped(recorded, forced: forced)
        }
    }

    /// SIGTERM to the group, SIGKILL after the grace period; returns whether SIGKILL was needed.
    private func terminate(group pgid: Int32) async -> Bool {
        ProcessControl.signalGroup(pgid, .terminate)
        if await waitUntilGone(pgid, within: configuration.stopGracePeriod) { return false }
        ProcessControl.signalGroup(pgid, .kill)
        _ = await waitUntilGone(pgid, within: .seconds(5))
        return true
    }

    private func waitUntilGone(_ pgid: Int32, within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + min(max(limit, .zero), OrchestratorConfiguration.maximumStartTimeout)
        while ProcessControl.groupIsAlive(pgid, leader: pgid) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    // MARK: - Current

    /// The recorded backend and whether it still runs, or `nil` when none is recorded.
    ///
    /// - Throws: ``RuntimeError`` `stateIO` when the state file cannot be read or is malformed.
    public func current() throws(RuntimeError) -> CurrentModel? {
        switch try readState() {
        case .none:
            return nil
        case .malformed(let reason):
            throw RuntimeError(.stateIO, reason)
        case .state(let recorded):
            switch ProcessControl.liveness(of: recorded.pid, startTicks: recorded.processStartTicks, command: recorded.command) {
            case .running:
                return CurrentModel(state: recorded, isRunning: true, problem: nil)
            case .gone:
                return CurrentModel(state: recorded, isRunning: false, problem: "its process (pid \(recorded.pid)) no longer runs")
            case .replaced:
                return CurrentModel(state: recorded, isRunning: false, problem: "pid \(recorded.pid) now belongs to another program")
            case .unverifiable:
                return CurrentModel(state: recorded, isRunning: false, problem: "the record cannot prove that pid \(recorded.pid) is the backend modelctl started")
            }
        }
    }

    // MARK: - State directory, lock, state file, log

    private enum StoredState {
        case none
        case state(OrchestratorState)
        case malformed(String)
    }

    /// The largest state file read (1 MiB; modelctl writes a few hundred bytes): a huge file
    /// put there is refused at once instead of parsed for many seconds.
    static let maximumStateFileBytes = 1 << 20

    private func readState() throws(RuntimeError) -> StoredState {
        let path = configuration.stateFilePath
        let bytes: [UInt8]?
        do {
            bytes = try AtomicFile.read(path, limit: Self.maximumStateFileBytes)
        } catch {
            // Too large to be a record modelctl wrote: malformed, so `--stop` clears it.
            if error.code == .tooLarge { return .malformed("\(error.message) (the orchestrator's state file)") }
            throw RuntimeError(.stateIO, error.message)
        }
        guard let bytes else { return .none }
        let value: JSONValue
        do {
            value = try JSON.parse(bytes, source: path)
        } catch {
            return .malformed("\(error.description) (the orchestrator's state file)")
        }
        if value.isNull { return .none }
        guard let state = OrchestratorState(json: value) else {
            return .malformed("\(path): not an orchestrator state (needs logical_name, port, pid and command)")
        }
        return .state(state)
    }

    private func writeState(_ state: OrchestratorState) throws(RuntimeError) {
        do {
            try AtomicFile.write(Array((JSON.serialize(state.json) + "\n").utf8), to: configuration.stateFilePath)
        } catch {
            throw RuntimeError(.stateIO, error.message)
        }
    }

    private func removeState() throws(RuntimeError) {
        let path = configuration.stateFilePath
        if let problem = Platform.removeFile(path) {
            throw RuntimeError(.stateIO, "\(path): cannot remove: \(problem)")
        }
    }

    private func createStateDirectory() throws(RuntimeError) {
        let path = configuration.stateDirectory
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError(.stateIO, "\(path): cannot create the orchestrator's state directory: \(error.localizedDescription)")
        }
    }

    private func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Takes the orchestrator lock as a blocking call of the executor: waiting for another
    /// activation may take minutes, which must not block a thread of the concurrency pool.
    private func acquireLock() async throws(RuntimeError) -> FileLock {
        let path = configuration.lockFilePath
        do {
            return try await BlockingExecutor.shared.run { () throws(FileError) in HeldLock(try FileLock(path: path)) }.lock
        } catch {
            throw RuntimeError(.stateIO, error.message)
        }
    }

    /// The last lines of the backend's log, indented.
    private func logTail(lines count: Int = 20) -> String {
        guard let bytes = try? AtomicFile.read(configuration.logFilePath) else { return "  (the log is empty)" }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        guard !lines.isEmpty else { return "  (the log is empty)" }
        return lines.suffix(count).map { "  " + $0 }.joined(separator: "\n")
    }
}

/// A lock handed from the thread that waited for it.
private final class HeldLock: @unchecked Sendable {
    let lock: FileLock
    init(_ lock: FileLock) { self.lock = lock }
}

/// What happened to the previously recorded backend.
public enum StopOutcome: Sendable, Hashable {
    /// No backend was recorded.
    case nothingActive
    /// The recorded backend was stopped; `forced` when it needed SIGKILL.
    case stopped(OrchestratorState, forced: Bool)
    /// The record was stale (the process is gone or the pid belongs to another program); it
    /// was cleared and nothing was signalled.
    case stale(OrchestratorState, reason: String)
    /// The state file could not be understood; it was removed.
    case discardedMalformedState(reason: String)

    /// A sentence for the user, or `nil` for ``nothingActive``.
    public var summary: String? {
        switch self {
        case .nothingActive:
            return nil
        case .stopped(let state, let forced):
            return "stopped '\(state.logicalName)' (pid \(state.pid))\(forced ? " with SIGKILL after it ignored SIGTERM" : "")"
        case .stale(let state, let reason):
            return "cleared a stale record of '\(state.logicalName)': \(reason)"
        case .discardedMalformedState(let reason):
            return "removed an unreadable state file: \(reason)"
        }
    }
}

/// What an activation has done so far, for progress reports.
public enum ActivationEvent: Sendable, Hashable {
    /// The previously recorded backend was stopped, or its stale record cleared.
    case previousCleared(StopOutcome)
    /// The new backend was launched; the activation now waits for it to turn healthy.
    case launched(OrchestratorState)
}

/// The result of an activation.
public struct ActivationReport: Sendable, Hashable {
    /// The recorded state of the now active backend.
    public var state: OrchestratorState
    /// What happened to the backend that was recorded before.
    public var previous: StopOutcome
    /// `true` when the entry was already active and healthy, and was kept.
    public var alreadyActive: Bool
}

/// The recorded backend, as `current-model` shows it.
public struct CurrentModel: Sendable, Hashable {
    /// The record.
    public var state: OrchestratorState
    /// Whether the recorded process still runs.
    public var isRunning: Bool
    /// Why it does not, when it does not.
    public var problem: String?

    /// The state object with `"running"` added.
    public var json: JSONValue {
        guard case .object(var object) = state.json else { return state.json }
        object["running"] = .bool(isRunning)
        return .object(object)
    }
}
