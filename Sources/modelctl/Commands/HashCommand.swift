import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry

struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Hash a file or directory the way modelctl locks it.",
        discussion: """
            Prints one sha256sum line per file ("<hex>  <relative path>"), in aggregate order, \
            so `sha256sum -c` accepts the output when run from PATH (or from the file's \
            directory when PATH is a file). Symlinks to files are followed and listed under the \
            link's path; symlinked directories are not descended; a dangling symlink is an error.

            The aggregate digest is the SHA-256 of those lines joined with newlines (no trailing \
            newline): `modelctl hash DIR | head -c -1 | sha256sum` reproduces it.
            """
    )

    @Argument(help: "The file or directory to hash.")
    var path: String

    @Option(name: .customLong("jobs"), help: "Files hashed at once (default: the number of processors).")
    var jobs: Int?

    @Flag(name: .customLong("json"), help: "Print {root, files: [{path, sha256, size}], aggregate_sha256, bytes, seconds}.")
    var json = false

    @Flag(name: .customLong("aggregate-only"), help: "Print only the aggregate digest.")
    var aggregateOnly = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if json && aggregateOnly { throw ValidationError("--json and --aggregate-only cannot be combined") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let manifest: Manifest
        do {
            manifest = try await ArtifactHasher(jobs: jobs).hash(path, progress: Format.progressHandler(label: path))
        } catch let error as HashingError {
            throw CommandFailure.error(error.description)
        }
        Terminal.clearProgress()
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if aggregateOnly {
            print(manifest.aggregate)
        } else if json {
            let files: [JSONValue] = manifest.files.map {
                ["path": .string($0.path), "sha256": .string($0.sha256), "size": .number(JSONNumber(Int($0.size ?? 0)))]
            }
            let object: JSONValue = [
                "root": .string(path),
                "files": .array(files),
                "aggregate_sha256": .string(manifest.aggregate),
                "bytes": .number(JSONNumber(Int(manifest.totalBytes))),
                "seconds": .number(JSONNumber((seconds * 1e6).rounded() / 1e6)),
            ]
            print(JSON.serialize(object))
        } else {
            var out = manifest.lines.joined(separator: "\n")
            if !out.isEmpty { out += "\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
