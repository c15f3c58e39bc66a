import Foundation
import ArtifactHashing

/// A keyless bundle's verification material: the Fulcio certificate (then, in a v0.1 bundle,
/// the rest of its chain, untrusted) and the Rekor entries.
struct KeylessMaterial: Equatable {
    /// At most this many transparency-log entries in a bundle.
    static let maximumEntries = 8

    /// DER certificates, the signing certificate first.
    var certificates: [[UInt8]]
    var entries: [TransparencyLogEntry]
    /// The bundle's minor version (1 to 3): from 2 on, an inclusion proof is required.
    var bundleVersion: Int
}

/// A Rekor (v1) entry as a Sigstore bundle carries it.
struct TransparencyLogEntry: Equatable {
    /// At most this many hashes in an inclusion proof (a tree of 2^64 leaves needs 64).
    static let maximumProofHashes = 64
    /// A checkpoint (signed note) longer than this is refused.
    static let maximumCheckpointSize = 8 << 10

    struct InclusionProof: Equatable {
        var logIndex: Int64
        var treeSize: Int64
        var rootHash: [UInt8]
        var hashes: [[UInt8]]
        /// The signed checkpoint (a signed note), when the bundle carries it.
        var checkpoint: String?
    }

    var logIndex: Int64
    /// SHA-256 of the log's DER public key.
    var logID: [UInt8]
    var kind: String
    var version: String
    /// When the log recorded the entry, seconds since the epoch.
    var integratedTime: Int64
    var signedEntryTimestamp: [UInt8]?
    var proof: InclusionProof?
    /// The canonicalized entry body (JSON) the log recorded.
    var body: [UInt8]

    /// The entry in `raw`, or nil when a required field is missing or not base64, or a proof
    /// is longer than allowed.
    init?(_ raw: JSON) {
        guard let logIndex = raw.logIndex?.value, let keyID = raw.logId.flatMap({ Base64.decode($0.keyId) }),
              let kindVersion = raw.kindVersion, let time = raw.integratedTime?.value,
              let body = raw.canonicalizedBody.flatMap(Base64.decode), !body.isEmpty else { return nil }
        (self.logIndex, self.logID, self.kind, self.version, self.integratedTime, self.body) = (logIndex, keyID, kindVersion.kind, kindVersion.version, time, body)
        if let promise = raw.inclusionPromise {
            guard let set = Base64.decode(promise.signedEntryTimestamp) else { return nil }
            signedEntryTimestamp = set
        }
        if let proof = raw.inclusionProof {
            guard proof.hashes.count <= Self.maximumProofHashes, let root = Base64.decode(proof.rootHash),
                  (proof.checkpoint?.envelope.utf8.count ?? 0) <= Self.maximumCheckpointSize else { return nil }
            var hashes: [[UInt8]] = []
            for hash in proof.hashes {
                guard let bytes = Base64.decode(hash) else { return nil }
                hashes.append(bytes)
            }
            self.proof = InclusionProof(logIndex: proof.logIndex.value, treeSize: proof.treeSize.value, rootHash: root,
                                        hashes: hashes, checkpoint: proof.checkpoint?.envelope)
        }
    }

    /// The entry as protobuf JSON writes it (64-bit integers as strings, or numbers).
    struct JSON: Decodable {
        struct LogID: Decodable { var keyId: String }
        struct KindVersion: Decodable { var kind: String; var version: String }
        struct Promise: Decodable { var signedEntryTimestamp: String }
        struct Checkpoint: Decodable { var envelope: String }
        struct Proof: Decodable {
            var logIndex: Integer
            var rootHash: String
            var treeSize: Integer
            var hashes: [String]
            var checkpoint: Checkpoint?
        }
        /// A 64-bit integer, as a string or a number.
        struct Integer: Decodable {
            var value: Int64
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    guard let value = Int64(text) else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an integer") }
                    self.value = value
                } else {
                    value = try container.decode(Int64.self)
                }
            }
        }
        var logIndex: Integer?
        var logId: LogID?
        var kindVersion: KindVersion?
        var integratedTime: Integer?
        var inclusionPromise: Promise?
        var inclusionProof: Proof?
        var canonicalizedBody: String?
    }
}

/// The checks of a keyless bundle beyond its DSSE signature, in the order
/// ``ModelSignatureVerifier`` runs them after that signature verified with the certificate's key:
///
/// 1. The bundle holds one Rekor entry, from a Rekor log of the trusted root whose key was
///    valid at the entry's time, of kind `dsse` 0.0.1. Its signed entry timestamp verifies with
///    that log's key over `{"body","integratedTime","logID","logIndex"}` (canonical JSON); this
///    proves the integrated time, the only signing time used. Its inclusion proof (required from
///    bundle v0.2 on, with its checkpoint) leads from the leaf hash SHA-256(0x00 || body) to the
///    root hash (RFC 6962), and the checkpoint, signed by the same key, names that root hash and
///    tree size.
/// 2. The signing certificate's issuer is one of the trusted root's Fulcio CAs, and one of its
///    embedded SCTs verifies with the key of a CT log of the trusted root (RFC 6962 §3.2: the
///    precertificate's TBSCertificate, the issuer's key hash).
/// 3. The Rekor entry is this bundle's: its payload hash is SHA-256 of this payload, and it
///    records this signature and this certificate.
/// 4. The certificate chains to a Fulcio CA of the trusted root that was valid (its `validFor`)
///    at the integrated time, every certificate on the path valid at that time, and the leaf
///    carries the code-signing extended key usage.
/// 5. The certificate's subject alternative name is the expected identity and its OIDC issuer
///    extension the expected provider.
struct KeylessVerification {
    let material: KeylessMaterial
    let leaf: Certificate
    let payload: [UInt8]
    let signature: [UInt8]
    let signer: SigstoreSigner
    let root: SigstoreTrustedRoot

    /// The first check that fails, as a sentence naming it, or nil when all hold.
    func problem() throws(SigningError) -> String? {
        guard material.entries.count == 1, let entry = material.entries.first else {
            return "the bundle holds \(material.entries.count) Rekor entries; a keyless bundle is checked against exactly one"
        }
        if let problem = try entryProblem(entry) { return "Rekor entry: " + problem }
        let issuing = root.certificateAuthorities.filter { $0.certificates.contains(where: leaf.isIssued(by:)) }
        guard let issuer = issuing.first?.certificates.first(where: leaf.isIssued(by:)) else {
            return "Fulcio chain: the signing certificate's issuer \(leaf.issuer) is none of the Fulcio CAs of \(root.source)"
        }
        if let problem = try sctProblem(issuer: issuer) { return "SCT: " + problem }
        if let problem = bodyProblem(entry) { return "Rekor entry: " + problem + "; it logs another artifact" }
        if let problem = chainProblem(issuing, at: entry.integratedTime) { return "Fulcio chain: " + problem }
        return identityProblem()
    }

    private func entryProblem(_ entry: TransparencyLogEntry) throws(SigningError) -> String? {
        guard let log = root.transparencyLogs.first(where: { $0.keyID == entry.logID }) else {
            return "its log (key ID \(hexString(entry.logID))) is none of the Rekor logs of \(root.source)"
        }
        guard let key = log.key else { return "its log \(log.baseURL) signs with a key type modelctl does not check (a Rekor v2 log)" }
        guard log.validFor.contains(entry.integratedTime) else {
            return "the key of \(log.baseURL) was not valid at the entry's time \(Certificate.format(entry.integratedTime)) (see the trusted root's validFor)"
        }
        guard entry.kind == "dsse", entry.version == "0.0.1" else {
            return "kind \(shown(entry.kind)) version \(shown(entry.version)) is not one modelctl checks (dsse 0.0.1, as model_signing logs)"
        }
        guard let timestamp = entry.signedEntryTimestamp else {
            return "it carries no signed entry timestamp (inclusion promise), the proof of the signing time modelctl checks the certificate at"
        }
        let promised = "{\"body\":\"\(Base64.encode(entry.body))\",\"integratedTime\":\(entry.integratedTime),\"logID\":\"\(hexString(entry.logID))\",\"logIndex\":\(entry.logIndex)}"
        guard try key.verify(timestamp, of: Array(promised.utf8)) else {
            return "the signed entry timestamp does not verify with the key of \(log.baseURL) (the body, time or index was altered)"
        }
        guard let proof = entry.proof else {
            return material.bundleVersion >= 2 ? "it carries no inclusion proof, which a bundle v0.2 or later must" : nil
        }
        if let problem = inclusionProblem(proof, leaf: sha256([0], entry.body)) { return "inclusion proof: " + problem }
        // An audit path to an unsigned root hash proves nothing: from v0.2 on, the checkpoint is required.
        guard let checkpoint = proof.checkpoint else {
            return material.bundleVersion >= 2 ? "its inclusion proof carries no checkpoint (the signed tree head it leads to)" : nil
        }
        if let problem = try checkpointProblem(checkpoint, proof: proof, log: log, key: key) { return "checkpoint: " + problem }
        return nil
    }

    /// RFC 9162 §2.1.3.2: the audit path from `leaf` at `logIndex` in a tree of `treeSize` leaves.
    private func inclusionProblem(_ proof: TransparencyLogEntry.InclusionProof, leaf: [UInt8]) -> String? {
        guard proof.logIndex >= 0, proof.logIndex < proof.treeSize else {
            return "index \(proof.logIndex) is outside a tree of \(proof.treeSize) entries"
        }
        guard proof.rootHash.count == 32, proof.hashes.allSatisfy({ $0.count == 32 }) else { return "a hash is not 32 bytes" }
        var index = proof.logIndex, last = proof.treeSize - 1
        var hash = leaf
        for sibling in proof.hashes {
            guard last > 0 else { return "it holds more hashes than a path in a tree of \(proof.treeSize) entries" }
            if index & 1 == 1 || index == last {
                hash = sha256([1], sibling, hash)
                while index & 1 == 0 && index != 0 { index >>= 1; last >>= 1 }
            } else {
                hash = sha256([1], hash, sibling)
            }
            index >>= 1
            last >>= 1
        }
        guard last == 0, hash == proof.rootHash else {
            return "the audit path from the entry does not lead to the root hash \(hexString(proof.rootHash)) (a hash or the entry was altered)"
        }
        return nil
    }

    /// A signed note (`origin`, tree size, base64 root hash, other lines; a blank line; then
    /// `— NAME base64(key hint || signature)` lines): one signature by the log's key (its hint
    /// the first 4 bytes of the key ID) over the text before the blank line, which names the
    /// proof's tree size and root hash.
    private func checkpointProblem(_ note: String, proof: TransparencyLogEntry.InclusionProof,
                                   log: SigstoreTrustedRoot.Log, key: ECKey) throws(SigningError) -> String? {
        guard let split = note.range(of: "\n\n") else { return "not a signed note (no blank line before the signatures)" }
        let text = String(note[..<split.lowerBound]) + "\n"
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, Int64(lines[1]) == proof.treeSize, Base64.decode(String(lines[2])) == proof.rootHash else {
            return "it does not name the inclusion proof's tree size \(proof.treeSize) and root hash"
        }
        for line in note[split.upperBound...].split(separator: "\n").prefix(16) where line.hasPrefix("\u{2014} ") {
            guard let encoded = line.split(separator: " ").last, let bytes = Base64.decode(String(encoded)), bytes.count > 4,
                  Array(bytes.prefix(4)) == Array(log.keyID.prefix(4)) else { continue }
            return try key.verify(Array(bytes.dropFirst(4)), of: Array(text.utf8))
                ? nil : "its signature does not verify with the key of \(log.baseURL) (the checkpoint was altered)"
        }
        return "it carries no signature by the key of \(log.baseURL)"
    }

    /// One of the leaf's embedded SCTs verifies with a CT log key of the root (RFC 6962 §3.2).
    private func sctProblem(issuer: Certificate) throws(SigningError) -> String? {
        guard let scts = leaf.embeddedSCTs, !scts.isEmpty else { return "the signing certificate carries no signed certificate timestamp" }
        let tbs = leaf.precertificateTBS
        guard !tbs.isEmpty, tbs.count < 1 << 24 else { return "the precertificate cannot be rebuilt from the signing certificate" }
        let issuerKeyHash = sha256(issuer.subjectPublicKeyInfo)
        for sct in scts {
            guard let log = root.certificateTransparencyLogs.first(where: { $0.keyID == sct.logID }), let key = log.key,
                  log.validFor.contains(Int64(sct.timestamp / 1000)), sct.extensions.count < 1 << 16 else { continue }
            // digitally-signed struct: version v1, certificate_timestamp, timestamp, precert_entry,
            // issuer key hash, TBSCertificate (24-bit length), extensions (16-bit length).
            var signed: [UInt8] = [0, 0] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: sct.timestamp >> ($0 * 8)) } + [0, 1] + issuerKeyHash
            signed += [UInt8(tbs.count >> 16 & 0xFF), UInt8(tbs.count >> 8 & 0xFF), UInt8(tbs.count & 0xFF)] + tbs
            signed += [UInt8(sct.extensions.count >> 8), UInt8(sct.extensions.count & 0xFF)] + sct.extensions
            return try key.verify(sct.signature, of: signed)
                ? nil : "the signed certificate timestamp from \(log.baseURL) does not verify (the certificate or its SCT was altered)"
        }
        return "none of the certificate's signed certificate timestamps is from a CT log of \(root.source) valid at its time"
    }

    /// The Rekor body (kind dsse 0.0.1) records this payload's hash, this signature and this certificate.
    private func bodyProblem(_ entry: TransparencyLogEntry) -> String? {
        struct Body: Decodable {
            struct Hash: Decodable { var algorithm: String; var value: String }
            struct Signature: Decodable { var signature: String; var verifier: String }
            struct Spec: Decodable { var payloadHash: Hash; var signatures: [Signature] }
            var apiVersion: String
            var kind: String
            var spec: Spec
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(entry.body)), body.kind == entry.kind, body.apiVersion == entry.version else {
            return "its body is not a \(entry.kind) \(entry.version) entry"
        }
        let payloadHash = SHA256Digest.hex(of: payload)
        guard body.spec.payloadHash.algorithm == "sha256", body.spec.payloadHash.value.lowercased() == payloadHash else {
            return "it records payload sha256:\(shown(body.spec.payloadHash.value)), not this bundle's sha256:\(payloadHash)"
        }
        guard body.spec.signatures.count == 1, let recorded = body.spec.signatures.first, Base64.decode(recorded.signature) == signature else {
            return "it records another signature than this bundle's"
        }
        guard let pem = Base64.decode(recorded.verifier), let certificate = Certificate.parse(pem: pem).first, certificate.der == leaf.der else {
            return "it records another signing certificate than this bundle's"
        }
        return nil
    }

    /// The leaf chains, at `time`, to one of the `issuing` CAs whose window holds `time`.
    private func chainProblem(_ issuing: [SigstoreTrustedRoot.CertificateAuthority], at time: Int64) -> String? {
        let usable = issuing.filter { $0.validFor.contains(time) }
        guard !usable.isEmpty else {
            return "the Fulcio CA that issued the signing certificate (\(issuing.first?.uri ?? "?")) was not valid at \(Certificate.format(time)), when Rekor recorded the entry (validFor in \(root.source))"
        }
        let intermediates = material.certificates.dropFirst().compactMap(Certificate.init(der:))
        var problem: String?
        for ca in usable {
            problem = leaf.chainProblem(anchors: ca.certificates, intermediates: intermediates, at: time)
            if problem == nil { return leaf.signingUsageProblem }
        }
        return problem
    }

    private func identityProblem() -> String? {
        leaf.identityProblem(identity: signer.identity, provider: signer.identityProvider).map { "identity: " + $0 }
    }
}

/// SHA-256 of the concatenated `parts`.
func sha256(_ parts: [UInt8]...) -> [UInt8] {
    var digest = SHA256Digest()
    for part in parts { digest.update(part) }
    return digest.finalize()
}
