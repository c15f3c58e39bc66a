import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON
import VersionLock

/// `modelctl sign PATH --key PRIVATE.pem [--output FILE]`: a bundle model_signing's
/// `verify key` accepts.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a model directory or file with an EC key, as `model_signing sign key` does.",
        discussion: """
            Writes a Sigstore bundle holding a DSSE envelope over an in-toto statement that lists \
            every file's SHA-256 (predicate https://model_signing/signature/v1.0). The key is an \
            unencrypted PEM EC private key on P-256, P-384 or P-521. The bundle goes to \
            PATH/model.sig for a directory (left out of the signed files), FILE.sig for a file, \
            unless --output says otherwise. `.git`, `.gitattributes`, `.github` and `.gitignore` \
            at the top of the tree are left out, as model_signing leaves them out, and so is \
            each --ignore-paths P (relative to the model directory, or a path under it), recorded \
            in the statement's ignore_paths so that verifiers leave it out too.

            The key is named by one fingerprint everywhere (this output, the registry's \
            version_lock.signature, verify --signature): sha256: and the SHA-256 of its DER \
            public key, which `openssl pkey -pubin -in PUB.pem -outform DER | sha256sum` prints.

            Check it with `modelctl verify PATH --signature model.sig --public-key PUB.pem` \
            or `model_signing verify key --signature model.sig --public_key PUB.pem PATH`.

            With --certificate-chain CHAIN.pem (the key's certificate first, then its issuers), \
            the bundle is model_signing's certificate bundle: check it with `modelctl verify PATH \
            --signature model.sig --certificate-chain CA.pem` or `model_signing verify \
            certificate --signature model.sig --certificate_chain CA.pem PATH`.

            With --shard-size SIZE, the statement lists the SHA-256 of every SIZE-byte shard of \
            each file (model_signing's "shards" serialization, named path:start:end) instead of \
            one per file, read in the same pass; model_signing's library API verifies it, and a \
            changed file is reported with the byte range that changed. An empty file has no \
            shard, so such a bundle does not cover empty files.
            """
    )

    @Argument(help: "A registry entry's name, or the model directory or file to sign.")
    var path: String

    @Option(name: .customLong("key"), help: "PEM EC private key (P-256, P-384 or P-521).")
    var key: String

    @Option(name: .customLong("certificate-chain"),
            help: ArgumentHelp("PEM certificates for a certificate bundle: the key's certificate first, then its issuers (repeatable).", valueName: "pem"))
    var certificateChain: [String] = []

    @Option(name: .customLong("ignore-paths"),
            help: ArgumentHelp("Leave this path out of the signature, relative to the model directory or under it (repeatable; recorded in ignore_paths).", valueName: "path"))
    var ignorePaths: [String] = []

    @Option(name: .customLong("output"), help: "Where to write the bundle (default PATH/model.sig, or FILE.sig).")
    var output: String?

    @Option(name: .customLong("shard-size"),
            help: ArgumentHelp("Sign shards of this size instead of whole files (model_signing's shards serialization; 1M to 1T).", valueName: "size"))
    var shardSize: String?

    @OptionGroup var hashing: HashingOptions
    @OptionGroup var location: LocationOptions
    @OptionGroup var registry: RegistryOptions

    @Flag(name: .customLong("json"), help: "Print {signature, key_fingerprint, curve, subject_name, subject_sha256, file_count (with --shard-size: shard_size, shard_count)}.")
    var json = false

    func validate() throws {
        if key.isEmpty { throw ValidationError("--key must name a PEM private key file") }
        if let shardSize, LockCommand.shardBytes(shardSize) == nil {
            throw ValidationError("--shard-size takes a size from 1M to 1T such as 64M or 1G (binary units K, M, G, T), got '\(shardSize)'")
        }
    }

    func run() async throws {
        let (root, entry, excluded) = try SignatureTarget.resolve(path, registry: registry, mapPaths: location.mapPaths)
        let ignoring = try excluded + SignatureTarget.ignored(ignorePaths, root: root)
        // Made absolute here: the entry records this path, and a later command run from another
        // directory must find this bundle, not one there under the same name.
        let output = output.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        let record = try await ModelSigner(jobs: hashing.jobs).sign(
            root: root, privateKeyPEMPath: key, certificateChainPaths: certificateChain, output: output, ignoring: ignoring,
            shardSize: shardSize.flatMap(LockCommand.shardBytes), progress: Format.progressHandler(label: path)
        )
        Terminal.clearProgress()
        for warning in record.warnings { Terminal.warning(warning) }
        if let entry {
            // The entry remembers where its signature is and which key made it.
            let locker = VersionLocker(store: try registry.store(), source: try registry.source(mapPaths: location.mapPaths))
            try locker.recordSignature(entry.name, JSONObject([
                ("path", .string(record.bundlePath)),
                ("key_fingerprint", .string("sha256:" + record.keyFingerprint)),
                ("signed_at", .string(Timestamp.utc(Date()))),
            ]))
        }
        if json {
            var object = JSONObject([
                ("signature", .string(record.bundlePath)),
                ("key_fingerprint", .string(record.keyFingerprint)),
                ("curve", .string(record.curve.rawValue)),
                ("subject_name", .string(record.statement.modelName)),
                ("subject_sha256", .string(record.statement.subjectDigest)),
            ])
            if let shardSize = record.statement.shardSize {
                object["shard_size"] = .number(JSONNumber(Int(shardSize)))
                object["shard_count"] = .number(JSONNumber(record.statement.resources.count))
            } else {
                object["file_count"] = .number(JSONNumber(record.statement.resources.count))
            }
            print(JSON.serialize(.object(object)))
        } else {
            let signed = Format.count(record.statement.resources.count, record.statement.shardSize == nil ? "file" : "shard")
            print("signed \(displayEscaped(path)): \(signed) -> \(displayEscaped(record.bundlePath))")
            print("  key      \(record.curve.rawValue) sha256:\(record.keyFingerprint)")
            if let subject = record.certificateSubject { print("  certificate \(displayEscaped(subject))") }
            print("  subject  \(displayEscaped(record.statement.modelName)) sha256:\(record.statement.subjectDigest)")
        }
    }
}
