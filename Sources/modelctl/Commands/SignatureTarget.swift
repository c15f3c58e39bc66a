import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON
import VersionLock

/// What `sign` and `verify --signature` work on: a registry entry (its artifact root, its
/// pinned public key) or a plain path.
enum SignatureTarget {
    /// How a target argument names a model.
    enum Naming {
        /// An entry's name when the registry has one, else a path (`sign`, `verify --signature`).
        case nameOrPath
        /// An entry's name (`hash --entry`).
        case entry
        /// A path or store reference, as `hash PATH` reads it.
        case path
    }

    /// The artifact root for `target` (resolved as lock resolves it), the entry when it
    /// names one, and its `artifacts.exclude` as ignore paths (so a signature covers the files
    /// the lock does). `sign`, `verify --signature` and `hash --format model-signing` all ask this.
    static func resolve(_ target: String, as naming: Naming = .nameOrPath, registry: RegistryOptions,
                        mapPaths: [String]) throws -> (root: String, entry: RegistryEntry?, ignoring: [String]) {
        let source = try registry.source(mapPaths: mapPaths)
        let snapshot: RegistrySnapshot?
        let entry: RegistryEntry?
        switch naming {
        case .entry:
            snapshot = try registry.load()
            entry = try snapshot?.entry(named: target)
        case .path:
            (snapshot, entry) = (nil, nil)
        case .nameOrPath:
            let isPath = FileManager.default.fileExists(atPath: target)
            // A registry that cannot be read is an error for a name (its pins must not be skipped
            // silently), not for a path, which needs no registry.
            do { snapshot = try registry.load() } catch where isPath {
                // Said aloud: were the path also an entry's name, that entry's pins go unread.
                Terminal.warning("the registry in \(registry.directory) cannot be read (\(ExitStatus.message(of: error))); '\(displayEscaped(target))' is taken as a path, without any entry's pins")
                snapshot = nil
            }
            entry = snapshot?[target]
            guard entry != nil || isPath else {
                throw CommandFailure.error("'\(displayEscaped(target))' is neither an entry of \(registry.directory) nor an existing path (see modelctl list)")
            }
        }
        let location = entry.map(source.location) ?? (naming == .path ? ArtifactSource.location(ofArgument: target) : .local(path: target))
        if case .ollama = location {
            throw CommandFailure.error("'\(displayEscaped(target))' is an Ollama model; model_signing signs a directory or file, not an Ollama store")
        }
        let ignoring = try entry.map { try EntryExclusions.ignorePaths(of: $0, curated: snapshot?.curated[$0.name]) } ?? []
        return (try source.root(for: location, name: target, written: entry?.backendConfig.modelPath), entry, ignoring)
    }

    /// `verify NAME|PATH --signature F`: checked against `explicit` (the trust the options
    /// name), else the entry's pinned signer (``SignatureTrust/pinned(by:registry:)``:
    /// `version_lock.signer`, else `version_lock.public_key`), else `MODELCTL_PUBLIC_KEY`;
    /// `ignorePaths` (`--ignore-paths`) are left out beside the bundle's own; `trustedRoot`
    /// (`--trusted-root`) checks a pinned Sigstore signer that names no root of its own.
    static func verify(_ nameOrPath: String, signature: String, trust explicit: SignatureTrust?, trustedRoot: String?, ignorePaths: [String],
                       registry: RegistryOptions, mapPaths: [String], jobs: Int?, json: Bool) async throws {
        let (root, entry, _) = try resolve(nameOrPath, registry: registry, mapPaths: mapPaths)
        let ignoring = try ignored(ignorePaths, root: root)
        let source = try registry.source(mapPaths: mapPaths)
        guard let trust = explicit ?? entry.flatMap({ SignatureTrust.pinned(by: $0, registry: source, trustedRoot: Settings.current.trustedRoot(option: trustedRoot)) })
                ?? Settings.current.value("MODELCTL_PUBLIC_KEY").map({ .publicKey(PublicKeyPEM(pinned: $0, source: "MODELCTL_PUBLIC_KEY")) }) else {
            if (try? ModelSignatureVerifier.method(ofBundle: signature)) == .sigstore {
                throw ValidationError("\(signature): a Sigstore keyless bundle: say who must have signed it with --identity ID --identity-provider URL, or pin version_lock.signer")
            }
            throw CommandFailure.error("\(nameOrPath): nothing to check the signature against: give --public-key PUBLIC.pem or --certificate-chain CA.pem, pin version_lock.public_key or version_lock.signer, or set MODELCTL_PUBLIC_KEY")
        }
        try await SignatureVerifyReport.run(path: root, signature: signature, trust: trust, ignoring: ignoring, jobs: jobs, json: json)
    }

    /// `--ignore-paths` of `sign` and `verify --signature`, relative to the model directory
    /// `root` (``IgnoredPaths/relative(_:toModel:)``); a usage error for a path that can name
    /// nothing inside it, or for a model that is one file.
    static func ignored(_ paths: [String], root: String) throws -> [String] {
        guard !paths.isEmpty else { return [] }
        var isDirectory: ObjCBool = false
        guard !FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) || isDirectory.boolValue else {
            throw ValidationError("--ignore-paths leaves paths out of a model directory; \(displayEscaped(root)) is a file")
        }
        return try paths.map { path in
            guard let relative = IgnoredPaths.relative(path, toModel: root) else {
                throw ValidationError("--ignore-paths \(displayEscaped(path)): not a path inside the model directory \(displayEscaped(root)); give it relative to that directory or under it")
            }
            return relative
        }
    }
}
