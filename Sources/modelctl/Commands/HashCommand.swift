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
            link's path; symlinked directories are not descended; a dangling symlink or a link \
            loop is an error. A name that holds a line feed or carriage return is written as \
            sha256sum writes it: the line starts with a backslash and the name has \\\\, \\n and \
            \\r escapes. A name that is not UTF-8 is written with its own bytes.

            The aggregate digest is the SHA-256 of those lines joined with newlines (no trailing \
            newline): `modelctl hash DIR | head -c -1 | sha256sum` reproduces it.

            .git/ and .cache/huggingface/ directories, at any depth, are left out (tool \
            metadata, as huggingface_hub and model_signing skip them); --include-all hashes \
            them too. For a tree without such directories both give the same aggregate.

            On a terminal, names with control characters, backslashes or bytes that are not \
            UTF-8 are shown escaped (the line then starts with a backslash), so a name cannot \
            write to the screen; in a pipe or a file the lines are exact.
            """
    )

    @Argument(help: "The file or directory to hash.")
    var path: String

    // `.unconditional` takes the next word as the value even when it starts with a dash, so
    // `--jobs -1` is reported as a bad number, not as a missing value.
    @Option(name: .customLong("jobs"), parsing: .unconditional,
            help: "Files hashed at once: 1 to \(ArtifactHasher.maximumJobs) (default: the number of processors; workers beyond the number of files stay idle).")
    var jobs: Int?

    @Flag(name: .customLong("json"), help: "Print {root, files: [{path, sha256, size}], aggregate_sha256, bytes, seconds}.")
    var json = false

    @Flag(name: .customLong("aggregate-only"), help: "Print only the aggregate digest.")
    var aggregateOnly = false

    @Flag(name: .customLong("include-all"), help: "Hash every file: do not leave out .git/ and .cache/huggingface/ directories.")
    var includeAll = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if json && aggregateOnly { throw ValidationError("--json and --aggregate-only cannot be combined") }
    }

    func run() async throws {
        do { try Output.requireOpen() } catch { throw error.failure }
        if let jobs, jobs > ArtifactHasher.maximumJobs {
            Terminal.warning("--jobs \(jobs) is more than \(ArtifactHasher.maximumJobs), the most modelctl runs at once; using \(ArtifactHasher.maximumJobs)")
        }
        let started = ContinuousClock.now
        let manifest: Manifest
        let hasher = ArtifactHasher(jobs: jobs, exclusions: includeAll ? .none : .default)
        let progress = Format.progressHandler(label: displayEscaped(path))
        do {
            if let raw = Self.rawArgument(matching: path) {
                manifest = try await hasher.hash(rootBytes: raw, progress: progress)
            } else {
                manifest = try await hasher.hash(path, progress: progress)
            }
        } catch let error as HashingError {
            throw CommandFailure.error(error.description)
        }
        Terminal.clearProgress()
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        do {
            if aggregateOnly {
                try Output.write(manifest.aggregate + "\n")
            } else if json {
                try Output.write(JSON.serialize(jsonObject(manifest, seconds: seconds)) + "\n")
            } else {
                try writeLines(manifest)
            }
        } catch {
            throw error.failure
        }
    }

    /// The manifest lines, each with a newline. On a terminal, a line whose name would print
    /// differently escaped shows the escaped name, with a leading backslash as sha256sum does.
    private func writeLines(_ manifest: Manifest) throws(OutputError) {
        var out = Output.Buffered()
        let escapeForTerminal = Terminal.stdoutIsTerminal
        var failure: OutputError?
        manifest.forEachFileInLineOrder { file, line in
            guard failure == nil else { return }
            do throws(OutputError) {
                let shown = escapeForTerminal ? file.displayPath : nil
                if let shown, !file.isPathUTF8 || shown != file.path {
                    try out.append("\\\(file.sha256)  \(shown)\n")
                } else {
                    try out.append(line)
                    try out.append(CollectionOfOne(0x0A))
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        try out.flush()
    }

    private func jsonObject(_ manifest: Manifest, seconds: Double) -> JSONValue {
        let files: [JSONValue] = manifest.files.map { file in
            var fields: [(String, JSONValue)] = [
                ("path", .string(file.path)), ("sha256", .string(file.sha256)),
                ("size", .number(JSONNumber(Int(file.size ?? 0)))),
            ]
            // JSON text cannot hold bytes that are not UTF-8: such a name also comes as base64.
            if !file.isPathUTF8 { fields.append(("path_base64", .string(Data(file.pathBytes).base64EncodedString()))) }
            return .object(JSONObject(fields))
        }
        return [
            "root": .string(path),
            "files": .array(files),
            "aggregate_sha256": .string(manifest.aggregate),
            "bytes": .number(JSONNumber(Int(manifest.totalBytes))),
            "seconds": .number(JSONNumber((seconds * 1e6).rounded() / 1e6)),
        ]
    }

    /// The exact bytes of the command-line argument that ArgumentParser read as `text`, when
    /// they are not UTF-8 (Swift's arguments replace such bytes with U+FFFD); `nil` otherwise.
    static func rawArgument(matching text: String) -> [UInt8]? {
        guard text.unicodeScalars.contains("\u{FFFD}") else { return nil }
        for i in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
            if String(validating: bytes, as: UTF8.self) == nil, String(decoding: bytes, as: UTF8.self) == text { return bytes }
        }
        return nil
    }
}
