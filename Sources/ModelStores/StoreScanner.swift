import SystemSupport
public import ArtifactHashing

/// One repository or model a scan looked at.
public struct ScanItem: Sendable, Hashable {
    /// Which kind of store it is in.
    public enum Store: String, Sendable, Hashable {
        case huggingFace = "huggingface"
        case ollama
        /// A `hf download --local-dir` tree, checked against its download metadata.
        case huggingFaceLocalDir = "huggingface-local-dir"
    }

    /// The verdict.
    public enum Status: Sendable, Hashable {
        /// Every blob matches its name, every link lands where it should.
        case ok
        /// Some stored bytes are not the ones their names promise (exit 2).
        case corrupt
        /// It could not be checked (exit 1); the message says why.
        case error(String)

        /// `ok`, `corrupt` or `error`.
        public var label: String {
            switch self {
            case .ok: "ok"
            case .corrupt: "corrupt"
            case .error: "error"
            }
        }
    }

    /// The store kind.
    public var store: Store
    /// `ORG/NAME` (with `datasets/` or `spaces/` before it for those), or the Ollama name
    /// (`llama3.1:8b`, `ns/model:tag`, `host/ns/model:tag`). A scan of store-wide leftovers
    /// uses `(unreferenced blobs)`.
    public var name: String
    /// The repository directory, or the Ollama manifest path.
    public var path: String
    /// The verdict.
    public var status: Status
    /// What is wrong (integrity failures and unreadable files).
    public var problems: [StoreProblem]
    /// Remarks that are not faults (interrupted downloads, names without a digest).
    public var notes: [String]
    /// Blobs checked.
    public var blobs: Int
    /// Bytes of the blobs checked.
    public var bytes: Int64
    /// For an Ollama model, its aggregate (see ``OllamaModel/verify(_:)``).
    public var aggregate: String?

    init(store: Store, name: String, path: String, problems: [StoreProblem], notes: [String] = [],
         blobs: Int = 0, bytes: Int64 = 0, aggregate: String? = nil) {
        self.store = store
        self.name = name
        self.path = path
        self.problems = problems
        self.notes = notes
        self.blobs = blobs
        self.bytes = bytes
        self.aggregate = aggregate
        if problems.contains(where: \.isIntegrityFailure) {
            status = .corrupt
        } else if let first = problems.first {
            status = .error(first.description)
        } else {
            status = .ok
        }
    }

    static func failure(_ store: Store, name: String, path: String, _ message: String) -> ScanItem {
        var item = ScanItem(store: store, name: name, path: path, problems: [])
        item.status = .error(message)
        return item
    }
}

/// What a scan found: one item per repository or model, and notes about the stores.
public struct ScanReport: Sendable, Hashable {
    /// One per repository or model, in the order the paths were given, each store's in name order.
    public var items: [ScanItem]
    /// Paths that could not be scanned at all, with why.
    public var errors: [String]
    /// Store-wide remarks (entries that are not repositories, files not checked).
    public var notes: [String]
    /// Files an interrupted pull left in an Ollama store's `blobs/`: `*-partial`, `*-partial-N`,
    /// `*.tmp` and `sha256-*` temporary files whose name is no digest. None is checked or used.
    public var interrupted: [String] = []

    public init(items: [ScanItem] = [], errors: [String] = [], notes: [String] = []) {
        self.items = items
        self.errors = errors
        self.notes = notes
    }

    /// Whether some item is corrupt.
    public var hasCorruption: Bool { items.contains { $0.status == .corrupt } }
    /// Whether some item or path could not be checked.
    public var hasErrors: Bool {
        !errors.isEmpty || items.contains { if case .error = $0.status { true } else { false } }
    }
}

/// Checks whole stores without a registry: every blob of a Hugging Face cache or an Ollama
/// store against its own name, every snapshot link and every model manifest.
///
/// ```swift
/// let report = try await StoreScanner(hasher: ArtifactHasher(jobs: 4)).scan(paths: [hfCache, ollamaStore])
/// for item in report.items where item.status != .ok { print(item.name, item.problems) }
/// ```
public struct StoreScanner: Sendable {
    /// Hashes the blobs; its `jobs` bounds the files read at once.
    public var hasher: ArtifactHasher

    /// A scanner that hashes with `hasher` (default: one file per processor).
    public init(hasher: ArtifactHasher = ArtifactHasher()) {
        self.hasher = hasher
    }

    /// What a path given to ``scan(paths:)`` turned out to be.
    public enum PathKind: Sendable, Hashable {
        /// A cache directory holding `models--*` repositories.
        case huggingFaceCache
        /// One cache repository (its directory, links resolved).
        case huggingFaceRepo(String)
        /// An Ollama store.
        case ollamaStore
        /// A `hf download --local-dir` tree (it has `.cache/huggingface/download/`).
        case huggingFaceLocalDir
    }

    /// Recognizes a store: an Ollama store (`manifests/`, `manifests-v2/` or `blobs/sha256-*`),
    /// a `hf download --local-dir` tree (`.cache/huggingface/download/`),
    /// a cache repository or a path inside one, or a cache directory (one holding
    /// `models--*`-style directories, `.locks`, `CACHEDIR.TAG` or nothing at all).
    /// - Throws: ``StoreError`` `.storeNotFound` for a missing path or one that is neither.
    public static func classify(_ path: String) throws(StoreError) -> PathKind {
        guard FS.isDirectory(path) else {
            throw StoreError(.storeNotFound, "\(path) does not exist or is not a directory")
        }
        if OllamaStore.looksLikeStore(path) { return .ollamaStore }
        if LocalDirDownload.isLocalDir(path) { return .huggingFaceLocalDir }
        if let location = try? HuggingFaceCache.locate(path) { return .huggingFaceRepo(location.repoDir) }
        if HuggingFaceCache.isRepoDirectoryName(PathText.base(PathText.realPath(path) ?? path)) {
            return .huggingFaceRepo(PathText.realPath(path) ?? path)
        }
        let names = try FS.list(path)
        if names.isEmpty || names.contains(where: { HuggingFaceCache.isRepoDirectoryName($0) || $0 == ".locks" || $0 == "CACHEDIR.TAG" }) {
            return .huggingFaceCache
        }
        throw StoreError(.storeNotFound, "\(path) is neither a Hugging Face cache (no models--ORG--NAME directories) nor an Ollama store (no manifests/ or blobs/)")
    }

    /// Scans each path (a Hugging Face cache, one repository of it, or an Ollama store).
    /// - Throws: `CancellationError` only; every other failure is in the report.
    public func scan(paths: [String]) async throws -> ScanReport {
        var report = ScanReport(items: [], errors: [], notes: [])
        for path in paths {
            do {
                switch try StoreScanner.classify(path) {
                case .ollamaStore:
                    try await scanOllama(OllamaStore(root: path), into: &report)
                case .huggingFaceCache:
                    try await scanHuggingFaceCache(path, into: &report)
                case .huggingFaceRepo(let repo):
                    report.items += try await scanRepos([repo], notes: &report.notes)
                case .huggingFaceLocalDir:
                    report.items.append(try await LocalDirDownload.scan(path, hasher: hasher))
                }
            } catch let error as StoreError {
                report.errors.append(error.message)
            }
        }
        return report
    }

    // MARK: Hugging Face

    private func scanHuggingFaceCache(_ cache: String, into report: inout ScanReport) async throws {
        var repos: [String] = []
        for name in try FS.list(cache) {
            let path = PathText.join(cache, name)
            if HuggingFaceCache.isRepoDirectoryName(name), FS.isDirectory(path) {
                repos.append(path)
            } else if name.contains("--"), FS.isDirectory(path) {
                report.notes.append("\(path): not a cache repository (the name must start with models--, datasets-- or spaces--)")
            }
        }
        if repos.isEmpty { report.notes.append("\(cache): no cached repositories") }
        report.items += try await scanRepos(repos, notes: &report.notes)
    }

    /// What one repository's walk found before any hashing.
    private struct RepoPlan {
        var dir: String
        var name: String
        var blobs: [(name: String, path: String, size: Int64)] = []
        var links: [(snapshotPath: String, check: LinkCheck)] = []
        var problems: [StoreProblem] = []
        var notes: [String] = []
        var failure: String?
    }

    private func scanRepos(_ repos: [String], notes: inout [String]) async throws -> [ScanItem] {
        let plans = repos.map(planRepo)
        // Every blob of every repository, hashed once, `jobs` at a time.
        var sha256Paths: [String] = []
        var sha1Paths: [String] = []
        for plan in plans {
            for blob in plan.blobs {
                if PathText.isHex(blob.name, count: 64) { sha256Paths.append(blob.path) }
                else if PathText.isHex(blob.name, count: 40) { sha1Paths.append(blob.path) }
            }
        }
        let hasher = self.hasher
        let digests = try await runBounded(sha256Paths + sha1Paths, jobs: hasher.jobs) { path in
            if PathText.isHex(PathText.base(path), count: 64) {
                do { return .digest(try hasher.hashFile(atPath: path)) } catch { return .failed(hashFailure(error)) }
            }
            do throws(StoreError) { return .digest(try GitBlobSHA1.hex(ofFileAt: path)) } catch { return .failed(error.message) }
        }
        return plans.map { plan in
            if let failure = plan.failure { return ScanItem.failure(.huggingFace, name: plan.name, path: plan.dir, failure) }
            var problems = plan.problems
            var bytes: Int64 = 0
            var usedBy: [String: String] = [:]
            for (snapshotPath, check) in plan.links {
                let outcome = check.run { _ in nil }  // blob digests are checked once, below
                problems += outcome.problems
                if let name = outcome.blobName, usedBy[name] == nil { usedBy[name] = snapshotPath }
            }
            for blob in plan.blobs {
                bytes += blob.size
                let role = usedBy[blob.name] ?? "blob"
                let expected = blob.name.lowercased()
                switch digests[blob.path] {
                case .digest(let actual)?:
                    if actual != expected {
                        let algorithm = expected.utf8.count == 40 ? "git-sha1" : "sha256"
                        problems.append(StoreProblem(.digestMismatch(algorithm: algorithm, expected: expected, actual: actual), path: blob.path, role: role))
                    }
                case .failed(let reason)?:
                    // A blob that is a link into the shared store may dangle.
                    let kind: StoreProblem.Kind = FS.existsFollowingLinks(blob.path)
                        ? .unreadable(reason: reason)
                        : .danglingLink(target: (try? FS.readLink(blob.path)) ?? "?")
                    problems.append(StoreProblem(kind, path: blob.path, role: role))
                case nil:
                    break
                }
            }
            return ScanItem(store: .huggingFace, name: plan.name, path: plan.dir, problems: problems,
                            notes: plan.notes, blobs: plan.blobs.count, bytes: bytes)
        }
    }

    /// Lists one repository: its blobs, every snapshot link, and its refs.
    private func planRepo(_ dir: String) -> RepoPlan {
        let location = HFLocation(repoDir: dir, commit: "", subpath: "")
        let type = location.repoType
        var plan = RepoPlan(dir: dir, name: type == "models" ? location.repoID : "\(type)/\(location.repoID)")
        do throws(StoreError) {
            let blobsDir = PathText.join(dir, "blobs")
            let snapshotsDir = PathText.join(dir, "snapshots")
            guard FS.isDirectory(snapshotsDir) else {
                plan.failure = "\(dir): no snapshots/ directory; not a complete cache repository"
                return plan
            }
            if FS.isDirectory(blobsDir) {
                for name in try FS.list(blobsDir) {
                    let path = PathText.join(blobsDir, name)
                    if name.hasSuffix(".incomplete") {
                        plan.notes.append("interrupted download \(path)")
                        continue
                    }
                    guard PathText.isHex(name, count: 64) || PathText.isHex(name, count: 40) else {
                        if !name.hasPrefix(".") { plan.notes.append("blob \(name) has no digest in its name; not checked") }
                        continue
                    }
                    let size = ((try? FS.status(path, followLinks: true)) ?? nil)?.size ?? 0
                    plan.blobs.append((name, path, size))
                }
            }
            var snapshotCount = 0
            for commit in try FS.list(snapshotsDir) {
                let snapshot = PathText.join(snapshotsDir, commit)
                guard let st = try FS.status(snapshot) else { continue }
                guard st.isDirectory else {
                    plan.problems.append(StoreProblem(.notRegularFile, path: snapshot, role: "snapshot"))
                    continue
                }
                snapshotCount += 1
                try Self.forEachFile(under: snapshot) { rel, _, path, entry throws(StoreError) in
                    guard entry.isSymlink else { return }
                    let shown = "\(commit.prefix(12))/\(rel)"
                    plan.links.append((shown, LinkCheck(path: path, blobsDir: blobsDir, role: shown)))
                }
            }
            let refsDir = PathText.join(dir, "refs")
            if FS.isDirectory(refsDir) {
                try Self.forEachFile(under: refsDir) { rel, name, path, entry throws(StoreError) in
                    guard entry.isRegular, !name.hasSuffix(".tmp") else { return }
                    let commit = String(decoding: try FS.read(path, limit: HuggingFaceCache.maxRefBytes, followLinks: false), as: UTF8.self)
                        .trimmingWhitespace()
                    let valid = !commit.isEmpty && !commit.contains("/") && commit != "." && commit != ".."
                    if !valid || !FS.isDirectory(PathText.join(snapshotsDir, commit)) {
                        plan.problems.append(StoreProblem(.danglingRef(commit: String(commit.prefix(80))), path: path, role: "refs/\(rel)"))
                    }
                }
            }
            if snapshotCount == 0 { plan.notes.append("no snapshots") }
        } catch {
            plan.failure = error.message
        }
        return plan
    }

    /// Calls `body` with every entry below `root` that is not a directory (links are not
    /// followed): its path relative to `root`, its name, its full path and its status. More
    /// than ``HuggingFaceCache/maxSnapshotFiles`` entries is an error, so a hostile tree
    /// cannot make a scan run unbounded.
    static func forEachFile(under root: String,
                                    _ body: (_ relative: String, _ name: String, _ path: String, _ entry: FileStatus) throws(StoreError) -> Void)
        throws(StoreError)
    {
        var pending = [""]
        var files = 0
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : PathText.join(root, relative)
            for name in try FS.list(directory) {
                let rel = relative.isEmpty ? name : PathText.join(relative, name)
                let path = PathText.join(root, rel)
                guard let entry = try FS.status(path) else { continue }
                if entry.isDirectory { pending.append(rel); continue }
                files += 1
                guard files <= HuggingFaceCache.maxSnapshotFiles else {
                    throw StoreError(.tooLarge, "\(root): more than \(HuggingFaceCache.maxSnapshotFiles) files")
                }
                try body(rel, name, path, entry)
            }
        }
    }

    // MARK: Ollama

    private func scanOllama(_ store: OllamaStore, into report: inout ScanReport) async throws {
        let manifests = try store.manifests()
        var models: [(name: String, path: String, model: Result<OllamaModel, StoreError>)] = []
        for (reference, path) in manifests {
            let name = reference.shortName
            do throws(StoreError) {
                models.append((name, path, .success(try store.load(reference: reference, manifestPath: path))))
            } catch {
                models.append((name, path, .failure(error)))
            }
        }
        // Every blob of the store and every manifest file, hashed once.
        let blobsDir = PathText.join(store.root, "blobs")
        var storeBlobs: [(digest: OllamaDigest, path: String, size: Int64)] = []
        if FS.isDirectory(blobsDir) {
            for name in try FS.list(blobsDir) {
                let path = PathText.join(blobsDir, name)
                let digest = OllamaDigest(blobFileName: name)
                if name.contains("-partial") || name.hasSuffix(".tmp") || (digest == nil && name.hasPrefix("sha256-")) {
                    report.interrupted.append(path)
                    continue
                }
                guard let digest else {
                    if !name.hasPrefix(".") { report.notes.append("\(path): not a blob name; not checked") }
                    continue
                }
                guard let st = try FS.status(path), st.isRegular else { continue }
                storeBlobs.append((digest, path, st.size))
            }
        }
        var paths = storeBlobs.map(\.path)
        for case .success(let model) in models.map(\.model) {
            paths += model.artifactFiles.filter { ((try? FS.status($0.absolutePath)) ?? nil)?.isRegular ?? false }.map(\.absolutePath)
        }
        let hasher = self.hasher
        let hashes = try await runBounded(paths, jobs: hasher.jobs) { path in
            do { return .digest(try hasher.hashFile(atPath: path)) } catch { return .failed(hashFailure(error)) }
        }
        var referenced = Set<String>()
        for entry in models {
            switch entry.model {
            case .failure(let error):
                report.items.append(.failure(.ollama, name: entry.name, path: entry.path, error.message))
            case .success(let model):
                let verification = model.evaluate(hashes: hashes)
                referenced.formUnion(model.artifactFiles.map(\.absolutePath))
                let notes = model.absentChildManifests.map { "manifest list child \($0) is not in the store (Ollama pulls only the ones its runner needs)" }
                report.items.append(ScanItem(store: .ollama, name: entry.name, path: entry.path, problems: verification.problems,
                                             notes: notes, blobs: model.artifactFiles.count,
                                             bytes: verification.files.reduce(0) { $0 + ($1.actualSize ?? 0) },
                                             aggregate: verification.aggregate))
            }
        }
        // Blobs no model uses are still checked against their names.
        var strays: [StoreProblem] = []
        var strayCount = 0
        var strayBytes: Int64 = 0
        for blob in storeBlobs where !referenced.contains(blob.path) {
            strayCount += 1
            strayBytes += blob.size
            switch hashes[blob.path] {
            case .digest(let actual)? where actual != blob.digest.hex:
                strays.append(StoreProblem(.digestMismatch(algorithm: "sha256", expected: blob.digest.hex, actual: actual), path: blob.path, role: "blob"))
            case .failed(let reason)?:
                strays.append(StoreProblem(.unreadable(reason: reason), path: blob.path, role: "blob"))
            default:
                break
            }
        }
        if !strays.isEmpty {
            report.items.append(ScanItem(store: .ollama, name: "(unreferenced blobs)", path: blobsDir, problems: strays,
                                         blobs: strayCount, bytes: strayBytes))
        } else if strayCount > 0 {
            report.notes.append(strayCount == 1 ? "\(blobsDir): 1 blob no model uses, it matches its name"
                : "\(blobsDir): \(strayCount) blobs no model uses, each matches its name")
        }
        if manifests.isEmpty { report.notes.append("\(store.root): no Ollama models") }
    }
}

/// Runs `work` over `inputs` with at most `jobs` in flight; each input once.
func runBounded(_ inputs: [String], jobs: Int, _ work: @escaping @Sendable (String) -> HashOutcome) async throws -> [String: HashOutcome] {
    var unique: [String] = []
    var seen = Set<String>()
    for input in inputs where seen.insert(input).inserted { unique.append(input) }
    var out: [String: HashOutcome] = [:]
    // `work` blocks in reads: its children run on the blocking executor, `jobs` at once.
    let executor = BlockingExecutor.shared
    executor.reserve(jobs)
    try await withThrowingTaskGroup(of: (String, HashOutcome).self) { group in
        var next = 0
        func addOne() {
            let input = unique[next]
            next += 1
            group.addTask(executorPreference: executor) {
                try Task.checkCancellation()
                return (input, work(input))
            }
        }
        while next < unique.count, next < max(1, jobs) { addOne() }
        for try await (input, outcome) in group {
            out[input] = outcome
            if next < unique.count { addOne() }
        }
    }
    return out
}

/// The reason of a hashing failure, for a problem's text.
func hashFailure(_ error: any Error) -> String {
    (error as? HashingError)?.reason ?? "\(error)"
}
