#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ArtifactHashing
import ErrorSupport
import SystemSupport

/// Paths model_signing leaves out of a model, relative to the model root.
///
/// An ignored path leaves out itself and everything under it (`.git` covers `.git/HEAD`), and
/// only where it is written: `.git` at the root, not `sub/.git`, as model_signing joins each
/// ignored path to the model directory.
public enum IgnoredPaths {
    /// What model_signing's `--ignore-git-paths` (on by default) leaves out.
    public static let git = [".git", ".gitattributes", ".github", ".gitignore"]

    /// `path` in the form model_signing records (`PurePosixPath`): no `.` or empty components,
    /// no trailing slash. Nil for a path that could never name something inside the root
    /// (absolute, with `..`, or the root itself).
    static func normalize(_ path: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !parts.isEmpty, !parts.contains("..") else { return nil }
        return parts.joined(separator: "/")
    }

    /// A path given to leave out of the model directory `root` (model_signing's `--ignore-paths`)
    /// in the form a statement records: a path from the working directory (or absolute) that
    /// lies inside `root`, as model_signing takes it (`./m/ignore-me` for the model `./m`), else a
    /// path relative to `root` (`ignore-me`). Nil when it can name nothing inside `root`
    /// (absolute and outside, `..` out of it, or `root` itself).
    public static func relative(_ path: String, toModel root: String) -> String? {
        if let inside = SignedStatement.relativePath(of: path, inside: root) { return inside }
        return path.hasPrefix("/") ? nil : normalize(path)
    }

    /// Whether `relativePath` is one of `ignored` or lies under one.
    static func matches(_ relativePath: String, _ ignored: Set<String>) -> Bool {
        if ignored.contains(relativePath) { return true }
        var index = relativePath.endIndex
        while let slash = relativePath[..<index].lastIndex(of: "/") {
            if ignored.contains(String(relativePath[..<slash])) { return true }
            index = slash
        }
        return false
    }
}

/// What signing wrote.
public struct SignatureRecord: Sendable, Hashable {
    /// Where the bundle was written.
    public var bundlePath: String
    /// The signing key's fingerprint: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo,
    /// as `openssl pkey -pubout -outform DER | sha256sum` prints it.
    public var keyFingerprint: String
    /// The key hint written in the bundle (model_signing's: SHA-256 of the public key's PEM text).
    public var keyHint: String
    /// The key's curve.
    public var curve: SigningCurve
    /// The signing certificate's subject, for a certificate bundle; nil for a key bundle.
    public var certificateSubject: String?
    /// The statement that was signed.
    public var statement: SignedStatement
    /// Things the user should fix, for the CLI to print (a private key others can read).
    public var warnings: [String]
}

/// Signs a model directory or file the way `model_signing sign key` does.
///
/// ```swift
/// let record = try await ModelSigner().sign(root: "/models/qwen3-8b", privateKeyPEMPath: "release.pem")
/// print(record.bundlePath)   // /models/qwen3-8b/model.sig
/// ```
public struct ModelSigner: Sendable {
    /// Files hashed at once (nil: one per processor).
    public var jobs: Int?

    /// A signer hashing `jobs` files at once (default: one per processor).
    public init(jobs: Int? = nil) {
        self.jobs = jobs
    }

    /// Where ``sign(root:privateKeyPEMPath:certificateChainPaths:output:ignoring:shardSize:progress:)``
    /// writes the bundle unless told: `ROOT/model.sig` for a directory, `FILE.sig` for a file.
    public static func defaultBundlePath(forRoot root: String) -> String {
        let trimmed = PathText.trimTrailingSlashes(root)
        return nodeKind(root, followLinks: true) == .directory ? PathText.join(trimmed, ModelSigningFormat.defaultSignatureName) : trimmed + ".sig"
    }

    /// The statement signing signs for `root` (what `hash --format model-signing` prints):
    /// model_signing's git paths, modelctl's tool metadata (``SignedStatement/toolMetadata(in:)``),
    /// `ignoring` and the bundle at `bundlePath` left out; every name UTF-8.
    ///
    /// - Throws: ``SigningError`` `.hashingFailed` naming the path, or `CancellationError`.
    public static func statement(root: String, bundlePath: String, ignoring: [String] = [], shardSize: Int64? = nil, jobs: Int? = nil,
                                 progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> SignedStatement {
        let statement = try await SignedStatement.hashing(
            root: root, jobs: jobs, signaturePath: bundlePath,
            extraIgnoredPaths: SignedStatement.toolMetadata(in: root) + ignoring, shardSize: shardSize, progress: progress
        )
        try statement.requireUTF8Names(root: root)
        return statement
    }

    /// Hashes `root`, signs the statement with the EC private key in `privateKeyPEMPath` and
    /// writes the bundle: model_signing's key bundle, or its certificate bundle when
    /// `certificateChainPaths` are given.
    ///
    /// - Parameters:
    ///   - root: a model directory, or a single file.
    ///   - privateKeyPEMPath: an unencrypted PEM EC private key on P-256, P-384 or P-521.
    ///   - certificateChainPaths: PEM files whose certificates, in order, go into the bundle:
    ///     the first is the signing certificate (its key must be the private key's), the rest
    ///     its issuers. Empty: a key bundle.
    ///   - output: where to write the bundle; default `ROOT/model.sig` for a directory (left
    ///     out of the signed files, as model_signing leaves out its signature), `FILE.sig` for a file.
    ///     An existing file there is replaced only when it is a signature bundle.
    ///   - ignoring: more paths to leave out and record in `ignore_paths` (an entry's exclusions).
    ///   - shardSize: sign shards of this many bytes (model_signing's `shards` serialization, see
    ///     ``SignedStatement``) instead of whole files; in ``SignedStatement/shardSizes``.
    ///   - progress: hashing progress, as ``ArtifactHasher/hash(_:progress:)`` reports it.
    /// - Returns: where the bundle went, the key's fingerprint and the signed statement; a
    ///   readable private key is used, with a warning in ``SignatureRecord/warnings``.
    /// - Throws: ``SigningError`` (`.keyUnreadable`, `.keyUnsupported`, `.certificateUnreadable`,
    ///   `.hashingFailed`, `.writeFailed`, `.cryptoFailed`), or `CancellationError`.
    public func sign(root: String, privateKeyPEMPath: String, certificateChainPaths: [String] = [], output: String? = nil, ignoring: [String] = [],
                     shardSize: Int64? = nil, progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> SignatureRecord {
        var warnings: [String] = []
        if let mode = permissionBits(privateKeyPEMPath), mode & 0o044 != 0 {
            warnings.append("\(privateKeyPEMPath): the private key is readable by group or others (mode \(String(mode, radix: 8))); restrict it with `chmod 600 \(privateKeyPEMPath)`")
        }
        // Check the key and certificates first, so they fail before minutes of hashing; the
        // key is released while hashing and read again to sign.
        let certificates = try Self.signingChain(certificateChainPaths, for: ECKey.loadPrivate(path: privateKeyPEMPath))
        let bundlePath = output ?? Self.defaultBundlePath(forRoot: root)
        // Only a bundle is replaced: an --output naming a model file (or the model itself)
        // would overwrite it, and a file inside the root named as the signature is left out of
        // what is signed, so the bundle would even verify over the tree that lost it.
        if nodeKind(bundlePath, followLinks: true) != .missing, (try? SignatureBundle.read(path: bundlePath)) == nil {
            throw SigningError(.writeFailed, "\(bundlePath): exists and is not a signature bundle; it is not replaced: give --output a new path (or remove the file first)")
        }
        let statement = try await Self.statement(root: root, bundlePath: bundlePath, ignoring: ignoring, shardSize: shardSize,
                                                 jobs: jobs, progress: progress)
        // model_signing splits a shard's name at every colon: it could not read this one back.
        if shardSize != nil, let path = statement.resources.lazy.compactMap({ SignedStatement.shard(named: $0.path)?.path }).first(where: { $0.contains(":") }) {
            throw SigningError(.hashingFailed, "\(root): file \(displayEscaped(path)) has a colon in its name, which a shards statement (path:start:end) cannot name; rename it, or sign without --shard-size")
        }
        let key = try ECKey.loadPrivate(path: privateKeyPEMPath)
        let spki = try key.subjectPublicKeyInfo()
        let payload = statement.encoded()
        let signature = try key.sign(ModelSigningFormat.preAuthenticationEncoding(payload))
        let hint = modelSigningHint(ofSubjectPublicKeyInfo: spki)
        let material: SignatureBundle.Material = certificates.isEmpty ? .publicKey(hint: hint) : .certificates(certificates.map(\.der))
        try writeFileAtomically(bundlePath, SignatureBundle(payload: payload, signature: signature, material: material).encoded())
        return SignatureRecord(
            bundlePath: bundlePath, keyFingerprint: fingerprint(ofSubjectPublicKeyInfo: spki), keyHint: hint,
            curve: key.curve, certificateSubject: certificates.first?.subject, statement: statement, warnings: warnings
        )
    }

    /// The certificates in `paths`, in order, after checking the first is `key`'s (as
    /// model_signing checks it); empty for no paths. Nothing else is checked: verifying decides
    /// whom to trust.
    private static func signingChain(_ paths: [String], for key: ECKey) throws(SigningError) -> [Certificate] {
        var certificates: [Certificate] = []
        for path in paths { certificates += try Certificate.load(pemFile: path) }
        guard let leaf = certificates.first else { return [] }
        guard certificates.count <= Certificate.maximumCount else {
            throw SigningError(.certificateUnreadable, "\(paths.joined(separator: ", ")): more than \(Certificate.maximumCount) certificates in all")
        }
        guard try leaf.publicKey().subjectPublicKeyInfo() == key.subjectPublicKeyInfo() else {
            throw SigningError(.keyUnsupported, "\(paths[0]): the first certificate (\(leaf.subject)) does not match the private key; put the signing certificate for this key first, then its issuers")
        }
        return certificates
    }
}

/// The outcome of checking a model against a signature bundle.
public struct SignatureVerification: Sendable, Hashable {
    /// The model root that was checked.
    public var root: String
    /// The bundle that was read.
    public var bundlePath: String
    /// The public key's fingerprint (see ``SignatureRecord/keyFingerprint``); for a
    /// certificate bundle, the signing certificate's key.
    public var keyFingerprint: String
    /// The signing certificate's subject (RFC 2253), for a certificate bundle.
    public var certificateSubject: String?
    /// Lowercase hex SHA-256 of the signing certificate (DER), for a certificate or keyless bundle.
    public var certificateFingerprint: String?
    /// For a keyless bundle: whom the Fulcio certificate names and who vouched for them, as
    /// `IDENTITY (OIDC issuer URL)` (text from the bundle; trusted only when the signature verified).
    public var signerIdentity: String?
    /// Whether the DSSE signature verifies with the public key (and the bundle's key hint, when
    /// it has one, names that key).
    public var signatureVerified: Bool
    /// Why the signature did not verify, when it did not.
    public var signatureProblem: String?
    /// The signed statement; nil when the signature did not verify (its content is not trusted).
    public var statement: SignedStatement?
    /// The signed digests (expected) against the files now (actual); nil when the signature
    /// did not verify.
    public var diff: ManifestDiff?
    /// Files hashed under the root (after the ignored paths).
    public var filesChecked: Int
    /// Why the tree breaks the statement's `allow_symlinks: false`, when it does.
    public var symlinkProblem: String?

    /// Whether the signature verifies and every file matches its signed digest, none missing or
    /// added, and the tree holds links only where the statement allows them.
    public var isVerified: Bool { signatureVerified && diff?.isEmpty == true && symlinkProblem == nil }

    /// The integrity failure this outcome amounts to, or nil when verified.
    public var failure: SigningError? {
        if !signatureVerified {
            let signer = signerIdentity.map { "the Sigstore certificate of \($0)" } ?? certificateSubject.map { "the certificate \($0)" } ?? "key \(keyFingerprint)"
            return SigningError(.signatureInvalid, "\(bundlePath): the signature does not verify for \(root) with \(signer): \(signatureProblem ?? "invalid signature")")
        }
        if let symlinkProblem { return SigningError(.digestMismatch, "\(root): \(symlinkProblem)") }
        guard let diff, !diff.isEmpty else { return nil }
        let counts = [("changed", diff.changed.count), ("missing", diff.missing.count), ("added", diff.added.count), ("moved", diff.moved.count)]
            .filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        // A shards statement says where in a file the bytes changed.
        let ranges = statement?.shardSize == nil ? "" : diff.changed.prefix(10).compactMap { change in
            SignedStatement.shard(named: change.path).map { "\(displayEscaped($0.path)) bytes \($0.bytes.lowerBound)-\($0.bytes.upperBound - 1) changed" }
        }.map { "; " + $0 }.joined()
        return SigningError(.digestMismatch, "\(root): the files do not match the digests signed in \(bundlePath) (\(counts))\(ranges)")
    }

    /// Throws ``failure`` when there is one.
    public func check() throws(SigningError) {
        if let failure { throw failure }
    }
}

/// What a signature bundle is checked against.
public enum SignatureTrust: Sendable {
    /// A PEM EC public key (a file or pinned text): model_signing's key method.
    case publicKey(PublicKeyPEM)
    /// PEM files of CA certificates (each may hold several): model_signing's certificate
    /// method. The bundle's signing certificate must chain to one of them.
    case certificateChain(paths: [String])
    /// A Sigstore keyless signer: model_signing's sigstore method.
    case sigstore(SigstoreSigner)
}

/// The model_signing signing method a bundle was written with.
public enum SigningMethod: String, Sendable {
    /// An EC key (`sign key`): checked with `--public-key`.
    case key
    /// An X.509 certificate chain (`sign certificate`): checked with `--certificate-chain`.
    case certificate
    /// Sigstore keyless (`sign sigstore`): checked with `--identity` and `--identity-provider`.
    case sigstore
}

/// Who must have signed a Sigstore keyless bundle, and the root that vouches for Sigstore's
/// services (Fulcio, Rekor, the CT logs).
public struct SigstoreSigner: Sendable, Hashable {
    /// What the signing certificate's subject alternative name must be: an email address or URI.
    public var identity: String
    /// The OIDC issuer that must have vouched for the identity (the certificate's Fulcio issuer
    /// extension), such as `https://accounts.google.com`.
    public var identityProvider: String
    /// A `trusted_root.json` to use instead of the built-in Sigstore public-good root.
    public var trustedRootPath: String?

    /// A signer `identity` vouched for by `identityProvider`, checked against `trustedRootPath`
    /// (nil: the built-in public-good root).
    public init(identity: String, identityProvider: String, trustedRootPath: String? = nil) {
        self.identity = identity
        self.identityProvider = identityProvider
        self.trustedRootPath = trustedRootPath
    }
}

/// Checks a model against a model_signing bundle, as `model_signing verify key` and
/// `verify certificate` do.
///
/// ```swift
/// let outcome = try await ModelSignatureVerifier().verify(root: "/models/m", bundlePath: "/models/m/model.sig",
///                                                         trust: .certificateChain(paths: ["ca.pem"]))
/// try outcome.check()   // SigningError .signatureInvalid or .digestMismatch
/// ```
public struct ModelSignatureVerifier: Sendable {
    /// Files hashed at once (nil: one per processor).
    public var jobs: Int?

    /// A verifier hashing `jobs` files at once (default: one per processor).
    public init(jobs: Int? = nil) {
        self.jobs = jobs
    }

    /// Which model_signing method wrote the bundle at `path`, so a caller can tell what trust
    /// to ask for before verifying.
    ///
    /// - Throws: ``SigningError`` `.bundleUnreadable`, `.bundleMalformed` or `.bundleUnsupported`.
    public static func method(ofBundle path: String) throws(SigningError) -> SigningMethod {
        switch try SignatureBundle.read(path: path).material {
        case .publicKey: .key
        case .certificates: .certificate
        case .keyless: .sigstore
        }
    }

    /// ``verify(root:bundlePath:trust:ignoring:progress:)`` with a public key.
    public func verify(root: String, bundlePath: String, publicKey: PublicKeyPEM,
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> SignatureVerification {
        try await verify(root: root, bundlePath: bundlePath, trust: .publicKey(publicKey), progress: progress)
    }

    /// Verifies the bundle's signature, then hashes `root` and compares it with the signed
    /// digests. Paths the statement lists as ignored, `ignoring` (paths relative to `root`, as
    /// model_signing's `--ignore-paths` gives them for bundles that record none: see
    /// ``IgnoredPaths/relative(_:toModel:)``), model_signing's git paths and the bundle itself
    /// (when it lies inside the root) are left out, as model_signing does.
    ///
    /// With a public key, the bundle's key hint (when it has one) must name it and the DSSE
    /// signature must verify with it. With certificates, in this order: the bundle's first
    /// certificate chains to one of them through the bundle's other certificates, every
    /// certificate on the path is valid now, the first carries the code-signing extended key
    /// usage (and digitalSignature, when it has a key usage), and the DSSE signature verifies
    /// with its key. With a Sigstore signer (a keyless bundle): the DSSE signature verifies
    /// with the Fulcio certificate's key, then the Rekor entry, the SCT, the entry's match with
    /// this bundle, the Fulcio chain at the entry's time and the identity, in that order (see
    /// ``KeylessVerification``), against the signer's trusted root or the built-in one.
    ///
    /// An outcome that does not verify is returned, not thrown: see
    /// ``SignatureVerification/check()``.
    ///
    /// - Throws: ``SigningError`` for what could not be read or checked (`.keyUnreadable`,
    ///   `.keyUnsupported`, `.certificateUnreadable`, `.bundleUnreadable`, `.bundleMalformed`,
    ///   `.bundleUnsupported`, `.trustedRootUnreadable`, `.hashingFailed`), for a bundle of
    ///   another kind than the trust given (`.verificationMaterialMismatch`), or `CancellationError`.
    public func verify(root: String, bundlePath: String, trust: SignatureTrust, ignoring: [String] = [],
                       progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> SignatureVerification {
        // Trust material first, so a bad key file is named before the bundle is looked at.
        var publicKey: ECKey?
        var anchors: [Certificate] = []
        var sigstore: (signer: SigstoreSigner, root: SigstoreTrustedRoot)?
        switch trust {
        case .publicKey(let pem): publicKey = try ECKey.loadPublic(pem)
        case .certificateChain(let paths): for path in paths { anchors += try Certificate.load(pemFile: path) }
        case .sigstore(let signer): sigstore = (signer, try SigstoreTrustedRoot.load(path: signer.trustedRootPath))
        }
        let bundle = try SignatureBundle.read(path: bundlePath)
        var outcome = SignatureVerification(
            root: root, bundlePath: bundlePath, keyFingerprint: "", signatureVerified: false,
            signatureProblem: nil, statement: nil, diff: nil, filesChecked: 0, symlinkProblem: nil
        )
        let key: ECKey
        // Checks that need the DSSE signature to have verified first (a keyless bundle's evidence).
        var trustProblem: () throws(SigningError) -> String? = { nil }
        switch (bundle.material, publicKey) {
        case (.keyless(let material), _):
            guard let sigstore else {
                throw SigningError(.verificationMaterialMismatch, "\(bundlePath): a Sigstore keyless bundle (a Fulcio certificate logged in Rekor): say who must have signed it with --identity ID --identity-provider URL")
            }
            guard let leaf = Certificate(der: material.certificates[0]) else {
                throw SigningError(.bundleMalformed, "\(bundlePath): the bundle's signing certificate is not a DER X.509 certificate")
            }
            key = try leaf.publicKey()
            outcome.keyFingerprint = fingerprint(ofSubjectPublicKeyInfo: try key.subjectPublicKeyInfo())
            outcome.certificateFingerprint = leaf.fingerprint
            outcome.signerIdentity = leaf.signerDescription(expecting: sigstore.signer.identity)
            let check = KeylessVerification(material: material, leaf: leaf, payload: bundle.payload, signature: bundle.signature,
                                            signer: sigstore.signer, root: sigstore.root)
            trustProblem = check.problem
        case (_, _) where sigstore != nil:
            throw SigningError(.verificationMaterialMismatch, "\(bundlePath): not a Sigstore keyless bundle: --identity and --identity-provider check keyless bundles; check this one with --public-key or --certificate-chain")
        case (.certificates, _?):
            throw SigningError(.verificationMaterialMismatch, "\(bundlePath): a model_signing certificate bundle: a public key does not say which CA vouches for the signer; give the CA certificates with --certificate-chain CA.pem")
        case (.publicKey, nil):
            throw SigningError(.verificationMaterialMismatch, "\(bundlePath): a model_signing key bundle, which holds no certificate: check it with --public-key PUBLIC.pem")
        case (.publicKey(let hint), let given?):
            key = given
            let spki = try key.subjectPublicKeyInfo()
            outcome.keyFingerprint = fingerprint(ofSubjectPublicKeyInfo: spki)
            if let hint, hint != modelSigningHint(ofSubjectPublicKeyInfo: spki) {
                // The hint is another hash of a key (model_signing's); it is not quoted, so that the
                // one key hash a user meets is the fingerprint.
                outcome.signatureProblem = "the bundle was signed with another key than sha256:\(outcome.keyFingerprint)"
                return outcome
            }
        case (.certificates(let chain), nil):
            let parsed = chain.compactMap(Certificate.init(der:))
            guard parsed.count == chain.count, let leaf = parsed.first else {
                throw SigningError(.bundleMalformed, "\(bundlePath): a certificate in the bundle is not a DER X.509 certificate")
            }
            key = try leaf.publicKey()
            outcome.keyFingerprint = fingerprint(ofSubjectPublicKeyInfo: try key.subjectPublicKeyInfo())
            outcome.certificateSubject = leaf.subject
            outcome.certificateFingerprint = leaf.fingerprint
            if let problem = leaf.chainProblem(anchors: anchors, intermediates: Array(parsed.dropFirst())) ?? leaf.signingUsageProblem {
                outcome.signatureProblem = problem
                return outcome
            }
        }
        // model_signing 0.2 signed another encoding of the same payload, always with SHA-256;
        // model_signing accepts that, so modelctl does.
        guard try key.verify(bundle.signature, of: ModelSigningFormat.preAuthenticationEncoding(bundle.payload))
                || key.verify(bundle.signature, of: ModelSigningFormat.preAuthenticationEncodingV02(bundle.payload), sha256: true) else {
            outcome.signatureProblem = "the ECDSA signature over the DSSE payload is invalid (the payload or signature was altered, or another key signed it)"
            return outcome
        }
        if let problem = try trustProblem() {
            outcome.signatureProblem = problem
            return outcome
        }
        outcome.signatureVerified = true
        let statement = try SignedStatement.decode(bundle.payload, source: bundlePath)
        let current: SignedStatement
        do {
            current = try await SignedStatement.hashing(
                root: root, jobs: jobs, signaturePath: bundlePath, extraIgnoredPaths: statement.ignorePaths + ignoring,
                shardSize: statement.shardSize, expecting: statement, progress: progress
            )
        } catch let error as SigningError where error.specialFile {
            // Something a loader may open that no signed digest covers: the tree is not the signed one.
            throw SigningError(.digestMismatch, error.message + " (not covered by the signature in \(bundlePath))")
        }
        if !statement.allowSymlinks && current.allowSymlinks {
            outcome.symlinkProblem = "the signed statement says allow_symlinks: false, but \(root) holds a symbolic link; replace each link with the file itself, or sign again"
        }
        outcome.statement = statement
        outcome.filesChecked = current.resources.count
        outcome.diff = ManifestDiff(expected: statement.resources, actual: current.resources)
        return outcome
    }
}

/// Building statements: what `modelctl hash --format model-signing` prints and what signing signs.
extension SignedStatement {
    /// The statement model_signing would sign for `root` (what `sign` signs and `hash --format
    /// model-signing` prints): `root` hashed by the one walk, model_signing's git paths,
    /// `extraIgnoredPaths` and (when it lies inside the root) `signaturePath` left out. With
    /// `shardSize`, a statement of shards: the hasher records each file's shard digests in the
    /// read that hashes it (``ArtifactHasher/shardSize``), as `lock --shard-size` does; and with
    /// `expecting`, a signed statement of the same shard size, the files it lists are first checked
    /// shard by shard, several shards at once, as verify checks a lock's shards (see
    /// ``ArtifactHasher/expectedShards``): a file whose shards all match is not read again.
    ///
    /// - Throws: ``SigningError`` `.hashingFailed` naming the path, or `CancellationError`.
    public static func hashing(root: String, jobs: Int? = nil, signaturePath: String? = nil, extraIgnoredPaths: [String] = [],
                               shardSize: Int64? = nil, expecting signed: SignedStatement? = nil,
                               progress: (@Sendable (HashProgress) -> Void)? = nil) async throws -> SignedStatement {
        let ignored = nodeKind(root, followLinks: true) == .directory
            ? ignoreSet(root: root, signaturePath: signaturePath, extraIgnoredPaths: extraIgnoredPaths) : []
        // model_signing's ignored paths are literal paths from the root: each becomes a glob
        // pattern that matches only itself (a directory matched is not descended).
        let patterns = ignored.sorted(by: bytesPrecede).map { path in
            String(path.flatMap { "*?[]\\".contains($0) ? ["\\", $0] : [$0] })
        }
        if let problem = PathExclusions.validate(patterns) {
            throw SigningError(.bundleMalformed, "\(root): the ignored paths hold \(problem)")
        }
        var hasher = ArtifactHasher(jobs: jobs, exclusions: PathExclusions(skipsToolMetadata: false, patterns: patterns))
        hasher.shardSize = shardSize
        if let signed, signed.shardSize == shardSize { hasher.expectedShards = signed.shardExpectations(root: root) }
        let manifest: Manifest
        do {
            manifest = try await hasher.hash(root, progress: progress)
        } catch let error as HashingError {
            throw SigningError(.hashingFailed, error.description, specialFile: error.code == .specialFile)
        }
        return try SignedStatement(for: manifest, signaturePath: signaturePath, extraIgnoredPaths: extraIgnoredPaths, shardSize: shardSize)
    }

    /// The statement for an already hashed tree (`manifest.root` is looked at, not read: whether
    /// it is a file, and whether it holds symbolic links).
    ///
    /// A directory's files are listed under their relative paths, less the ignored ones; a root
    /// that is a file is listed as `"."`, as model_signing lists it. With `shardSize`, each file
    /// is listed as its shards, from ``Manifest/shards`` (a file smaller than a shard is its one
    /// shard, whose digest is the file's).
    public init(for manifest: Manifest, signaturePath: String? = nil, extraIgnoredPaths: [String] = [], shardSize: Int64? = nil) throws(SigningError) {
        let root = manifest.root
        let kind = nodeKind(root, followLinks: true)
        let name = SignedStatement.subjectName(forRoot: root)
        if kind == .file {
            guard let file = manifest.files.first, manifest.files.count == 1 else {
                throw SigningError(.hashingFailed, "\(root): expected one file")
            }
            self.init(
                modelName: name, resources: try SignedStatement.resources([ArtifactFile(path: ".", sha256: file.sha256, size: file.size)],
                                                                          shards: manifest.shards[file.path].map { [".": $0] } ?? [:], shardSize: shardSize, root: root),
                allowSymlinks: nodeKind(root, followLinks: false) == .symlink, ignorePaths: IgnoredPaths.git.sorted(by: bytesPrecede),
                shardSize: shardSize
            )
            return
        }
        let ignored = SignedStatement.ignoreSet(root: root, signaturePath: signaturePath, extraIgnoredPaths: extraIgnoredPaths)
        let files = manifest.files.filter { !IgnoredPaths.matches($0.path, ignored) }.sorted { statementOrder($0.path, $1.path) }
        self.init(
            modelName: name, resources: try SignedStatement.resources(files, shards: manifest.shards, shardSize: shardSize, root: root),
            allowSymlinks: files.contains { isSymlink(under: root, $0.pathBytes) },
            ignorePaths: ignored.sorted(by: bytesPrecede), shardSize: shardSize
        )
    }

    /// The files of this shards statement as the hasher checks them shard by shard: each file
    /// whose listed shards cover it exactly, by its path in the manifest (a model that is one
    /// file by its base name). A bundle states no whole-file digest: the SHA-256 over the shard
    /// digests stands in for it, in a manifest that only ``resources(_:shards:shardSize:root:)``
    /// reads, which takes a sharded file's shards and never its digest.
    func shardExpectations(root: String) -> [String: ShardExpectation] {
        guard let shardSize else { return [:] }
        var byFile: [String: [(bytes: Range<Int64>, sha256: String)]] = [:]
        for resource in resources {
            guard let shard = SignedStatement.shard(named: resource.path) else { continue }
            byFile[shard.path, default: []].append((shard.bytes, resource.sha256))
        }
        let trimmed = PathText.trimTrailingSlashes(root)
        let baseName = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        var out: [String: ShardExpectation] = [:]
        for (path, listed) in byFile {
            let ordered = listed.sorted { $0.bytes.lowerBound < $1.bytes.lowerBound }
            guard let fileSize = ordered.last?.bytes.upperBound else { continue }
            let layout = FileShards(shardSize: shardSize, sha256: ordered.map(\.sha256))
            guard layout.fits(fileSize: fileSize), ordered.indices.allSatisfy({ ordered[$0].bytes == layout.range(of: $0, fileSize: fileSize) }) else { continue }
            out[path == "." ? baseName : path] = ShardExpectation(
                fileSize: fileSize, sha256: SHA256Digest.hex(of: ordered.flatMap { hexBytes($0.sha256) ?? [] }), shards: layout)
        }
        return out
    }

    /// `files` as resources: themselves, or with `shardSize` each file's shards (`path:start:end`)
    /// in offset order, taken from `shards` (by path) or, for a file smaller than a shard, the
    /// file's own digest. An empty file has no shard, as model_signing lists none.
    static func resources(_ files: [ArtifactFile], shards: [String: FileShards], shardSize: Int64?, root: String) throws(SigningError) -> [ArtifactFile] {
        guard let shardSize else { return files }
        var out: [ArtifactFile] = []
        for file in files {
            let size = file.size ?? 0
            guard size > 0 else { continue }
            let digests = shards[file.path]?.sha256 ?? [file.sha256]
            guard digests.count == FileShards.count(fileSize: size, shardSize: shardSize) else {
                throw SigningError(.hashingFailed, "\(root): file \(file.displayPath) was hashed without its shard digests; hash it again")
            }
            let layout = FileShards(shardSize: shardSize, sha256: digests)
            for (index, digest) in digests.enumerated() {
                let bytes = layout.range(of: index, fileSize: size)
                out.append(ArtifactFile(path: "\(file.path):\(bytes.lowerBound):\(bytes.upperBound)", sha256: digest))
            }
        }
        return out
    }

    /// Throws when a resource's name is not UTF-8: a statement names files in JSON text, which
    /// cannot carry such bytes, so a signature over a replacement name would never verify
    /// against the tree it was made for.
    ///
    /// - Throws: ``SigningError`` `.hashingFailed`, naming the file (escaped) and saying to rename it.
    public func requireUTF8Names(root: String) throws(SigningError) {
        guard let file = resources.first(where: { !$0.isPathUTF8 }) else { return }
        throw SigningError(.hashingFailed, "\(root): file \(file.displayPath) has a name that is not UTF-8; a model_signing statement cannot name it (JSON text is UTF-8): rename it before signing")
    }

    /// Tool metadata modelctl leaves out of what it signs, beyond model_signing's defaults:
    /// `.cache/huggingface` at the top of the tree (`huggingface-cli download --local-dir`
    /// rewrites its files on every download), when it is there. It is recorded in
    /// `ignore_paths`, which model_signing's verifier honours.
    public static func toolMetadata(in root: String) -> [String] {
        nodeKind(PathText.trimTrailingSlashes(root) + "/.cache/huggingface", followLinks: false) == .directory ? [".cache/huggingface"] : []
    }
}

extension SignedStatement {
    /// What is left out of the directory `root`: model_signing's git paths, `extraIgnoredPaths`
    /// (those that can name something inside the root) and the signature when it lies inside.
    static func ignoreSet(root: String, signaturePath: String?, extraIgnoredPaths: [String]) -> Set<String> {
        var ignored = Set(IgnoredPaths.git)
        for path in extraIgnoredPaths { if let p = IgnoredPaths.normalize(path) { ignored.insert(p) } }
        if let signaturePath, let relative = relativePath(of: signaturePath, inside: root) { ignored.insert(relative) }
        return ignored
    }

    /// The subject name model_signing gives a model path: its last component, or the last
    /// component of the resolved path when that is empty or `..` (for `.` or `/x/..`).
    static func subjectName(forRoot root: String) -> String {
        let parts = root.split(separator: "/").filter { $0 != "." }
        if let last = parts.last, last != ".." { return String(last) }
        guard let resolved = PathText.realPath(root) else { return "" }
        return resolved.split(separator: "/").last.map(String.init) ?? ""
    }

    /// `path` relative to the directory `root`, both resolved, or nil when it is not inside.
    static func relativePath(of path: String, inside root: String) -> String? {
        guard let base = PathText.realPath(root) else { return nil }
        let trimmed = PathText.trimTrailingSlashes(path)
        let name = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        let parent = PathText.realPath(PathText.parent(trimmed)) ?? ""
        let full = (parent == "/" ? "" : parent) + "/" + name
        let prefix = base == "/" ? "/" : base + "/"
        guard full.hasPrefix(prefix) else { return nil }
        return IgnoredPaths.normalize(String(full.dropFirst(prefix.count)))
    }
}

func bytesPrecede(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
