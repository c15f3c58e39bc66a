import ArgumentParser
import ArtifactHashing
import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON

/// The text and JSON forms of a signature check, for `verify --signature`.
enum SignatureVerifyReport {
    /// Checks `path` against the bundle, prints the outcome (stdout) and throws the failure:
    /// exit 2 when the signature or a digest does not match, exit 64 when the bundle needs other
    /// trust than was given (a usage error), exit 1 when something could not be read.
    static func run(path: String, signature: String, trust: SignatureTrust, ignoring: [String] = [], jobs: Int?, json: Bool) async throws {
        // A failure's severity decides the exit status (a signature or digest mismatch 2, the rest 1).
        let outcome: SignatureVerification
        do {
            outcome = try await ModelSignatureVerifier(jobs: jobs).verify(
                root: path, bundlePath: signature, trust: trust, ignoring: ignoring, progress: Format.progressHandler(label: path)
            )
        } catch let error as SigningError where error.code == .verificationMaterialMismatch {
            Terminal.clearProgress()
            throw ValidationError(error.message)
        }
        Terminal.clearProgress()
        try show(outcome, json: json)
    }

    /// Prints `outcome` (stdout) and throws its failure, if any.
    static func show(_ outcome: SignatureVerification, json: Bool) throws {
        print(json ? JSON.serialize(self.json(outcome)) : text(outcome))
        if let error = outcome.failure { throw error }
    }

    static func text(_ o: SignatureVerification) -> String {
        let p: (String) -> String = { displayEscaped($0) }
        guard o.signatureVerified else {
            return """
                \(p(o.root)): SIGNATURE INVALID
                  signature \(p(o.bundlePath))
                  \(signer(o))
                  problem   \(p(o.signatureProblem ?? "invalid signature"))
                """
        }
        let statement = o.statement
        var lines = [
            "\(p(o.root)): \(o.isVerified ? "OK (signature verified, every file matches)" : "SIGNED DIGESTS DO NOT MATCH")",
            "  signature \(p(o.bundlePath))",
            "  \(signer(o))",
            "  subject   \(p(statement.map { $0.modelName.isEmpty ? "-" : $0.modelName } ?? "-")) sha256:\(statement?.subjectDigest ?? "-")",
            "  \(statement?.shardSize == nil ? "files " : "shards")    \(statement?.resources.count ?? 0) signed, \(o.filesChecked) found",
        ] + (o.symlinkProblem.map { ["  problem   \(p($0))"] } ?? [])
        if let diff = o.diff, !diff.isEmpty { lines += VerifyReport.fileLines(diff, aligned: true).map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }

    /// `key sha256:…`, `certificate SUBJECT sha256:…` (of the certificate) for a certificate
    /// bundle, or `signer IDENTITY (ISSUER) certificate sha256:…` for a keyless one.
    static func signer(_ o: SignatureVerification) -> String {
        if let identity = o.signerIdentity { return "signer    \(displayEscaped(identity)) certificate sha256:\(o.certificateFingerprint ?? "-")" }
        guard let subject = o.certificateSubject else { return "key       sha256:\(o.keyFingerprint)" }
        return "certificate \(displayEscaped(subject)) sha256:\(o.certificateFingerprint ?? "-")"
    }

    static func json(_ o: SignatureVerification) -> JSONValue {
        let status = !o.signatureVerified ? "signature_invalid" : (o.isVerified ? "ok" : "digest_mismatch")
        var object = JSONObject([
            ("root", .string(o.root)),
            ("status", .string(status)),
            ("signature", .string(o.bundlePath)),
            ("signature_verified", .bool(o.signatureVerified)),
            ("key_fingerprint", .string(o.keyFingerprint)),
        ])
        if let subject = o.certificateSubject { object["certificate_subject"] = .string(subject) }
        if let identity = o.signerIdentity { object["signer_identity"] = .string(identity) }
        if let sha256 = o.certificateFingerprint { object["certificate_sha256"] = .string(sha256) }
        if let problem = o.signatureProblem ?? o.symlinkProblem { object["problem"] = .string(problem) }
        if let statement = o.statement {
            object["subject_name"] = .string(statement.modelName)
            object["subject_sha256"] = .string(statement.subjectDigest)
            object["files_signed"] = .number(JSONNumber(statement.resources.count))
            object["files_found"] = .number(JSONNumber(o.filesChecked))
            if let shardSize = statement.shardSize { object["shard_size"] = .number(JSONNumber(Int(shardSize))) }
        }
        if let diff = o.diff {
            object["changed"] = .array(diff.changed.map { change in
                var item = JSONObject([("path", .string(change.path)), ("expected", .string(change.expected)), ("actual", .string(change.actual))])
                // A shard (path:start:end): its file and half-open byte range, as verify of a locked file reports them.
                if o.statement?.shardSize != nil, let shard = SignedStatement.shard(named: change.path) {
                    item["file"] = .string(shard.path)
                    item["changed_bytes"] = .array([.array([.number(JSONNumber(Int(shard.bytes.lowerBound))), .number(JSONNumber(Int(shard.bytes.upperBound)))])])
                }
                return .object(item)
            })
            object["missing"] = .array(diff.missing.map { ["path": .string($0.path), "expected": .string($0.sha256)] })
            object["added"] = .array(diff.added.map { ["path": .string($0.path), "actual": .string($0.sha256)] })
            object["moved"] = .array(diff.moved.map { ["from": .string($0.from), "to": .string($0.to), "sha256": .string($0.sha256)] })
        }
        return .object(object)
    }
}
