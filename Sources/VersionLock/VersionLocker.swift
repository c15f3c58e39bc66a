public import ArtifactHashing
public import Foundation
public import ModelRegistry
public import OrderedJSON
import ModelStores
import SystemSupport
import Synchronization

/// Verify, lock and unlock over a registry.
///
/// Hashing runs without holding the registry lock (it can take minutes); the results are
/// applied under the lock in one save, against each entry as it stands then: a lock or unlock
/// made meanwhile by another process is respected, and an entry whose model path changed
/// meanwhile is reported, never stamped.
///
/// ```swift
/// let locker = VersionLocker(store: RegistryStore(directory: "configs"),
///                            source: ArtifactSource(registryDirectory: "configs", context: context))
/// let batch = try await locker.verifyAll()
/// ```
public struct VersionLocker: Sendable {
    /// The registry.
    public var store: RegistryStore
    /// Where entries' artifacts are, and the hashing of them.
    public var source: ArtifactSource
    /// The hasher; its `jobs` is the total number of files hashed at once.
    public var hasher: ArtifactHasher
    /// `user@host`, recorded with a re-baseline.
    public var actor: String
    /// The clock, replaceable in tests.
    public var now: @Sendable () -> Date

    public init(store: RegistryStore, source: ArtifactSource, hasher: ArtifactHasher = ArtifactHasher(),
                actor: String = "unknown", now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.source = source
        self.hasher = hasher
        self.actor = actor
        self.now = now
    }

    // MARK: Verify

    /// Verifies the named entries (each once, in the order given).
    ///
    /// - Returns: per-entry results; an unknown name or an unreadable tree is an `error`
    ///   result, not a thrown error, so one bad entry never hides the others.
    /// - Throws: ``VersionLockError`` `registry` when the registry cannot be read at all.
    public func verify(names: [String], options: VerifyOptions = VerifyOptions(),
                       progress: (@Sendable (String, HashProgress) -> Void)? = nil) async throws -> BatchVerification {
        let snapshot = try loadSnapshot()
        var seen = Set<String>()
        let targets = names.filter { seen.insert($0).inserted }.map { name in
            (name, Result { () throws(RegistryError) in try snapshot.entry(named: name) })
        }
        return try await run(targets, snapshot: snapshot, options: options, skipUnhashable: false, progress: progress)
    }

    /// Verifies one entry.
    ///
    /// - Returns: its result (a violation is a result, not an error).
    /// - Throws: the entry's ``VersionLockError`` when it could not be checked.
    public func verify(_ name: String, options: VerifyOptions = VerifyOptions(),
                       progress: (@Sendable (String, HashProgress) -> Void)? = nil) async throws -> EntryVerification {
        let result = try await verify(names: [name], options: options, progress: progress).results[0]
        if result.status == .error, let error = result.error { throw error }
        return result
    }

    /// Verifies every entry of the registry.
    ///
    /// Unlocked entries whose artifacts are not on this host are skipped with a warning; a
    /// locked entry that cannot be checked is an error, always. With `options.strict`, no
    /// entries, an unlocked entry and an empty artifact root are errors too.
    public func verifyAll(options: VerifyOptions = VerifyOptions(),
                          progress: (@Sendable (String, HashProgress) -> Void)? = nil) async throws -> BatchVerification {
        let snapshot = try loadSnapshot()
        var batch = try await run(snapshot.entries.map { ($0.name, .success($0)) }, snapshot: snapshot, options: options,
                                  skipUnhashable: true, progress: progress)
        if options.strict && snapshot.entries.isEmpty {
            batch.errors.append(VersionLockError(.strict, "\(store.directory): the registry has no entries (--strict)"))
        }
        return batch
    }

    private func loadSnapshot() throws(VersionLockError) -> RegistrySnapshot {
        do { return try store.load() } catch { throw VersionLockError(registry: error) }
    }

    /// One hashed (or failed) entry, before it is judged against the registry.
    private struct Hashed: Sendable {
        var name: String
        var entry: RegistryEntry?
        var location: ArtifactLocation
        var manifest: Manifest?
        var problems: [String] = []
        var blobs: [String: String] = [:]
        var error: VersionLockError?
        var skipped = false
        var duration: Duration = .zero
        /// The local root (resolved with `realpath`) and the stat cache to keep for it.
        var root: String?
        var statCache: StatCache?
        var reusedFiles = 0
        var warnings: [String] = []
        /// Whether the curated layer pins the entry's lock (then only that file can lock it).
        var pinned = false
    }

    /// The entries a rolling scrub reads in full: the longest waiting first (never fully
    /// verified first of all), until their recorded sizes reach `budget` (always at least one).
    ///
    /// An entry waits since its last full verify, or since its last failed verify when that is
    /// later: a failure records no full verify, and an entry that keeps failing (reported by
    /// each night's check all the same) would otherwise come first and take the budget every
    /// night. Recorded sizes are registry text: their sums saturate instead of overflowing.
    static func scrubPlan(_ entries: [RegistryEntry], budget: Int64) -> Set<String> {
        func date(_ text: String?) -> Date {
            guard let text else { return .distantPast }
            return VersionLocker.parseTimestamp(text) ?? .distantPast
        }
        func waitingSince(_ lock: VersionLockState) -> Date {
            let full = date(lock.lastFullVerify)
            guard let last = lock.lastResult, last.status == "violation" || last.status == "error" else { return full }
            return max(full, date(last.at))
        }
        func sum(_ a: Int64, _ b: Int64) -> Int64 {
            let (total, overflow) = a.addingReportingOverflow(b)
            return overflow ? .max : total
        }
        let order = entries.enumerated().sorted { a, b in
            let (x, y) = (waitingSince(a.element.versionLock), waitingSince(b.element.versionLock))
            return x != y ? x < y : a.offset < b.offset
        }
        var chosen = Set<String>()
        var used: Int64 = 0
        for (_, entry) in order {
            let size = (entry.artifacts?.files ?? []).reduce(Int64(0)) { sum($0, max(0, $1.size ?? 0)) }
            if !chosen.isEmpty && sum(used, size) > budget { break }
            chosen.insert(entry.name)
            used = sum(used, size)
        }
        return chosen
    }

    /// Verifies `targets`. With `skipUnhashable` (`--all`), an unlocked entry whose artifacts
    /// are not on this host is skipped; a named entry never is.
    private func run(_ targets: [(String, Result<RegistryEntry, RegistryError>)], snapshot: RegistrySnapshot, options: VerifyOptions,
                     skipUnhashable: Bool, progress: (@Sendable (String, HashProgress) -> Void)?) async throws -> BatchVerification {
        let clock = ContinuousClock()
        let started = clock.now
        var full: Set<String>? = options.quick ? [] : nil
        if let budget = options.fullBytesBudget {
            full = Self.scrubPlan(targets.compactMap { try? $0.1.get() }, budget: budget)
        }
        // Each entry is judged as soon as it is hashed, against the registry read at the start,
        // while the others still hash. The save uses these verdicts when no registry file changed
        // meanwhile (the usual case); otherwise it judges again against the registry as it is then.
        let early = Verdicts(locker: self, snapshot: snapshot, strict: options.strict)
        let now = self.now
        let done = try await hashAll(targets, snapshot: snapshot, options: options, full: full, skipUnhashable: skipUnhashable,
                                     progress: progress) { early.judge($0, stamp: now()) }
        let (hashed, judged) = (done.map(\.0), done.map(\.1))
        var batch: BatchVerification
        if options.record {
            do {
                batch = BatchVerification(results: try store.update(basedOn: snapshot) { discovered, current in
                    let verdicts = current.isUnchanged(since: snapshot) ? judged
                        : judgeAll(hashed, against: current, stamp: now(), strict: options.strict)
                    for verdict in verdicts {
                        if let record = verdict.record { discovered.modify(verdict.result.name) { $0 = record } }
                    }
                    return verdicts.map(\.result)
                })
            } catch let error as RegistryError {
                // A registry this user cannot write still gets its verdicts.
                batch = BatchVerification(results: judgeAll(hashed, against: try loadSnapshot(), stamp: now(), strict: options.strict).map(\.result))
                batch.notRecorded = "nothing was recorded: \(error.message)"
                batch.recorded = false
            }
        } else {
            // Nothing is written and no lock taken: the registry as read at the start is the one to judge against.
            batch = BatchVerification(results: judged.map(\.result))
            batch.recorded = false
        }
        if options.record, let store = options.statCache {
            // After the registry save: a crash in between costs a full hash next time, no more.
            // A run that relies on the caches says at once when they cannot be written, even
            // with none to write (files changed in the last seconds are not cached); the first
            // cache that cannot be written ends the saving. Either way, one warning for the run.
            let relies = options.quick || options.fullBytesBudget != nil
            var problem = relies ? store.writeProblem() : nil
            for item in hashed where item.error == nil && problem == nil {
                guard let cache = item.statCache, let root = item.root else { continue }
                do { try store.save(cache, resolvedRoot: root) } catch { problem = error.message }
            }
            batch.statCacheProblem = problem.map { $0 + "; until caches can be written there, every --quick verify reads every file in full" }
        }
        batch.duration = clock.now - started
        return batch
    }

    /// Hashes every target, several entries at once when they are small: `hasher.jobs` files are
    /// hashed at any moment, shared out across the entries in flight. Each lane takes the next
    /// entry when it is done with one and judges what it hashed (`judge`) before going on.
    /// `full`: the entries to read in full (`nil`: every entry); the others reuse their stat caches.
    private func hashAll(_ targets: [(String, Result<RegistryEntry, RegistryError>)], snapshot: RegistrySnapshot, options: VerifyOptions,
                         full: Set<String>?, skipUnhashable: Bool, progress: (@Sendable (String, HashProgress) -> Void)?,
                         judge: @escaping @Sendable (Hashed) -> Verdict) async throws -> [(Hashed, Verdict)] {
        let lanes = max(1, min(hasher.jobs, targets.count))
        var perEntry = hasher
        perEntry.jobs = max(1, hasher.jobs / lanes)
        let (source, entryHasher, curated) = (self.source, perEntry, snapshot.curated)
        let queue = TakeNext()
        let roots = RootResolver()
        var out = [(Hashed, Verdict)?](repeating: nil, count: targets.count)
        // A lane's own work blocks too (resolving links, reading stat caches and stores). Lanes
        // run on the executor from start to end: an entry costs no task and no thread hand-off.
        let executor = BlockingExecutor.shared
        executor.reserve(lanes)
        try await withThrowingTaskGroup(of: [(Int, Hashed, Verdict)].self) { group in
            for _ in 0..<lanes {
                group.addTask(executorPreference: executor) {
                    var done: [(Int, Hashed, Verdict)] = []
                    while case let index = queue.take(), index < targets.count {
                        try Task.checkCancellation()
                        let (name, lookup) = targets[index]
                        let item = await VersionLocker.hashOne(name: name, lookup: lookup, curated: curated[name], source: source, roots: roots,
                                                               hasher: entryHasher, options: options, quick: full.map { !$0.contains(name) } ?? false,
                                                               skipUnhashable: skipUnhashable, progress: VersionLocker.labelled(progress, name))
                        done.append((index, item, judge(item)))
                    }
                    return done
                }
            }
            for try await done in group {
                for (index, item, verdict) in done { out[index] = (item, verdict) }
            }
        }
        return out.map { $0! }
    }

    /// Resolves local artifact roots as `realpath` does, each parent directory once per batch:
    /// a registry's roots mostly sit side by side in one models directory, and `realpath` reads
    /// every link on the path again for each root (1,000 roots were ~6,000 `readlink` calls).
    final class RootResolver: Sendable {
        private let parents = Mutex<[String: String]>([:])

        func realPath(_ path: String) -> String? {
            let (parent, base) = (PathText.parent(path), PathText.base(path))
            // A root that is a link itself, or whose last component realpath must interpret, is resolved whole.
            guard path.hasPrefix("/"), !path.hasSuffix("/"), base != ".", base != "..", LockPlatform.linkStatus(path) == .other,
                  let real = parents.withLock({ $0[parent] }) ?? LockPlatform.realPath(parent) else { return LockPlatform.realPath(path) }
            parents.withLock { $0[parent] = real }
            return PathText.join(real, base)
        }
    }

    /// Hands out 0, 1, 2, ... to the lanes that share it.
    private final class TakeNext: Sendable {
        private let next = Atomic<Int>(0)
        func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
    }

    private static func hashOne(name: String, lookup: Result<RegistryEntry, RegistryError>, curated: RegistryEntry?, source: ArtifactSource, roots: RootResolver,
                                hasher: ArtifactHasher, options: VerifyOptions, quick: Bool, skipUnhashable: Bool,
                                progress: (@Sendable (HashProgress) -> Void)?) async -> Hashed {
        let entry: RegistryEntry
        switch lookup {
        case .failure(let error):
            return Hashed(name: name, entry: nil, location: .none,
                          error: VersionLockError(.unknownModel, error.message + " (registry: \(source.registryDirectory); see modelctl list)"))
        case .success(let found): entry = found
        }
        // A pin that is no digest can never match: a configuration error, not a violation.
        if let problem = entry.malformedPin(registryDirectory: source.registryDirectory, curated: curated,
                                            root: source.location(of: entry).localPath) {
            return Hashed(name: name, entry: entry, location: .none, error: VersionLockError(.invalidField, problem))
        }
        if skipUnhashable, let backend = entry.backend, options.skippedBackends.contains(backend) {
            return Hashed(name: name, entry: entry, location: .none,
                          error: VersionLockError(.excluded, "\(name): skipped (backend '\(backend)' is skipped: --skip-backend)"), skipped: true)
        }
        let location = source.location(of: entry)
        switch location {
        case .none, .remote, .ollama:
            if skipUnhashable && !entry.versionLock.locked && (try? source.root(for: location, name: name)) == nil {
                // Not here and not locked: nothing to check, and nothing that must hold.
                let why = location == .none ? "\(name): skipped (no model_path)"
                    : "\(name): skipped (model_path '\(entry.backendConfig.modelPath ?? "")' is not on this host)"
                return Hashed(name: name, entry: entry, location: location, error: VersionLockError(.notHashableHere, why), skipped: true)
            }
        default: break
        }
        let clock = ContinuousClock()
        let start = clock.now
        var hasher = hasher
        hasher.expectedShards = ShardRecords.expectations(entry.artifacts, pinned: RegistryMerge.isPinned(curated))
        // The verify that sets a lock's expectation records shards, as `lock --set-expected` does.
        if entry.versionLock.locked && entry.versionLock.expectedAggregateSHA256 == nil {
            hasher.shardSize = hasher.shardSize ?? FileShards.defaultSize
        }
        do {
            // A local root keeps a stat cache; a quick verify reuses it.
            var stamps: StampUse?
            var root: String?
            var warnings = EntryExclusions.ignoredUnderPin(entry, curated: curated).map { [$0] } ?? []
            var previous: StatCache?
            if let statCache = options.statCache, case .local(let path) = location, let real = roots.realPath(path) {
                // Resolved once: the cache's key, and where the Hugging Face cache check starts.
                root = real
                let loaded = statCache.load(resolvedRoot: real)
                previous = loaded.cache
                if quick, let problem = loaded.problem { warnings.append("\(name): \(problem)") }
                stamps = StampUse(reusing: quick ? loaded.cache : nil)
            }
            let hashed = try await source.hash(entry, location: location, hasher: hasher, curated: curated, stamps: stamps,
                                               resolvedRoot: root, progress: progress)
            // A cache that would not change is not rewritten (a steady nightly run writes none).
            let keep = hashed.statCache.flatMap { $0 == (previous ?? StatCache()) ? nil : $0 }
            return Hashed(name: name, entry: entry, location: location, manifest: hashed.manifest, problems: hashed.problems,
                          blobs: hashed.blobs, duration: clock.now - start, root: root, statCache: keep,
                          reusedFiles: hashed.reusedFiles, warnings: warnings, pinned: RegistryMerge.isPinned(curated))
        } catch let error as VersionLockError {
            return Hashed(name: name, entry: entry, location: location, error: error, duration: clock.now - start)
        } catch {
            return Hashed(name: name, entry: entry, location: location,
                          error: VersionLockError(.hashing, "\(name): \(error)"), duration: clock.now - start)
        }
    }

    private func judgeAll(_ hashed: [Hashed], against snapshot: RegistrySnapshot, stamp: Date, strict: Bool) -> [Verdict] {
        let verdicts = Verdicts(locker: self, snapshot: snapshot, strict: strict)
        return hashed.map { verdicts.judge($0, stamp: stamp) }
    }

    /// One entry's result, and its discovered record with the outcome written in (`nil`: nothing
    /// to record), which the caller saves or, with `--no-record`, throws away.
    private struct Verdict: Sendable {
        var result: EntryVerification
        var record: RegistryEntry?
    }

    /// Judges hashed entries against one read of the registry.
    private struct Verdicts: Sendable {
        let locker: VersionLocker
        let snapshot: RegistrySnapshot
        let strict: Bool

        func judge(_ item: Hashed, stamp: Date) -> Verdict {
            let current = snapshot[item.name]
            // The record starts from the entry's discovered record, or the merged entry when it has none.
            var record: RegistryEntry?
            let result = locker.judge(item, current: current, stamp: stamp, strict: strict) { change in
                guard var entry = current.map({ snapshot.discovered[item.name] ?? $0 }) else { return }
                change(&entry)
                record = entry
            }
            return Verdict(result: result, record: record)
        }
    }

    /// Judges one hashed entry against the registry as it stands now (`current`); `write`
    /// applies the outcome to the entry's record.
    private func judge(_ hashed: Hashed, current: RegistryEntry?, stamp date: Date, strict: Bool,
                       record write: ((inout RegistryEntry) -> Void) -> Void) -> EntryVerification {
        var result = EntryVerification(name: hashed.name, status: .error, locked: false, location: hashed.location)
        result.duration = hashed.duration
        result.reusedFiles = hashed.reusedFiles
        result.warnings = hashed.warnings
        guard let current else {
            result.error = hashed.error ?? VersionLockError(.unknownModel, "\(hashed.name): removed from the registry while it was verified")
            return result
        }
        var lock = current.versionLock
        result.locked = lock.locked
        // A malformed pin is reported as an error; it is no digest to print as the expected one.
        result.expectedAggregate = lock.expectedAggregateSHA256.flatMap { RegistryEntry.isDigest($0) ? $0 : nil }
        result.lastVerified = lock.lastVerified
        result.lastFullVerify = lock.lastFullVerify
        let stamp = Timestamp.utc(date, spelledLike: lock.lastVerified ?? lock.lastResult?.at)

        func recordResult(_ status: String, _ aggregate: String?) {
            var updated = current.versionLock
            updated.lastResult = .init(status: status, at: stamp, aggregateSHA256: aggregate)
            let final = updated
            write { $0.versionLock.lastResult = final.lastResult }
        }

        if hashed.skipped {
            // Skipped on purpose (--skip-backend): said in a note, never turned into a pass or an error.
            let excluded = hashed.error?.code == .excluded
            if lock.locked && !excluded {
                result.error = VersionLockError(.notHashableHere, hashed.error?.message ?? "")
                recordResult("error", nil)
                return result
            }
            if strict && !excluded {
                result.error = VersionLockError(.strict, (hashed.error?.message ?? hashed.name) + "; --strict checks every entry")
                return result
            }
            result.status = .skipped
            result.warnings.append(hashed.error?.message ?? "")
            return result
        }
        if let error = hashed.error {
            // A FIFO or linked directory added to a locked tree is a change to it, not a read error.
            if error.code == .specialFile && lock.locked {
                result.status = .violation
                result.storeProblems = [error.message]
                recordResult("violation", nil)
                return result
            }
            result.error = error
            recordResult("error", nil)
            return result
        }
        guard let manifest = hashed.manifest else { return result }
        // What was hashed must still be what the entry names.
        let now = source.location(of: current)
        guard now == hashed.location else {
            result.error = VersionLockError(.changedDuringVerify,
                "\(hashed.name): model_path changed from \(hashed.location.display) to \(now.display) while it was hashed; run verify again")
            return result
        }
        let aggregate = manifest.aggregate
        result.aggregate = aggregate
        result.manifest = manifest
        if manifest.files.isEmpty {
            let note = "\(hashed.name): artifact root \(hashed.location.display) holds no files"
            if strict {
                result.error = VersionLockError(.strict, note + " (--strict)")
                recordResult("error", aggregate)
                return result
            }
            result.warnings.append(note)
        }
        // A blob that does not hash to its own name is corrupt, locked or not; a locked entry
        // whose aggregate moved also lists what changed against its recorded files.
        let mismatch = lock.locked && lock.expectedAggregateSHA256.map { $0 != aggregate } == true
        if mismatch || !hashed.problems.isEmpty {
            result.status = .violation
            result.storeProblems = hashed.problems
            if mismatch {
                let recorded = (current.artifacts?.files ?? []).map { ArtifactFile(path: $0.path, sha256: $0.sha256, size: $0.size) }
                result.hadRecordedFiles = !recorded.isEmpty
                result.diff = ManifestDiff(expected: recorded, actual: manifest.files)
            }
            recordResult("violation", aggregate)
            return result
        }
        if !lock.locked && strict {
            let how = hashed.pinned ? RegistryAudit.pinnedUnlocked(source.registryDirectory)
                : "lock it with modelctl lock \(hashed.name.shellQuoted) --set-expected"
            result.error = VersionLockError(.strict, "\(hashed.name): not locked (--strict); \(how)")
            recordResult("error", aggregate)
            return result
        }
        result.status = lock.locked ? (lock.expectedAggregateSHA256 == nil ? .expectationSet : .ok) : .recorded
        if lock.locked { lock.expectedAggregateSHA256 = aggregate }
        if !lock.locked && lock.pinsSigner {
            // Its pin is checked at launch (the gate) and by verify --signature, not here: said
            // aloud, so that a scrub's "recorded" is not read as "checked against its signer".
            result.warnings.append("\(hashed.name): pins a signer but is not locked, so verify recorded its digests without checking them; check the signature with modelctl verify \(hashed.name.shellQuoted) --signature BUNDLE, or lock it")
        }
        lock.lastVerified = stamp
        // Only a verify that read every byte counts as a full one (the rolling scrub's order).
        if hashed.reusedFiles == 0 { lock.lastFullVerify = stamp }
        lock.lastResult = .init(status: result.status.rawValue, at: stamp, aggregateSHA256: aggregate)
        let final = lock
        let record = ShardRecords.record(manifest, aggregate: aggregate, blobs: hashed.blobs, recorded: current.artifacts)
        write { entry in
            // Files as recorded stay as written (with any field another tool added to them).
            if entry.artifacts.map({ !$0.isSameText(as: record) }) ?? true { entry.artifacts = record }
            entry.versionLock = final
        }
        result.expectedAggregate = lock.expectedAggregateSHA256
        result.lastVerified = stamp
        result.lastFullVerify = lock.lastFullVerify
        return result
    }

    // MARK: Lock, re-baseline, unlock

    /// What a lock, re-baseline or unlock did to one entry.
    public struct LockChange: Sendable {
        /// The entry.
        public var name: String
        /// Its lock state afterwards.
        public var state: VersionLockState
        /// The files hashed, when this call hashed.
        public var manifest: Manifest?
        /// With the digests taken from download metadata: the files that had to be hashed
        /// (no SHA-256 etag, or modified after the download); every other digest came from the metadata.
        public var hashedFiles: [String]? = nil
    }

    /// Locks entries. With `setExpected`, each entry without an expected aggregate is hashed
    /// now and its aggregate (and files) stored as expected.
    ///
    /// - Parameter allowEmpty: accept a missing or empty artifact root as the baseline
    ///   (refused by default: a failed mount must never become the baseline).
    /// - Throws: ``VersionLockError`` for the first entry that cannot be locked; nothing is
    ///   written then.
    /// - Parameter fromDownloadMetadata: take the expected digests of a `hf download --local-dir`
    ///   tree from its download metadata (``ModelStores/LocalDirDownload``) instead of trusting
    ///   the bytes on disk: files with a SHA-256 etag are not read, the others are hashed and
    ///   their git blob id checked against the etag. Implies `setExpected`; refuses (nothing
    ///   written) a tree with files that have no metadata (`invalidRequest`) or that do not match it (`storeCorrupt`).
    public func lock(_ names: [String], setExpected: Bool, allowEmpty: Bool = false, fromDownloadMetadata: Bool = false,
                     progress: (@Sendable (String, HashProgress) -> Void)? = nil) async throws -> [LockChange] {
        let snapshot = try loadSnapshot()
        var hashed: [String: Manifest] = [:]
        var hashedFiles: [String: [String]] = [:]
        for name in names {
            let entry = try lookup(name, in: snapshot)
            try refusePin(entry.name, snapshot, "lock")
            if fromDownloadMetadata {
                let (manifest, files) = try await downloadBaseline(entry, curated: snapshot.curated[entry.name], progress: progress)
                // As --set-expected, it never replaces another expectation: that is --update's, with a reason.
                let aggregate = manifest.aggregate
                if let expected = entry.versionLock.expectedAggregateSHA256, expected != aggregate {
                    throw VersionLockError(.invalidRequest, "\(entry.name) already expects aggregate \(expected); the download metadata gives \(aggregate). Re-baseline with lock --update --reason TEXT if the download is the intended change")
                }
                (hashed[name], hashedFiles[name]) = (manifest, files)
            } else if setExpected, entry.versionLock.expectedAggregateSHA256 == nil {
                hashed[name] = try await baseline(entry, curated: snapshot.curated[entry.name], allowEmpty: allowEmpty, progress: progress)
            }
        }
        let date = now()
        return try save { discovered, snapshot in
            var changes: [LockChange] = []
            for name in names {
                let current = try lookup(name, in: snapshot)
                var lock = current.versionLock
                lock.locked = true
                let manifest = hashed[name]
                // Each use of the aggregate would otherwise sort and hash the manifest's lines again.
                let aggregate = manifest?.aggregate
                if let aggregate, lock.expectedAggregateSHA256 == nil || fromDownloadMetadata {
                    lock.expectedAggregateSHA256 = aggregate
                    lock.lastVerified = Timestamp.utc(date, spelledLike: lock.lastVerified)
                    lock.lastFullVerify = lock.lastVerified
                }
                let final = lock
                discovered.modify(name, seed: current) { entry in
                    if let manifest, let aggregate, final.expectedAggregateSHA256 == aggregate { entry.artifacts = Self.record(manifest, aggregate: aggregate) }
                    entry.versionLock = final
                }
                changes.append(LockChange(name: name, state: final, manifest: manifest, hashedFiles: hashedFiles[name]))
            }
            return changes
        }
    }

    /// The manifest of a `--local-dir` tree with each digest its download metadata gives
    /// (reused by the hasher's stat cache, so the one walk and aggregate apply), and the files
    /// that had to be hashed.
    private func downloadBaseline(_ entry: RegistryEntry, curated: RegistryEntry?,
                                  progress: (@Sendable (String, HashProgress) -> Void)?) async throws -> (Manifest, [String]) {
        let location = source.location(of: entry)
        guard case .local = location else {
            throw VersionLockError(.invalidRequest, "\(entry.name): --from-download-metadata needs a local `hf download --local-dir` tree, not \(location.display)")
        }
        let root = try source.root(of: entry)
        guard LocalDirDownload.isLocalDir(root) else {
            throw VersionLockError(.invalidRequest, "\(entry.name): \(root) has no .cache/huggingface/download/; it is not a `hf download --local-dir` tree (lock without --from-download-metadata)")
        }
        let metadata: [String: LocalDirDownload.Metadata]
        do { metadata = try LocalDirDownload.metadata(of: root).files } catch {
            throw VersionLockError(.invalidRequest, "\(entry.name): \(error.message)")
        }
        let (cache, taken) = LocalDirDownload.expectedDigests(root, metadata: metadata)
        let hashed = try await source.hash(entry, location: location, hasher: hasher, curated: curated, stamps: StampUse(reusing: cache),
                                           progress: VersionLocker.labelled(progress, entry.name))
        let checked = LocalDirDownload.check(hashed.manifest, root: hashed.manifest.root, metadata: metadata)
        guard checked.problems.isEmpty else {
            throw VersionLockError(.storeCorrupt, "\(entry.name): refusing to lock files that are not what the Hub served:\n  "
                + checked.problems.map(\.description).joined(separator: "\n  "))
        }
        guard checked.withoutMetadata.isEmpty else {
            throw VersionLockError(.invalidRequest, "\(entry.name): no download metadata for \(checked.withoutMetadata.joined(separator: ", ")); remove those files, exclude them (artifacts.exclude), or lock without --from-download-metadata")
        }
        guard !hashed.manifest.files.isEmpty else {
            throw VersionLockError(.emptyArtifacts, "\(entry.name): \(root) holds no files; refusing to lock an empty tree")
        }
        let hashedPaths = hashed.manifest.files.map(\.path).filter { !taken.contains($0) }
        return (hashed.manifest, hashedPaths)
    }

    /// Locks one entry; see ``lock(_:setExpected:allowEmpty:progress:)-([String],_,_,_)``.
    public func lock(_ name: String, setExpected: Bool, allowEmpty: Bool = false) async throws -> VersionLockState {
        try await lock([name], setExpected: setExpected, allowEmpty: allowEmpty)[0].state
    }

    /// Unlocks one entry, keeping its expected aggregate.
    public func unlock(_ name: String) throws -> VersionLockState {
        try unlock([name])[0].state
    }

    /// Re-baselines locked entries: hashes now and replaces the expected aggregate and the
    /// recorded files, recording who (`actor`), when, why and the previous aggregate.
    ///
    /// - Throws: ``VersionLockError`` (`invalidRequest` without a reason, `pinned` when the
    ///   curated file pins the expected aggregate, or anything hashing throws).
    public func rebaseline(_ names: [String], reason: String, allowEmpty: Bool = false,
                           progress: (@Sendable (String, HashProgress) -> Void)? = nil) async throws -> [LockChange] {
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw VersionLockError(.invalidRequest, "lock --update needs --reason TEXT: say why the weights changed")
        }
        let snapshot = try loadSnapshot()
        var hashed: [String: Manifest] = [:]
        for name in names {
            let entry = try lookup(name, in: snapshot)
            try refusePin(entry.name, snapshot, "re-baseline")
            hashed[name] = try await baseline(entry, curated: snapshot.curated[entry.name], allowEmpty: allowEmpty, progress: progress)
        }
        let date = now()
        return try save { discovered, snapshot in
            var changes: [LockChange] = []
            for name in names {
                let current = try lookup(name, in: snapshot)
                let manifest = hashed[name]!
                var lock = current.versionLock
                let stamp = Timestamp.utc(date, spelledLike: lock.lastVerified)
                lock.previousAggregateSHA256 = lock.expectedAggregateSHA256 ?? current.artifacts.flatMap { $0.aggregateSHA256.isEmpty ? nil : $0.aggregateSHA256 }
                lock.locked = true
                let aggregate = manifest.aggregate
                lock.expectedAggregateSHA256 = aggregate
                lock.lastVerified = stamp
                lock.lastFullVerify = stamp
                lock.updatedBy = actor
                lock.updatedAt = stamp
                lock.reason = reason
                let final = lock
                discovered.modify(name, seed: current) { entry in
                    entry.artifacts = Self.record(manifest, aggregate: aggregate)
                    entry.versionLock = final
                }
                changes.append(LockChange(name: name, state: final, manifest: manifest))
            }
            return changes
        }
    }

    /// Unlocks entries, keeping their expected aggregates.
    ///
    /// - Throws: ``VersionLockError`` `pinned` for an entry the curated file locks.
    public func unlock(_ names: [String]) throws -> [LockChange] {
        try save { discovered, snapshot in
            var changes: [LockChange] = []
            for name in names {
                let current = try lookup(name, in: snapshot)
                try refusePin(name, snapshot, "unlock")
                var lock = current.versionLock
                lock.locked = false
                let final = lock
                discovered.modify(name, seed: current) { $0.versionLock = final }
                changes.append(LockChange(name: name, state: final))
            }
            return changes
        }
    }

    /// Records a signature made for an entry under `version_lock.signature`.
    public func recordSignature(_ name: String, _ signature: JSONObject) throws {
        _ = try save { discovered, snapshot in
            let current = try lookup(name, in: snapshot)
            discovered.modify(name, seed: current) { $0.versionLock.signature = signature }
        }
    }

    private func lookup(_ name: String, in snapshot: RegistrySnapshot) throws(VersionLockError) -> RegistryEntry {
        do { return try snapshot.entry(named: name) } catch {
            throw VersionLockError(.unknownModel, error.message + " (registry: \(store.directory); see modelctl list)")
        }
    }

    private func refusePin(_ name: String, _ snapshot: RegistrySnapshot, _ what: String) throws(VersionLockError) {
        guard RegistryMerge.isPinned(snapshot.curated[name]) else { return }
        throw VersionLockError(.pinned, "\(name): the lock is pinned in \(store.path(RegistryStore.curatedFileName)); modelctl never changes a pin: to \(what) it, edit version_lock in that file")
    }

    private func baseline(_ entry: RegistryEntry, curated: RegistryEntry?, allowEmpty: Bool,
                          progress: (@Sendable (String, HashProgress) -> Void)?) async throws -> Manifest {
        let location = source.location(of: entry)
        if allowEmpty, case .local(let path) = location, !LockPlatform.exists(path) {
            return Manifest(root: path, files: [])
        }
        // A baseline records each large file's shard digests (1 GiB shards unless the hasher says).
        var hasher = self.hasher
        hasher.shardSize = hasher.shardSize ?? FileShards.defaultSize
        let hashed = try await source.hash(entry, location: location, hasher: hasher, curated: curated,
                                           progress: VersionLocker.labelled(progress, entry.name))
        guard hashed.problems.isEmpty else {
            throw VersionLockError(.storeCorrupt, "\(entry.name): refusing to lock corrupt artifacts:\n  " + hashed.problems.joined(separator: "\n  "))
        }
        let manifest = hashed.manifest
        if manifest.files.isEmpty && !allowEmpty {
            throw VersionLockError(.emptyArtifacts, "\(entry.name): artifact root \(location.display) holds no files; refusing to lock an empty tree (a failed mount?). Pass --allow-empty if that is intended")
        }
        return manifest
    }

    private func save<T>(_ change: (inout RegistryLayer, RegistrySnapshot) throws -> T) throws -> T {
        do {
            return try store.update(change)
        } catch let error as RegistryError {
            throw VersionLockError(registry: error)
        }
    }

    /// A per-entry progress handler that passes the entry's name along.
    static func labelled(_ progress: (@Sendable (String, HashProgress) -> Void)?, _ name: String) -> (@Sendable (HashProgress) -> Void)? {
        guard let progress else { return nil }
        return { @Sendable value in progress(name, value) }
    }

    /// `2026-11-21T20:15:03Z`, `+00:00`, with or without a fraction (as ImageWorks writes it);
    /// `nil` for anything else.
    static func parseTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes.count <= 40 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard bytes[i] >= 0x30, bytes[i] <= 0x39 else { return nil }
                value = value * 10 + Int(bytes[i] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var i = 19
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        }
        var offset = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-"), i + 6 == bytes.count,
           let h = number((i + 1)..<(i + 3)), let m = number((i + 4)..<(i + 6)) {
            offset = (h * 3600 + m * 60) * (bytes[i] == UInt8(ascii: "-") ? -1 : 1)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return calendar.date(from: components).map { $0.addingTimeInterval(TimeInterval(-offset)) }
    }

    static func record(_ manifest: Manifest, aggregate: String? = nil) -> ArtifactRecord { ShardRecords.record(manifest, aggregate: aggregate) }
}
