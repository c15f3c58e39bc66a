import ArgumentParser
import ArtifactHashing
import ModelRegistry
import OrderedJSON
import VersionLock

/// Entry names or `--all`, for the commands that change locks.
struct TargetOptions: ParsableArguments {
    @Argument(help: "Entry names, taken literally.")
    var names: [String] = []

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Every entry of the registry.")
    var all = false

    func validate() throws {
        if all && !names.isEmpty { throw ValidationError("give entry names or --all, not both") }
        if !all && names.isEmpty { throw ValidationError("name the entries, or pass --all") }
    }

    /// The names in force: those given, or every entry `include` accepts.
    func resolve(_ registry: RegistryOptions, include: (RegistryEntry) -> Bool) throws -> [String] {
        all ? try registry.load().entries.filter(include).map(\.name) : names
    }
}

struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Lock entries, so that verify fails (exit 2) when their artifacts change.",
        discussion: """
            Without --set-expected and with no expected aggregate stored, the next verify sets \
            it. With --set-expected, the artifacts are hashed now and their aggregate stored as \
            expected (an expected aggregate already stored is kept).

            --update re-baselines a locked model after an intended change: it hashes now, \
            replaces the expected aggregate and the recorded files, and records who \
            (version_lock.updated_by), when (updated_at), why (reason, from --reason) and the \
            previous aggregate (previous_aggregate_sha256).

            --from-download-metadata pins a `hf download --local-dir` tree to what the Hub \
            served: each file's expected SHA-256 is the etag in .cache/huggingface/download/ (LFS \
            files are not read); files without a SHA-256 etag, or modified after the download, are \
            hashed and checked against their git blob id, and named. A file without metadata, or \
            one that does not match it, refuses the lock.

            A file of at least --shard-size bytes (default 1G) also gets the SHA-256 of each \
            shard of that size recorded (artifacts.files[].shards), in the same read: a full \
            verify then reads its shards in parallel and names the byte range that changed.

            An empty or missing artifact root is refused as a baseline (a failed mount must not \
            become the lock) unless --allow-empty. A lock pinned in the curated file is never \
            changed: edit that file instead.
            """
    )

    @OptionGroup var targets: TargetOptions

    @Flag(name: .customLong("set-expected"), help: "Hash now and store the aggregate as expected, when none is stored.")
    var setExpected = false

    @Flag(name: .customLong("update"), help: "Re-baseline: hash now and replace the expected aggregate (needs --reason).")
    var update = false

    @Option(name: .customLong("reason"), help: ArgumentHelp("Why the weights changed (recorded with --update).", valueName: "text"))
    var reason: String?

    @Flag(name: .customLong("from-download-metadata"), help: "Take the expected digests of a `hf download --local-dir` tree from its download metadata.")
    var fromDownloadMetadata = false

    @Option(name: .customLong("shard-size"), help: ArgumentHelp("Record shard digests of this size for files at least this large (default 1G; 1M to 1T).", valueName: "size"))
    var shardSize: String?

    @Flag(name: .customLong("allow-empty"), help: "Accept an empty or missing artifact root as the baseline.")
    var allowEmpty = false

    @Flag(name: .customLong("json"), help: "Print the new lock states as JSON.")
    var json = false

    @Flag(name: .customLong("include-all"), help: "Hash every file: also .git/, .cache/huggingface/ and the entry's artifacts.exclude (verify then needs --include-all too).")
    var includeAll = false

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        if update && setExpected { throw ValidationError("--update and --set-expected do not go together: --update always hashes") }
        if update && (reason ?? "").allSatisfy(\.isWhitespace) { throw ValidationError("--update needs --reason TEXT: say why the weights changed") }
        if !update && reason != nil { throw ValidationError("--reason goes with --update") }
        if fromDownloadMetadata && (update || includeAll) { throw ValidationError("--from-download-metadata does not go with --update or --include-all") }
        if let shardSize, Self.shardBytes(shardSize) == nil {
            throw ValidationError("--shard-size takes a size from 1M to 1T such as 64M or 1G (binary units K, M, G, T), got '\(shardSize)'")
        }
    }

    /// The shard size `text` names, within ``FileShards/minimumSize`` ... ``FileShards/maximumSize``.
    static func shardBytes(_ text: String) -> Int64? {
        ByteSize.parse(text).flatMap { (FileShards.minimumSize...FileShards.maximumSize).contains($0) ? $0 : nil }
    }

    func run() async throws {
        let (locker, names) = try prepare()
        let changes = try await change(names, with: locker)
        Terminal.clearProgress()
        LockReport.print(changes, update: update, json: json)
    }

    // run() stays a few lines that await, with the work before and after in plain functions:
    // a longer body crashed Swift 6.3.1's release build (signal 11 in LLVM's split of this
    // coroutine).

    /// The locker and the entry names to lock (entries with local artifacts, for --all).
    private func prepare() throws -> (VersionLocker, [String]) {
        let source = try registry.source(mapPaths: location.mapPaths)
        var hasher = ArtifactHasher(jobs: hashing.jobs, exclusions: includeAll ? .none : .default)
        hasher.shardSize = shardSize.flatMap(Self.shardBytes)
        let locker = VersionLocker(store: try registry.store(), source: source, hasher: hasher, actor: Settings.current.actor)
        let names = try targets.resolve(registry) { entry in
            if case .local = source.location(of: entry) { return true }
            return false
        }
        return (locker, names)
    }

    /// Locks or re-baselines `names`.
    private func change(_ names: [String], with locker: VersionLocker) async throws -> [VersionLocker.LockChange] {
        if update {
            return try await locker.rebaseline(names, reason: reason ?? "", allowEmpty: allowEmpty, progress: Format.progressHandler())
        }
        return try await locker.lock(names, setExpected: setExpected, allowEmpty: allowEmpty, fromDownloadMetadata: fromDownloadMetadata,
                                     progress: Format.progressHandler())
    }
}

struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock entries; their expected aggregates are kept.",
        discussion: "A lock pinned in the curated file is never changed: edit that file instead (exit 1)."
    )

    @OptionGroup var targets: TargetOptions

    @Flag(name: .customLong("json"), help: "Print the new lock states as JSON.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let locker = VersionLocker(store: try registry.store(), source: try registry.source())
        let changes = try locker.unlock(try targets.resolve(registry) { $0.versionLock.locked })
        if json {
            print(JSON.serialize(.array(changes.map(LockReport.json))))
            return
        }
        for change in changes {
            print("unlocked \(displayEscaped(change.name)) (expected aggregate kept: \(change.state.expectedAggregateSHA256 ?? "none"))")
        }
    }
}

enum LockReport {
    /// `lock`'s output: the new lock states as JSON, or a line each.
    static func print(_ changes: [VersionLocker.LockChange], update: Bool, json: Bool) {
        if json {
            Swift.print(JSON.serialize(.array(changes.map(LockReport.json))))
            return
        }
        for change in changes {
            if update {
                Swift.print("re-baselined \(displayEscaped(change.name)) (expected aggregate \(change.state.expectedAggregateSHA256 ?? "-"), was \(change.state.previousAggregateSHA256 ?? "none"))")
            } else if let expected = change.state.expectedAggregateSHA256, let hashed = change.hashedFiles, let manifest = change.manifest {
                let taken = manifest.files.count - hashed.count
                let which = hashed.isEmpty ? "" : ": " + hashed.map { displayEscaped($0) }.joined(separator: ", ")
                Swift.print("locked \(displayEscaped(change.name)) (expected aggregate \(expected); \(taken) of \(manifest.files.count) digests from the download metadata, \(hashed.count) hashed\(which))")
            } else if let expected = change.state.expectedAggregateSHA256 {
                Swift.print("locked \(displayEscaped(change.name)) (expected aggregate \(expected))")
            } else {
                Swift.print("locked \(displayEscaped(change.name)) (no expected aggregate yet: the next verify sets it)")
            }
        }
    }

    static func json(_ change: VersionLocker.LockChange) -> JSONValue {
        let s = change.state
        return .object(JSONObject([
            ("name", .string(change.name)),
            ("locked", .bool(s.locked)),
            ("expected_aggregate_sha256", s.expectedAggregateSHA256.map(JSONValue.string) ?? .null),
            ("previous_aggregate_sha256", s.previousAggregateSHA256.map(JSONValue.string) ?? .null),
            ("updated_by", s.updatedBy.map(JSONValue.string) ?? .null),
            ("updated_at", s.updatedAt.map(JSONValue.string) ?? .null),
            ("reason", s.reason.map(JSONValue.string) ?? .null),
            ("file_count", change.manifest.map { .number(JSONNumber($0.files.count)) } ?? .null),
            ("hashed_files", change.hashedFiles.map { .array($0.map(JSONValue.string)) } ?? .null),
        ]))
    }
}
