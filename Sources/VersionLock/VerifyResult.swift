public import ArtifactHashing
public import ModelRegistry

/// What verify found for one entry: the typed value every output format is made from.
public struct EntryVerification: Sendable {
    /// How the entry stood.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Unlocked: the artifacts were hashed (and recorded, unless `--no-record`).
        case recorded
        /// Locked, and the aggregate matches the expected one.
        case ok
        /// Locked without an expected aggregate: this verify set it.
        case expectationSet = "expected_set"
        /// Locked, and the aggregate differs: nothing but `last_result` was recorded.
        case violation
        /// The entry could not be checked (see ``error``).
        case error
        /// Not checked, and allowed to be (an unlocked entry whose artifacts are not here).
        case skipped

        /// Whether this is a pass.
        public var passed: Bool { self == .recorded || self == .ok || self == .expectationSet }
    }

    /// The entry's name.
    public var name: String
    /// The outcome.
    public var status: Status
    /// Whether the entry is locked.
    public var locked: Bool
    /// Where the artifacts are, as resolved.
    public var location: ArtifactLocation
    /// The aggregate computed now (none when nothing was hashed).
    public var aggregate: String?
    /// The expected aggregate after this verify.
    public var expectedAggregate: String?
    /// `last_verified` after this verify.
    public var lastVerified: String?
    /// `last_full_verify` after this verify: when every byte was last read and matched.
    public var lastFullVerify: String?
    /// The files hashed, by path (none when nothing was hashed).
    public var manifest: Manifest?
    /// On a violation: the differences against the recorded `artifacts.files`.
    public var diff: ManifestDiff?
    /// Store blobs that do not match their names (an Ollama model, a Hugging Face cache
    /// snapshot): an integrity failure even for an unlocked entry.
    public var storeProblems: [String] = []
    /// On a violation: whether `artifacts.files` was recorded at all.
    public var hadRecordedFiles = false
    /// Why the entry failed or was skipped.
    public var error: VersionLockError?
    /// Notes that do not fail the entry (an empty tree, a skipped entry).
    public var warnings: [String] = []
    /// Time spent hashing.
    public var duration: Duration = .zero
    /// Files whose digest came from the stat cache (quick verify), unread.
    public var reusedFiles = 0
    /// Whether every file was read (a full verify); `false` when any digest came from the stat cache.
    public var fullyRead: Bool { reusedFiles == 0 }

    /// Files hashed.
    public var fileCount: Int { manifest?.files.count ?? 0 }
    /// Bytes hashed.
    public var bytes: Int64 { manifest?.totalBytes ?? 0 }
}

/// The outcome of verifying several entries.
public struct BatchVerification: Sendable {
    /// One result per entry, in the order asked for (registry order for `--all`).
    public var results: [EntryVerification]
    /// Problems of the run as a whole (`--strict` with no entries).
    public var errors: [VersionLockError] = []
    /// Set when the results could not be recorded (a read-only registry); the verdicts stand.
    public var notRecorded: String?
    /// Whether the results were written to the registry (not with `--no-record`, nor when
    /// ``notRecorded`` says why not).
    public var recorded = true
    /// Why the run's stat caches could not be written (named once for the run; fails nothing).
    public var statCacheProblem: String?
    /// Wall time of the whole run.
    public var duration: Duration = .zero
    /// Files whose digest came from the stat cache, over all entries.
    public var reusedFiles: Int { results.reduce(0) { $0 + $1.reusedFiles } }

    public init(results: [EntryVerification], errors: [VersionLockError] = [], notRecorded: String? = nil, duration: Duration = .zero) {
        self.results = results
        self.errors = errors
        self.notRecorded = notRecorded
        self.duration = duration
    }

    /// Counts per status.
    /// (By index: a loop over the results would copy each one, with its manifest.)
    public func count(_ status: EntryVerification.Status) -> Int { results.indices.count { results[$0].status == status } }

    /// Whether any entry failed its integrity check.
    public var hasViolation: Bool { results.indices.contains { results[$0].status == .violation } }
    /// Whether any entry (or the run) ended in an error.
    public var hasError: Bool { !errors.isEmpty || results.indices.contains { results[$0].status == .error } }
}

/// How a verify runs.
public struct VerifyOptions: Sendable {
    /// Write results to the registry (`--no-record` clears it: nothing is written, no lock taken).
    public var record = true
    /// Fail instead of warning: no entries, an unlocked entry, an empty artifact root.
    public var strict = false
    /// Quick verify: reuse the stat cache's digest for every file whose (device, inode, size,
    /// mtime, ctime) is unchanged since it was last read in full. Needs ``statCache``; a missing
    /// or corrupt cache means a full hash. Does not detect bit rot.
    public var quick = false
    /// Rolling scrub (`--all --max-bytes`): read in full the entries least recently fully
    /// verified, up to about this many bytes (by their recorded sizes; at least one entry),
    /// and quick-verify the rest.
    public var fullBytesBudget: Int64?
    /// Where stat caches live. When set (and ``record``), every verify of a local root records
    /// its files' stamps there for the next quick verify.
    public var statCache: StatCacheStore?
    /// With every entry (`verifyAll`): the backends whose entries are skipped, locked or not,
    /// each with a note (`--skip-backend ollama`: another host holds those artifacts).
    public var skippedBackends: Set<String> = []

    public init(record: Bool = true, strict: Bool = false, quick: Bool = false, fullBytesBudget: Int64? = nil,
                statCache: StatCacheStore? = nil) {
        self.record = record
        self.strict = strict
        self.quick = quick
        self.fullBytesBudget = fullBytesBudget
        self.statCache = statCache
    }
}
