public import ArtifactHashing
public import ModelRegistry
public import Foundation

/// What a verify found and did.
public struct VerifyOutcome: Sendable {
    /// How the entry stood against its lock.
    public enum Status: Sendable, Hashable {
        /// Unlocked: the artifacts were hashed and recorded.
        case recorded
        /// Locked, and the aggregate matches the expected one.
        case matched
        /// Locked without an expected aggregate: this verify set it.
        case expectationSet
        /// Locked, and the aggregate differs: nothing was recorded.
        case violation
    }

    /// The entry's name.
    public var name: String
    /// The outcome.
    public var status: Status
    /// The aggregate computed now.
    public var aggregate: String
    /// The expected aggregate, when the entry is locked.
    public var expectedAggregate: String?
    /// Whether the entry is locked.
    public var locked: Bool
    /// `last_verified` after this verify (unchanged on a violation).
    public var lastVerified: String?
    /// The artifact root that was hashed.
    public var root: String
    /// Files and bytes hashed.
    public var manifest: Manifest
    /// On a violation: the differences against the recorded `artifacts.files`.
    public var diff: ManifestDiff?
    /// On a violation: whether `artifacts.files` was recorded (without it no file list can be compared).
    public var hadRecordedFiles: Bool
}

/// Why verify, lock or unlock could not run. The message names the model and the path.
public struct VersionLockError: Error, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Verify, lock and unlock over a registry (DESIGN.md, "Version lock").
///
/// Hashing runs without holding the registry lock (it can take minutes); the result is applied
/// under the lock against the entry as it stands then, so a lock or unlock made meanwhile by
/// another process is respected and never lost.
public struct VersionLocker: Sendable {
    /// The registry.
    public var store: RegistryStore
    /// The hasher used for artifact roots.
    public var hasher: ArtifactHasher
    /// The clock for `last_verified`, replaceable in tests.
    public var now: @Sendable () -> Date

    public init(store: RegistryStore, hasher: ArtifactHasher = ArtifactHasher(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.hasher = hasher
        self.now = now
    }

    /// The UTC ISO 8601 text of `date`, seconds precision (`2026-11-21T20:15:03Z`).
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The local artifact root of an entry.
    ///
    /// - Throws: ``VersionLockError`` when the entry has no model path, a non-local one
    ///   (`ollama:`), or the path does not exist.
    public func artifactRoot(of entry: RegistryEntry) throws -> String {
        switch store.location(of: entry) {
        case .none:
            throw VersionLockError("\(entry.name): no backend_config.model_path to hash")
        case .remote(let path):
            throw VersionLockError("\(entry.name): model_path '\(path)' is not a local path; it cannot be hashed here")
        case .local(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw VersionLockError("\(entry.name): artifact root \(path) does not exist")
            }
            return path
        }
    }

    /// Hashes an entry and checks it against its lock (DESIGN.md semantics).
    ///
    /// - Returns: the outcome; a violation is an outcome, not an error, so callers can report it.
    /// - Throws: ``RegistryError`` (unknown model, bad registry), ``VersionLockError`` (no
    ///   local artifact root), ``HashingError``.
    public func verify(_ name: String, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> VerifyOutcome {
        let entry = try store.load().entry(named: name)
        let root = try artifactRoot(of: entry)
        let manifest = try await hasher.hash(root, progress: progress)
        let aggregate = manifest.aggregate
        let stamp = Self.timestamp(now())
        let record = ArtifactRecord(aggregateSHA256: aggregate, files: manifest.files.map { ($0.path, $0.sha256) })

        return try store.update { discovered, snapshot in
            let current = try snapshot.entry(named: name)
            var lock = current.versionLock
            var outcome = VerifyOutcome(name: name, status: .recorded, aggregate: aggregate, expectedAggregate: lock.expectedAggregateSHA256,
                                        locked: lock.locked, lastVerified: lock.lastVerified, root: root, manifest: manifest,
                                        diff: nil, hadRecordedFiles: false)
            if lock.locked, let expected = lock.expectedAggregateSHA256, expected != aggregate {
                let recorded = current.artifacts?.files.map { ArtifactFile(path: $0.path, sha256: $0.sha256) } ?? []
                outcome.status = .violation
                outcome.hadRecordedFiles = !recorded.isEmpty
                outcome.diff = ManifestDiff(expected: recorded, actual: manifest.files)
                return outcome
            }
            if lock.locked {
                outcome.status = lock.expectedAggregateSHA256 == nil ? .expectationSet : .matched
                lock.expectedAggregateSHA256 = aggregate
            }
            lock.lastVerified = stamp
            discovered.modify(name) { entry in
                entry.artifacts = record
                entry.versionLock = lock
            }
            outcome.expectedAggregate = lock.expectedAggregateSHA256
            outcome.lastVerified = stamp
            return outcome
        }
    }

    /// Locks an entry. With `setExpected`, and no expected aggregate stored, hashes the
    /// artifacts now and stores their aggregate (and files) as expected.
    ///
    /// - Returns: the entry's lock state after the change.
    public func lock(_ name: String, setExpected: Bool, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> VersionLockState {
        let entry = try store.load().entry(named: name)
        var record: ArtifactRecord?
        if setExpected, entry.versionLock.expectedAggregateSHA256 == nil {
            let manifest = try await hasher.hash(try artifactRoot(of: entry), progress: progress)
            record = ArtifactRecord(aggregateSHA256: manifest.aggregate, files: manifest.files.map { ($0.path, $0.sha256) })
        }
        let stamp = Self.timestamp(now())
        return try store.update { discovered, snapshot in
            var lock = try snapshot.entry(named: name).versionLock
            lock.locked = true
            if let record, lock.expectedAggregateSHA256 == nil {
                lock.expectedAggregateSHA256 = record.aggregateSHA256
                lock.lastVerified = stamp
            }
            let final = lock
            discovered.modify(name) { entry in
                if let record, final.expectedAggregateSHA256 == record.aggregateSHA256 { entry.artifacts = record }
                entry.versionLock = final
            }
            return final
        }
    }

    /// Unlocks an entry, keeping its expected aggregate.
    public func unlock(_ name: String) throws -> VersionLockState {
        try store.update { discovered, snapshot in
            var lock = try snapshot.entry(named: name).versionLock
            lock.locked = false
            let final = lock
            discovered.modify(name) { $0.versionLock = final }
            return final
        }
    }
}
