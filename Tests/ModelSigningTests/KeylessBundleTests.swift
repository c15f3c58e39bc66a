import ArtifactHashing
import Foundation
import Testing
import TestSupport

@testable import ModelSigning

/// Sigstore keyless bundles: model_signing's own signed test models (each release's), checked
/// offline against the built-in public-good root, and each check failing on its own.
@Suite struct KeylessBundleTests {
    static let upstream = fixtures + "/upstream"
    static let identity = "stefanb@us.ibm.com"
    static let provider = "https://sigstore.verify.ibm.com/oauth2"

    /// A copy of an upstream keyless test model, without `ignore-me` (model_signing before 1.1
    /// did not record it; its tests pass --ignore-paths).
    struct Model {
        let dir = TemporaryDirectory()
        var root: String { dir.file("model") }
        var bundle: String { root + "/model.sig" }

        init(_ version: String) throws {
            try FileManager.default.copyItem(atPath: KeylessBundleTests.upstream + "/\(version)-sigstore", toPath: dir.file("model"))
            try? FileManager.default.removeItem(atPath: root + "/ignore-me")
        }

        var json: [String: Any] {
            get throws { try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle))) as? [String: Any]) }
        }

        /// Rewrites the bundle's first transparency-log entry.
        func editEntry(_ edit: (inout [String: Any]) throws -> Void) throws {
            var object = try json
            var material = try #require(object["verificationMaterial"] as? [String: Any])
            var entries = try #require(material["tlogEntries"] as? [[String: Any]])
            try edit(&entries[0])
            material["tlogEntries"] = entries
            object["verificationMaterial"] = material
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bundle))
        }

        func verify(identity: String = KeylessBundleTests.identity, provider: String = KeylessBundleTests.provider,
                    trustedRoot: String? = nil) async throws -> SignatureVerification {
            try await ModelSignatureVerifier(jobs: 1).verify(
                root: root, bundlePath: bundle,
                trust: .sigstore(SigstoreSigner(identity: identity, identityProvider: provider, trustedRootPath: trustedRoot)))
        }
    }

    /// The built-in root as JSON, edited by `edit` and written to a file.
    static func root(in dir: TemporaryDirectory, _ edit: (inout [String: Any]) throws -> Void) throws -> String {
        var object = try #require(JSONSerialization.jsonObject(with: Data(sigstorePublicGoodTrustedRoot.utf8)) as? [String: Any])
        try edit(&object)
        let path = dir.file("trusted_root.json")
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Asserts the outcome fails its signature check with a problem containing each of `parts`.
    static func expectProblem(_ outcome: SignatureVerification, _ parts: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!outcome.signatureVerified, sourceLocation: sourceLocation)
        #expect(outcome.failure?.code == .signatureInvalid, sourceLocation: sourceLocation)
        for part in parts {
            #expect(outcome.signatureProblem?.contains(part) == true, "\(outcome.signatureProblem ?? "no problem")", sourceLocation: sourceLocation)
        }
    }

    @Test("every keyless test model model_signing has shipped (0.3.1 to 1.1.0) verifies offline against the built-in root",
          arguments: ["v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"])
    func upstreamVerifies(_ version: String) async throws {
        let model = try Model(version)
        let outcome = try await model.verify()
        #expect(outcome.isVerified, "\(outcome.signatureProblem ?? "") \(outcome.failure?.message ?? "")")
        #expect(outcome.signerIdentity == "\(Self.identity) (\(Self.provider))")
        #expect(outcome.statement?.resources.map(\.path) == ["signme-1", "signme-2"])
        #expect(outcome.certificateFingerprint?.count == 64)
    }

    @Test("a changed file is a digest mismatch after the signature verified")
    func changedFile() async throws {
        let model = try Model("v1.1.0")
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: model.root + "/signme-1"))
        let outcome = try await model.verify()
        #expect(outcome.signatureVerified)
        #expect(outcome.diff?.changed.map(\.path) == ["signme-1"])
        #expect(outcome.failure?.code == .digestMismatch)
    }

    @Test("another identity, or another OIDC issuer, fails the identity check")
    func wrongIdentityOrIssuer() async throws {
        let model = try Model("v1.1.0")
        Self.expectProblem(try await model.verify(identity: "someone@example.com"), "identity:", "issued to \"stefanb@us.ibm.com\"", "not to \"someone@example.com\"")
        Self.expectProblem(try await model.verify(provider: "https://accounts.google.com"), "identity:", "OIDC issuer \"\(Self.provider)\"", "not by \"https://accounts.google.com\"")
        // A prefix is not the identity.
        Self.expectProblem(try await model.verify(identity: "stefanb@us.ibm.co"), "identity:")
    }

    @Test("a trusted root without the Fulcio CA that issued the certificate fails the chain check")
    func rootWithoutIssuer() async throws {
        let model = try Model("v1.1.0")
        let root = try Self.root(in: model.dir) { root in
            let cas = try #require(root["certificateAuthorities"] as? [[String: Any]])
            root["certificateAuthorities"] = [cas[0]]  // the 2021 CA only
        }
        Self.expectProblem(try await model.verify(trustedRoot: root), "Fulcio chain:", "none of the Fulcio CAs of \(root)")
    }

    @Test("a trusted root whose Fulcio CA was not valid when Rekor recorded the entry fails the chain check")
    func caWindowExcludesSigningTime() async throws {
        let model = try Model("v1.1.0")
        let root = try Self.root(in: model.dir) { root in
            var cas = try #require(root["certificateAuthorities"] as? [[String: Any]])
            cas[1]["validFor"] = ["start": "2022-04-13T20:06:15Z", "end": "2025-01-01T00:00:00Z"]
            root["certificateAuthorities"] = cas
        }
        Self.expectProblem(try await model.verify(trustedRoot: root), "Fulcio chain:", "was not valid at 2025-10-10T02:12:20Z")
    }

    @Test("a Rekor entry for another artifact (another test model's, genuine and proven) fails")
    func entryOfAnotherArtifact() async throws {
        let model = try Model("v1.1.0")
        let other = try Model("v1.0.1")
        let entry = try #require(((try other.json["verificationMaterial"] as? [String: Any])?["tlogEntries"] as? [[String: Any]])?.first)
        try model.editEntry { $0 = entry }
        Self.expectProblem(try await model.verify(), "Rekor entry:", "records payload sha256:", "it logs another artifact")
    }

    @Test("a tampered integrated time, signed entry timestamp, inclusion proof or checkpoint fails the Rekor check")
    func tamperedEntry() async throws {
        let model = try Model("v1.1.0")
        let original = try model.json
        func restore() throws { try JSONSerialization.data(withJSONObject: original).write(to: URL(fileURLWithPath: model.bundle)) }

        // A time inside the certificate's ten minutes would pass the chain check: the SET must catch it.
        try model.editEntry { $0["integratedTime"] = "1760062400" }
        Self.expectProblem(try await model.verify(), "Rekor entry:", "signed entry timestamp does not verify")

        try restore()
        try model.editEntry { entry in
            var promise = try #require(entry["inclusionPromise"] as? [String: String])
            let timestamp = try #require(promise["signedEntryTimestamp"])
            promise["signedEntryTimestamp"] = try Self.flipLastByte(base64: timestamp)
            entry["inclusionPromise"] = promise
        }
        Self.expectProblem(try await model.verify(), "Rekor entry:", "signed entry timestamp does not verify")

        try restore()
        try model.editEntry { entry in
            var proof = try #require(entry["inclusionProof"] as? [String: Any])
            var hashes = try #require(proof["hashes"] as? [String])
            hashes[3] = try Self.flipLastByte(base64: hashes[3])
            proof["hashes"] = hashes
            entry["inclusionProof"] = proof
        }
        Self.expectProblem(try await model.verify(), "Rekor entry: inclusion proof:", "does not lead to the root hash")

        try restore()
        try model.editEntry { entry in
            var proof = try #require(entry["inclusionProof"] as? [String: Any])
            var checkpoint = try #require(proof["checkpoint"] as? [String: String])
            let envelope = try #require(checkpoint["envelope"])
            checkpoint["envelope"] = envelope.replacingOccurrences(of: "rekor.sigstore.dev - ", with: "rekor.example.com - ")
            proof["checkpoint"] = checkpoint
            entry["inclusionProof"] = proof
        }
        Self.expectProblem(try await model.verify(), "Rekor entry: checkpoint:", "does not verify")

        try restore()
        try model.editEntry { entry in
            var proof = try #require(entry["inclusionProof"] as? [String: Any])
            proof["checkpoint"] = nil
            entry["inclusionProof"] = proof
        }
        Self.expectProblem(try await model.verify(), "Rekor entry:", "carries no checkpoint")

        try restore()
        #expect(try await model.verify().isVerified)
    }

    @Test("a bundle v0.1 (x509CertificateChain, signed entry timestamp alone) verifies; from v0.2 on the inclusion proof is required")
    func bundleVersions() async throws {
        let model = try Model("v1.1.0")
        try model.editEntry { $0["inclusionProof"] = nil }
        Self.expectProblem(try await model.verify(), "Rekor entry:", "no inclusion proof")
        var object = try model.json
        var material = try #require(object["verificationMaterial"] as? [String: Any])
        material["x509CertificateChain"] = ["certificates": [try #require(material["certificate"])]]
        material["certificate"] = nil
        object["verificationMaterial"] = material
        object["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model.bundle))
        #expect(try await model.verify().isVerified)
        object["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model.bundle))
        Self.expectProblem(try await model.verify(), "Rekor entry:", "no inclusion proof")
    }

    @Test("a tampered SCT in the certificate fails the SCT check (the certificate's key, hence the DSSE signature, is unchanged)")
    func tamperedSCT() async throws {
        let model = try Model("v1.1.0")
        var object = try model.json
        var material = try #require(object["verificationMaterial"] as? [String: Any])
        let raw = try #require((material["certificate"] as? [String: String])?["rawBytes"])
        var der = try #require(Data(base64Encoded: raw)).map { $0 }
        // The SCT list extension (OID 1.3.6.1.4.1.11129.2.4.2), then its OCTET STRING: flip the
        // value's last byte, the end of the last SCT's ECDSA signature.
        let oid: [UInt8] = [0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xD6, 0x79, 0x02, 0x04, 0x02]
        let at = try #require((0...(der.count - oid.count)).first { Array(der[$0..<$0 + oid.count]) == oid }) + oid.count
        #expect(der[at] == 0x04)
        let (length, header) = der[at + 1] & 0x80 == 0 ? (Int(der[at + 1]), 2)
            : (der[(at + 2)..<(at + 2 + Int(der[at + 1] & 0x7F))].reduce(0) { $0 << 8 | Int($1) }, 2 + Int(der[at + 1] & 0x7F))
        der[at + header + length - 1] ^= 0x01
        material["certificate"] = ["rawBytes": Data(der).base64EncodedString()]
        object["verificationMaterial"] = material
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model.bundle))
        Self.expectProblem(try await model.verify(), "SCT:", "does not verify")
    }

    @Test("a root whose CT logs do not include the SCT's log fails the SCT check")
    func unknownCTLog() async throws {
        let model = try Model("v1.1.0")
        let root = try Self.root(in: model.dir) { root in root["ctlogs"] = [(root["ctlogs"] as? [Any])?.first as Any] }
        Self.expectProblem(try await model.verify(trustedRoot: root), "SCT:", "none of the certificate's signed certificate timestamps")
    }

    @Test("a changed payload fails the DSSE signature before anything else")
    func tamperedPayload() async throws {
        let model = try Model("v1.1.0")
        var object = try model.json
        var envelope = try #require(object["dsseEnvelope"] as? [String: Any])
        let encoded = try #require(envelope["payload"] as? String)
        let payload = try #require(Data(base64Encoded: encoded))
        envelope["payload"] = Data(String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "signme-2", with: "signme-3").utf8).base64EncodedString()
        object["dsseEnvelope"] = envelope
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model.bundle))
        Self.expectProblem(try await model.verify(), "ECDSA signature over the DSSE payload is invalid")
    }

    /// A Rekor log of the test's own (fixtures/model-signing/keys/p256.pem) that records the
    /// bundle's genuine entry body at `time`: signed entry timestamp, a one-entry tree and its
    /// checkpoint. The Fulcio certificate and its SCT stay Sigstore's.
    func ownLog(_ model: Model, time: Int64) throws -> String {
        let key = fixtures + "/keys/p256.pem"
        func openssl(_ arguments: [String], output: String, input: [String] = []) throws -> [UInt8] {
            let result = try runProcess("/usr/bin/env", ["openssl"] + arguments + ["-out", model.dir.file(output)] + input)
            #expect(result.status == 0, "\(result.stderr)")
            return try Array(Data(contentsOf: URL(fileURLWithPath: model.dir.file(output))))
        }
        let spki = try openssl(["pkey", "-in", key, "-pubout", "-outform", "DER"], output: "log.der")
        let keyID = sha256(spki)
        func sign(_ text: [UInt8]) throws -> [UInt8] {
            try Data(text).write(to: URL(fileURLWithPath: model.dir.file("message")))
            return try openssl(["dgst", "-sha256", "-sign", key], output: "signature", input: [model.dir.file("message")])
        }
        try model.editEntry { entry in
            let body = try #require(entry["canonicalizedBody"] as? String)
            let leaf = sha256([0], try #require(Data(base64Encoded: body)).map { $0 })
            let promised = "{\"body\":\"\(body)\",\"integratedTime\":\(time),\"logID\":\"\(hexString(keyID))\",\"logIndex\":7}"
            let note = "test-log\n1\n\(Data(leaf).base64EncodedString())\n"
            let noteSignature = Data(keyID.prefix(4) + (try sign(Array(note.utf8)))).base64EncodedString()
            entry["logIndex"] = "7"
            entry["logId"] = ["keyId": Data(keyID).base64EncodedString()]
            entry["integratedTime"] = String(time)
            entry["inclusionPromise"] = ["signedEntryTimestamp": Data(try sign(Array(promised.utf8))).base64EncodedString()]
            entry["inclusionProof"] = ["logIndex": "0", "treeSize": "1", "rootHash": Data(leaf).base64EncodedString(), "hashes": [String](),
                                       "checkpoint": ["envelope": note + "\n\u{2014} test-log \(noteSignature)\n"]]
        }
        return try Self.root(in: model.dir) { root in
            root["tlogs"] = [["baseUrl": "https://test-log.invalid", "hashAlgorithm": "SHA2_256", "logId": ["keyId": Data(keyID).base64EncodedString()],
                              "publicKey": ["rawBytes": Data(spki).base64EncodedString(), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                            "validFor": ["start": "2020-01-01T00:00:00Z"]]]]
        }
    }

    @Test("a certificate expired at the proven signing time fails the chain check: a log the test controls proves a time after the certificate's ten minutes")
    func expiredAtProvenTime() async throws {
        // Control: the same log proving the genuine time passes every check.
        let genuine = try Model("v1.1.0")
        #expect(try await genuine.verify(trustedRoot: try ownLog(genuine, time: 1_760_062_340)).isVerified)

        let late = try Model("v1.1.0")
        let root = try ownLog(late, time: 1_760_062_340 + 3600)
        Self.expectProblem(try await late.verify(trustedRoot: root), "Fulcio chain:", "expired on 2025-10-10T02:22:19Z, before the proven signing time 2025-10-10T03:12:20Z")
        // The same bundle against the public-good root: the log is unknown there.
        Self.expectProblem(try await late.verify(), "Rekor entry:", "none of the Rekor logs")
    }

    @Test("a keyless bundle needs a signer identity, and an identity fits only a keyless bundle (usage errors)")
    func trustMismatch() async throws {
        let model = try Model("v1.1.0")
        await #expect(throws: SigningError(.verificationMaterialMismatch, "")) {
            try await ModelSignatureVerifier(jobs: 1).verify(root: model.root, bundlePath: model.bundle, publicKey: .file(fixtures + "/keys/p256.pub.pem"))
        }
        #expect(try ModelSignatureVerifier.method(ofBundle: model.bundle) == .sigstore)
        let keyBundle = Self.upstream + "/v1.1.0-certificate/model.sig"
        #expect(try ModelSignatureVerifier.method(ofBundle: keyBundle) == .certificate)
        await #expect(throws: SigningError(.verificationMaterialMismatch, "")) {
            try await ModelSignatureVerifier(jobs: 1).verify(root: Self.upstream + "/v1.1.0-certificate", bundlePath: keyBundle,
                                                             trust: .sigstore(SigstoreSigner(identity: Self.identity, identityProvider: Self.provider)))
        }
    }

    @Test("a trusted root that is missing or not a trusted root is an error naming the file")
    func badTrustedRoot() async throws {
        let model = try Model("v1.1.0")
        await #expect(throws: SigningError(.trustedRootUnreadable, "")) { try await model.verify(trustedRoot: model.dir.file("absent.json")) }
        let notRoot = try model.dir.write("root.json", "{\"mediaType\":\"application/json\"}")
        await #expect(throws: SigningError(.trustedRootUnreadable, "")) { try await model.verify(trustedRoot: notRoot) }
    }

    @Test("the built-in root is fixtures/sigstore/trusted_root.json, byte for byte (scripts/embed-trusted-root.sh)")
    func builtInRootIsTheFile() throws {
        let file = try String(contentsOfFile: repositoryRoot + "/fixtures/sigstore/trusted_root.json", encoding: .utf8)
        #expect(sigstorePublicGoodTrustedRoot + "\n" == file || sigstorePublicGoodTrustedRoot == file)
        #expect(sigstorePublicGoodTrustedRootSource == (try String(contentsOfFile: repositoryRoot + "/fixtures/sigstore/PROVENANCE", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("RFC 3339 times with and without fractions; anything else is refused")
    func rfc3339() {
        #expect(parseRFC3339("2022-04-13T20:06:15Z") == 1_649_880_375)
        #expect(parseRFC3339("2022-12-31T23:59:59.999Z") == 1_672_531_199)
        #expect(parseRFC3339("2022-12-31 23:59:59Z") == nil)
        #expect(parseRFC3339("2022-12-31T23:59:59+01:00") == nil)
    }

    /// A self-signed certificate from `openssl req` with the extensions `addext` (what Fulcio
    /// would sign: the identity checks read only the certificate's content).
    static func certificate(in dir: TemporaryDirectory, _ addext: [String]) throws -> Certificate {
        let made = try runProcess("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                   "-keyout", dir.file("key.pem"), "-out", dir.file("cert.pem"), "-subj", "/CN=test"]
                                                  + addext.flatMap { ["-addext", $0] })
        #expect(made.status == 0, "\(made.stderr)")
        return try #require(try Certificate.load(pemFile: dir.file("cert.pem")).first)
    }

    @Test("the identity and the OIDC issuer match byte for byte, not as Unicode-equivalent text")
    func identityMatchesBytes() throws {
        let dir = TemporaryDirectory()
        // The issuer spelled with a combining accent (NFD); the pin with the precomposed é (NFC).
        let leaf = try Self.certificate(in: dir, ["subjectAltName=email:alice@example.com", "1.3.6.1.4.1.57264.1.8=ASN1:FORMAT:UTF8,UTF8String:https://issue\u{301}r.example"])
        #expect(leaf.identityProblem(identity: "alice@example.com", provider: "https://issue\u{301}r.example") == nil)
        let problem = leaf.identityProblem(identity: "alice@example.com", provider: "https://issu\u{E9}r.example")
        #expect(problem?.contains("was vouched for by the OIDC issuer") == true, "\(problem ?? "no problem")")
    }

    @Test("a certificate whose two OIDC issuer extensions (.1.8 and the older .1.1) differ names no issuer")
    func issuerExtensionsDisagree() throws {
        let dir = TemporaryDirectory()
        let good = "https://accounts.example", goodHex = "DER:" + "https://accounts.example".utf8.map { String($0, radix: 16) }.joined(separator: ":")
        let agreeing = try Self.certificate(in: dir, ["subjectAltName=email:a@example.com", "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:\(good)",
                                                      "1.3.6.1.4.1.57264.1.1=\(goodHex)"])
        #expect(agreeing.oidcIssuer == good)
        #expect(agreeing.identityProblem(identity: "a@example.com", provider: good) == nil)
        for (v2, v1) in [(good, "DER:" + "https://evil.example".utf8.map { String($0, radix: 16) }.joined(separator: ":")),
                         ("https://evil.example", goodHex)] {
            let leaf = try Self.certificate(in: dir, ["subjectAltName=email:a@example.com", "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:\(v2)",
                                                      "1.3.6.1.4.1.57264.1.1=\(v1)"])
            #expect(leaf.oidcIssuer == nil)
            #expect(leaf.identityProblem(identity: "a@example.com", provider: good)?.contains("names no OIDC issuer") == true)
        }
    }

    @Test("a certificate with the OIDC issuer extension twice names no issuer, whichever comes first")
    func issuerExtensionTwice() throws {
        let dir = TemporaryDirectory()
        // openssl writes no extension twice: the second is written as .1.9 (same length), then
        // renamed in the DER. The signature breaks, which oidcIssuer does not read.
        for (first, second) in [("https://accounts.example", "https://evil.example"), ("https://evil.example", "https://accounts.example")] {
            let made = try Self.certificate(in: dir, ["1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:\(first)", "1.3.6.1.4.1.57264.1.9=ASN1:UTF8String:\(second)"])
            var der = made.der
            let placeholder: [UInt8] = [0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0xBF, 0x30, 0x01, 0x09]
            let at = try #require((0...(der.count - placeholder.count)).first { Array(der[$0..<$0 + placeholder.count]) == placeholder })
            der[at + placeholder.count - 1] = 0x08
            let twice = try #require(Certificate(der: der))
            #expect(made.oidcIssuer == first)
            #expect(twice.oidcIssuer == nil)
        }
    }

    @Test("a certificate naming several identities is reported under the one that was checked")
    func reportedSignerIsTheCheckedOne() throws {
        let dir = TemporaryDirectory()
        let leaf = try Self.certificate(in: dir, ["subjectAltName=email:bob@example.com,email:alice@example.com",
                                                  "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://accounts.example"])
        #expect(leaf.identityProblem(identity: "alice@example.com", provider: "https://accounts.example") == nil)
        #expect(leaf.signerDescription(expecting: "alice@example.com") == "alice@example.com (https://accounts.example)")
        #expect(leaf.signerDescription(expecting: "carol@example.com") == "bob@example.com (https://accounts.example)")
    }

    @Test("a keyless bundle's DSSE envelope with a second signature is refused, not verified on its first")
    func envelopeWithTwoSignatures() async throws {
        let model = try Model("v1.1.0")
        var object = try model.json
        var envelope = try #require(object["dsseEnvelope"] as? [String: Any])
        var signatures = try #require(envelope["signatures"] as? [[String: Any]])
        signatures.append(["sig": Data("unverified".utf8).base64EncodedString(), "keyid": ""])
        envelope["signatures"] = signatures
        object["dsseEnvelope"] = envelope
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model.bundle))
        await #expect(throws: SigningError(.bundleMalformed, "")) { try await model.verify() }
    }

    static func flipLastByte(base64: String) throws -> String {
        var bytes = try #require(Data(base64Encoded: base64)).map { $0 }
        bytes[bytes.count - 1] ^= 0x01
        return Data(bytes).base64EncodedString()
    }
}
