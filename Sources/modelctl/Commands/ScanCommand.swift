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

            Prints one line per repository or model: ok, corrupt (with the bad files) or error; \
            and one `interrupted` line per file an interrupted Ollama pull left in blobs/ \
            (*-partial, *-partial-N, *.tmp, sha256-* temporary files), which is neither checked \
            nor served: pull the model again, or delete the file. \
            Exit 0 when all are ok, 2 when anything is corrupt, 1 when something could not be checked.
            """
    )

    @Argument(help: "Hugging Face cache directories, cache repositories or Ollama stores.")
    var paths: [String] = []

    @Flag(name: .customLong("json"), help: "Print {items: [{store, name, path, status, blobs, bytes, aggregate_sha256, problems, notes}], errors, notes, interrupted}.")
    var json = false

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var reports: ReportFileOptions

    func run() async throws {
        let started = ContinuousClock.now
        let report: ScanReport
        do {
            let targets = paths.isEmpty ? try ScanCommand.defaultPaths() : paths
            report = try await StoreScanner(hasher: ArtifactHasher(jobs: hashing.jobs)).scan(paths: targets)
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
        if json {
            print(JSON.serialize(ScanCommand.json(report)))
        } else {
            for item in report.items { print(ScanCommand.line(item)) }
            for path in report.interrupted { print("interrupted  \(Text.escapingControls(path))  (an interrupted pull: pull the model again, or delete the file)") }
        }
        if report.hasCorruption { throw CommandFailure(code: 2, message: "") }
        if report.hasErrors || !written { throw CommandFailure(code: 1, message: "") }
    }

    /// The default stores that exist; the environment is read here, at the edge, only.
    static func defaultPaths() throws -> [String] {
        let environment = Settings.environment
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let hf = HuggingFaceCache.defaultCacheDirectory(environment: environment, home: home)
        let ollama = try Settings.locationContext(mapPaths: []).ollamaStores
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
        }
    }

    /// `ok  hf:acme/tiny  3 blobs, 1.20 kB  PATH`, or the bad files after a corrupt or error item.
    static func line(_ item: ScanItem) -> String {
        let name = displayName(item)
        switch item.status {
        case .ok:
            return "ok       \(name)  \(Format.count(item.blobs, "blob")), \(Format.bytes(item.bytes))  \(item.path)"
        case .corrupt:
            let bad = item.problems.map { "\($0.role) \($0.path): \($0.summary)" }.joined(separator: "; ")
            return Terminal.red("corrupt") + "  \(Text.escapingControls(name))  \(Text.escapingControls(bad))"
        case .error(let message):
            return "error    \(name)  \(message)"
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
