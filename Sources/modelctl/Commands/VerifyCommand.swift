import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import VersionLock

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Hash entries' artifacts and check them against their locks.",
        discussion: """
            Unlocked entries: the artifacts are hashed and recorded (artifacts, last_verified). \
            Locked entries: the aggregate must equal the expected one; on a mismatch nothing is \
            recorded and the changed, missing, added and moved files are listed. A locked entry \
            without an expected aggregate takes the one computed now.

            --all verifies every entry whose model_path is local, notes the others, goes on past \
            failures and prints a summary on stderr.

            Exit status: 0 all verified; 2 a lock violation (even if other entries failed); \
            1 any other failure (unknown model, missing artifact root, I/O).
            """
    )

    @Argument(help: "Entry names, taken literally.")
    var names: [String] = []

    @Flag(name: .customLong("all"), help: "Verify every entry with local artifacts.")
    var all = false

    @Option(name: .customLong("jobs"), help: "Files hashed at once (default: the number of processors).")
    var jobs: Int?

    @Flag(name: .customLong("json"), help: "Print the outcome as JSON (an object for one name, an array otherwise).")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        if all == !names.isEmpty { throw ValidationError("give entry names or --all (not both)") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let store = registry.store()
        let locker = VersionLocker(store: store, hasher: ArtifactHasher(jobs: jobs))
        var targets = names
        var results: [JSONValue] = []
        var skipped = 0
        if all {
            targets = []
            for entry in try registry.load().entries {
                switch store.location(of: entry) {
                case .local: targets.append(entry.name)
                case .remote(let path):
                    skipped += 1
                    Terminal.note("\(entry.name): skipped (model_path '\(path)' is not local)")
                    results.append(["name": .string(entry.name), "status": "skipped", "reason": .string("model_path '\(path)' is not local")])
                case .none:
                    skipped += 1
                    Terminal.note("\(entry.name): skipped (no model_path)")
                    results.append(["name": .string(entry.name), "status": "skipped", "reason": "no model_path"])
                }
            }
        }

        var ok = 0, violations = 0, errors = 0
        var lastError = ""
        for name in targets {
            do {
                let outcome = try await locker.verify(name, progress: Format.progressHandler(label: name))
                Terminal.clearProgress()
                if outcome.status == .violation { violations += 1 } else { ok += 1 }
                if json { results.append(VerifyReport.json(outcome)) } else { print(VerifyReport.text(outcome)) }
            } catch {
                Terminal.clearProgress()
                errors += 1
                lastError = String(describing: error)
                Terminal.error(lastError)
                results.append(["name": .string(name), "status": "error", "error": .string(lastError)])
            }
        }
        if json {
            let single = !all && names.count == 1
            if !(single && errors == 1) { print(JSON.serialize(single ? results[0] : .array(results))) }
        }
        if all || targets.count > 1 {
            Terminal.note("verified \(targets.count) entries: \(ok) ok, \(violations) lock violations, \(errors) errors, \(skipped) skipped")
        }
        if violations > 0 { throw CommandFailure.violation(violations == 1 && targets.count == 1 ? "lock violation: \(targets[0]) does not match its expected aggregate" : "\(violations) lock violations") }
        if errors > 0 { throw CommandFailure(code: 1, message: "") }
    }
}

/// The text and JSON forms of a verify outcome.
enum VerifyReport {
    static func text(_ o: VerifyOutcome) -> String {
        switch o.status {
        case .violation:
            var lines = ["\(o.name): LOCK VIOLATION", "  expected \(o.expectedAggregate ?? "-")", "  actual   \(o.aggregate)"]
            if let diff = o.diff {
                if !o.hadRecordedFiles { lines.append("  (no per-file digests were recorded for this entry: every file is listed as added)") }
                let width = max(([0] + diff.changed.map(\.path.count) + diff.missing.map(\.path.count) + diff.added.map(\.path.count)).max()!, 1)
                func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
                for c in diff.changed { lines.append("  changed  \(pad(c.path))  expected \(c.expected)  actual \(c.actual)") }
                for m in diff.missing { lines.append("  missing  \(pad(m.path))  expected \(m.sha256)") }
                for a in diff.added { lines.append("  added    \(pad(a.path))  actual \(a.sha256)") }
                for m in diff.moved { lines.append("  moved    \(m.from) -> \(m.to)  sha256 \(m.sha256)") }
                if diff.isEmpty { lines.append("  (the recorded file list matches; the expected aggregate was set from other files)") }
            }
            return lines.joined(separator: "\n")
        case .recorded, .matched, .expectationSet:
            let state = switch o.status {
            case .matched: "OK (locked, matches expected)"
            case .expectationSet: "OK (locked, expected aggregate set now)"
            default: "OK (unlocked, recorded)"
            }
            return """
                \(o.name): \(state)
                  aggregate     \(o.aggregate)
                  files         \(o.manifest.files.count) (\(Format.bytes(o.manifest.totalBytes)))
                  last_verified \(o.lastVerified ?? "-")
                """
        }
    }

    static func json(_ o: VerifyOutcome) -> JSONValue {
        let status: String = switch o.status {
        case .recorded: "recorded"
        case .matched: "ok"
        case .expectationSet: "expected_set"
        case .violation: "violation"
        }
        var object: JSONObject = JSONObject([
            ("name", .string(o.name)),
            ("status", .string(status)),
            ("locked", .bool(o.locked)),
            ("aggregate_sha256", .string(o.aggregate)),
            ("expected_aggregate_sha256", o.expectedAggregate.map(JSONValue.string) ?? .null),
            ("last_verified", o.lastVerified.map(JSONValue.string) ?? .null),
            ("root", .string(o.root)),
            ("files", .number(JSONNumber(o.manifest.files.count))),
            ("bytes", .number(JSONNumber(Int(o.manifest.totalBytes)))),
        ])
        if let diff = o.diff {
            object["changed"] = .array(diff.changed.map { ["path": .string($0.path), "expected": .string($0.expected), "actual": .string($0.actual)] })
            object["missing"] = .array(diff.missing.map { ["path": .string($0.path), "expected": .string($0.sha256)] })
            object["added"] = .array(diff.added.map { ["path": .string($0.path), "actual": .string($0.sha256)] })
            object["moved"] = .array(diff.moved.map { ["from": .string($0.from), "to": .string($0.to), "sha256": .string($0.sha256)] })
        }
        return .object(object)
    }
}
