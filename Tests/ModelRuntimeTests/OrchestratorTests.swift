#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ModelRegistry
import Synchronization
import TestSupport
import Testing

@testable import ModelRuntime
import SystemSupport
import OrderedJSON

/// The orchestrator end to end, with `fixtures/standin/fake_vllm.py` as the backend, a temporary
/// state directory and a free port per test.
struct OrchestratorTests {
    let dir: TemporaryDirectory
    let port = freePort()

    init() throws {
        dir = TemporaryDirectory("modelctl-orchestrator")
    }

    func configuration(startTimeout: Double = 10, grace: Double = 3, enabled: Bool = true) -> OrchestratorConfiguration {
        OrchestratorConfiguration(
            stateDirectory: dir.path + "/state", launchCommand: [python3, fakeVLLMScript], port: port,
            startTimeout: .seconds(startTimeout), stopGracePeriod: .seconds(grace), enabled: enabled)
    }

    func vllm(_ name: String, served: String? = nil, extraArgs: [String] = []) throws -> RegistryEntry {
        var json = JSONObject([("name", .string(name)), ("backend", "vllm")])
        if let served { json["served_model_id"] = .string(served) }
        json["backend_config"] = .object(JSONObject([
            ("model_path", .string("/models/\(name)")),
            ("extra_args", .array(extraArgs.map(JSONValue.string))),
        ]))
        return try RegistryEntry(json, source: "test")
    }

    /// Runs `body`, then kills whatever the test launched, even when `body` failed.
    func withCleanup(_ orchestrator: Orchestrator, _ body: () async throws -> Void) async throws {
        defer { killLaunchedBackends() }
        try await body()
        _ = try await orchestrator.stop()
    }

    /// SIGKILLs every backend this test's log says was launched and that is still a child of ours.
    func killLaunchedBackends() {
        for pid in launchedPIDs() {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == 0 {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
        }
    }

    /// The pids fake_vllm printed to the backend logs of this test.
    func launchedPIDs() -> [Int32] {
        Self.pids(in: (try? String(contentsOfFile: configuration().logFilePath, encoding: .utf8)) ?? "") + seen.pids.withLock { $0 }
    }

    static func pids(in log: String) -> [Int32] {
        log.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("fake_vllm pid ") else { return nil }
            return Int32(line.dropFirst("fake_vllm pid ".count).prefix { $0.isNumber })
        }
    }

    private let seen = PIDList()

    func remember(_ pid: Int32) { seen.pids.withLock { $0.append(pid) } }

    func stateFileExists() -> Bool {
        FileManager.default.fileExists(atPath: configuration().stateFilePath)
    }

    // MARK: - The main path

    @Test func activateCurrentSwitchAndStop() async throws {
        let orchestrator = Orchestrator(configuration: configuration())
        let registryDir = TemporaryDirectory()
        let store = try registry(curated: """
            [{"name": "model-a_(FP8)", "backend": "vllm", "served_model_id": "served-a",
              "backend_config": {"model_path": "models/a", "port": 24999, "extra_args": ["--fake-delay", "0.6", "--enforce-eager"]}},
             {"name": "model-b", "backend": "vllm", "backend_config": {"model_path": "/abs/b", "extra_args": ["--fake-delay", "0.2"]}}]
            """, in: registryDir)
        let snapshot = try store.load()

        try await withCleanup(orchestrator) {
            // Activate A.
            let a = try await orchestrator.activate(try snapshot.entry(named: "model-a_(FP8)"), modelPath: try localPath(store, "model-a_(FP8)"), verified: false)
            remember(a.state.pid)
            #expect(a.previous == .nothingActive)
            #expect(!a.alreadyActive)
            #expect(a.state.logicalName == "model-a_(FP8)")
            #expect(a.state.servedModelID == "served-a")
            #expect(a.state.port == port)
            #expect(a.state.ready)
            #expect(processIsAlive(a.state.pid))
            let expectedArguments = [
                "--model", registryDir.path + "/models/a", "--port", String(port), "--served-model-name", "served-a",
                "--fake-delay", "0.6", "--enforce-eager",
            ]
            #expect(a.state.command == [python3, fakeVLLMScript] + expectedArguments)
            // The backend really got those arguments, as an argument list.
            let log = try String(contentsOfFile: configuration().logFilePath, encoding: .utf8)
            let argv = JSON.serializeCompact(.array(expectedArguments.map(JSONValue.string)))
            #expect(log.contains("fake_vllm pid \(a.state.pid) argv: \(argv)"))
            #expect(try await get(port: port, path: "/v1/models").body.contains("served-a"))

            // The state file.
            let stateJSON = try JSON.parse(try #require(try AtomicFile.read(configuration().stateFilePath)), source: "state")
            let keys = try #require(stateJSON.objectValue?.keys)
            for key in ["logical_name", "served_model_id", "port", "pid", "started_at", "command"] {
                #expect(keys.contains(key))
            }
            #expect(stateJSON["pid"]?.intValue == Int(a.state.pid))
            // A launch that bypassed the lock check says so in the record.
            #expect(stateJSON["verified"] == false)

            // current-model.
            let current = try #require(try orchestrator.current())
            #expect(current.isRunning)
            #expect(current.state == a.state)
            #expect(current.json["running"]?.boolValue == true)

            // Switch to B: A is stopped and gone.
            var events: [ActivationEvent] = []
            let b = try await orchestrator.activate(try snapshot.entry(named: "model-b"), modelPath: try localPath(store, "model-b")) { events.append($0) }
            remember(b.state.pid)
            #expect(b.previous == .stopped(a.state, forced: false))
            var launched = b.state
            launched.ready = false
            #expect(events == [.previousCleared(.stopped(a.state, forced: false)), .launched(launched)])
            #expect(!processIsAlive(a.state.pid))
            #expect(processIsAlive(b.state.pid))
            #expect(b.state.servedModelID == "model-b")
            #expect(try orchestrator.current()?.state.logicalName == "model-b")
            #expect(try await get(port: port, path: "/v1/models").body.contains("model-b"))

            // --stop.
            let stopped = try await orchestrator.stop()
            #expect(stopped == .stopped(b.state, forced: false))
            #expect(!processIsAlive(b.state.pid))
            #expect(try orchestrator.current() == nil)
            #expect(!stateFileExists())
            #expect(try await orchestrator.stop() == .nothingActive)
        }
    }

    @Test func activatingTheActiveModelAgainKeepsIt() async throws {
        let orchestrator = Orchestrator(configuration: configuration())
        let a = try vllm("model-a")
        try await withCleanup(orchestrator) {
            let first = try await orchestrator.activate(a, modelPath: "/models/a")
            let again = try await orchestrator.activate(a, modelPath: "/models/a")
            #expect(again.alreadyActive)
            #expect(again.state == first.state)
            #expect(processIsAlive(first.state.pid))
        }
    }

    // MARK: - Failures

    @Test func backendThatNeverTurnsHealthyIsKilled() async throws {
        let orchestrator = Orchestrator(configuration: configuration(startTimeout: 2))
        let entry = try vllm("never", extraArgs: ["--fake-never-healthy"])
        try await withCleanup(orchestrator) {
            let started = ContinuousClock.now
            let error = await #expect(throws: RuntimeError(.activationFailed)) {
                try await orchestrator.activate(entry, modelPath: "/models/never")
            }
            #expect(ContinuousClock.now - started < .seconds(8))
            let message = try #require(error?.message)
            #expect(message.contains("cannot activate 'never': the backend did not turn healthy within 2 s"))
            #expect(message.contains("last lines of \(configuration().logFilePath)"))
            #expect(message.contains("fake_vllm: serving never on 127.0.0.1:\(port)"))
            #expect(!stateFileExists())
            let pids = launchedPIDs()
            #expect(pids.count == 1)
            for pid in pids { #expect(!processIsAlive(pid)) }
            #expect(!ProcessControl.isListening(port: port))
        }
    }

    @Test func backendThatExitsEarly() async throws {
        let orchestrator = Orchestrator(configuration: configuration(startTimeout: 20))
        let entry = try vllm("crashy", extraArgs: ["--fake-exit-early"])
        try await withCleanup(orchestrator) {
            let started = ContinuousClock.now
            let error = await #expect(throws: RuntimeError(.activationFailed)) {
                try await orchestrator.activate(entry, modelPath: "/models/crashy")
            }
            #expect(ContinuousClock.now - started < .seconds(10))  // not the start timeout
            let message = try #require(error?.message)
            #expect(message.contains("exited with status 3 before it turned healthy"))
            #expect(message.contains("fake_vllm: exiting early as asked"))
            #expect(!stateFileExists())
        }
    }

    @Test func launchCommandThatCannotStart() async throws {
        var settings = configuration()
        settings.launchCommand = [dir.path + "/no-such-program"]
        let orchestrator = Orchestrator(configuration: settings)
        let error = await #expect(throws: RuntimeError(.activationFailed)) {
            try await orchestrator.activate(try vllm("x"), modelPath: "/m")
        }
        #expect(error?.message.contains("cannot start '\(dir.path)/no-such-program'") == true)
        #expect(!stateFileExists())
    }

    @Test func backendThatIgnoresSIGTERMIsKilled() async throws {
        let orchestrator = Orchestrator(configuration: configuration(grace: 0.5))
        let entry = try vllm("stubborn", extraArgs: ["--fake-ignore-sigterm"])
        try await withCleanup(orchestrator) {
            let report = try await orchestrator.activate(entry, modelPath: "/models/stubborn")
            let outcome = try await orchestrator.stop()
            #expect(outcome == .stopped(report.state, forced: true))
            #expect(!processIsAlive(report.state.pid))
        }
    }

    @Test func portTakenByAnotherProgram() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"status": "ok"}"#) }
        defer { server.stop() }
        var settings = configuration()
        settings.port = Int(server.port)
        let orchestrator = Orchestrator(configuration: settings)
        let error = await #expect(throws: RuntimeError(.portInUse)) {
            try await orchestrator.activate(try vllm("x"), modelPath: "/m")
        }
        #expect(error?.message.contains("port \(server.port) is in use by a program modelctl did not start") == true)
        #expect(!stateFileExists())
    }

    @Test func disabledOrchestratorSaysHowToEnableIt() async throws {
        let orchestrator = Orchestrator(configuration: configuration(enabled: false))
        let error = await #expect(throws: RuntimeError(.orchestratorDisabled)) {
            try await orchestrator.activate(try vllm("x"), modelPath: "/m")
        }
        #expect(error?.message.contains("the single-port orchestrator is disabled; enable it") == true)
        #expect(!FileManager.default.fileExists(atPath: configuration().stateDirectory))
    }

    @Test func onlyVLLMEntriesCanBeActivated() async throws {
        let orchestrator = Orchestrator(configuration: configuration())
        let ollama = try entry(#"{"name": "qwen3_8b_(Q4_K_M)", "backend": "ollama", "backend_config": {"model_path": "ollama:qwen3:8b"}}"#)
        let error = await #expect(throws: RuntimeError(.unsupportedBackend)) {
            try await orchestrator.activate(ollama, modelPath: "ollama:qwen3:8b")
        }
        #expect(error?.message == "cannot activate 'qwen3_8b_(Q4_K_M)': it has backend 'ollama'; the orchestrator only launches vLLM entries (\"backend\": \"vllm\")")
        let noPath = try entry(#"{"name": "no-path", "backend": "vllm"}"#)
        await #expect(throws: RuntimeError(.missingModelPath)) {
            try await orchestrator.activate(noPath, modelPath: "")
        }
    }

    // MARK: - Stale state

    func writeState(pid: Int32, startTicks: UInt64?, name: String = "ghost") throws {
        let state = OrchestratorState(
            logicalName: name, servedModelID: name, port: port, pid: pid, startedAt: "2025-01-01T00:00:00Z",
            command: ["python3", "-m", "vllm.entrypoints.openai.api_server"], processStartTicks: startTicks, logFile: nil, ready: true)
        try FileManager.default.createDirectory(atPath: configuration().stateDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(Array(JSON.serialize(state.json).utf8), to: configuration().stateFilePath)
    }

    @Test func stateOfAProcessThatIsGoneIsStale() async throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        try writeState(pid: finished.processIdentifier, startTicks: 12345)

        let orchestrator = Orchestrator(configuration: configuration())
        let current = try #require(try orchestrator.current())
        #expect(!current.isRunning)
        #expect(current.problem == "its process (pid \(finished.processIdentifier)) no longer runs")
        #expect(current.json["running"]?.boolValue == false)

        let outcome = try await orchestrator.stop()
        guard case .stale(let state, let reason) = outcome else {
            Issue.record("expected a stale outcome, got \(outcome)")
            return
        }
        #expect(state.logicalName == "ghost")
        #expect(reason.contains("no longer runs"))
        #expect(!stateFileExists())
    }

    @Test func pidThatNowBelongsToAnotherProgramIsNeverSignalled() async throws {
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["30"]
        try other.run()
        defer {
            kill(other.processIdentifier, SIGKILL)
            other.waitUntilExit()
        }
        let ticks = try #require(ProcessControl.startTicks(of: other.processIdentifier))
        try writeState(pid: other.processIdentifier, startTicks: ticks + 1)

        let orchestrator = Orchestrator(configuration: configuration())
        let current = try #require(try orchestrator.current())
        #expect(!current.isRunning)
        #expect(current.problem == "pid \(other.processIdentifier) now belongs to another program")

        // An activation clears the stale record and goes on, leaving the other program alone.
        try await withCleanup(orchestrator) {
            let report = try await orchestrator.activate(try vllm("fresh"), modelPath: "/models/fresh")
            guard case .stale(_, let reason) = report.previous else {
                Issue.record("expected a stale previous state, got \(report.previous)")
                return
            }
            #expect(reason.contains("now belongs to another program"))
            #expect(other.isRunning)
        }
        #expect(other.isRunning)
    }

    @Test func malformedStateFile() async throws {
        try FileManager.default.createDirectory(atPath: configuration().stateDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(Array("{not json".utf8), to: configuration().stateFilePath)
        let orchestrator = Orchestrator(configuration: configuration())
        let error = #expect(throws: RuntimeError(.stateIO)) { try orchestrator.current() }
        #expect(error?.message.contains(configuration().stateFilePath) == true)
        guard case .discardedMalformedState = try await orchestrator.stop() else {
            Issue.record("expected the malformed state to be discarded")
            return
        }
        #expect(!stateFileExists())
    }

    // MARK: - Racing activations

    @Test func secondActivationWaitsForTheFirstAndReplacesIt() async throws {
        let orchestrator = Orchestrator(configuration: configuration())
        let a = try vllm("racer-a", extraArgs: ["--fake-delay", "1.2"])
        let b = try vllm("racer-b", extraArgs: ["--fake-delay", "0.2"])
        try await withCleanup(orchestrator) {
            let clock = ContinuousClock()
            let first = Task { try await (orchestrator.activate(a, modelPath: "/models/a"), clock.now) }
            // Wait until A has launched (its provisional state is written under the lock).
            let deadline = clock.now + .seconds(10)
            while !stateFileExists(), clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(stateFileExists())
            let second = Task { try await (orchestrator.activate(b, modelPath: "/models/b"), clock.now) }

            let (reportA, doneA) = try await first.value
            let (reportB, doneB) = try await second.value
            remember(reportA.state.pid)
            remember(reportB.state.pid)
            // A finished first and was healthy; B then stopped it and launched its own.
            #expect(doneA < doneB)
            #expect(reportA.previous == .nothingActive)
            #expect(reportB.previous == .stopped(reportA.state, forced: false))
            #expect(!processIsAlive(reportA.state.pid))
            #expect(processIsAlive(reportB.state.pid))
            let current = try #require(try orchestrator.current())
            #expect(current.state == reportB.state)
            #expect(current.isRunning)
            #expect(try await get(port: port, path: "/v1/models").body.contains("racer-b"))
        }
    }
}

/// Pids a test saw, to kill on the way out.
final class PIDList: Sendable {
    let pids = Mutex<[Int32]>([])
}

struct OrchestratorConfigurationTests {
    @Test func launchArgumentsAreAppendedInOrder() throws {
        let orchestrator = Orchestrator(configuration: OrchestratorConfiguration(stateDirectory: "/s", port: 24001))
        let e = try entry(#"{"name": "florence-2-large_(FP16)", "backend": "vllm", "backend_config": {"extra_args": ["--trust-remote-code", "--max-model-len", "4096"]}}"#)
        #expect(orchestrator.launchArguments(for: e, modelPath: "/models/florence") == [
            "python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "/models/florence", "--port", "24001",
            "--served-model-name", "florence-2-large_(FP16)", "--trust-remote-code", "--max-model-len", "4096",
        ])
    }
}

struct HealthCheckTests {
    @Test(arguments: [
        (200, "", true), (200, "ok", true), (200, "OK\n", true), (200, #""ok""#, true), (200, #"{"status":"ok"}"#, true),
        (404, #"{"status": "ok"}"#, true), (503, #"{"status":"ok"}"#, false), (503, "", false), (404, "", false),
        (404, "ok", false), (200, #"{"status":"starting"}"#, false), (200, "not yet", false), (0, "", false),
    ] as [(Int, String, Bool)])
    func rule(_ status: Int, _ body: String, _ healthy: Bool) {
        #expect(HealthCheck.isHealthy(status: status, body: Array(body.utf8)) == healthy)
    }
}
