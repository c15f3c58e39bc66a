/// Replacing modelctl with a verified backend (`modelctl exec`).
public enum ProcessReplacement {
    /// Runs `arguments` in place of this process (searched on `PATH`, never through a shell):
    /// same pid, so systemd, a container runtime or a supervisor sees the backend itself.
    ///
    /// - Throws: ``RuntimeError`` `activationFailed` naming the program and the reason, when it
    ///   cannot be started (not found, not executable); on success it does not return.
    public static func exec(_ arguments: [String]) throws(RuntimeError) -> Never {
        let code = Platform.replaceProcess(with: arguments)
        throw RuntimeError(.activationFailed, "cannot run '\(arguments[0])': \(Platform.errorText(code))\(code == Platform.notFound ? " (not found on PATH)" : "")")
    }
}

/// Launching, watching and signalling a backend process group. The system calls are in
/// ``Platform``; this type holds the rules.
enum ProcessControl {
    /// Starts `arguments` (searched on `PATH`, never through a shell) in a process group of its
    /// own, stdin from `/dev/null`, stdout and stderr appended to `logPath`, with default
    /// signal handling and no inherited descriptors beyond 0, 1 and 2.
    ///
    /// - Returns: the pid, which is also the process group id.
    /// - Throws: ``RuntimeError`` `activationFailed` naming the program when it cannot be started.
    static func spawn(_ arguments: [String], logPath: String) throws(RuntimeError) -> Int32 {
        switch Platform.spawnGroupLeader(arguments, logPath: logPath) {
        case .success(let pid): return pid
        case .failure(let failure): throw RuntimeError(.activationFailed, "cannot start '\(arguments[0])': \(failure.reason)")
        }
    }

    /// How a recorded process compares with what is running now.
    enum Liveness: Equatable {
        /// The recorded program still runs under the pid, as the leader of its own group.
        case running
        /// No process has the pid any more (or only a zombie); `status` when this process reaped it.
        case gone(status: Int32?)
        /// The pid now belongs to another program.
        case replaced
        /// A process has the pid, but the record cannot prove it is the recorded one (no usable
        /// start time and no command to compare, or the pid no longer leads its group). It is
        /// never signalled.
        case unverifiable
    }

    /// Whether `pid` still is the process that was recorded with `startTicks` (and `command`,
    /// where the start time is unknown). Reaps it when it is an exited child of this process.
    ///
    /// Only ``Liveness/running`` permits a signal: a record proves its process by its start
    /// time, else by its full command line; anything less is ``Liveness/unverifiable``.
    static func liveness(of pid: Int32, startTicks: UInt64?, command: [String]) -> Liveness {
        guard pid > 1 else { return .unverifiable }
        if let status = Platform.reapIfExited(pid) { return .gone(status: status) }
        guard let info = Platform.processInfo(pid) else {
            return Platform.processExists(pid) ? .unverifiable : .gone(status: nil)
        }
        if info.isZombie { return .gone(status: nil) }
        let sameProgram: Bool
        if let startTicks {
            sameProgram = info.startTicks == startTicks
        } else if !command.isEmpty, let current = Platform.commandLine(pid) {
            sameProgram = current == command
        } else {
            return .unverifiable
        }
        guard sameProgram else { return .replaced }
        // modelctl launched it as the leader of its own group; a leader that left its group
        // would make a group signal hit other processes.
        return info.group == pid ? .running : .unverifiable
    }

    /// The process start time of `pid`, when the system tells it.
    static func startTicks(of pid: Int32) -> UInt64? {
        Platform.processInfo(pid)?.startTicks
    }

    /// A wait status as text: `exited with status 3`, `was killed by signal 9`.
    static func describe(status: Int32) -> String {
        Platform.describe(waitStatus: status)
    }

    /// Whether any process of group `pgid` is still alive (zombies do not count). Reaps `leader`
    /// when it is an exited child of this process.
    static func groupIsAlive(_ pgid: Int32, leader: Int32) -> Bool {
        _ = Platform.reapIfExited(leader)
        guard Platform.groupExists(pgid) else { return false }
        // The group test also finds zombies, which only their parent (or init) can clear: look closer.
        guard let pids = Platform.allProcessIDs() else { return true }
        return pids.contains { pid in
            guard let info = Platform.processInfo(pid) else { return false }
            return info.group == pgid && !info.isZombie
        }
    }

    /// Sends `signal` to every process of group `pgid`.
    static func signalGroup(_ pgid: Int32, _ signal: Platform.Signal) {
        Platform.signalGroup(pgid, signal)
    }

    /// Whether something accepts TCP connections on `127.0.0.1:port`.
    static func isListening(port: Int) -> Bool {
        Platform.isListening(port: port)
    }
}
