import ArtifactHashing
import OrderedJSON
import VersionLock
import ArgumentParser
import Foundation
import HTTPSupport
import ModelRegistry
import ModelRuntime
import SystemSupport

/// The orchestrator's settings from the environment; a bad value exits 1 naming the variable.
private func orchestratorFromEnvironment() throws -> Orchestrator {
    Orchestrator(configuration: try Settings.current.orchestrator())
}

struct ActivateModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate-model",
        abstract: "Launch a vLLM entry on the canonical port, replacing the running one (or stop it).",
        discussion: """
            Needs MODELCTL_ORCHESTRATOR=1. Under an exclusive lock in the state directory \
            ($MODELCTL_STATE_DIR, default ~/.local/state/modelctl), stops the running backend, \
            launches $MODELCTL_LAUNCH_COMMAND (a JSON array; default python3 -m \
            vllm.entrypoints.openai.api_server) with --model PATH --port PORT \
            --served-model-name ID and the entry's extra_args on port $MODELCTL_VLLM_PORT \
            (default 24001), waits until GET /health (or /v1/health) answers healthy, up to \
            $MODELCTL_START_TIMEOUT seconds (default 180, at most 86400), and records it. The backend's output \
            goes to backend.log in the state directory. When the backend exits or never turns \
            healthy, it is killed, nothing is recorded, and the last lines of its log are shown.

            A locked entry is verified first (exit 2 on a violation). An unlocked entry is \
            launched with a warning and recorded with "verified": false; --require-locked (or \
            MODELCTL_REQUIRE_LOCKED=1) refuses it with exit 2.

            --stop (or the name `none`) sends SIGTERM to the backend's process group, SIGKILL \
            after a grace period, and clears the record. A recorded process that is gone, or \
            whose pid now belongs to another program, is reported and cleared, never signalled.
            """
    )

    @Argument(help: "The vLLM entry to activate, or `none` to stop.")
    var name: String?

    @Flag(name: .customLong("stop"), help: "Stop the running backend and clear the record.")
    var stop = false

    @Flag(name: .customLong("json"), help: "Print the recorded state as JSON (with --stop: what was stopped).")
    var json = false

    @Flag(name: .customLong("skip-verify"), help: "Launch a locked entry without verifying its artifacts first (prints a warning).")
    var skipVerify = false

    @Flag(name: .customLong("require-locked"), help: "Refuse an entry that is not locked (exit 2; default: $MODELCTL_REQUIRE_LOCKED=1).")
    var requireLocked = false

    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    @OptionGroup var catalog: CatalogCheckOptions

    func validate() throws {
        if stop, let name, name != "none" { throw ValidationError("give either a model NAME or --stop, not both") }
        if !stop && name == nil { throw ValidationError("give a model NAME to activate, or --stop") }
    }

    func run() async throws {
        let orchestrator = try orchestratorFromEnvironment()
        if stop || name == "none" {
            let outcome = try await orchestrator.stop()
            report(outcome)
            return
        }
        let snapshot = try registry.load()
        let entry = try snapshot.entry(named: name ?? "")
        try await catalog.check(entry)
        let settings = orchestrator.configuration
        try refuseOrWarnUnchecked(entry, requireLocked: requireLocked, starting: "launched unchecked and recorded as verified: false")
        // What is served must be what was locked and signed: checked before anything is stopped or launched.
        let gate = ActivationGate(locker: VersionLocker(store: try registry.store(), source: try registry.source(mapPaths: location.mapPaths)),
                                  trustedRoot: Settings.current.trustedRoot(option: nil))
        let check = try await gate.check(entry, skipVerify: skipVerify, progress: Format.progressHandler())
        Terminal.clearProgress()
        if check.verified == false && check.failure == nil { Terminal.warning("\(entry.name): --skip-verify: launching without checking the locked artifacts") }
        try reportGate(check)
        // Nothing to check against (an unlocked entry) is recorded as not verified.
        let activation = try await orchestrator.activate(entry, modelPath: check.root, verified: check.verified ?? false) { event in
            switch event {
            case .previousCleared(let outcome):
                guard let summary = outcome.summary else { return }
                if case .stopped = outcome { Terminal.note(summary) } else { Terminal.warning(summary) }
            case .launched(let state):
                Terminal.note("launched '\(state.logicalName)' (pid \(state.pid)) on port \(state.port); waiting up to \(settings.startTimeout.secondsText) for it to turn healthy (log: \(settings.logFilePath))")
            }
        }
        let state = activation.state
        if json {
            print(JSON.serialize(state.json))
        } else {
            let how = activation.alreadyActive ? "already active" : "active"
            print("\(how): '\(state.logicalName)' served as '\(state.servedModelID)' at http://localhost:\(state.port)/v1 (pid \(state.pid))")
        }
    }

    private func report(_ outcome: StopOutcome) {
        var stopped: OrchestratorState?
        var forced = false
        var stale = false
        switch outcome {
        case .nothingActive:
            break
        case .stopped(let state, let wasForced):
            stopped = state
            forced = wasForced
        case .stale, .discardedMalformedState:
            stale = true
        }
        if stale, let summary = outcome.summary { Terminal.warning(summary) }
        if json {
            print(JSON.serialize(.object(JSONObject([
                ("stopped", stopped.map { .string($0.logicalName) } ?? .null),
                ("pid", stopped.map { .number(JSONNumber(Int($0.pid))) } ?? .null),
                ("forced", .bool(forced)),
                ("stale_record_cleared", .bool(stale)),
            ]))))
        } else if let summary = outcome.summary, !stale {
            print(summary)
        } else if case .nothingActive = outcome {
            print("no model is active")
        }
    }
}

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Verify an entry, then replace modelctl with COMMAND (any backend: llama.cpp, Ollama, SGLang, TGI).",
        discussion: """
            The entry passes the gate activate-model uses: a locked entry is hashed and must \
            match its expected aggregate, and an entry with a pinned version_lock.public_key or signer must \
            have a recorded signature that verifies. Then modelctl execs COMMAND (searched on \
            PATH, no shell) with the same pid, environment and standard streams, so systemd or a \
            container runtime supervises the backend itself. Every {model_path} in ARGS becomes \
            the verified artifact root (for an ollama: entry, the Ollama store). An unlocked entry \
            is launched with a warning, or refused (exit 2) with --require-locked or \
            MODELCTL_REQUIRE_LOCKED=1.

            On a violation nothing is started and modelctl exits 2; on an error (unknown entry, \
            missing weights, COMMAND not found) it exits 1.

              modelctl exec llama-3-8b -- llama-server -m {model_path}/model.gguf --port 8080
            """
    )

    @Argument(help: "The entry to verify.")
    var name: String

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The program and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    @Flag(name: .customLong("require-locked"), help: "Refuse an unlocked entry (exit 2); also MODELCTL_REQUIRE_LOCKED=1.")
    var requireLocked = false

    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the program to run after --, as in: modelctl exec NAME -- llama-server -m {model_path}/model.gguf") }
    }

    func run() async throws {
        let entry = try registry.load().entry(named: name)
        let source = try registry.source(mapPaths: location.mapPaths)
        try refuseOrWarnUnchecked(entry, requireLocked: requireLocked, starting: "started unchecked by \(displayEscaped(command[0]))")
        // activate-model's gate: what is started is what was locked and signed.
        var gate = ActivationGate(locker: VersionLocker(store: try registry.store(), source: source), trustedRoot: Settings.current.trustedRoot(option: nil))
        gate.acceptsOllama = true
        let check = try await gate.check(entry, progress: Format.progressHandler())
        Terminal.clearProgress()
        try reportGate(check)
        // An entry without a model path has no root to check or to hand over.
        let root = check.root.isEmpty ? try source.root(of: entry) : check.root
        let arguments = [command[0]] + command.dropFirst().map { $0.replacingOccurrences(of: "{model_path}", with: root) }
        Output.flushOrExit()
        try ProcessReplacement.exec(arguments)
    }
}

struct CurrentModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "current-model",
        abstract: "Show the backend the orchestrator launched, or null.",
        discussion: """
            Prints the recorded state {logical_name, served_model_id, port, pid, started_at, \
            command, ...} with "running", or null when no model is active. Says so (on stderr) \
            when the recorded process no longer runs; `activate-model --stop` clears such a record.
            """
    )

    @Flag(name: .customLong("json"), help: "Print the state as JSON (null when none).")
    var json = false

    func run() throws {
        let orchestrator = try orchestratorFromEnvironment()
        let current = try orchestrator.current()
        if let current, let problem = current.problem {
            Terminal.warning("the recorded backend of '\(current.state.logicalName)' is not running: \(problem); `modelctl activate-model --stop` clears the record")
        }
        if json {
            print(JSON.serialize(current?.json ?? .null))
            return
        }
        guard let current else {
            print("null")
            return
        }
        let state = current.state
        let status = !current.isRunning ? "not running" : state.ready ? "running" : "starting"
        print("""
            logical_name:    \(displayEscaped(state.logicalName))
            served_model_id: \(displayEscaped(state.servedModelID))
            endpoint:        http://localhost:\(state.port)/v1
            pid:             \(state.pid) (\(status))
            started_at:      \(state.startedAt)
            command:         \(displayEscaped(state.command.joined(separator: " ")))
            """)
    }
}

/// activate-model's and exec's one rule for an entry with neither a lock nor a pinned signer
/// (public key or signer: nothing to check its weights against): refused (exit 2) when the host requires locks
/// (`--require-locked`, `MODELCTL_REQUIRE_LOCKED=1`), else a warning saying what happens.
func refuseOrWarnUnchecked(_ entry: RegistryEntry, requireLocked: Bool, starting what: String) throws {
    guard !entry.versionLock.locked, !entry.versionLock.pinsSigner else { return }
    let name = displayEscaped(entry.name)
    let lockIt = "modelctl lock \(entry.name.shellQuoted) --set-expected"
    if try Settings.current.requireLocked(option: requireLocked) {
        throw CommandFailure.violation("\(name): not locked, and unlocked entries are refused here (--require-locked or MODELCTL_REQUIRE_LOCKED=1); lock it first: \(lockIt)")
    }
    Terminal.warning("\(name): not locked: its weights are \(what); lock it with \(lockIt) (--require-locked refuses unlocked entries)")
}

/// activate-model's and exec's report of the gate's check: the verify's findings when it failed, the
/// signature's outcome when one was checked, then the gate's refusal thrown.
func reportGate(_ check: ActivationGate.Check) throws {
    if let batch = check.verification, batch.hasViolation || batch.hasError { try VerifyReport.print(batch, json: false, single: true) }
    if let outcome = check.signature { try SignatureVerifyReport.show(outcome, json: false) }
    if let failure = check.failure { throw failure }
}
