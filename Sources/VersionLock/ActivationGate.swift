public import ArtifactHashing
public import ModelRegistry
public import ModelSigning
import OrderedJSON
import SystemSupport

/// What must hold before an entry's weights are served: a locked entry verifies against its
/// lock, and an entry with a pinned `version_lock.public_key` or `version_lock.signer` has a
/// recorded signature that verifies over the same root for that signer. Nothing is stopped or
/// launched by this type; it says what the backend may be given and why not.
///
/// ```swift
/// let check = try await ActivationGate(locker: locker).check(entry)
/// if let failure = check.failure { throw failure }
/// launch(modelPath: check.root)
/// ```
public struct ActivationGate: Sendable {
    /// Verifies the lock, and resolves entries' artifacts (its `source`).
    public var locker: VersionLocker
    /// Files hashed at once for the signature check (nil: one per processor).
    public var jobs: Int?
    /// Whether an `ollama:` entry may pass, its root being the Ollama store (`modelctl exec
    /// NAME -- ollama serve`); when false only local trees do (vLLM is given a directory).
    public var acceptsOllama = false
    /// The Sigstore `trusted_root.json` for a pinned signer that names none (nil: the built-in
    /// public-good root).
    public var trustedRoot: String?

    public init(locker: VersionLocker, jobs: Int? = nil, trustedRoot: String? = nil) {
        self.locker = locker
        self.jobs = jobs
        self.trustedRoot = trustedRoot
    }

    /// What the gate found for one entry.
    public struct Check: Sendable {
        /// The local root to hand the backend: the one that is verified (a cache repository's
        /// snapshot; empty when the entry names no model path).
        public var root: String
        /// nil when the entry has neither lock nor pinned signer (nothing to check); false when
        /// the checks were skipped on request; true when they ran and passed.
        public var verified: Bool?
        /// The lock verification, when it ran.
        public var verification: BatchVerification?
        /// The signature check, when it ran.
        public var signature: SignatureVerification?
        /// Why the entry must not be served (exit 2: an integrity failure), or nil.
        public var failure: VersionLockError?
    }

    /// Checks `entry` (see the type).
    ///
    /// - Parameter skipVerify: run no check (the caller warns); the root is still resolved.
    /// - Throws: ``VersionLockError`` when the artifacts are not a local tree (`notHashableHere`,
    ///   `invalidModelPath`, `artifactRootMissing`); ``SigningError`` when the key, certificates
    ///   or bundle cannot be read or the bundle is of another kind than the pin; `CancellationError`.
    public func check(_ entry: RegistryEntry, skipVerify: Bool = false,
                      progress: (@Sendable (String, HashProgress) -> Void)? = nil) async throws -> Check {
        let name = entry.name
        var check = Check(root: "")
        switch locker.source.location(of: entry) {
        case .none: break
        case .local: check.root = try locker.source.root(of: entry)
        case .ollama where acceptsOllama: check.root = try locker.source.root(of: entry)
        case .invalid(let reason): throw VersionLockError(.invalidModelPath, "cannot activate '\(name)': \(reason)")
        case let other:
            throw VersionLockError(.notHashableHere, "cannot activate '\(name)': its model path '\(entry.backendConfig.modelPath ?? other.display)' is not a local path; vLLM is launched on local weights only")
        }
        let lock = entry.versionLock
        guard lock.locked || lock.pinsSigner else { return check }
        check.verified = false
        if skipVerify { return check }
        let batch = try await locker.verify(names: [name], progress: progress)
        check.verification = batch
        if batch.hasViolation || batch.hasError {
            check.failure = VersionLockError(.refused, "\(name): not activated: its artifacts do not verify (see above; modelctl verify \(name.shellQuoted))")
            return check
        }
        if let trust = SignatureTrust.pinned(by: entry, registry: locker.source, trustedRoot: trustedRoot) {
            var report: (@Sendable (HashProgress) -> Void)?
            if let progress { report = { progress(name, $0) } }
            guard let bundle = lock.signature?["path"]?.stringValue else {
                let (field, how) = switch lock.signer {
                case nil: ("public_key", "sign it with modelctl sign \(name.shellQuoted) --key KEY")
                case .certificateChain?: ("signer", "sign it with modelctl sign \(name.shellQuoted) --key KEY --certificate-chain CHAIN.pem")
                case .sigstore?: ("signer", "sign it with model_signing sign sigstore and record the bundle's path in version_lock.signature.path")
                }
                check.failure = VersionLockError(.refused, "\(name): version_lock.\(field) is set but no signature is recorded; \(how)")
                return check
            }
            let outcome = try await ModelSignatureVerifier(jobs: jobs).verify(
                root: check.root, bundlePath: locker.source.registryPath(bundle), trust: trust, progress: report)
            check.signature = outcome
            if let failure = outcome.failure {
                check.failure = VersionLockError(.refused, "\(name): not activated: \(failure.message)")
                return check
            }
        }
        check.verified = true
        return check
    }
}

extension PublicKeyPEM {
    /// A pinned `version_lock.public_key`: PEM text as written, or a key file resolved against
    /// the registry directory like `model_path` (``ArtifactSource/registryPath(_:)``), never
    /// the working directory, where anyone's key could stand under the same relative name.
    public init(pinned value: String, source: String, registry: ArtifactSource) {
        self.init(pinned: value, source: source)
        if case .file(let path) = self { self = .file(registry.registryPath(path)) }
    }
}

extension SignatureTrust {
    /// Who `entry`'s lock says must have signed it: `version_lock.signer` (a Sigstore identity,
    /// or CA certificates), else `version_lock.public_key`; nil when it pins neither. Paths are
    /// resolved against the registry directory (``ArtifactSource/registryPath(_:)``), never the
    /// working directory. A Sigstore signer that names no `trusted_root` is checked against
    /// `trustedRoot` (nil: the built-in public-good root). `verify NAME --signature` and
    /// ``ActivationGate`` both ask this.
    public static func pinned(by entry: RegistryEntry, registry: ArtifactSource, trustedRoot: String? = nil) -> SignatureTrust? {
        let lock = entry.versionLock
        switch lock.signer {
        case let .sigstore(identity, provider, root)?:
            return .sigstore(SigstoreSigner(identity: identity, identityProvider: provider, trustedRootPath: root.map(registry.registryPath) ?? trustedRoot))
        case .certificateChain(let paths)?:
            return .certificateChain(paths: paths.map(registry.registryPath))
        case nil:
            return lock.publicKey.map { .publicKey(PublicKeyPEM(pinned: $0, source: "\(entry.name): version_lock.public_key", registry: registry)) }
        }
    }
}
