import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import ModelStores
import OrderedJSON
import SystemSupport

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Check Hugging Face caches and Ollama stores offline, every blob against its name.",
        discussion: """
            Each PATH is a Hugging Face cache directory (or one models--ORG--NAME repository in \
            it) or an Ollama store. Every cache blob is hashed and compared with its name (SHA-256 \
            for LFS files, the git blob SHA-1 for others), every snapshot link must land in its \
            repository's blobs/, and every ref must name a snapshot. Every Ollama manifest \
            (manifests/ and manifests-v2/) is read and each blob it names must exist, have the \
            recorded size and hash to its name; blobs no model uses are checked too.

            Without PATH: the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else \
            ~/.cache/huggingface/hub) and the Ollama store (OLLAMA_MODELS, else ~/.ollama/models, \
            else /usr/share/ollama/.ollama/models), those that exist.

            A PATH holding .cache/huggingface/download/ is a `hf download --local-dir` tree: each \
            file is checked offline against the etag its download metadata records (SHA-256 for \
            LFS files, git blob SHA-1 for others); files without metadata, and files changed since \
            the download, are named.

            Prints one line per repository or model: ok, corrupt (with the bad files) or error; \
            and one `interrupted` line per file an interrupted Ollama pull left in blobs/ \
            (*-partial, *-partial-N, *.tmp, sha256-* temporary files), which is neither checked \
            nor served: pull the model again, or delete the file. \
            Exit 0 when all are ok, 2 when anything is corrupt, 1 when something could not be checked.

            Repair: with --quarantine DIR, every blob that does not match its name (a corrupt or \
            truncated download) is moved into DIR (renamed; copied, checked and removed across file \
            systems) with a JSON record of where it came from and what it should and did hash to. \
            Links and manifests are left alone, so the printed `ollama pull NAME` or \
            `hf download REPO` fetches exactly the blobs moved. DIR must be outside the stores \
            scanned; a lock in DIR and in each store keeps two scans from racing. --dry-run lists \
            what would move. The exit code is still 2 when a corrupt blob was found, even once it \
            is quarantined (1 when a blob could not be moved). --restore DIR puts quarantined blobs \
            back, never over a blob downloaded since.
            """
    )

    @Argument(help: "Hugging Face cache directories, cache repositories or Ollama stores.")
    var paths: [String] = []

    @Flag(name: .customLong("json"), help: "Print {items: [{store, name, path, status, blobs, bytes, aggregate_sha256, problems, notes}], errors, notes, interrupted}.")
    var json = false

    @Option(name: .customLong("quarantine"), help: ArgumentHelp("Move every corrupt blob into DIR (outside the stores), with a JSON record each.", valueName: "dir"))
    var quarantine: String?

    @Flag(name: .customLong("dry-run"), help: "With --quarantine: list what would move, move nothing.")
    var dryRun = false

    @Option(name: .customLong("restore"), help: ArgumentHelp("Put the blobs quarantined in DIR back (never over a blob downloaded since).", valueName: "dir"))
    var restore: String?

    @OptionGroup var lockTimeout: LockTimeoutOption

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var reports: ReportFileOptions

    func validate() throws {
        if dryRun && quarantine == nil { throw ValidationError("--dry-run goes with --quarantine DIR") }
        if restore != nil && (quarantine != nil || !paths.isEmpty) { throw ValidationError("--restore DIR takes no PATH and no --quarantine") }
    }

    private func quarantiner(_ directory: String) -> StoreQuarantine {
        StoreQuarantine(directory: directory, hasher: ArtifactHasher(jobs: hashing.jobs),
                        lockTimeout: lockTimeout.duration) { Terminal.note("modelctl: " + $0) }
    }

    func run() async throws {
        if let restore { return try runRestore(restore) }
        let started = ContinuousClock.now
        let report: ScanReport
        var outcomes: [QuarantineOutcome] = []
        do {
            let targets = paths.isEmpty ? try ScanCommand.defaultPaths() : paths
            let scanner = StoreScanner(hasher: ArtifactHasher(jobs: hashing.jobs))
            if let quarantine {
                do {
                    (report, outcomes) = try await quarantiner(quarantine).scanAndQuarantine(paths: targets, scanner: scanner, dryRun: dryRun)
                } catch let error as StoreError {
                    throw CommandFailure.error(error.message)
                }
            } else {
                report = try await scanner.scan(paths: targets)
            }
        } catch {
            // As verify: a failed scan still replaces the report files with the error.
            let failed = ScanReport(errors: [ExitStatus.message(of: error)]), seconds = (ContinuousClock.now - started).inSeconds
            _ = reports.write(junit: { JUnitReport(failed, hostname: ReportFileOptions.hostname, finished: Date(), seconds: seconds) },
                              prometheus: { PrometheusReport(failed, finished: Date(), seconds: seconds) })
            throw error
        }
        let seconds = (ContinuousClock.now - started).inSeconds, finished = Date()
        let written = reports.write(junit: { JUnitReport(report, hostname: ReportFileOptions.hostname, finished: finished, seconds: seconds) },
                                    prometheus: { PrometheusReport(report, finished: finished, seconds: seconds) })
        Annotation.emit(Annotation.of(report))
        for note in report.notes { Terminal.note("modelctl: note: \(note)") }
        for item in report.items {
            for note in item.notes { Terminal.note("modelctl: note: \(ScanCommand.displayName(item)): \(note)") }
        }
        for error in report.errors { Terminal.error(error) }
        var refused = false
        for case (let outcome, .refused(let why)) in outcomes.map({ ($0, $0.result) }) {
            refused = true
            Terminal.error("not quarantined: \(outcome.candidate.path): \(why)")
        }
        if json {
            var document = ScanCommand.json(report)
            if quarantine != nil, case .object(var object) = document {
                object["quarantine"] = .array(outcomes.map(ScanCommand.json))
                document = .object(object)
            }
            print(JSON.serialize(document))
        } else {
            for item in report.items { print(ScanCommand.line(item)) }
            for path in report.interrupted { print("interrupted  \(displayEscaped(path))  (an interrupted pull: pull the model again, or delete the file)") }
            for outcome in outcomes { ScanCommand.printOutcome(outcome) }
            var commands: [[String]] = []
            for outcome in outcomes where outcome.result != .intactNow {
                for command in outcome.candidate.repairCommands where !commands.contains(command) { commands.append(command) }
            }
            for command in commands { print("repair  " + command.map(\.shellQuoted).joined(separator: " ")) }
        }
        if report.hasCorruption { throw CommandFailure.violation("") }
        if report.hasErrors || refused || !written { throw CommandFailure.error("") }
    }

    private func runRestore(_ directory: String) throws {
        let restored = Result { () throws(StoreError) in try quarantiner(directory).restore() }
        guard case .success(let outcomes) = restored else {
            if case .failure(let error) = restored { throw CommandFailure.error(error.message) }
            return
        }
        for outcome in outcomes {
            if let refusal = outcome.refusal { Terminal.error("not restored: \(outcome.record): \(refusal)") }
        }
        if json {
            print(JSON.serialize(.array(outcomes.map { outcome in
                .object(JSONObject([
                    ("record", .string(outcome.record)),
                    ("original_path", .string(outcome.originalPath)),
                    ("restored", .bool(outcome.refusal == nil)),
                    ("reason", outcome.refusal.map(JSONValue.string) ?? .null),
                ]))
            })))
        } else {
            for outcome in outcomes where outcome.refusal == nil { print("restored \(displayEscaped(outcome.originalPath))") }
            if outcomes.isEmpty { print("nothing quarantined in \(displayEscaped(directory))") }
        }
        if outcomes.contains(where: { $0.refusal != nil }) { throw CommandFailure.error("") }
    }

    /// `quarantined PATH -> BLOB (sha256 ACTUAL, expected EXPECTED)`, or what a dry run would do.
    static func printOutcome(_ outcome: QuarantineOutcome) {
        let c = outcome.candidate
        let digests = "(\(c.algorithm) \(c.actual), expected \(c.expected))"
        switch outcome.result {
        case .moved(let blob, _): print("quarantined \(displayEscaped(c.path)) -> \(displayEscaped(blob)) \(digests)")
        case .wouldMove: print("would quarantine \(displayEscaped(c.path)) \(digests)")
        case .intactNow: print("left \(displayEscaped(c.path)): it matches its name now (downloaded again since the scan)")
        case .refused: break
        }
    }

    static func json(_ outcome: QuarantineOutcome) -> JSONValue {
        let c = outcome.candidate
        var fields: [(String, JSONValue)] = [
            ("path", .string(c.path)), ("algorithm", .string(c.algorithm)),
            ("expected", .string(c.expected)), ("actual", .string(c.actual)),
            ("models", .array(c.models.map(JSONValue.string))),
            ("repair_commands", .array(c.repairCommands.map { .string($0.map(\.shellQuoted).joined(separator: " ")) })),
        ]
        switch outcome.result {
        case .moved(let blob, let record): fields += [("result", .string("moved")), ("blob", .string(blob)), ("record", .string(record))]
        case .wouldMove: fields.append(("result", .string("would_move")))
        case .intactNow: fields.append(("result", .string("intact_now")))
        case .refused(let why): fields += [("result", .string("refused")), ("reason", .string(why))]
        }
        return .object(JSONObject(fields))
    }

    /// The default stores that exist.
    static func defaultPaths() throws -> [String] {
        let hf = Settings.current.huggingFaceCache, ollama = Settings.current.ollamaStores
        let candidates = [hf] + ollama
        var isDirectory: ObjCBool = false
        let existing = candidates.filter { FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue }
        // Only the first Ollama store that exists, as Ollama itself uses one.
        var chosen: [String] = []
        if existing.contains(hf) { chosen.append(hf) }
        if let store = ollama.first(where: existing.contains) { chosen.append(store) }
        guard !chosen.isEmpty else {
            throw CommandFailure.error("no Hugging Face cache or Ollama store found (looked at \(candidates.joined(separator: ", "))); pass the PATH to scan")
        }
        return chosen
    }

    static func displayName(_ item: ScanItem) -> String {
        switch item.store {
        case .huggingFace: "hf:\(item.name)"
        case .ollama: item.name.hasPrefix("(") ? "ollama \(item.name)" : "ollama:\(item.name)"
        case .huggingFaceLocalDir: "hf-local-dir:\(item.name)"
        }
    }

    /// Each bad file of `item`, `ROLE PATH: WHAT`, escaped (``displayEscaped(_:)``) for every report.
    static func problemLines(_ item: ScanItem) -> [String] {
        item.problems.map { displayEscaped($0.description) }
    }

    /// `ok  hf:acme/tiny  3 blobs, 1.20 kB  PATH`, or the bad files after a corrupt or error item.
    static func line(_ item: ScanItem) -> String {
        let name = displayName(item)
        switch item.status {
        case .ok:
            return "ok       \(displayEscaped(name))  \(Format.count(item.blobs, "blob")), \(Format.bytes(item.bytes))  \(displayEscaped(item.path))"
        case .corrupt:
            return Terminal.red("corrupt") + "  \(displayEscaped(name))  \(problemLines(item).joined(separator: "; "))"
        case .error(let message):
            return "error    \(displayEscaped(name))  \(displayEscaped(message))"
        }
    }

    static func json(_ report: ScanReport) -> JSONValue {
        .object(JSONObject([
            ("schema_version", .number(JSONNumber(JSONSchema.version))),
            ("items", .array(report.items.map(json))),
            ("errors", .array(report.errors.map(JSONValue.string))),
            ("notes", .array(report.notes.map(JSONValue.string))),
            ("interrupted", .array(report.interrupted.map(JSONValue.string))),
        ]))
    }

    static func json(_ item: ScanItem) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("store", .string(item.store.rawValue)),
            ("name", .string(item.name)),
            ("path", .string(item.path)),
            ("status", .string(item.status.label)),
        ]
        if case .error(let message) = item.status { fields.append(("error", .string(message))) }
        fields += [
            ("blobs", .number(JSONNumber(item.blobs))),
            ("bytes", .number(JSONNumber(Int(item.bytes)))),
            ("aggregate_sha256", item.aggregate.map(JSONValue.string) ?? .null),
            ("problems", .array(item.problems.map(json))),
            ("notes", .array(item.notes.map(JSONValue.string))),
        ]
        return .object(JSONObject(fields))
    }

    static func json(_ problem: StoreProblem) -> JSONValue {
        var fields: [(String, JSONValue)] = [("path", .string(problem.path)), ("role", .string(problem.role))]
        switch problem.kind {
        case .missing: fields.append(("kind", .string("missing")))
        case .partialDownload(let partial): fields += [("kind", .string("partial_download")), ("partial_path", .string(partial))]
        case .notRegularFile: fields.append(("kind", .string("not_regular_file")))
        case .sizeMismatch(let expected, let actual):
            fields += [("kind", .string("size_mismatch")), ("expected", .number(JSONNumber(Int(expected)))), ("actual", .number(JSONNumber(Int(actual))))]
        case .digestMismatch(let algorithm, let expected, let actual):
            fields += [("kind", .string("digest_mismatch")), ("algorithm", .string(algorithm)), ("expected", .string(expected)), ("actual", .string(actual))]
        case .linkOutsideBlobs(let target): fields += [("kind", .string("link_outside_blobs")), ("target", .string(target))]
        case .danglingLink(let target): fields += [("kind", .string("dangling_link")), ("target", .string(target))]
        case .danglingRef(let commit): fields += [("kind", .string("dangling_ref")), ("commit", .string(commit))]
        case .unreadable(let reason): fields += [("kind", .string("unreadable")), ("reason", .string(reason))]
        }
        fields.append(("message", .string(problem.summary)))
        return .object(JSONObject(fields))
    }
}
