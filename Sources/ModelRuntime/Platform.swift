// Every platform call of ModelRuntime lives here, behind Swift-shaped functions, so a port
// touches one file: process spawning, signals, /proc (Linux) or sysctl (Darwin), sockets and
// file removal.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

enum Platform {
    typealias ProcessID = Int32

    /// Whether process identity (start time, state, group) can be read for any pid.
    #if os(Linux) || canImport(Darwin)
    static let canIdentifyProcesses = true
    #else
    static let canIdentifyProcesses = false
    #endif

    // MARK: - Spawning

    /// Starts `arguments` (searched on `PATH`, no shell) as the leader of a new process group,
    /// stdin from `/dev/null`, stdout and stderr appended to `logPath`, default signal
    /// handling, nothing inherited beyond descriptors 0, 1 and 2.
    ///
    /// - Returns: the pid, or the `strerror` text of why it could not be started.
    static func spawnGroupLeader(_ arguments: [String], logPath: String) -> Result<ProcessID, SpawnFailure> {
        precondition(!arguments.isEmpty)
        #if canImport(Darwin)
        var attributes: posix_spawnattr_t? = nil
        var actions: posix_spawn_file_actions_t? = nil
        #else
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawnattr_init(&attributes)
        posix_spawn_file_actions_init(&actions)
        defer {
            posix_spawnattr_destroy(&attributes)
            posix_spawn_file_actions_destroy(&actions)
        }
        // pgid 0: the child becomes the leader of a new group, so the whole backend (vLLM
        // spawns workers) can be signalled at once and a terminal's signals do not reach it.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        #if os(Linux)
        // glibc 2.34+ closes every other descriptor in the child; Swift's Glibc module does not
        // export the call, so look it up. Without it, descriptors opened with O_CLOEXEC (all
        // of modelctl's, including the orchestrator lock) are still not inherited.
        if let closeFrom = closeFromAction {
            _ = closeFrom(&actions, 3)
        }
        #endif

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, argv[0]!, &actions, &attributes, &argv, environ)
        guard result == 0 else { return .failure(SpawnFailure(reason: errorText(result))) }
        return .success(pid)
    }

    /// `errno` for a program that is not there.
    static let notFound = ENOENT

    struct SpawnFailure: Error {
        var reason: String
    }

    /// Replaces this process with `arguments` (searched on `PATH`, no shell), keeping the pid,
    /// environment and descriptors 0, 1 and 2 (modelctl opens everything else close-on-exec),
    /// with the signals a server relies on back at their defaults and none blocked: an ignored
    /// signal would otherwise stay ignored in the new program.
    ///
    /// - Returns: only on failure, with the `errno` of `execvp`.
    static func replaceProcess(with arguments: [String]) -> Int32 {
        precondition(!arguments.isEmpty)
        for number in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2] { _ = signal(number, SIG_DFL) }
        var mask = sigset_t()
        sigemptyset(&mask)
        _ = sigprocmask(SIG_SETMASK, &mask, nil)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        execvp(argv[0]!, &argv)
        return errno
    }

    #if os(Linux)
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFromAction: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
    #endif

    // MARK: - Processes

    /// Reaps `pid` when it is an exited child of this process: its wait status, else `nil`.
    static func reapIfExited(_ pid: ProcessID) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }

    /// What the system says about a process: state, start time, process group.
    struct ProcessInfo {
        /// Whether it is a zombie (or dead) waiting to be reaped.
        var isZombie: Bool
        /// Its start time, in a unit that is stable for the life of the process.
        var startTicks: UInt64
        /// Its process group.
        var group: ProcessID
    }

    /// The state, start time and group of `pid`, or `nil` when no such process exists.
    static func processInfo(_ pid: ProcessID) -> ProcessInfo? {
        #if os(Linux)
        // After "pid (comm)": field 3 (state) is at index 0, so field N is at index N - 3.
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let group = pid_t(fields[2]), let ticks = UInt64(fields[19]) else { return nil }
        return ProcessInfo(isZombie: state == "Z" || state == "X", startTicks: ticks, group: group)
        #elseif canImport(Darwin)
        var info = kinfo_proc()
        var size = MemoryLayout<kinfo_proc>.stride
        var name: [Int32] = [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
        guard sysctl(&name, 4, &info, &size, nil, 0) == 0, size > 0 else { return nil }
        let start = info.kp_proc.p_un.__p_starttime
        return ProcessInfo(
            isZombie: info.kp_proc.p_stat == SZOMB, startTicks: UInt64(start.tv_sec) * 1_000_000 + UInt64(start.tv_usec),
            group: info.kp_eproc.e_pgid)
        #else
        return nil
        #endif
    }

    /// The argument list of `pid`, where the system tells it (`/proc/PID/cmdline` on Linux).
    static func commandLine(_ pid: ProcessID) -> [String]? {
        #if os(Linux)
        guard let text = readSmallFile("/proc/\(pid)/cmdline") else { return nil }
        return text.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
        #else
        return nil
        #endif
    }

    /// Whether a process with `pid` exists (zombies included); `true` when it exists but
    /// belongs to another user.
    static func processExists(_ pid: ProcessID) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether some process of group `pgid` exists (zombies included).
    static func groupExists(_ pgid: ProcessID) -> Bool {
        kill(-pgid, 0) == 0 || errno == EPERM
    }

    /// Every pid on the system, where the system lists them (`/proc` on Linux); `nil` elsewhere.
    static func allProcessIDs() -> [ProcessID]? {
        #if os(Linux)
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        var out: [ProcessID] = []
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let pid = pid_t(name) { out.append(pid) }
        }
        return out
        #else
        return nil
        #endif
    }

    /// A termination signal.
    enum Signal {
        case terminate, kill

        var number: Int32 {
            switch self {
            case .terminate: SIGTERM
            case .kill: SIGKILL
            }
        }
    }

    /// Sends `signal` to every process of group `pgid` (never to a single pid, never to
    /// group 0 or 1).
    static func signalGroup(_ pgid: ProcessID, _ signal: Signal) {
        guard pgid > 1 else { return }
        _ = kill(-pgid, signal.number)
    }

    /// A wait status as text: `exited with status 3`, `was killed by signal 9`.
    static func describe(waitStatus status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "was killed by signal \(signal)"
    }

    // MARK: - Sockets and files

    /// Whether something accepts TCP connections on `127.0.0.1:port`.
    static func isListening(port: Int) -> Bool {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }

    /// Removes the file at `path`; a missing file is no error. Returns the error text otherwise.
    static func removeFile(_ path: String) -> String? {
        if unlink(path) == 0 || errno == ENOENT { return nil }
        return errorText(errno)
    }

    /// The size and type of the file at `path`, following links; `nil` and the reason when it
    /// cannot be examined.
    static func fileStatus(_ path: String) -> (isRegular: Bool, size: Int64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return ((info.st_mode & S_IFMT) == S_IFREG, Int64(info.st_size))
    }

    /// Whether the last error (`errno`) says that a path does not exist.
    static var lastErrorIsMissingFile: Bool { errno == ENOENT }

    /// The text of the last error (`errno`).
    static var lastErrorText: String { errorText(errno) }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - Termination signals

/// The termination signal (SIGINT, SIGTERM or SIGHUP) caught while a watch was in force, 0 for
/// none. Written by the signal handler: an atomic store is async-signal-safe.
private let caughtTerminationSignal = Atomic<Int32>(0)

extension Platform {
    #if canImport(Darwin)
    typealias SignalHandler = sig_t
    #else
    typealias SignalHandler = __sighandler_t
    #endif

    /// The dispositions a ``watchTerminationSignals()`` replaced, to put back.
    struct TerminationWatch: Sendable {
        fileprivate var replaced: [(signal: Int32, previous: Int)]
    }

    /// From now until ``endWatch(_:)``, SIGINT, SIGTERM and SIGHUP do not end the process but
    /// are recorded (``caughtSignal``), so a caller can clean up first. A signal the process
    /// ignores (`nohup` ignores SIGHUP) stays ignored.
    static func watchTerminationSignals() -> TerminationWatch {
        caughtTerminationSignal.store(0, ordering: .relaxed)
        let handler: SignalHandler = { number in caughtTerminationSignal.store(number, ordering: .relaxed) }
        var replaced: [(Int32, Int)] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            let previous: SignalHandler? = signal(number, handler)
            let bits = unsafeBitCast(previous, to: Int.self)
            if bits == unsafeBitCast(SIG_IGN, to: Int.self) {
                signal(number, SIG_IGN)
                continue
            }
            replaced.append((number, bits))
        }
        return TerminationWatch(replaced: replaced)
    }

    /// Puts back what ``watchTerminationSignals()`` replaced.
    static func endWatch(_ watch: TerminationWatch) {
        for (number, bits) in watch.replaced {
            signal(number, unsafeBitCast(bits, to: SignalHandler?.self))
        }
    }

    /// The termination signal caught during the current watch, if any.
    static var caughtSignal: Int32? {
        let number = caughtTerminationSignal.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// `SIGTERM`, `SIGINT`, `SIGHUP` or `signal N`.
    static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}
