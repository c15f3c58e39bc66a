import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import OrderedJSON
import SystemSupport
import ModelSigning
import VersionLock
import ErrorSupport

/// What `modelctl hash` prints.
enum HashFormat: String, ExpressibleByArgument, CaseIterable {
    /// One `<hex>  <path>` line per file (the default).
    case sha256sum
    /// The in-toto statement model_signing signs (the unsigned manifest), byte for byte.
    case modelSigning = "model-signing"
}

struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Hash a file or directory the way modelctl locks it.",
        discussion: """
            Prints one sha256sum line per file ("<hex>  <relative path>"), in aggregate order, \
            so `sha256sum -c` accepts the output when run from PATH (or from the file's \
            directory when PATH is a file). Symlinks to files are followed and listed under the \
            link's path; a dangling symlink, a link loop and (unless excluded by name) a FIFO, \
            socket, device, link to one or symlinked directory are errors naming the path. A name that holds a line feed or carriage return is written as \
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

            --format model-signing prints instead the in-toto statement that `modelctl sign` \
            and model_signing 1.x (`sign key`) sign for PATH: the unsigned manifest, exactly \
            the bytes signed (no newline added), so another tool can sign them. A signature at \
            PATH/model.sig (or --signature FILE inside PATH) and git metadata are left out and \
            listed in ignore_paths, as model_signing does. It cannot be combined with --json or \
            --aggregate-only, which belong to the sha256sum format.

            Several PATHs, or - for a newline-separated list of paths on stdin (as in \
            `find models -name '*.gguf' | modelctl hash -`), are hashed one after another as \
            sha256sum does: each line names the file as given (PATH, or PATH/relative path for a \
            directory), so `sha256sum -c` accepts the output from the working directory; \
            --aggregate-only prints `<aggregate>  PATH` per PATH and --json an array. A PATH that \
            fails is reported and the others are still hashed (exit 1 at the end).

            PATH is resolved as an entry's model_path is: a Hugging Face repository directory \
            (models--ORG--NAME) means its refs/main snapshot, a top-level model.sig is left \
            out, and 'ollama:NAME[:TAG]' (for example ollama:llama3.1:8b) hashes an Ollama \
            model in the store ($OLLAMA_MODELS, else ~/.ollama/models, else \
            /usr/share/ollama/.ollama/models): lines `<hex>  manifest` and \
            `<hex>  blobs/sha256-<hex>`. A blob that is missing, of the wrong size or does not \
            hash to its name exits 2. To hash a local path that starts with "ollama:", write ./ollama:...

            --entry NAME hashes a registry entry exactly as `modelctl lock NAME --set-expected` \
            records it (its model_path resolved, its artifacts.exclude applied): the aggregate \
            printed is the pin, the lines or --json its per-file digests.
            """
    )

    @Argument(help: ArgumentHelp("Files or directories to hash, or ollama:NAME[:TAG]; - reads a newline-separated list of paths from stdin.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .customLong("entry"), help: ArgumentHelp("Hash this registry entry as `lock NAME --set-expected` records it.", valueName: "name"))
    var entry: String?

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    @Flag(name: .customLong("json"), help: "Print {root, files: [{path, sha256, size}], aggregate_sha256, bytes, seconds}.")
    var json = false

    @Flag(name: .customLong("aggregate-only"), help: "Print only the aggregate digest.")
    var aggregateOnly = false

    @Option(name: .customLong("format"),
            help: ArgumentHelp("sha256sum (default): one line per file; model-signing: the in-toto statement model_signing signs, as is.", valueName: "format"))
    var format: HashFormat = .sha256sum

    @Option(name: .customLong("signature"),
            help: ArgumentHelp("With --format model-signing: the signature file to leave out when it lies inside PATH (default: PATH/model.sig).", valueName: "file"))
    var signature: String?

    @Flag(name: .customLong("include-all"), help: "Hash every file: do not leave out .git/ and .cache/huggingface/ directories.")
    var includeAll = false

    func validate() throws {
        if paths.isEmpty == (entry == nil) { throw ValidationError("give PATHs or --entry NAME (one of them)") }
        if (paths.count > 1 || paths == ["-"]) && (format == .modelSigning || signature != nil) {
            throw ValidationError("--format model-signing hashes one PATH")
        }
        if json && aggregateOnly { throw ValidationError("--json and --aggregate-only cannot be combined") }
        if format == .modelSigning && (json || aggregateOnly) {
            throw ValidationError("--format model-signing prints the statement as is; it cannot be combined with \(json ? "--json" : "--aggregate-only")")
        }
        if signature != nil && format != .modelSigning { throw ValidationError("--signature applies to --format model-signing only") }
        if format == .modelSigning, let path = paths.first, case .ollama = ArtifactSource.location(ofArgument: path) {
            throw ValidationError("--format model-signing hashes a directory or file; an Ollama model ('\(displayEscaped(path))') is not signed that way")
        }
    }

    func run() async throws {
        guard entry == nil, paths.count > 1 || paths == ["-"] else { return try await hashOne(entry ?? paths[0], prefixed: false) }
        var failed = 0, printed = 0
        if json { do { try Output.write("[") } catch { throw error.failure } }
        for target in try Self.expand(paths) {
            do {
                try await hashOne(target, prefixed: true, jsonSeparator: printed > 0 ? "," : "")
                printed += 1
            } catch let failure as CommandFailure where failure.severity == .error && !failure.message.isEmpty {
                // As sha256sum: a PATH that cannot be hashed is reported, the rest still are.
                Terminal.error(failure.message)
                failed += 1
            }
        }
        if json { do { try Output.write("]\n") } catch { throw error.failure } }
        if failed > 0 { throw CommandFailure.error("\(Format.count(failed, "path")) could not be hashed") }
    }

    /// The PATHs with each `-` replaced by the lines of stdin (empty lines skipped).
    static func expand(_ paths: [String]) throws -> [String] {
        try paths.flatMap { path -> [String] in
            guard path == "-" else { return [path] }
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) {
                guard lines.count < 1_000_000 else { throw CommandFailure.error("stdin: more than 1,000,000 paths; hash them in batches") }
                if !line.isEmpty { lines.append(line) }
            }
            return lines
        }
    }

    /// Hashes `target` (a PATH, or the --entry name) and prints it; `prefixed`: one PATH of
    /// several, printed as sha256sum prints several files (see the discussion).
    private func hashOne(_ target: String, prefixed: Bool, jsonSeparator: String = "") async throws {
        do { try Output.requireOpen() } catch { throw error.failure }
        let started = ContinuousClock.now
        let hasher = ArtifactHasher(jobs: hashing.jobs, exclusions: includeAll ? .none : .default)
        let progress = Format.progressHandler(label: displayEscaped(target))
        let source = try registry.source(mapPaths: location.mapPaths)
        if format == .modelSigning { return try await printStatement(target, source, progress: progress) }
        let hashed: HashedArtifacts
        do {
            if let entry {
                let snapshot = try registry.load()
                let found = try snapshot.entry(named: entry)
                hashed = try await source.hash(found, location: source.location(of: found), hasher: hasher,
                                               curated: snapshot.curated[entry], progress: progress)
            } else if let raw = Self.rawArgument(matching: target) {
                hashed = HashedArtifacts(manifest: try await hasher.hash(rootBytes: raw, progress: progress))
            } else {
                hashed = try await source.hash(ArtifactSource.location(ofArgument: target), name: target, hasher: hasher, progress: progress)
            }
        } catch let error as HashingError {
            throw CommandFailure.error(error.description)
        } catch let error as VersionLockError {
            // A hashing error's message already shows the file's name escaped.
            throw CommandFailure.error(error.code == .hashing || error.code == .specialFile ? error.message : displayEscaped(ExitStatus.message(error)))
        }
        var manifest = hashed.manifest
        Terminal.clearProgress()
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if prefixed && !aggregateOnly && !json, case .local = ArtifactSource.location(ofArgument: target) {
            // Each line names the file as given: the PATH itself for a file, PATH/NAME inside a directory.
            var isDirectory: ObjCBool = false
            let isFile = FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) && !isDirectory.boolValue
            let base = Array(PathText.trimTrailingSlashes(target).utf8)
            manifest = Manifest(root: manifest.root, files: manifest.files.map { file in
                ArtifactFile(pathBytes: isFile ? base : base + [UInt8(ascii: "/")] + file.pathBytes, sha256: file.sha256, size: file.size)
            })
        }
        do {
            if aggregateOnly {
                try Output.write(manifest.aggregate + (prefixed ? "  \(target)\n" : "\n"))
            } else if json {
                try Output.write(jsonSeparator + JSON.serialize(jsonObject(manifest, root: target, seconds: seconds)) + (prefixed ? "" : "\n"))
            } else {
                try writeLines(manifest)
            }
        } catch {
            throw error.failure
        }
        if !hashed.problems.isEmpty {
            for problem in hashed.problems { Terminal.warning(displayEscaped(problem)) }
            let summary = "\(displayEscaped(target)): \(Format.count(hashed.problems.count, "problem")) in the store"
            throw CommandFailure(severity: hashed.corrupt ? .integrityFailure : .error, message: summary)
        }
    }

    /// `--format model-signing`: the statement `sign` would sign for the resolved root, built
    /// by the same function, so the two agree by construction.
    private func printStatement(_ target: String, _ source: ArtifactSource, progress: (@Sendable (HashProgress) -> Void)?) async throws {
        let statement: SignedStatement
        do {
            let named = try entry.map { name in
                let snapshot = try registry.load()
                let found = try snapshot.entry(named: name)
                return (found, try EntryExclusions.ignorePaths(of: found, curated: snapshot.curated[name]))
            }
            let (found, ignoring) = (named?.0, named?.1 ?? [])
            let location = found.map(source.location) ?? ArtifactSource.location(ofArgument: target)
            if case .ollama = location {
                throw CommandFailure.error("--format model-signing hashes a directory or file; '\(displayEscaped(target))' is an Ollama model, not signed that way")
            }
            let root = try source.root(for: location, name: target, written: found?.backendConfig.modelPath)
            statement = try await SignedStatement.hashing(root: root, jobs: hashing.jobs, signaturePath: signature ?? defaultSignaturePath(root),
                                                          extraIgnoredPaths: SignedStatement.toolMetadata(in: root) + ignoring, progress: progress)
            try statement.requireUTF8Names(root: root)
        } catch let error as SigningError {
            throw CommandFailure.error(error.message)  // names already escaped
        }
        Terminal.clearProgress()
        // The statement is JSON with non-ASCII escaped, so its bytes are UTF-8 text as they are.
        do { try Output.write(String(decoding: statement.encoded(), as: UTF8.self)) } catch { throw error.failure }
    }

    /// Where `modelctl sign` writes its bundle by default: `ROOT/model.sig` for a directory.
    private func defaultSignaturePath(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return PathText.join(PathText.trimTrailingSlashes(path), "model.sig")
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

    private func jsonObject(_ manifest: Manifest, root target: String, seconds: Double) -> JSONValue {
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
            "root": .string(target),
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
