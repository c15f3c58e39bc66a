import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON
import VersionLock

/// What `sign` and `verify --signature` work on: a registry entry (its artifact root, its
/// pinned public key) or a plain path.
enum SignatureTarget {
    /// The artifact root for `nameOrPath`, and the entry when it names one.
    static func resolve(_ nameOrPath: String, registry: RegistryOptions, mapPaths: [String]) throws -> (root: String, entry: RegistryEntry?) {
        if let snapshot = try? registry.load(), let entry = snapshot[nameOrPath] {
            return (try registry.source(mapPaths: mapPaths).root(of: entry), entry)
        }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw CommandFailure.error("'\(nameOrPath)' is neither an entry of \(registry.directory) nor an existing path (see modelctl list)")
        }
        return (nameOrPath, nil)
    }

    /// `verify NAME|PATH --signature F`: the CA certificates of `--certificate-chain`, else the
    /// public key of the option, else the entry's `version_lock.public_key` (a PEM text or a
    /// file), else `MODELCTL_PUBLIC_KEY`.
    static func verify(_ nameOrPath: String, signature: String, publicKey: String?, certificateChain: [String], registry: RegistryOptions,
                       mapPaths: [String], jobs: Int?, json: Bool) async throws {
        let (root, entry) = try resolve(nameOrPath, registry: registry, mapPaths: mapPaths)
        if !certificateChain.isEmpty {
            return try await SignatureVerifyReport.run(path: root, signature: signature, trust: .certificateChain(paths: certificateChain), jobs: jobs, json: json)
        }
        guard let key = Settings.resolve(publicKey, "") ?? entry?.versionLock.publicKey ?? Settings.value("MODELCTL_PUBLIC_KEY") else {
            throw CommandFailure.error("\(nameOrPath): no public key: give --public-key PUBLIC.pem, pin version_lock.public_key, or set MODELCTL_PUBLIC_KEY")
        }
        try await withKeyFile(key) { path in
            try await SignatureVerifyReport.run(path: root, signature: signature, trust: .publicKey(path: path), jobs: jobs, json: json)
        }
    }

    /// Runs `body` with a path to the key: `key` itself, or a private temporary file when
    /// `key` is PEM text (as a curated `version_lock.public_key` may hold it).
    static func withKeyFile(_ key: String, _ body: (String) async throws -> Void) async throws {
        guard key.hasPrefix("-----BEGIN") else { return try await body(key) }
        let path = NSTemporaryDirectory() + "/modelctl-key-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pem"
        guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CommandFailure.error("cannot write a temporary file for the pinned public key")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path)
    }
}
