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
}
