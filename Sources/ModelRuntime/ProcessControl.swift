#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Launching, watching and signalling a backend process group, with POSIX calls.
enum ProcessControl {
    /// Starts `arguments` (searched on `PATH`, never through a shell) in a process group of its
    /// own, stdin from `/dev/null`, stdout and stderr appended to `logPath`, with default
    /// signal handling and no inherited descriptors beyond 0, 1 and 2.
    ///
    /// - Returns: the pid, which is also the process group id.
    /// - Throws: ``RuntimeError`` `activationFailed` naming the program when it cannot be started.
    static func spawn(_ arguments: [String], logPath: String) throws(RuntimeError) -> pid_t {
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
        guard result == 0 else {
            throw RuntimeError(.activationFailed, "cannot start '\(arguments[0])': \(String(cString: strerror(result)))")
        }
        return pid
    }

    #if os(Linux)
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFromAction: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
    #endif

    /// How a recorded process compares with what is running now.
    enum Liveness: Equatable {
        /// The recorded program still runs under the pid.
        case running
        /// No process has the pid any more (or only a zombie); `status` when this process reaped it.
        case gone(status: Int32?)
        /// The pid now belongs to another program.
        case replaced
    }

    /// Whether `pid` still is the process that was recorded with `startTicks` (and `command`,
    /// where the start time is unknown). Reaps it when it is an exited child of this process.
    static func liveness(of pid: pid_t, startTicks: UInt64?, command: [String]) -> Liveness {
        var status: Int32 = 0
        let waited = waitpid(pid, &status, WNOHANG)
        if waited == pid { return .gone(status: status) }
        #if os(Linux)
        guard let stat = procStat(pid) else { return .gone(status: nil) }
        if stat.state == "Z" || stat.state == "X" { return .gone(status: nil) }
        if let startTicks { return stat.startTicks == startTicks ? .running : .replaced }
        if let current = commandLine(of: pid), !command.isEmpty { return current == command ? .running : .replaced }
        return .running
        #else
        if kill(pid, 0) == 0 { return .running }
        return errno == EPERM ? .replaced : .gone(status: nil)
        #endif
    }

    /// A wait status as text: `exited with status 3`, `was killed by signal 9`.
    static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "was killed by signal \(signal)"
    }

    /// Field 3 (state) and field 22 (start time in clock ticks) of `/proc/PID/stat`.
    static func procStat(_ pid: pid_t) -> (state: Character, startTicks: UInt64, group: pid_t)? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 is at index 0, so field N is at index N - 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let group = pid_t(fields[2]), let ticks = UInt64(fields[19]) else { return nil }
        return (state, ticks, group)
    }

    /// The process start time of `pid`, when the system tells it (Linux).
    static func startTicks(of pid: pid_t) -> UInt64? {
        #if os(Linux)
        return procStat(pid)?.startTicks
        #else
        return nil
        #endif
    }

    /// `/proc/PID/cmdline` split at NUL bytes.
    static func commandLine(of pid: pid_t) -> [String]? {
        guard let text = readSmallFile("/proc/\(pid)/cmdline") else { return nil }
        return text.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Whether any process of group `pgid` is still alive (zombies do not count). Reaps `leader`
    /// when it is an exited child of this process.
    static func groupIsAlive(_ pgid: pid_t, leader: pid_t) -> Bool {
        var status: Int32 = 0
        _ = waitpid(leader, &status, WNOHANG)
        if kill(-pgid, 0) != 0 { return errno == EPERM }
        #if os(Linux)
        // kill() also finds zombies, which only their parent (or init) can clear: look closer.
        guard let dir = opendir("/proc") else { return true }
        defer { closedir(dir) }
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), let stat = procStat(pid), stat.group == pgid else { continue }
            if stat.state != "Z" && stat.state != "X" { return true }
        }
        return false
        #else
        return true
        #endif
    }

    /// Sends `signal` to every process of group `pgid`.
    static func signalGroup(_ pgid: pid_t, _ signal: Int32) {
        _ = kill(-pgid, signal)
    }

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

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
