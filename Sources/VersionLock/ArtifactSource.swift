public import ArtifactHashing
public import ModelRegistry
import ModelStores
import ErrorSupport

/// The one place that decides whether an entry's artifacts can be hashed here, and how.
///
/// Resolution (``RegistryEntry/artifactLocation(registryDirectory:context:)``) says where the
/// artifacts are; this type checks that they are there and hashes them, and its errors are the
/// only "cannot be hashed here" messages modelctl prints.
public struct ArtifactSource: Sendable {
    /// The registry directory, for relative model paths.
    public var registryDirectory: String
    /// HOME, working directory and path mappings, read once at the edge.
    public var context: LocationContext

    public init(registryDirectory: String, context: LocationContext) {
        self.registryDirectory = registryDirectory
        self.context = context
    }

    /// `path`, a registry field's path, resolved against the registry directory (see
    /// ``LocationContext/registryPath(_:registryDirectory:)``).
    public func registryPath(_ path: String) -> String {
        context.registryPath(path, registryDirectory: registryDirectory)
    }

    /// Where `entry`'s artifacts are.
    public func location(of entry: RegistryEntry) -> ArtifactLocation {
        entry.artifactLocation(registryDirectory: registryDirectory, context: context)
    }

    /// Where a path given on the command line (`hash PATH`, `sign PATH`) is: `ollama:NAME[:TAG]`
    /// (the scheme in any case) is an Ollama model, anything else a local file or directory.
    public static func location(ofArgument path: String) -> ArtifactLocation {
        guard let reference = ArtifactLocation.ollamaReference(in: path) else { return .local(path: path) }
        return reference.isEmpty ? .invalid(reason: "'\(path)' names no Ollama model") : .ollama(reference: String(reference))
    }

    /// The local root to hash for `entry`: a Hugging Face repository directory is its
    /// `refs/main` snapshot; an Ollama model is its store's root.
    ///
    /// - Throws: ``VersionLockError``: `noModelPath`, `invalidModelPath`, `notHashableHere`,
    ///   `artifactRootMissing` or `ollamaStoreMissing`, each naming the model and the path and saying what to do.
    public func root(of entry: RegistryEntry) throws(VersionLockError) -> String {
        try root(for: location(of: entry), name: entry.name, written: entry.backendConfig.modelPath)
    }

    /// The local root of a resolved location (see ``root(of:)``).
    ///
    /// - Parameter written: the model path as the registry spells it, for messages.
    public func root(for location: ArtifactLocation, name: String, written: String? = nil) throws(VersionLockError) -> String {
        switch location {
        case .none:
            throw VersionLockError(.noModelPath, "\(name): no backend_config.model_path to hash; add one to the curated entry")
        case .invalid(let reason):
            throw VersionLockError(.invalidModelPath, reason)
        case .ollama:
            guard let store = OllamaStore.firstExisting(context.ollamaStores) else {
                throw VersionLockError(.ollamaStoreMissing, "\(name): model_path '\(written ?? location.display)' is an Ollama model, but no Ollama store was found (looked in \(context.ollamaStores.joined(separator: ", ")))")
            }
            return store.root
        case .remote(let text):
            throw VersionLockError(.notHashableHere, "\(name): model_path '\(text)' is not on this host; it cannot be hashed here (use --map-path OLD=NEW if the weights are mounted locally)")
        case .local(let path):
            guard LockPlatform.exists(path) else {
                throw VersionLockError(.artifactRootMissing, "\(name): artifact root \(path) does not exist (is the volume mounted? --map-path OLD=NEW rewrites a moved prefix)")
            }
            // A whole `models--ORG--NAME` cache directory means its current snapshot
            // (`refs/main`), never the blobs and refs around it.
            do { return try HuggingFaceCache.locate(path)?.rootPath ?? path } catch {
                throw VersionLockError(.artifactRootMissing, "\(name): \(error.message)")
            }
        }
    }

    /// Hashes `entry`'s artifacts with `hasher`, leaving out what the hasher's exclusions and
    /// the entry's `artifacts.exclude` (see ``EntryExclusions``) name.
    ///
    /// A local root inside a Hugging Face cache is also checked link by link (each snapshot
    /// file's blob must hash to its name); an Ollama model is its manifest and every blob it
    /// names, each checked against its digest. What those checks find is returned as
    /// integrity problems next to the manifest.
    ///
    /// - Parameters:
    ///   - curated: the entry's curated layer, whose `artifacts.exclude` wins.
    ///   - stamps: for a local root, also return the files' stamps for a stat cache, and
    ///     reuse the digests `stamps.reusing` holds for files whose stamps are unchanged.
    /// - Throws: ``VersionLockError`` (see ``root(of:)``; `hashing` wraps the hasher's error,
    ///   which names the file; `invalidField` for a malformed `artifacts.exclude`), or `CancellationError`.
    ///   - resolvedRoot: the local root already resolved with `realpath`, when the caller has it.
    public func hash(_ entry: RegistryEntry, location: ArtifactLocation, hasher: ArtifactHasher,
                     curated: RegistryEntry? = nil, stamps: StampUse? = nil, resolvedRoot: String? = nil,
                     progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> HashedArtifacts {
        try await hash(location, name: entry.name, written: entry.backendConfig.modelPath,
                       hasher: try EntryExclusions.hasher(hasher, for: entry, curated: curated),
                       stamps: stamps, resolvedRoot: resolvedRoot, progress: progress)
    }

    /// Hashes the artifacts at `location` as ``hash(_:location:hasher:curated:stamps:resolvedRoot:progress:)``
    /// hashes an entry's (`hash PATH` is this), leaving out what `hasher`'s exclusions name.
    ///
    /// - Parameters:
    ///   - name: the entry's name (or the path as given), first in messages.
    ///   - written: the model path as the registry spells it, for messages.
    public func hash(_ location: ArtifactLocation, name: String, written: String? = nil, hasher: ArtifactHasher,
                     stamps: StampUse? = nil, resolvedRoot: String? = nil,
                     progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> HashedArtifacts {
        let root: String
        if resolvedRoot != nil, case .local(let path) = location {
            root = path  // it resolved, so it exists
        } else {
            root = try self.root(for: location, name: name, written: written)
        }
        do {
            if case .ollama(let reference) = location {
                let model: OllamaModel
                do { model = try OllamaStore(root: root).resolve(reference) } catch {
                    throw VersionLockError(.artifactRootMissing, "\(name): \(error.message)")
                }
                let checked = try await model.verify(hasher)
                return HashedArtifacts(manifest: checked.manifest, problems: checked.problems.map(Self.describe), corrupt: checked.hasIntegrityFailure)
            }
            let location: HFLocation?
            do {
                if let resolvedRoot { location = try HuggingFaceCache.locate(resolved: resolvedRoot) } else { location = try HuggingFaceCache.locate(root) }
            } catch {
                throw VersionLockError(.artifactRootMissing, "\(name): \(error.message)")
            }
            let hashRoot = location?.rootPath ?? root
            var manifest: Manifest
            var cache: StatCache?
            var reused = 0
            if let stamps {
                let run = try await hasher.hash(hashRoot, reusing: stamps.reusing, progress: progress)
                (manifest, cache, reused) = (run.manifest, run.cache, run.reusedFiles)
            } else {
                manifest = try await hasher.hash(hashRoot, progress: progress)
            }
            // A model_signing bundle written beside the weights (its default, ROOT/model.sig)
            // is not part of the model: signing must not break the lock.
            if manifest.files.contains(where: { $0.path == "model.sig" }) {
                var kept = Manifest(root: manifest.root, files: manifest.files.filter { $0.path != "model.sig" })
                (kept.shards, kept.changedRanges) = (manifest.shards, manifest.changedRanges)
                manifest = kept
            }
            guard location != nil, let check = try? HuggingFaceCache.check(root: hashRoot, manifest: manifest) else {
                return HashedArtifacts(manifest: manifest, statCache: cache, reusedFiles: reused)
            }
            return HashedArtifacts(manifest: manifest, problems: check.problems.map(Self.describe), corrupt: check.problems.contains { $0.isIntegrityFailure }, blobs: check.files,
                                   statCache: cache, reusedFiles: reused)
        } catch let error as HashingError {
            throw VersionLockError(error.code == .specialFile ? .specialFile : .hashing, error.path.hasPrefix(name) ? error.description : "\(name): \(error.description)")
        }
    }

    private static func describe(_ problem: StoreProblem) -> String {
        "\(problem.role): \(problem.path): \(problem.summary)"
    }
}

/// What hashing an entry's artifacts found.
public struct HashedArtifacts: Sendable {
    /// Every file and its digest.
    public var manifest: Manifest
    /// Store blobs that do not match their names (integrity failures), one sentence each.
    public var problems: [String] = []
    /// Whether some problem shows stored bytes that differ from their names (not only unreadable ones).
    public var corrupt = false
    /// For a Hugging Face cache snapshot: each file's blob name, by path.
    public var blobs: [String: String] = [:]
    /// With stamps asked for: the stat cache to keep for the root.
    public var statCache: StatCache?
    /// Files whose digest came from the stat cache, unread.
    public var reusedFiles = 0
}

/// How a hash uses a stat cache: record the files' stamps, and reuse the digests of a cache
/// (`nil`: read every file).
public struct StampUse: Sendable {
    /// The cache whose unchanged files are not read.
    public var reusing: StatCache?

    public init(reusing: StatCache?) {
        self.reusing = reusing
    }
}

extension HashedArtifacts {
    /// A plain tree's manifest, with nothing else found.
    public init(manifest: Manifest) {
        self.manifest = manifest
    }
}
