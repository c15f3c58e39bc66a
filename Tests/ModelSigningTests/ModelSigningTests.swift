import ErrorSupport
import ArtifactHashing
import Foundation
import ModelSigning
import Testing
import TestSupport

/// `fixtures/model-signing/`, made by the real model_signing 1.1.1 (see its generate.sh).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fixtures/model-signing").path

func fixture(_ relative: String) -> String { fixtures + "/" + relative }

func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// A copy of the fixture tree (with model_signing's model.sig inside) at `dir/tree`.
func copyTree(into dir: TemporaryDirectory) throws -> String {
    try FileManager.default.copyItem(atPath: fixture("tree"), toPath: dir.file("tree"))
    return dir.file("tree")
}

/// A copy of a fixture key, mode 600 unless told otherwise (git checks keys out 644).
func copyKey(_ name: String, into dir: TemporaryDirectory, mode: Int = 0o600) throws -> String {
    let path = dir.file(name)
    try FileManager.default.copyItem(atPath: fixture("keys/" + name), toPath: path)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
}

/// The decoded DSSE payload and signature of a bundle file.
func envelope(_ path: String) throws -> (payload: [UInt8], sig: [UInt8], hint: String?, raw: [String: Any]) {
    let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    let object = try #require(parsed as? [String: Any])
    let dsse = try #require(object["dsseEnvelope"] as? [String: Any])
    let payloadText = try #require(dsse["payload"] as? String)
    let payload = try #require(Data(base64Encoded: payloadText))
    let signatures = try #require(dsse["signatures"] as? [[String: Any]])
    let sigText = try #require(signatures.first?["sig"] as? String)
    let sig = try #require(Data(base64Encoded: sigText))
    let hint = ((object["verificationMaterial"] as? [String: Any])?["publicKey"] as? [String: Any])?["hint"] as? String
    return ([UInt8](payload), [UInt8](sig), hint, object)
}

/// Rewrites a bundle's DSSE payload (keeping the signature), as an attacker editing digests would.
func replacePayload(in bundle: String, with payload: [UInt8]) throws {
    var object = try envelope(bundle).raw
    var dsse = object["dsseEnvelope"] as! [String: Any]
    dsse["payload"] = Data(payload).base64EncodedString()
    object["dsseEnvelope"] = dsse
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bundle))
}

@Suite struct ModelSigningInteropTests {
    @Test("modelctl verifies the bundle model_signing wrote for the fixture tree")
    func verifiesModelSigningBundle() async throws {
        let outcome = try await ModelSignatureVerifier().verify(
            root: fixture("tree"), bundlePath: fixture("tree/model.sig"), publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.signatureVerified)
        #expect(outcome.isVerified)
        #expect(outcome.filesChecked == 7)
        #expect(outcome.statement?.modelName == "tree")
        #expect(outcome.statement?.ignorePaths.contains("model.sig") == true)
        try outcome.check()
    }

    @Test("the statement modelctl signs is byte for byte model_signing's (object keys in sorted order), and so is the bundle around it")
    func statementMatchesModelSigning() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        let key = try copyKey("p256.pem", into: dir)
        let theirs = try envelope(fixture("tree/model.sig"))
        let record = try await ModelSigner(jobs: 2).sign(root: tree, privateKeyPEMPath: key)
        #expect(record.bundlePath == tree + "/model.sig")
        #expect(record.warnings.isEmpty)
        let ours = try envelope(record.bundlePath)
        #expect(ours.payload == (try bytes(fixture("statement.canonical.json"))))
        #expect(ours.hint == theirs.hint)
        // Everything but the payload and the (randomized) ECDSA signature is the same bytes.
        func skeleton(_ path: String, _ e: (payload: [UInt8], sig: [UInt8], hint: String?, raw: [String: Any])) throws -> String {
            try String(decoding: bytes(path), as: UTF8.self)
                .replacingOccurrences(of: Data(e.payload).base64EncodedString(), with: "PAYLOAD")
                .replacingOccurrences(of: Data(e.sig).base64EncodedString(), with: "SIG")
        }
        #expect(try skeleton(record.bundlePath, ours) == (try skeleton(fixture("tree/model.sig"), theirs)))
        #expect(ours.sig != theirs.sig)
        let outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.isVerified)
    }

    @Test("names that need escaping, and ordering by path components, match model_signing's statement")
    func escapesMatchModelSigning() async throws {
        // The same tree as escapes_tree() in fixtures/model-signing/generate.sh.
        let dir = TemporaryDirectory()
        let files: [(String, String)] = [
            ("a-c", "1"), ("a/b", "2"), ("café.txt", "3"), ("quote\"d", "4"), ("back\\slash", "5"),
            ("tab\tname", "6"), ("ctl\u{01}x", "7"), ("del\u{7F}x", "8"), ("😀.bin", "9"), ("sp ace/x", "10"),
        ]
        for (name, contents) in files { try dir.write("escapes/" + name, contents) }
        let statement = try await SignedStatement.hashing(root: dir.file("escapes"))
        #expect(statement.encoded() == (try bytes(fixture("escapes.canonical.json"))))
        #expect(statement.resources.prefix(2).map(\.path) == ["a/b", "a-c"])
    }

    @Test("the key hint is model_signing's and the fingerprint is the SHA-256 of the DER public key")
    func fingerprintAndHint() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        let record = try await ModelSigner().sign(root: tree, privateKeyPEMPath: try copyKey("p256.pem", into: dir), output: dir.file("out.sig"))
        let pem = try String(contentsOfFile: fixture("keys/p256.pub.pem"), encoding: .utf8)
        #expect(record.keyHint == SHA256Digest.hex(of: Array(pem.utf8)))
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = try #require(Data(base64Encoded: body))
        #expect(record.keyFingerprint == SHA256Digest.hex(of: [UInt8](der)))
        #expect(record.curve == .p256)
        // A bundle outside the tree is not listed as ignored; model_signing's model.sig inside is signed.
        #expect(record.statement.ignorePaths == IgnoredPaths.git)
        #expect(record.statement.resources.contains { $0.path == "model.sig" })
    }
}

@Suite struct ModelSigningTamperTests {
    enum Tamper: String, CaseIterable, Sendable {
        case flipByte, addFile, removeFile, addNestedFile
    }

    @Test("tampering with the tree after model_signing signed it is a digest mismatch", arguments: Tamper.allCases)
    func tamperedTree(_ tamper: Tamper) async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        switch tamper {
        case .flipByte:
            let handle = try #require(FileHandle(forUpdatingAtPath: tree + "/weights.bin"))
            try handle.seek(toOffset: 1000)
            let read = try handle.read(upToCount: 1)
            let byte = try #require(read?.first)
            try handle.seek(toOffset: 1000)
            try handle.write(contentsOf: Data([byte ^ 0x01]))
            try handle.close()
        case .addFile: try dir.write("tree/extra.bin", "new")
        case .removeFile: try FileManager.default.removeItem(atPath: tree + "/tokenizer/vocab.txt")
        case .addNestedFile: try dir.write("tree/sub/.git/config", "nested git is signed, as model_signing signs it")
        }
        let outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: tree + "/model.sig", publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.signatureVerified)
        #expect(!outcome.isVerified)
        let diff = try #require(outcome.diff)
        switch tamper {
        case .flipByte: #expect(diff.changed.map(\.path) == ["weights.bin"])
        case .addFile: #expect(diff.added.map(\.path) == ["extra.bin"])
        case .removeFile: #expect(diff.missing.map(\.path) == ["tokenizer/vocab.txt"])
        case .addNestedFile: #expect(diff.added.map(\.path) == ["sub/.git/config"])
        }
        #expect(outcome.failure?.code == .digestMismatch)
        #expect(outcome.failure?.isIntegrityFailure == true)
        #expect(throws: SigningError(.digestMismatch, "")) { try outcome.check() }
    }

    @Test("files under the ignored paths may change: .git at the top, the bundle itself")
    func ignoredPathsMayChange() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        try dir.write("tree/.git/objects/ab", "packed")
        try dir.write("tree/.gitignore", "*.tmp")
        try dir.write("tree/.github/workflows/ci.yml", "on: push")
        let outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: tree + "/model.sig", publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.isVerified)
    }

    @Test("an edited payload, a flipped signature byte or another key is an invalid signature")
    func invalidSignature() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        let bundle = tree + "/model.sig"
        let original = try bytes(bundle)

        // The payload with one digest changed to the digest of other bytes: signature no longer covers it.
        let payload = String(decoding: try envelope(bundle).payload, as: UTF8.self)
            .replacingOccurrences(of: "c8f5d0341d54d951a71b136e6e2afcb14d11ed8489a7ae126a8fee0df6ecf193",
                                  with: "0000000000000000000000000000000000000000000000000000000000000000")
        try replacePayload(in: bundle, with: Array(payload.utf8))
        var outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: bundle, publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(!outcome.signatureVerified)
        #expect(outcome.diff == nil && outcome.statement == nil)
        #expect(outcome.failure?.code == .signatureInvalid)

        // One bit of the DER signature flipped (inside r, so it still parses).
        try Data(original).write(to: URL(fileURLWithPath: bundle))
        var object = try envelope(bundle).raw
        var dsse = object["dsseEnvelope"] as! [String: Any]
        var sig = try envelope(bundle).sig
        sig[10] ^= 0x01
        dsse["signatures"] = [["sig": Data(sig).base64EncodedString(), "keyid": ""]]
        object["dsseEnvelope"] = dsse
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bundle))
        outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: bundle, publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.failure?.code == .signatureInvalid)

        // Another key: the hint names a different key.
        try Data(original).write(to: URL(fileURLWithPath: bundle))
        outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: bundle, publicKey: .file(fixture("keys/other.pub.pem")))
        #expect(outcome.failure?.code == .signatureInvalid)
        #expect(outcome.signatureProblem?.contains("another key") == true)

        // Another key and no hint (an older bundle): the ECDSA check itself fails.
        object = try envelope(bundle).raw
        object["verificationMaterial"] = ["tlogEntries": [Any]()]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bundle))
        outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: bundle, publicKey: .file(fixture("keys/other.pub.pem")))
        #expect(outcome.failure?.code == .signatureInvalid)
        outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: bundle, publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.isVerified)
    }
}

@Suite struct ModelSigningRoundTripTests {
    @Test("sign and verify round trip on every curve, with the curve's digest", arguments: ["p256", "p384", "p521"])
    func roundTrip(_ curve: String) async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        try FileManager.default.removeItem(atPath: tree + "/model.sig")
        let record = try await ModelSigner().sign(root: tree, privateKeyPEMPath: try copyKey(curve + ".pem", into: dir))
        #expect(record.curve.rawValue == ["p256": "P-256", "p384": "P-384", "p521": "P-521"][curve])
        #expect(record.statement.resources.count == 7)
        let outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/\(curve).pub.pem")))
        #expect(outcome.isVerified)
        #expect(outcome.keyFingerprint == record.keyFingerprint)
        // The same statement whatever the curve.
        #expect(try envelope(record.bundlePath).payload == (try bytes(fixture("statement.canonical.json"))))
        try dir.write("tree/config.json", "{}")
        let after = try await ModelSignatureVerifier().verify(root: tree, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/\(curve).pub.pem")))
        #expect(after.failure?.code == .digestMismatch)
    }

    @Test("a model that is one file is signed as model_signing signs it: resource \".\", bundle FILE.sig")
    func singleFile() async throws {
        let dir = TemporaryDirectory()
        let file = try dir.write("weights.safetensors", "tensor bytes")
        let record = try await ModelSigner().sign(root: file, privateKeyPEMPath: try copyKey("p384.pem", into: dir))
        #expect(record.bundlePath == file + ".sig")
        #expect(record.statement.modelName == "weights.safetensors")
        #expect(record.statement.resources.map(\.path) == ["."])
        let outcome = try await ModelSignatureVerifier().verify(root: file, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/p384.pub.pem")))
        #expect(outcome.isVerified)
        try dir.write("weights.safetensors", "tensor bytez")
        let after = try await ModelSignatureVerifier().verify(root: file, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/p384.pub.pem")))
        #expect(after.diff?.changed.map(\.path) == ["."])
    }

    @Test("an output naming a model file, or the model itself, is refused and the file kept; an old bundle there is replaced")
    func outputOverModelFile() async throws {
        let dir = TemporaryDirectory()
        try dir.write("m/config.json", "{}")
        try dir.write("m/w.bin", "weights")
        let key = try copyKey("p256.pem", into: dir)
        // Signed, the bundle would have left config.json out as "the signature" and verified.
        for (root, output) in [(dir.file("m"), dir.file("m/config.json")), (dir.file("m/w.bin"), dir.file("m/w.bin"))] {
            let before = try bytes(output)
            await #expect(throws: SigningError(.writeFailed, "")) {
                try await ModelSigner().sign(root: root, privateKeyPEMPath: key, output: output)
            }
            #expect(try bytes(output) == before)
        }
        let first = try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: key)
        try dir.write("m/w.bin", "weights 2")
        let again = try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: key)
        #expect(again.bundlePath == first.bundlePath && again.statement != first.statement)
        try await ModelSignatureVerifier().verify(root: dir.file("m"), bundlePath: again.bundlePath, publicKey: .file(fixture("keys/p256.pub.pem"))).check()
    }

    @Test("symbolic links to files are followed and recorded as allow_symlinks")
    func symlinks() async throws {
        let dir = TemporaryDirectory()
        try dir.write("blobs/abc", "weights")
        try dir.write("snapshot/config.json", "{}")
        try FileManager.default.createSymbolicLink(atPath: dir.file("snapshot/model.bin"), withDestinationPath: "../blobs/abc")
        let record = try await ModelSigner().sign(root: dir.file("snapshot"), privateKeyPEMPath: try copyKey("p256.pem", into: dir))
        #expect(record.statement.allowSymlinks)
        #expect(record.statement.resources.map(\.path) == ["config.json", "model.bin"])
        let plain = try await SignedStatement.hashing(root: dir.file("blobs"))
        #expect(!plain.allowSymlinks)
    }

    @Test("a private key that group or others can read is used, with a warning naming it")
    func readableKeyWarns() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        let key = try copyKey("p256.pem", into: dir, mode: 0o644)
        let record = try await ModelSigner().sign(root: tree, privateKeyPEMPath: key, output: dir.file("m.sig"))
        #expect(record.warnings.count == 1)
        #expect(record.warnings.first?.contains(key) == true)
        #expect(record.warnings.first?.contains("BEGIN") == false)
    }
}

@Suite struct ModelSigningErrorTests {
    static let ed25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIHfMa40FcOmP4qs3jL2PEnTlFa2A5DKPTj529p5/010f
        -----END PRIVATE KEY-----

        """
    static let encrypted = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAj8A4VWsZuuOAICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEECiB7cbFL65UYpUOLwhW0uQEgZAz
        OPkbYUnlqil/gSNEh8KEsRQdIdyADavcgdp9f+1wkDNebNLjf1tlyv5aC55CCLoW
        UhD7ZwzsJkjvXdCxYnGYbLVzs1Uk+HH2iFV/GSjmlx4a9yWg8+dZvjK75i47CSB7
        LdGUOu7igh843X/FCJmh+c3Uhc1ojB1m9rupBuN7Ye7+XEnbHHvcdpQy1bS8ogk=
        -----END ENCRYPTED PRIVATE KEY-----

        """
    static let secp256k1 = """
        -----BEGIN EC PRIVATE KEY-----
        MHQCAQEEIM1mzCtuyLMt6cWr0mvWdEsLEEfW1Ya2IuSkVCGK/EWdoAcGBSuBBAAK
        oUQDQgAEHzIDDauAKxve7myprqGVlcEITppDp1EXsJMKv1W8uyNLqLuImKh8Bodu
        simk/bRpv2cco7PD+uMmvPk7wFIs+g==
        -----END EC PRIVATE KEY-----

        """

    @Test("keys that cannot be used fail before hashing, naming the file", arguments: [
        ("missing", nil, SigningError.Code.keyUnreadable),
        ("garbage", "not a key", .keyUnreadable),
        ("ed25519", ed25519, .keyUnsupported),
        ("encrypted", encrypted, .keyUnsupported),
        ("secp256k1", secp256k1, .keyUnsupported),
    ] as [(String, String?, SigningError.Code)])
    func badKeys(_ name: String, _ contents: String?, _ code: SigningError.Code) async throws {
        let dir = TemporaryDirectory()
        let key = dir.file(name + ".pem")
        if let contents { try dir.write(name + ".pem", contents) }
        do {
            _ = try await ModelSigner().sign(root: dir.file("no-such-model"), privateKeyPEMPath: key)
            Issue.record("signing with \(name) succeeded")
        } catch let error as SigningError {
            #expect(error.code == code)
            #expect(error.message.contains(key))
            #expect(!error.isIntegrityFailure)
            #expect(!error.message.contains("MC4CAQ") && !error.message.contains("MHQCAQ"))
        }
    }

    @Test("a public key file that is a private key, or missing, is unreadable")
    func badPublicKey() async throws {
        await #expect(throws: SigningError(.keyUnreadable, "")) {
            try await ModelSignatureVerifier().verify(root: fixture("tree"), bundlePath: fixture("tree/model.sig"), publicKey: .file(fixture("keys/p256.pem")))
        }
        await #expect(throws: SigningError(.keyUnreadable, "")) {
            try await ModelSignatureVerifier().verify(root: fixture("tree"), bundlePath: fixture("tree/model.sig"), publicKey: .file(fixture("keys/none.pem")))
        }
    }

    @Test("malformed or unsupported bundles are errors naming the bundle", arguments: [
        ("{", SigningError.Code.bundleMalformed),
        ("[]", .bundleMalformed),
        (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"!!","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}"#, .bundleMalformed),
        (#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}"#, .bundleMalformed),
        (#"{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}"#, .bundleUnsupported),
    ] as [(String, SigningError.Code)])
    func badBundles(_ text: String, _ code: SigningError.Code) async throws {
        let dir = TemporaryDirectory()
        let bundle = try dir.write("bad.sig", text)
        do {
            _ = try await ModelSignatureVerifier().verify(root: fixture("tree"), bundlePath: bundle, publicKey: .file(fixture("keys/p256.pub.pem")))
            Issue.record("a malformed bundle verified")
        } catch let error as SigningError {
            #expect(error.code == code)
            #expect(error.message.contains(bundle))
        }
        await #expect(throws: SigningError(.bundleUnreadable, "")) {
            try await ModelSignatureVerifier().verify(root: fixture("tree"), bundlePath: dir.file("none.sig"), publicKey: .file(fixture("keys/p256.pub.pem")))
        }
    }

    @Test("a signed statement that is not model_signing's v1.0 file or shard manifest is refused after the signature checks")
    func signedButUnsupported() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        let key = try copyKey("p256.pem", into: dir)
        let record = try await ModelSigner().sign(root: tree, privateKeyPEMPath: key, output: dir.file("x.sig"))
        #expect(record.statement.resources.count == 8)
        // A statement whose subject digest does not match its resources (as if edited before signing).
        var statement = record.statement
        statement.resources.removeLast()
        let inconsistent = String(decoding: statement.encoded(), as: UTF8.self)
            .replacingOccurrences(of: statement.subjectDigest, with: record.statement.subjectDigest)
        #expect(throws: SigningError(.bundleMalformed, "")) { try SignedStatement.decode(Array(inconsistent.utf8), source: "x") }
        let tensors = String(decoding: record.statement.encoded(), as: UTF8.self).replacingOccurrences(of: "\"files\"", with: "\"tensors\"")
        #expect(throws: SigningError(.bundleUnsupported, "")) { try SignedStatement.decode(Array(tensors.utf8), source: "x") }
        // Shards without a shard size (model_signing always records one).
        let shards = String(decoding: record.statement.encoded(), as: UTF8.self).replacingOccurrences(of: "\"files\"", with: "\"shards\"")
        #expect(throws: SigningError(.bundleMalformed, "")) { try SignedStatement.decode(Array(shards.utf8), source: "x") }
        let decoded = try SignedStatement.decode(record.statement.encoded(), source: "x")
        #expect(decoded.resources.map(\.line) == record.statement.resources.map(\.line))
        #expect(decoded.ignorePaths == record.statement.ignorePaths && decoded.modelName == record.statement.modelName)
    }
}

@Suite struct ModelSigningToolMetadataTests {
    @Test("a top-level .cache/huggingface is left out of what modelctl signs and recorded as ignored, so it may change")
    func huggingFaceCacheLeftOut() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        try dir.write("tree/.cache/huggingface/download/weights.bin.metadata", "etag 1")
        let record = try await ModelSigner().sign(root: tree, privateKeyPEMPath: try copyKey("p256.pem", into: dir))
        #expect(record.statement.ignorePaths == [".cache/huggingface", ".git", ".gitattributes", ".github", ".gitignore", "model.sig"])
        #expect(!record.statement.resources.contains { $0.path.hasPrefix(".cache/") })
        try dir.write("tree/.cache/huggingface/download/weights.bin.metadata", "etag 2")
        let outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(outcome.isVerified)
        // A .cache/huggingface deeper down is model content, as model_signing treats it.
        try dir.write("tree/sub/.cache/huggingface/x", "x")
        let deeper = try await ModelSignatureVerifier().verify(root: tree, bundlePath: record.bundlePath, publicKey: .file(fixture("keys/p256.pub.pem")))
        #expect(deeper.diff?.added.map(\.path) == ["sub/.cache/huggingface/x"])
    }
}

@Suite struct ModelSigningSkipTests {
    @Test("with a top-level .git, the other entries are hashed one by one and give the statement the whole walk gives")
    func skippingGitGivesTheSameStatement() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        try dir.write("blob", "linked")
        try FileManager.default.createSymbolicLink(atPath: tree + "/linked.bin", withDestinationPath: dir.file("blob"))
        // A linked directory is reported, never skipped in silence.
        try FileManager.default.createSymbolicLink(atPath: tree + "/linked-dir", withDestinationPath: tree + "/sub")
        await #expect(throws: SigningError(.hashingFailed, "")) { try await SignedStatement.hashing(root: tree) }
        try FileManager.default.removeItem(atPath: tree + "/linked-dir")
        try dir.write("tree/.git/lfs/objects/ab/cd/abcd", "a second copy of the weights")
        let manifest = try await ArtifactHasher(exclusions: .none).hash(tree)
        let whole = try SignedStatement(for: manifest, signaturePath: tree + "/model.sig")
        // A dangling link inside .git would stop a walk of the whole tree: .git is not walked.
        try FileManager.default.createSymbolicLink(atPath: tree + "/.git/dangling", withDestinationPath: dir.file("nothing"))
        await #expect(throws: HashingError.self) { try await ArtifactHasher(exclusions: .none).hash(tree) }
        let skipping = try await SignedStatement.hashing(root: tree, jobs: 2, signaturePath: tree + "/model.sig")
        #expect(skipping.resources.map(\.line) == whole.resources.map(\.line))
        #expect(skipping.resources.map(\.path) == [
            "config.json", "linked.bin", "sub/deeper/leaf.txt", "sub/empty.txt", "sub-file.txt",
            "tokenizer/merges.txt", "tokenizer/vocab.txt", "weights.bin",
        ])
        #expect(skipping.allowSymlinks && whole.allowSymlinks)
        #expect(skipping.encoded() == whole.encoded())
    }

    @Test("a dangling top-level symlink is still an error when .git is skipped")
    func danglingStillFails() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyTree(into: dir)
        try FileManager.default.createSymbolicLink(atPath: tree + "/gone", withDestinationPath: dir.file("nothing"))
        await #expect(throws: SigningError(.hashingFailed, "")) {
            try await SignedStatement.hashing(root: tree)
        }
    }
}

@Suite struct ModelSigningIgnoredPathTests {
    @Test("ignore_paths from a signed statement leave out only paths inside the root", arguments: [
        ("extra", ["extra.bin"], false),           // not a prefix by components
        ("extra.bin", ["extra.bin"], true),
        ("./extra.bin", ["extra.bin"], true),       // normalized as PurePosixPath would
        ("dir/", ["dir/x", "dir/y/z"], true),
        ("../tree/extra.bin", ["extra.bin"], false),  // outside the root: no effect
        ("/etc", ["extra.bin"], false),
        (".", ["extra.bin"], false),
        ("", ["extra.bin"], false),
    ] as [(String, [String], Bool)])
    func signedIgnorePaths(_ ignore: String, _ files: [String], _ leftOut: Bool) async throws {
        let dir = TemporaryDirectory()
        for file in files { try dir.write("m/" + file, file) }
        try dir.write("m/kept", "kept")
        let statement = try await SignedStatement.hashing(root: dir.file("m"), extraIgnoredPaths: [ignore])
        #expect(statement.resources.contains { $0.path == "kept" })
        for file in files { #expect(statement.resources.contains { $0.path == file } == !leftOut) }
    }

    @Test("the subject name is the last component of the path as given, resolved for . and ..")
    func subjectName() async throws {
        let dir = TemporaryDirectory()
        try dir.write("models/qwen/a", "a")
        #expect(try await SignedStatement.hashing(root: dir.file("models/qwen/")).modelName == "qwen")
        #expect(try await SignedStatement.hashing(root: dir.file("models/qwen/.")).modelName == "qwen")
        #expect(try await SignedStatement.hashing(root: dir.file("models/qwen/..")).modelName == "models")
    }
}

/// `allow_symlinks` must be true whenever the tree holds a link, wherever it sits: model_signing's
/// verifier refuses a tree with a link under a statement that says `false`.
@Suite struct ModelSigningSymlinkDetectionTests {
    @Test("a link 300 directories deep is found")
    func deepLink() async throws {
        let dir = TemporaryDirectory()
        var relative = "m"
        for _ in 0..<300 { relative += "/d" }
        try dir.write(relative + "/target", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.file(relative + "/link"), withDestinationPath: "target")
        let statement = try await SignedStatement.hashing(root: dir.file("m"), jobs: 1)
        #expect(statement.resources.count == 2)
        #expect(statement.allowSymlinks)
    }

    @Test("a link whose name is not UTF-8 is found")
    func nonUTF8LinkName() async throws {
        let dir = TemporaryDirectory()
        try dir.write("m/sub/target", "x")
        let made = try shell(#"cd "$0/m/sub" && ln -s target "$(printf 'link\377')""#, arguments: [dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        let statement = try await SignedStatement.hashing(root: dir.file("m"), jobs: 1)
        #expect(statement.resources.count == 2)
        #expect(statement.allowSymlinks)
    }

    @Test("a link is found under a descriptor limit that the hashing walk stays within")
    func fewDescriptors() throws {
        // The statement is built in a child process (the built tool) with `ulimit -n 16`.
        let dir = TemporaryDirectory()
        try dir.write("m/a/b/c/d/e/f/g/h/i/j/k/target", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/a/b/c/d/e/f/g/h/i/j/k/link"), withDestinationPath: "target")
        let result = try shell(#"ulimit -n 16 && exec "$0" hash "$1" --format model-signing --jobs 1"#, arguments: [modelctlBinary, dir.file("m")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(#""allow_symlinks": true"#), "\(result.stdout)")
    }
}

/// Keys and bundles are read from regular files only, to their end, never waited on.
@Suite struct ModelSigningHostileFileTests {
    @Test("a FIFO where the key or the bundle belongs is refused at once, naming it", .timeLimit(.minutes(1)))
    func fifos() async throws {
        let dir = TemporaryDirectory()
        try dir.write("m/w", "w")
        #expect(mkfifo(dir.file("key.pem"), 0o600) == 0)
        #expect(mkfifo(dir.file("model.sig"), 0o600) == 0)
        let key = await #expect(throws: SigningError(.keyUnreadable, "")) {
            _ = try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: dir.file("key.pem"))
        }
        #expect(key?.message.contains("key.pem") == true)
        let bundle = await #expect(throws: SigningError.self) {
            _ = try await ModelSignatureVerifier().verify(root: dir.file("m"), bundlePath: dir.file("model.sig"),
                                                          publicKey: .file(fixture("keys/p256.pub.pem")))
        }
        #expect(bundle?.message.contains("model.sig") == true)
        let publicKey = await #expect(throws: SigningError(.keyUnreadable, "")) {
            _ = try await ModelSignatureVerifier().verify(root: fixture("tree"), bundlePath: fixture("tree/model.sig"),
                                                          publicKey: .file(dir.file("key.pem")))
        }
        #expect(publicKey?.message.contains("key.pem") == true)
    }
}

@Suite struct ModelSigningNameTests {
    @Test("a tree holding a file name that is not UTF-8 is refused for signing, naming the file, before anything is written")
    func nonUTF8Name() async throws {
        let dir = TemporaryDirectory()
        try dir.write("m/ok", "ok")
        let made = try shell(#"printf a > "$0/m/$(printf 'bad\377name')""#, arguments: [dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        let error = await #expect(throws: SigningError(.hashingFailed, "")) {
            _ = try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: try copyKey("p256.pem", into: dir))
        }
        #expect(error?.message.contains(#"bad\xffname"#) == true, "\(error?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: dir.file("m/model.sig")))
        await #expect(throws: SigningError(.hashingFailed, "")) { try await SignedStatement.hashing(root: dir.file("m")).requireUTF8Names(root: dir.file("m")) }
    }
}
