// Every platform call VersionLock makes, behind Swift-shaped functions.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum LockPlatform {
    /// Whether something exists at `path` (following links: a dangling link does not).
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// `path` with links, `.` and `..` resolved, or `nil` when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    enum LinkStatus { case missing, link, other }

    /// What `lstat` finds at `path`: nothing, a symbolic link, or anything else.
    static func linkStatus(_ path: String) -> LinkStatus {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        return (st.st_mode & S_IFMT) == S_IFLNK ? .link : .other
    }

    /// Whether this process may create files in the directory `path` (`access(W_OK)`, which
    /// also sees a read-only mount).
    static func isWritableDirectory(_ path: String) -> Bool { access(path, W_OK) == 0 }

    /// Puts this process in the idle I/O scheduling class (`ioprio_set(IOPRIO_WHO_PROCESS, 0,
    /// IOPRIO_CLASS_IDLE)`): its reads are served only when no other process wants the disk.
    /// Linux only; returns `false` elsewhere or when the kernel refuses.
    static func setIdleIOPriority() -> Bool {
        #if os(Linux)
        // glibc has no ioprio_set wrapper and Swift cannot call the variadic syscall(2), so
        // it is called through a pointer with the fixed arguments this call needs (integers
        // in registers: the same on x86-64 and AArch64 for a variadic callee).
        #if arch(x86_64)
        let number = 251
        #elseif arch(arm64)
        let number = 30
        #else
        return false
        #endif
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "syscall") else { return false }
        typealias Syscall = @convention(c) (Int, Int, Int, Int) -> Int
        let call = unsafeBitCast(symbol, to: Syscall.self)
        let whoProcess = 1, idleClass = 3, classShift = 13
        return call(number, whoProcess, 0, idleClass << classShift) == 0
        #else
        return false
        #endif
    }
}
