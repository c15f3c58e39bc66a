public import ArtifactHashing
import Foundation
import SystemSupport

/// A corrupt blob that a quarantine moves (or, in a dry run, would move).
public struct QuarantineCandidate: Sendable, Hashable {
    /// The store kind.
    public var store: ScanItem.Store
    /// The Ollama store, or the Hugging Face cache directory, the blob belongs to.
    public var storeRoot: String
    /// The blob (in the store's, or the repository's, `blobs/`).
    public var path: String
    /// `sha256` or `git-sha1`.
    public var algorithm: String
    /// The digest the blob's name promises.
    public var expected: String
    /// The digest the scan computed.
    public var actual: String
    /// Every model or repository that references the blob, as the scan names it.
    public var models: [String]
    /// For each affected model, the command that fetches exactly the missing blobs once this
    /// one is moved away (`ollama pull NAME`, `hf download REPO ...`), as arguments.
    public var repairCommands: [[String]]
}

/// What is written beside each quarantined blob, as `<stem>.json` next to `<stem>.blob`.
public struct QuarantineRecord: Codable, Sendable, Hashable {
    /// The record format (1).
    public var schemaVersion: Int = 1
    /// `ollama` or `huggingface`.
    public var store: String
    /// The store (or cache) directory the blob came from.
    public var storeRoot: String
    /// Where the blob was, links resolved.
    public var originalPath: String
    /// `sha256` or `git-sha1`.
    public var algorithm: String
    /// What the blob should hash to (its name).
    public var expected: String
    /// What the quarantined bytes hash to.
    public var actual: String
    /// Its size in bytes.
    public var size: Int64
    /// When it was moved (UTC, ISO 8601).
    public var quarantinedAt: String
    /// `rename` (same file system) or `copy` (copied, the copy checked, the original removed).
    public var method: String
    /// The models that referenced it.
    public var models: [String]
    /// The commands that fetch it again.
    public var repairCommands: [[String]]
}

/// What a quarantine did with one candidate.
public struct QuarantineOutcome: Sendable, Hashable {
    /// What happened.
    public enum Result: Sendable, Hashable {
        /// Moved to `blob`, its record at `record`.
        case moved(blob: String, record: String)
        /// A dry run: it would be moved.
        case wouldMove
        /// Hashed again after the move it matched its name (a download replaced it between
        /// the scan and the move): it was put back.
        case intactNow
        /// Not moved, and why (exit 1).
        case refused(String)
    }

    /// The blob.
    public var candidate: QuarantineCandidate
    /// What happened.
    public var result: Result
}

/// What a restore did with one quarantined blob.
public struct RestoreOutcome: Sendable, Hashable {
    /// The record file.
    public var record: String
    /// Where the blob goes back to (empty when the record could not be read).
    public var originalPath: String
    /// `nil` when it was put back; otherwise why not (exit 1).
    public var refusal: String?
}

/// Moves corrupt store blobs into a quarantine directory, and back.
///
/// A blob is moved only when the scan found that its bytes do not match its name; links,
/// manifests, refs and every other blob stay, so `ollama pull NAME` or `hf download REPO`
/// fetches exactly the blobs moved away. A blob several models use is moved only when it is
/// itself corrupt, and then every model that uses it gets a repair command. Nothing outside the
/// store is moved: the blob's directory, links resolved, must be the store's `blobs/`, the blob
/// a regular file, and the quarantine directory must not be inside a scanned store.
///
/// Two runs do not race: a quarantine or restore holds an exclusive lock on
/// `DIR/.modelctl-quarantine.lock` and then on each store's (`STORE/.modelctl-scan.lock` for
/// Ollama, `CACHE/.locks/modelctl-scan.lock` for Hugging Face) from before the scan until the
/// last blob is moved.
///
/// ```swift
/// let quarantine = StoreQuarantine(directory: "/var/quarantine")
/// let (report, outcomes) = try await quarantine.scanAndQuarantine(paths: [store], scanner: StoreScanner(), dryRun: false)
/// ```
public struct StoreQuarantine: Sendable {
    /// The quarantine directory (created when missing).
    public var directory: String
    /// Hashes blobs again after they are moved.
    public var hasher: ArtifactHasher
    /// How long to wait for another scan's or restore's lock.
    public var lockTimeout: Duration
    /// Called once when a lock is held by someone else, with a sentence saying who.
    public var onWait: (@Sendable (String) -> Void)?

    /// The record files a quarantine directory may hold before a restore refuses it.
    static let maxRecords = 100_000

    /// A quarantine into `directory`; `onWait` hears when a lock is held by another run.
    public init(directory: String, hasher: ArtifactHasher = ArtifactHasher(), lockTimeout: Duration = .seconds(60),
                onWait: (@Sendable (String) -> Void)? = nil) {
        self.directory = PathText.trimTrailingSlashes(directory)
        self.hasher = hasher
        self.lockTimeout = lockTimeout
        self.onWait = onWait
    }

    // MARK: Quarantine

    /// Scans `paths` and moves every corrupt blob found (with `dryRun`, only lists them).
    ///
    /// - Throws: ``StoreError`` `.quarantineRefused` when the directory is inside a scanned
    ///   store, `.io` when a lock cannot be taken within ``lockTimeout`` (the message names the
    ///   lock file and its holder), or `CancellationError`; a blob that cannot be moved is a
    ///   `.refused` outcome instead.
    public func scanAndQuarantine(paths: [String], scanner: StoreScanner, dryRun: Bool) async throws -> (ScanReport, [QuarantineOutcome]) {
        let stores = paths.compactMap { try? StoreQuarantine.storeLocation(of: $0) }
        try refuseInside(stores.map(\.root))
        let locks = dryRun ? [] : try lock(stores)
        defer { locks.forEach { $0.unlock() } }
        let report = try await scanner.scan(paths: paths)
        let candidates = StoreQuarantine.candidates(in: report)
        return (report, candidates.map { move($0, dryRun: dryRun) })
    }

    /// The corrupt blobs of a scan: every blob whose bytes do not match its name, once each,
    /// with every model that references it and the commands that fetch it again.
    public static func candidates(in report: ScanReport) -> [QuarantineCandidate] {
        var found: [String: QuarantineCandidate] = [:]
        var order: [String] = []
        // Each cache repository's snapshots are read once, however many of its blobs are corrupt.
        var linksByRepository: [String: [String: [String]]] = [:]
        // A --local-dir tree has files, not blobs named by their digest: nothing of it moves.
        for item in report.items where item.store != .huggingFaceLocalDir {
            for problem in item.problems {
                guard case .digestMismatch(let algorithm, let expected, let actual) = problem.kind else { continue }
                let blobs = PathText.parent(problem.path)
                guard PathText.base(blobs) == "blobs" else { continue }
                let isModel = !item.name.hasPrefix("(")
                if found[problem.path] == nil {
                    let root = item.store == .ollama ? PathText.parent(blobs) : PathText.parent(PathText.parent(blobs))
                    found[problem.path] = QuarantineCandidate(store: item.store, storeRoot: root, path: problem.path, algorithm: algorithm,
                                                              expected: expected, actual: actual, models: [], repairCommands: [])
                    order.append(problem.path)
                }
                if isModel, !(found[problem.path]!.models.contains(item.name)) {
                    found[problem.path]!.models.append(item.name)
                    if item.store == .huggingFace && linksByRepository[item.path] == nil {
                        linksByRepository[item.path] = snapshotLinks(in: item.path)
                    }
                    let commits = linksByRepository[item.path]?[PathText.base(problem.path)] ?? []
                    found[problem.path]!.repairCommands += repairCommands(item, linkedFrom: commits)
                }
            }
        }
        return order.map { found[$0]! }
    }

    /// `ollama pull NAME`; for a cache repository `hf download REPO [--repo-type TYPE]
    /// [--revision COMMIT] --cache-dir CACHE`, once per snapshot `commits` that links to the
    /// blob (`--revision` left out for the snapshot `refs/main` names).
    static func repairCommands(_ item: ScanItem, linkedFrom commits: [String]) -> [[String]] {
        switch item.store {
        case .ollama:
            return [["ollama", "pull", item.name]]
        case .huggingFace, .huggingFaceLocalDir:
            let location = HFLocation(repoDir: item.path, commit: "", subpath: "")
            var command = ["hf", "download", location.repoID]
            if location.repoType != "models" { command += ["--repo-type", String(location.repoType.dropLast())] }
            let cache = ["--cache-dir", PathText.parent(item.path)]
            let main = try? HuggingFaceCache.resolveRevision(repoDir: item.path, revision: "main")
            if commits.isEmpty || commits.contains(where: { $0 == main }) { return [command + cache] }
            return commits.map { command + ["--revision", $0] + cache }
        }
    }

    /// For each blob name in the repository's `blobs/`, the commits whose snapshot has a file
    /// linking to it, in the order the snapshots are listed.
    static func snapshotLinks(in repoDir: String) -> [String: [String]] {
        let snapshots = PathText.join(repoDir, "snapshots")
        var commits: [String: [String]] = [:]
        for commit in (try? FS.list(snapshots)) ?? [] {
            var blobs = Set<String>()
            try? StoreScanner.forEachFile(under: PathText.join(snapshots, commit)) { _, _, path, entry throws(StoreError) in
                guard entry.isSymlink else { return }
                blobs.insert(PathText.base(PathText.resolveLink(at: path, target: try FS.readLink(path))))
            }
            for blob in blobs { commits[blob, default: []].append(commit) }
        }
        return commits
    }

    /// Moves one blob: checks that it is a regular file directly in its store's `blobs/`, writes
    /// its record, renames it into the directory (or copies it there and removes it once the
    /// copy is on disk), and hashes the moved bytes: still corrupt, the record keeps their
    /// digest; intact now, the blob is put back.
    func move(_ candidate: QuarantineCandidate, dryRun: Bool) -> QuarantineOutcome {
        func refuse(_ why: String) -> QuarantineOutcome { QuarantineOutcome(candidate: candidate, result: .refused(why)) }
        let source: String
        do throws(StoreError) { source = try StoreQuarantine.checkedBlobPath(candidate.path, storeRoot: candidate.storeRoot) } catch {
            return refuse(error.message)
        }
        if dryRun { return QuarantineOutcome(candidate: candidate, result: .wouldMove) }
        do throws(StoreError) {
            try FS.makeDirectories(directory)
            let stem = try uniqueStem(for: source, store: candidate.store)
            let blob = stem + ".blob", recordPath = stem + ".json"
            let size = try FS.status(source)?.size ?? 0
            var record = QuarantineRecord(store: candidate.store.rawValue, storeRoot: PathText.realPath(candidate.storeRoot) ?? candidate.storeRoot,
                                          originalPath: source, algorithm: candidate.algorithm, expected: candidate.expected,
                                          actual: candidate.actual, size: size, quarantinedAt: StoreQuarantine.now(), method: "rename",
                                          models: candidate.models, repairCommands: candidate.repairCommands)
            try write(record, to: recordPath)
            let before = try FS.status(source)
            let renamed = FS.rename(source, to: blob)
            if renamed == EXDEV {
                record.method = "copy"
                try write(record, to: recordPath)
                do throws(StoreError) { try FS.copyFile(source, to: blob) } catch {
                    try? FS.remove(recordPath)
                    throw error
                }
            } else if renamed != 0 {
                try? FS.remove(recordPath)
                throw FS.ioError(source, "cannot move to \(blob)", renamed)
            } else {
                Directory.sync(PathText.parent(source))
                Directory.sync(directory)
            }
            let digest: String
            do { digest = try StoreQuarantine.digest(of: blob, algorithm: candidate.algorithm, hasher: hasher) } catch {
                return refuse("\(blob): moved, but cannot be hashed again: \(error)")
            }
            if digest == candidate.expected {
                // Replaced by a good download since the scan: the store keeps it.
                if record.method == "rename", FS.hardLink(blob, to: source) != 0, !FS.exists(source) {
                    return refuse("\(blob) now matches its name, but cannot go back to \(source); move it there by hand")
                }
                try? FS.remove(blob)
                try? FS.remove(recordPath)
                return QuarantineOutcome(candidate: candidate, result: .intactNow)
            }
            if record.method == "copy" {
                // The copy is checked against the bytes the scan judged; only then is the original removed.
                // Nor is a file removed that a download replaced while it was copied.
                let after = try FS.status(source)
                guard digest == candidate.actual, let before, let after, before.inode == after.inode,
                      before.device == after.device, before.size == after.size, before.modified == after.modified else {
                    try? FS.remove(blob)
                    try? FS.remove(recordPath)
                    return refuse("\(source) changed since the scan; scan it again")
                }
                try FS.remove(source)
                Directory.sync(PathText.parent(source))
            }
            if digest != record.actual {
                record.actual = digest
                try write(record, to: recordPath)
            }
            return QuarantineOutcome(candidate: candidate, result: .moved(blob: blob, record: recordPath))
        } catch {
            return refuse(error.message)
        }
    }

    // MARK: Restore

    /// Puts every quarantined blob of the directory back where it came from, unless something
    /// is there again (a fresh download is never overwritten). Each blob must still hash to
    /// the digest its record names; its record is removed once it is back.
    ///
    /// - Throws: ``StoreError`` when the directory cannot be listed or locked; a blob that
    ///   cannot go back is an outcome with its refusal.
    public func restore() throws(StoreError) -> [RestoreOutcome] {
        guard FS.isDirectory(directory) else {
            throw StoreError(.storeNotFound, "quarantine directory \(directory) does not exist")
        }
        let names = try FS.list(directory).filter { $0.hasSuffix(".json") }
        guard names.count <= StoreQuarantine.maxRecords else {
            throw StoreError(.tooLarge, "\(directory): more than \(StoreQuarantine.maxRecords) records")
        }
        // Each record is checked before anything is locked or written: a record is input, and
        // one naming a place that is no store's blobs/ must not make a lock file appear there.
        var records: [(path: String, record: Result<(QuarantineRecord, String), StoreError>)] = []
        var stores: [StoreLocation] = []
        for name in names {
            let path = PathText.join(directory, name)
            let checked = Result { () throws(StoreError) in
                let record = try read(path)
                let target = try StoreQuarantine.checkedBlobPath(record.originalPath, storeRoot: record.storeRoot, mustExist: false)
                return (record, target)
            }
            if case .success(let (record, _)) = checked {
                let location = StoreLocation(store: ScanItem.Store(rawValue: record.store) ?? .ollama, root: record.storeRoot)
                if !stores.contains(location) { stores.append(location) }
            }
            records.append((path, checked))
        }
        let locks = try lock(stores)
        defer { locks.forEach { $0.unlock() } }
        return records.map { path, checked in
            switch checked {
            case .failure(let error): RestoreOutcome(record: path, originalPath: "", refusal: error.message)
            case .success(let (record, target)):
                RestoreOutcome(record: path, originalPath: record.originalPath, refusal: putBack(record, to: target, recordPath: path))
            }
        }
    }

    /// Puts one blob back at `target` (its checked original path); returns why not, or `nil`.
    private func putBack(_ record: QuarantineRecord, to target: String, recordPath: String) -> String? {
        let blob = String(recordPath.dropLast(".json".utf8.count)) + ".blob"
        do throws(StoreError) {
            guard !FS.exists(target) else {
                return "\(target) exists again (downloaded since the quarantine); not overwritten. Delete \(blob) and its record if they are no longer needed"
            }
            guard FS.exists(blob) else { return "\(blob) is missing; nothing to put back" }
            let digest: String
            do { digest = try StoreQuarantine.digest(of: blob, algorithm: record.algorithm, hasher: hasher) } catch {
                return "\(blob) cannot be hashed: \(error)"
            }
            guard digest == record.actual else {
                return "\(blob) hashes to \(digest), not the \(record.actual) its record names; not put back"
            }
            var rc = FS.hardLink(blob, to: target)
            if rc == EXDEV {
                // Across file systems: a checked copy beside the target, then linked into place.
                let staging = PathText.join(PathText.parent(target), ".modelctl-restore-" + PathText.base(target))
                try FS.remove(staging)
                try FS.copyFile(blob, to: staging)
                let copied = try? StoreQuarantine.digest(of: staging, algorithm: record.algorithm, hasher: hasher)
                rc = copied == record.actual ? FS.hardLink(staging, to: target) : EIO
                try FS.remove(staging)
            }
            if rc == EEXIST { return "\(target) exists again (downloaded since the quarantine); not overwritten" }
            guard rc == 0 else { throw FS.ioError(target, "cannot put \(blob) back", rc) }
            Directory.sync(PathText.parent(target))
            try FS.remove(blob)
            try FS.remove(recordPath)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: Where things are

    /// A store whose blobs a quarantine may move.
    struct StoreLocation: Hashable {
        var store: ScanItem.Store
        /// The Ollama store, or the cache directory.
        var root: String

        var lockPath: String {
            store == .ollama ? PathText.join(root, ".modelctl-scan.lock") : PathText.join(root, ".locks/modelctl-scan.lock")
        }
    }

    /// The store a scan path belongs to: an Ollama store, or the cache of a cache or repository.
    static func storeLocation(of path: String) throws(StoreError) -> StoreLocation {
        switch try StoreScanner.classify(path) {
        case .ollamaStore: StoreLocation(store: .ollama, root: path)
        case .huggingFaceCache: StoreLocation(store: .huggingFace, root: path)
        case .huggingFaceRepo(let repo): StoreLocation(store: .huggingFace, root: PathText.parent(repo))
        case .huggingFaceLocalDir: throw StoreError(.quarantineRefused, "\(path) is a --local-dir download, not a store with blobs: nothing to quarantine")
        }
    }

    /// Refuses a quarantine directory inside (or equal to) one of the stores, links resolved.
    func refuseInside(_ roots: [String]) throws(StoreError) {
        let dir = StoreQuarantine.resolved(directory)
        for root in roots {
            guard let realRoot = PathText.realPath(root) else { continue }
            if dir == realRoot || dir.hasPrefix(realRoot + "/") {
                throw StoreError(.quarantineRefused, "quarantine directory \(directory) is inside the scanned store \(root); choose a directory outside it")
            }
        }
    }

    /// `path` with links resolved, for a path whose last components may not exist yet.
    static func resolved(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : PathText.join(FileManager.default.currentDirectoryPath, path)
        var head = PathText.normalize(absolute)
        var tail: [String] = []
        while PathText.realPath(head) == nil, head != "/" {
            tail.insert(PathText.base(head), at: 0)
            head = PathText.parent(head)
        }
        return tail.reduce(PathText.realPath(head) ?? head) { PathText.join($0, $1) }
    }

    /// The blob's path with its directory's links resolved, once checked: its directory must be
    /// `blobs/` directly in the store (Ollama) or in a repository of the cache (Hugging Face),
    /// and the blob (when `mustExist`) a regular file, not a link to bytes elsewhere.
    static func checkedBlobPath(_ path: String, storeRoot: String, mustExist: Bool = true) throws(StoreError) -> String {
        let name = PathText.base(path)
        guard let root = PathText.realPath(storeRoot), let dir = PathText.realPath(PathText.parent(path)),
              !name.isEmpty, name != ".", name != "..", !name.contains("/"), PathText.base(dir) == "blobs" else {
            throw StoreError(.quarantineRefused, "\(path) is not a blob directly in a blobs/ directory of the store \(storeRoot); not moved")
        }
        let owner = PathText.parent(dir)
        // Only a blob name the store itself would use, in the store's own blobs/ (Ollama) or a
        // repository's (Hugging Face): a record naming anything else is not acted on.
        let ollama = owner == root && OllamaDigest(blobFileName: name) != nil && OllamaStore.looksLikeStore(root)
        let huggingFace = PathText.parent(owner) == root && HuggingFaceCache.isRepoDirectoryName(PathText.base(owner))
            && (PathText.isHex(name, count: 64) || PathText.isHex(name, count: 40))
        guard ollama || huggingFace else {
            throw StoreError(.quarantineRefused, "\(path) (in \(dir)) is not a blob of the store \(storeRoot), or lies outside it; not moved")
        }
        let full = PathText.join(dir, name)
        if mustExist {
            guard let st = try FS.status(full), st.isRegular else {
                throw StoreError(.quarantineRefused, "\(full) is not a regular file (a link into a shared blob store is left alone; remove it by hand); not moved")
            }
        }
        return full
    }

    /// `DIR/<store>-<blob>-<UTC time>[-N]`, naming no existing file.
    private func uniqueStem(for blob: String, store: ScanItem.Store) throws(StoreError) -> String {
        let time = StoreQuarantine.now().filter { $0 != "-" && $0 != ":" }
        let base = PathText.join(directory, "\(store.rawValue)-\(PathText.base(blob))-\(time)")
        for n in 1...1000 {
            let stem = n == 1 ? base : "\(base)-\(n)"
            if !FS.exists(stem + ".json"), !FS.exists(stem + ".blob") { return stem }
        }
        throw StoreError(.quarantineRefused, "\(base): too many quarantined copies of this blob")
    }

    /// Takes the directory's lock, then each store's, in path order (so two runs never wait
    /// for each other crosswise).
    private func lock(_ stores: [StoreLocation]) throws(StoreError) -> [FileLock] {
        var locks: [FileLock] = []
        let paths = [PathText.join(directory, ".modelctl-quarantine.lock")]
            + Set(stores.map(\.lockPath)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        do {
            try FS.makeDirectories(directory)
            for path in paths {
                try FS.makeDirectories(PathText.parent(path))
                let onWait = self.onWait
                locks.append(try FileLock(path: path, timeout: lockTimeout) { holder in
                    onWait?("waiting for \(path), held by another scan or restore" + (holder.map { " (pid \($0))" } ?? ""))
                })
            }
        } catch let error as FileError {
            locks.forEach { $0.unlock() }
            throw StoreError(.io(errno: EBUSY), error.message)
        } catch let error as StoreError {
            locks.forEach { $0.unlock() }
            throw error
        } catch {
            locks.forEach { $0.unlock() }
            throw StoreError(.io(errno: EIO), "\(error)")
        }
        return locks
    }

    static func digest(of path: String, algorithm: String, hasher: ArtifactHasher) throws -> String {
        algorithm == "git-sha1" ? try GitBlobSHA1.hex(ofFileAt: path) : try hasher.hashFile(atPath: path)
    }

    private func write(_ record: QuarantineRecord, to path: String) throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(Array(try encoder.encode(record)) + [0x0A], to: path)
        } catch let error as FileError {
            throw StoreError(.io(errno: EIO), error.message)
        } catch {
            throw StoreError(.io(errno: EIO), "\(path): cannot write the record: \(error)")
        }
    }

    private func read(_ path: String) throws(StoreError) -> QuarantineRecord {
        let bytes = try FS.read(path, limit: 1 << 20, followLinks: false)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(QuarantineRecord.self, from: Data(bytes)) } catch {
            throw StoreError(.malformedManifest, "\(path) is not a quarantine record (\(OllamaManifestDocument.reason(error))); leave it or delete it")
        }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
