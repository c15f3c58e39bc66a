import ArgumentParser
import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON
import VersionLock

/// What `sign` and `verify --signature` work on: a registry entry (its artifact root, its
/// pinned public key) or a plain path.
enum SignatureTarget {
    /// The artifact root for `nameOrPath` (resolved as lock resolves it), the entry when it
    /// names one, and its `artifacts.exclude` as ignore paths (so a signature covers the files the lock does).
    static func resolve(_ nameOrPath: String, registry: RegistryOptions, mapPaths: [String]) throws -> (root: String, entry: RegistryEntry?, ignoring: [String]) {
        let source = try registry.source(mapPaths: mapPaths)
        let snapshot = try? registry.load()
        let entry = snapshot?[nameOrPath]
        guard entry != nil || FileManager.default.fileExists(atPath: nameOrPath) else {
            throw CommandFailure.error("'\(nameOrPath)' is neither an entry of \(registry.directory) nor an existing path (see modelctl list)")
        }
        let location = entry.map(source.location) ?? .local(path: nameOrPath)
        if case .ollama = location {
            throw CommandFailure.error("'\(nameOrPath)' is an Ollama model; model_signing signs a directory or file, not an Ollama store")
        }
        let ignoring = try entry.map { try EntryExclusions.ignorePaths(of: $0, curated: snapshot?.curated[$0.name]) } ?? []
        return (try source.root(for: location, name: nameOrPath, written: entry?.backendConfig.modelPath), entry, ignoring)
    }

    /// `verify NAME|PATH --signature F`: the Sigstore signer of `--identity`, else the CA
    /// certificates of `--certificate-chain`, else the public key of the option, else the
    /// entry's `version_lock.public_key` (a PEM text or a file), else `MODELCTL_PUBLIC_KEY`.
    /// A keyless bundle without a signer is a usage error naming `--identity`.
    static func verify(_ nameOrPath: String, signature: String, publicKey: String?, certificateChain: [String], signer: SigstoreSigner?,
                       registry: RegistryOptions, mapPaths: [String], jobs: Int?, json: Bool) async throws {
        let (root, entry, _) = try resolve(nameOrPath, registry: registry, mapPaths: mapPaths)
        if let signer {
            return try await SignatureVerifyReport.run(path: root, signature: signature, trust: .sigstore(signer), jobs: jobs, json: json)
        }
        if !certificateChain.isEmpty {
            return try await SignatureVerifyReport.run(path: root, signature: signature, trust: .certificateChain(paths: certificateChain), jobs: jobs, json: json)
        }
        let source = try registry.source(mapPaths: mapPaths)
        let pinned = entry?.versionLock.publicKey.map { PublicKeyPEM(pinned: $0, source: "\(nameOrPath): version_lock.public_key", registry: source) }
        guard let key = publicKey.map({ PublicKeyPEM(pinned: $0, source: "\(nameOrPath): public key") }) ?? pinned
                ?? Settings.current.value("MODELCTL_PUBLIC_KEY").map({ PublicKeyPEM(pinned: $0, source: "MODELCTL_PUBLIC_KEY") }) else {
            if (try? ModelSignatureVerifier.method(ofBundle: signature)) == .sigstore {
                throw ValidationError("\(signature): a Sigstore keyless bundle: say who must have signed it with --identity ID --identity-provider URL")
            }
            throw CommandFailure.error("\(nameOrPath): no public key: give --public-key PUBLIC.pem, pin version_lock.public_key, or set MODELCTL_PUBLIC_KEY")
        }
        try await SignatureVerifyReport.run(path: root, signature: signature, trust: .publicKey(key), jobs: jobs, json: json)
    }
}
