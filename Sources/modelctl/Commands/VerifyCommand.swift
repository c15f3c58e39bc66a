import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON
import VersionLock

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Hash entries' artifacts and check them against their locks.",
        discussion: """
            Unlocked entries: the artifacts are hashed and recorded (artifacts, last_verified). \
            Locked entries: the aggregate must equal the expected one; on a mismatch only \
            version_lock.last_result is recorded and the changed, missing, added and moved files \
            are listed. A locked entry without an expected aggregate takes the one computed now.

            Entries are hashed several at once; the registry is read once and every result is \
            saved in one locked write at the end. --no-record writes nothing and takes no lock \
            (a read-only checkout in CI); a registry that cannot be written still gets its \
            verdicts, with a warning.

            --all verifies every entry. An unlocked entry whose artifacts are not on this host is \
            skipped with a note; a locked entry that cannot be checked is an error, always. \
            --strict also fails on no entries, an unlocked entry or an empty artifact root. \
            --skip-backend ollama skips every Ollama entry, locked or not, with a note each (CI \
            runners without the Ollama store; verify those on the host that holds it).

            With --signature FILE, one entry (or a path) is checked against a model_signing bundle \
            instead: the DSSE signature must verify with --public-key (else the entry's \
            version_lock.signer or version_lock.public_key, else $MODELCTL_PUBLIC_KEY) and every \
            file must match its signed digest, none missing or added. A certificate bundle \
            (model_signing's certificate method) is checked with --certificate-chain CA.pem \
            instead (repeatable; a file may hold several certificates): the bundle's signing \
            certificate must chain to one of them, be valid now and carry the code-signing \
            extended key usage. A keyless (Sigstore) bundle, model_signing's default, is checked \
            offline with --identity ID --identity-provider URL (cosign's --certificate-identity \
            and --certificate-oidc-issuer are accepted too): its Rekor entry (signed entry \
            timestamp, inclusion proof, checkpoint), the SCT in its Fulcio certificate, the \
            entry's match with the bundle, the certificate chain at the time Rekor recorded the \
            entry, and the certificate's identity and OIDC issuer, against Sigstore's public-good \
            trusted root built into modelctl, or --trusted-root FILE (else $MODELCTL_TRUSTED_ROOT). \
            --ignore-paths P leaves P out as well (relative to the model directory, or a path \
            under it such as ./model/ignore-me), for bundles made before model_signing 1.1, which \
            do not record the paths they left out.

            --quick re-reads only the files whose (device, inode, size, mtime, ctime) changed \
            since they were last read in full, taking the other digests from a stat cache under \
            the state directory ($MODELCTL_STATE_DIR, else $XDG_STATE_HOME/modelctl, else \
            ~/.local/state/modelctl). The tree is still listed, so added and removed files are \
            seen. A missing or corrupt cache means a full hash. A quick verify does not detect \
            silent corruption (bit rot): only a full verify reads the bytes. \
            --all --max-bytes SIZE (e.g. 50G) reads in full the entries least recently fully \
            verified (version_lock.last_full_verify), up to about SIZE, and quick-verifies the \
            rest: a nightly cron job covers the whole store every few nights. --io-nice lowers \
            the I/O priority to idle (Linux).

            .git/ and .cache/huggingface/ directories are left out of the hash, and so are the \
            glob patterns of the entry's artifacts.exclude; --include-all hashes every file.

            With --manifest FILE, one directory (or file) is checked against a `modelctl hash` \
            output instead, no registry involved: sha256sum lines or the --json object (told \
            apart by the first character), as a release ships beside its weights. Changed, \
            missing, added and moved files are listed, as hashdeep's audit mode does; exit 0 when \
            the tree matches, 2 when it does not.

            Exit status: 0 all verified; 2 an integrity failure (even if other entries failed); \
            1 any other failure (unknown model, missing artifact root, I/O).
            """
    )

    @Argument(help: "Entry names, taken literally (with --signature: one entry name or a path).")
    var names: [String] = []

    @Option(name: .customLong("signature"), help: ArgumentHelp("Check against this model_signing bundle (model.sig).", valueName: "file"))
    var signature: String?

    @Option(name: .customLong("manifest"), help: ArgumentHelp("Check the directory NAME against this `modelctl hash` output (sha256sum lines or --json).", valueName: "file"))
    var manifest: String?

    @Option(name: .customLong("public-key"), help: ArgumentHelp("PEM EC public key for --signature.", valueName: "pem"))
    var publicKey: String?

    @Option(name: .customLong("certificate-chain"),
            help: ArgumentHelp("PEM CA certificates for a certificate bundle (repeatable; a file may hold several).", valueName: "pem"))
    var certificateChain: [String] = []

    @Option(name: .customLong("ignore-paths"),
            help: ArgumentHelp("With --signature: leave this path out too, relative to the model directory or under it (repeatable; for bundles older than model_signing 1.1, which record none).", valueName: "path"))
    var ignorePaths: [String] = []

    @Option(name: [.customLong("identity"), .customLong("certificate-identity")],
            help: ArgumentHelp("For a keyless (Sigstore) bundle: the email or URI the signing certificate must name.", valueName: "id"))
    var identity: String?

    @Option(name: [.customLong("identity-provider"), .customLong("certificate-oidc-issuer")],
            help: ArgumentHelp("For a keyless bundle: the OIDC issuer that must have vouched for --identity.", valueName: "url"))
    var identityProvider: String?

    @Option(name: .customLong("trusted-root"),
            help: ArgumentHelp("For a keyless bundle (--identity, or the entry's version_lock.signer): a Sigstore trusted_root.json instead of the built-in public-good one (default: $MODELCTL_TRUSTED_ROOT).", valueName: "file"))
    var trustedRoot: String?

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Verify every entry of the registry.")
    var all = false

    @Flag(name: .customLong("no-record"), help: "Write nothing to the registry and take no lock (read-only CI checkouts).")
    var noRecord = false

    @Flag(name: .customLong("strict"), help: "Fail on no entries, an unlocked entry or an empty artifact root instead of warning.")
    var strict = false

    @Flag(name: .customLong("json"), help: "Print the outcome as JSON (an object for one name, an array otherwise).")
    var json = false

    @Flag(name: .customLong("quick"), help: "Re-read only files whose stat changed since their last full hash (does not detect bit rot).")
    var quick = false

    @Option(name: .customLong("max-bytes"),
            help: ArgumentHelp("With --all: read in full the least recently fully verified entries up to about SIZE (50G, 500M; binary units), quick-verify the rest.", valueName: "size"))
    var maxBytes: String?

    @Flag(name: .customLong("io-nice"), help: "Lower this run's I/O priority to idle (Linux), for cron.")
    var ioNice = false

    @Flag(name: .customLong("include-all"), help: "Hash every file: also .git/, .cache/huggingface/ and the entry's artifacts.exclude.")
    var includeAll = false

    @OptionGroup var skipping: BackendSkipOptions
    @OptionGroup var hashing: HashingOptions
    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var reports: ReportFileOptions

    func validate() throws {
        if all && !names.isEmpty { throw ValidationError("give entry names or --all, not both") }
        if !all && names.isEmpty { throw ValidationError("name the entries to verify, or pass --all") }
        if manifest != nil && (all || names.count != 1 || signature != nil || quick || maxBytes != nil || reports.junit != nil || reports.prometheus != nil) {
            throw ValidationError("--manifest checks one directory: give its path, without --all, --signature, --quick, --max-bytes, --junit or --prometheus")
        }
        if signature != nil && (all || names.count != 1) { throw ValidationError("--signature checks one entry or path at a time") }
        if (publicKey != nil || !certificateChain.isEmpty || !ignorePaths.isEmpty) && signature == nil {
            throw ValidationError("--public-key, --certificate-chain and --ignore-paths go with --signature")
        }
        if publicKey != nil && !certificateChain.isEmpty { throw ValidationError("give --public-key (a key bundle) or --certificate-chain (a certificate bundle), not both") }
        if (identity != nil || identityProvider != nil || trustedRoot != nil) && signature == nil {
            throw ValidationError("--identity, --identity-provider and --trusted-root go with --signature")
        }
        if (identity == nil) != (identityProvider == nil) { throw ValidationError("a keyless bundle is checked with --identity ID and --identity-provider URL together") }
        if identity != nil && (publicKey != nil || !certificateChain.isEmpty) {
            throw ValidationError("give --identity/--identity-provider (a keyless bundle), --public-key or --certificate-chain, not several")
        }
        try Settings.requireValue(publicKey, "--public-key")
        try Settings.requireValue(identity, "--identity")
        try Settings.requireValue(identityProvider, "--identity-provider")
        try Settings.requireValue(trustedRoot, "--trusted-root")
        if signature != nil && (reports.junit != nil || reports.prometheus != nil) {
            throw ValidationError("--junit and --prometheus report registry entries; they do not go with --signature")
        }
        if let maxBytes {
            if !all { throw ValidationError("--max-bytes goes with --all") }
            if quick { throw ValidationError("--max-bytes already quick-verifies what it does not read in full; drop --quick") }
            if ByteSize.parse(maxBytes) == nil {
                throw ValidationError("--max-bytes takes a size such as 50G, 500M or 1048576 (binary units K, M, G, T), got '\(maxBytes)'")
            }
        }
        if !skipping.backends.isEmpty && !all { throw ValidationError("--skip-backend goes with --all (a named entry is always verified)") }
        if signature != nil && (quick || includeAll) { throw ValidationError("--quick and --include-all do not apply to --signature") }
    }

    func run() async throws {
        if let manifest {
            try await ManifestCheck.run(root: names[0], manifest: manifest, json: json,
                                        hasher: ArtifactHasher(jobs: hashing.jobs, exclusions: includeAll ? .none : .default))
            return
        }
        if let signature {
            // The options given override what the entry pins.
            let signer = identity.map {
                SigstoreSigner(identity: $0, identityProvider: identityProvider ?? "", trustedRootPath: Settings.current.trustedRoot(option: trustedRoot))
            }
            let trust: SignatureTrust? = publicKey.map { .publicKey(PublicKeyPEM(pinned: $0, source: "\(names[0]): public key")) }
                ?? (certificateChain.isEmpty ? nil : .certificateChain(paths: certificateChain)) ?? signer.map { .sigstore($0) }
            try await SignatureTarget.verify(names[0], signature: signature, trust: trust, trustedRoot: trustedRoot, ignorePaths: ignorePaths, registry: registry,
                                             mapPaths: location.mapPaths, jobs: hashing.jobs, json: json)
            return
        }
        let started = ContinuousClock.now
        let batch: BatchVerification
        do {
            batch = try await verifyBatch()
        } catch {
            // A failed run still replaces the report files (the error, the time of the attempt):
            // a dashboard or CI page must never keep showing the last good run as today's.
            let failed = BatchVerification(results: [], errors: [VersionLockError(.registry, ExitStatus.message(of: error))],
                                           duration: ContinuousClock.now - started)
            _ = reports.write(junit: { JUnitReport(failed, hostname: ReportFileOptions.hostname, finished: Date()) },
                              prometheus: { PrometheusReport(failed, finished: Date()) })
            throw error
        }
        Terminal.clearProgress()
        if quick || maxBytes != nil {
            let files = batch.results.reduce(0) { $0 + $1.fileCount }
            let partial = batch.results.filter { !$0.fullyRead }.count
            Terminal.note("quick verify: \(batch.reusedFiles) of \(Format.count(files, "file")) taken from the stat cache unread (\(Format.count(partial, "entry", "entries"))); "
                + "a quick verify does not detect silent corruption (bit rot): only a full verify reads every byte")
        }
        try VerifyReport.print(batch, json: json, single: !all && names.count == 1, reports: reports)
    }

    /// Verifies the entries asked for; throws when the run cannot start or finish (the registry).
    private func verifyBatch() async throws -> BatchVerification {
        if ioNice && !IOPriority.lowerToIdle() { Terminal.warning("--io-nice: could not lower the I/O priority on this system; running at normal priority") }
        var hasher = ArtifactHasher(jobs: hashing.jobs, exclusions: includeAll ? .none : .default)
        // An idle-priority scrub leaves the page cache to the server: the pages read are dropped behind.
        hasher.dropBehind = ioNice
        let locker = VersionLocker(store: try registry.store(), source: try registry.source(mapPaths: location.mapPaths), hasher: hasher)
        let stateDirectory = Settings.current.stateDirectory
        if (quick || maxBytes != nil) && stateDirectory == nil {
            Terminal.warning("no state directory (set MODELCTL_STATE_DIR): no stat cache, every file is read in full")
        }
        var options = VerifyOptions(record: !noRecord, strict: strict, quick: quick, fullBytesBudget: maxBytes.flatMap(ByteSize.parse),
                                    statCache: stateDirectory.map(StatCacheStore.init(stateDirectory:)))
        options.skippedBackends = Set(skipping.backends)
        let progress = Format.progressHandler()
        return all ? try await locker.verifyAll(options: options, progress: progress)
            : try await locker.verify(names: names, options: options, progress: progress)
    }
}

/// Sizes on the command line: `50G`, `500M`, `1048576` (binary units: K = 1024).
enum ByteSize {
    /// The bytes `text` names, or `nil` when it is not a size (or overflows).
    static func parse(_ text: String) -> Int64? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        for suffix in ["iB", "B", "i"] where digits.count > suffix.count && digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            break
        }
        var shift: Int64 = 0
        if let last = digits.last, let index = "KMGTP".firstIndex(of: Character(last.uppercased())) {
            shift = Int64("KMGTP".distance(from: "KMGTP".startIndex, to: index) + 1) * 10
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy(\.isASCII), let value = Int64(digits), value >= 0 else { return nil }
        let (result, overflow) = value.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : result
    }
}

/// The text and JSON forms of verify results.
enum VerifyReport {
    /// Prints every result (text or JSON on stdout; errors, skips and the summary on stderr)
    /// and throws the exit status the batch deserves.
    static func print(_ batch: BatchVerification, json: Bool, single: Bool, reports: ReportFileOptions? = nil) throws {
        let finished = Date()
        let written = reports?.write(junit: { JUnitReport(batch, hostname: ReportFileOptions.hostname, finished: finished) },
                                     prometheus: { PrometheusReport(batch, finished: finished) }) ?? true
        Annotation.emit(Annotation.of(batch))
        // Result lines go out in blocks (a batch of 1,000 is a few writes, not 1,000); a block
        // is flushed before anything goes to stderr, so the two streams keep their order.
        var lines = ""
        func flush() {
            if !lines.isEmpty { Output.emit(lines) }
            lines = ""
        }
        for result in batch.results {
            let errorShown = result.status == .error ? result.error : nil
            if errorShown != nil || result.warnings.contains(where: { !$0.isEmpty }) { flush() }
            for warning in result.warnings where !warning.isEmpty {
                if result.status == .skipped { Terminal.note(warning) } else { Terminal.warning(warning) }
            }
            if let errorShown { Terminal.error(ExitStatus.message(errorShown)) }
            if !json, result.status != .error, result.status != .skipped {
                lines += text(result, recorded: batch.recorded) + "\n"
                if lines.utf8.count >= 1 << 16 { flush() }
            }
        }
        flush()
        for error in batch.errors { Terminal.error(ExitStatus.message(error)) }
        if let notRecorded = batch.notRecorded { Terminal.warning(notRecorded) }
        if let problem = batch.statCacheProblem { Terminal.warning(problem + "; set MODELCTL_STATE_DIR to a writable directory") }
        if json {
            let values = batch.results.map { Self.json($0, recorded: batch.recorded) }
            Output.emit(JSON.serialize(single && values.count == 1 ? values[0] : .array(values)) + "\n")
        }
        if batch.results.count > 1 || batch.results.isEmpty {
            Terminal.note("verified \(Format.count(batch.results.count, "entry", "entries")): \(batch.count(.ok) + batch.count(.recorded) + batch.count(.expectationSet)) ok, "
                + "\(Format.count(batch.count(.violation), "lock violation")), \(Format.count(batch.count(.error) + batch.errors.count, "error")), \(batch.count(.skipped)) skipped")
        }
        let violations = batch.results.filter { $0.status == .violation }
        if !violations.isEmpty {
            throw CommandFailure.violation(violations.count == 1 ? "lock violation: \(violations[0].name) does not match its expected aggregate"
                : "\(violations.count) lock violations")
        }
        if batch.hasError || !written { throw CommandFailure.error("") }
    }

    /// `recorded`: whether the run wrote its results (not with `--no-record`).
    static func text(_ o: EntryVerification, recorded: Bool = true) -> String {
        switch o.status {
        case .violation:
            let name = displayEscaped(o.name)
            // Nothing hashed (no aggregate): the tree holds a FIFO, device or linked directory.
            if o.aggregate == nil, let problem = o.storeProblems.first {
                return "\(name): " + Terminal.red("LOCK VIOLATION") + " (not a regular file)\n  special  " + displayEscaped(problem, backslashes: false)
            }
            if !o.storeProblems.isEmpty {
                return (["\(name): " + Terminal.red("CORRUPT") + " (store blobs do not match their names)"] + o.storeProblems.map { "  corrupt  " + displayEscaped($0) }).joined(separator: "\n")
            }
            var lines = ["\(name): " + Terminal.red("LOCK VIOLATION"), "  expected \(o.expectedAggregate ?? "-")", "  actual   \(o.aggregate ?? "-")"]
            if let diff = o.diff {
                if !o.hadRecordedFiles { lines.append("  (no per-file digests were recorded for this entry: every file is listed as added)") }
                lines += fileLines(diff, aligned: true, changedRanges: o.manifest?.changedRanges ?? [:]).map { "  " + $0 }
                if diff.isEmpty { lines.append("  (the recorded file list matches; the expected aggregate was set from other files)") }
            }
            return lines.joined(separator: "\n")
        default:
            let state = switch o.status {
            case .ok: "OK (locked, matches expected)"
            case .expectationSet: recorded ? "OK (locked, expected aggregate set now)" : "OK (locked, no expected aggregate; not recorded)"
            default: recorded ? "OK (unlocked, recorded)" : "OK (unlocked, not recorded)"
            }
            return """
                \(displayEscaped(o.name)): \(state)
                  aggregate     \(o.aggregate ?? "-")
                  files         \(o.fileCount) (\(Format.bytes(o.bytes)))
                  last_verified \(o.lastVerified ?? "-")
                """
        }
    }

    /// The diff's `changed`, `missing`, `added` and `moved` arrays, added to `object`, each in path order.
    static func addDiff(_ diff: ManifestDiff, to object: inout JSONObject, changedRanges: [String: [Range<Int64>]] = [:]) {
        object["changed"] = .array(sortedByPath(diff.changed, \.path).map { c in
            var item = JSONObject([("path", .string(c.path)), ("expected", .string(c.expected)), ("actual", .string(c.actual))])
            if let ranges = changedRanges[c.path] {
                // Half-open [start, end) byte ranges of the shards that changed.
                item["changed_bytes"] = .array(ranges.map { .array([.number(JSONNumber(Int($0.lowerBound))), .number(JSONNumber(Int($0.upperBound)))]) })
            }
            return .object(item)
        })
        object["missing"] = .array(sortedByPath(diff.missing, \.path).map { ["path": .string($0.path), "expected": .string($0.sha256)] })
        object["added"] = .array(sortedByPath(diff.added, \.path).map { ["path": .string($0.path), "actual": .string($0.sha256)] })
        object["moved"] = .array(sortedByPath(diff.moved, \.from).map { ["from": .string($0.from), "to": .string($0.to), "sha256": .string($0.sha256)] })
    }

    /// One line: what is wrong with a violation (`NAME does not match its expected aggregate:
    /// 1 changed, 0 missing, 2 added, 0 moved`) or a corrupt store.
    static func summary(_ o: EntryVerification) -> String {
        if o.aggregate == nil, let problem = o.storeProblems.first { return displayEscaped(problem, backslashes: false) }
        if !o.storeProblems.isEmpty { return "\(displayEscaped(o.name)): \(Format.count(o.storeProblems.count, "store blob")) \(o.storeProblems.count == 1 ? "does" : "do") not match \(o.storeProblems.count == 1 ? "its name" : "their names")" }
        var text = "\(displayEscaped(o.name)) does not match its expected aggregate"
        if let diff = o.diff {
            text += ": \(diff.changed.count) changed, \(diff.missing.count) missing, \(diff.added.count) added, \(diff.moved.count) moved"
        }
        return text
    }

    /// The files behind a violation, one per line in path order: `changed PATH expected X actual Y`,
    /// `missing PATH`, `added PATH`, `moved FROM -> TO`, `corrupt BLOB`.
    static func details(_ o: EntryVerification) -> String {
        var lines = o.storeProblems.map { "corrupt " + displayEscaped($0) }
        if o.storeProblems.isEmpty { lines.append("expected aggregate \(o.expectedAggregate ?? "-")\nactual aggregate \(o.aggregate ?? "-")") }
        if let diff = o.diff { lines += fileLines(diff, aligned: false, changedRanges: o.manifest?.changedRanges ?? [:]) }
        return lines.joined(separator: "\n")
    }

    /// One line per changed, missing, added and moved file, in path order, each path escaped
    /// (``displayEscaped(bytes:)``): a file name is chosen by whoever writes the tree, and a raw
    /// one could forge a line, a CI workflow command or a terminal escape in every report that
    /// prints it (text, annotations, JUnit). `aligned` pads the paths to one column.
    /// `changedRanges`: the byte ranges of changed shards, by path (``Manifest/changedRanges``),
    /// shown after the digests as ` (bytes A-B changed)` (inclusive offsets).
    static func fileLines(_ diff: ManifestDiff, aligned: Bool, changedRanges: [String: [Range<Int64>]] = [:]) -> [String] {
        let gap = aligned ? "  " : " "
        func bytes(_ path: String) -> String {
            guard let ranges = changedRanges[path], !ranges.isEmpty else { return "" }
            return " (bytes " + ranges.map { "\($0.lowerBound)-\($0.upperBound - 1)" }.joined(separator: ", ") + " changed)"
        }
        let changed = sortedByPath(diff.changed, \.path).map { ("changed", $0.displayPath, "expected \($0.expected)\(gap)actual \($0.actual)" + bytes($0.path)) }
        let missing = sortedByPath(diff.missing, \.path).map { ("missing", $0.displayPath, "expected \($0.sha256)") }
        let added = sortedByPath(diff.added, \.path).map { ("added", $0.displayPath, "actual \($0.sha256)") }
        let rows = changed + missing + added
        let width = aligned ? rows.map(\.1.count).max() ?? 0 : 0
        let kind = aligned ? 7 : 0
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        return rows.map { pad($0.0, kind) + gap + pad($0.1, width) + gap + $0.2 }
            + sortedByPath(diff.moved, \.from).map {
                pad("moved", kind) + gap + displayEscaped(bytes: $0.fromBytes) + " -> " + displayEscaped(bytes: $0.toBytes) + gap + "sha256 \($0.sha256)"
            }
    }

    /// `items` in the byte order of their paths (the order manifests use).
    static func sortedByPath<T>(_ items: [T], _ path: KeyPath<T, String>) -> [T] {
        items.sorted { $0[keyPath: path].utf8.lexicographicallyPrecedes($1[keyPath: path].utf8) }
    }

    static func json(_ o: EntryVerification, recorded: Bool = true) -> JSONValue {
        var object = JSONObject([
            ("schema_version", .number(JSONNumber(JSONSchema.version))),
            ("name", .string(o.name)),
            ("status", .string(o.status.rawValue)),
            ("recorded", .bool(recorded)),
            ("locked", .bool(o.locked)),
            ("aggregate_sha256", o.aggregate.map(JSONValue.string) ?? .null),
            ("expected_aggregate_sha256", o.expectedAggregate.map(JSONValue.string) ?? .null),
            ("last_verified", o.lastVerified.map(JSONValue.string) ?? .null),
            ("root", o.manifest.map { .string($0.root) } ?? .null),
            ("file_count", .number(JSONNumber(o.fileCount))),
            ("bytes", .number(JSONNumber(Int(o.bytes)))),
            ("seconds", .number(JSONNumber(o.duration.inSecondsRounded))),
        ])
        if let error = o.error { object["error"] = .string(error.message) }
        if !o.storeProblems.isEmpty { object["corrupt"] = .array(o.storeProblems.map(JSONValue.string)) }
        if !o.warnings.isEmpty { object["warnings"] = .array(o.warnings.map(JSONValue.string)) }
        if let diff = o.diff { addDiff(diff, to: &object, changedRanges: o.manifest?.changedRanges ?? [:]) }
        return .object(object)
    }
}

/// `modelctl verify DIR --manifest FILE`: a tree against a `hash` output, no registry.
enum ManifestCheck {
    static func run(root: String, manifest: String, json: Bool, hasher: ArtifactHasher) async throws {
        let expected = try ManifestFile.read(manifest)
        let actual = try await hasher.hash(root, progress: Format.progressHandler(label: displayEscaped(root)))
        Terminal.clearProgress()
        let diff = ManifestDiff(expected: expected, actual: actual.files)
        let name = displayEscaped(root)
        if json {
            var object = JSONObject([
                ("schema_version", .number(JSONNumber(JSONSchema.version))),
                ("root", .string(root)),
                ("manifest", .string(manifest)),
                ("status", .string(diff.isEmpty ? "ok" : "mismatch")),
                ("file_count", .number(JSONNumber(actual.files.count))),
                ("aggregate_sha256", .string(actual.aggregate)),
            ])
            VerifyReport.addDiff(diff, to: &object)
            Output.emit(JSON.serialize(.object(object)) + "\n")
        } else if diff.isEmpty {
            Output.emit("\(name): OK (matches \(displayEscaped(manifest)), \(Format.count(actual.files.count, "file")), \(Format.bytes(actual.totalBytes)))\n")
        } else {
            Output.emit(([name + ": " + Terminal.red("MISMATCH") + " against \(displayEscaped(manifest))"] + VerifyReport.fileLines(diff, aligned: true).map { "  " + $0 }).joined(separator: "\n") + "\n")
        }
        guard diff.isEmpty else {
            throw CommandFailure.violation("\(name) does not match \(displayEscaped(manifest)): \(diff.changed.count) changed, \(diff.missing.count) missing, \(diff.added.count) added, \(diff.moved.count) moved")
        }
    }
}
