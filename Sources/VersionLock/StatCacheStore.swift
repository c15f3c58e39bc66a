public import ArtifactHashing
import SystemSupport

/// Where quick verify keeps its stat caches: one file per artifact root under
/// `<state directory>/verify-cache/`, never in the registry (its files stay ImageWorks' shape).
///
/// A cache that is missing, unreadable, larger than ``readLimit`` or not in the expected
/// format is ignored (the root is then hashed in full), never trusted.
public struct StatCacheStore: Sendable {
    /// The state directory (decided by the caller).
    public var stateDirectory: String

    /// The largest cache file read (256 MiB: about two million files).
    public static let readLimit = 256 << 20

    public init(stateDirectory: String) {
        self.stateDirectory = stateDirectory
    }

    /// The directory holding the cache files.
    public var directory: String { stateDirectory + "/verify-cache" }

    /// The cache file for `root`: named by a digest of the root's path (the file also holds the
    /// root, checked when it is read).
    /// The root's links and `..` resolved, so one tree has one cache however its path is spelled.
    public func path(for root: String) -> String {
        path(forResolved: LockPlatform.realPath(root) ?? root)
    }

    private func path(forResolved real: String) -> String {
        directory + "/" + String(SHA256Digest.hex(of: real).prefix(32)) + ".stat"
    }

    /// The cache for `root` (resolved with `realpath`, as the caller already has it), or `nil`
    /// with the reason when there is none to use.
    public func load(resolvedRoot real: String) -> (cache: StatCache?, problem: String?) {
        let file = path(forResolved: real)
        let bytes: [UInt8]?
        do { bytes = try AtomicFile.read(file, limit: StatCacheStore.readLimit) } catch {
            return (nil, "stat cache \(file) is unusable (\(error.message)); hashed in full")
        }
        guard let bytes else { return (nil, nil) }
        guard let cache = StatCache(parsing: bytes, root: real) else {
            return (nil, "stat cache \(file) is corrupt; hashed in full (the next verify rewrites it)")
        }
        return (cache, nil)
    }

    /// Why no cache can be written here (the directory cannot be created, or is read-only),
    /// naming it; `nil` when caches can be written. Creates the
    /// directory, as a save would.
    public func writeProblem() -> String? {
        do throws(FileError) { try Directory.make(directory) } catch {
            return "cannot create the stat cache directory \(directory): \(error.reason)"
        }
        return LockPlatform.isWritableDirectory(directory) ? nil : "the stat cache directory \(directory) is not writable"
    }

    /// Replaces the cache for `root` (resolved with `realpath`), written to a temporary file and renamed.
    ///
    /// - Throws: ``VersionLockError`` `cache` naming the file.
    public func save(_ cache: StatCache, resolvedRoot real: String) throws(VersionLockError) {
        if let problem = writeProblem() { throw VersionLockError(.cache, problem) }
        let file = path(forResolved: real)
        do { try AtomicFile.write(cache.serialized(root: real), to: file) } catch {
            throw VersionLockError(.cache, "cannot write the stat cache in \(directory): \(error.message) ")
        }
    }
}
