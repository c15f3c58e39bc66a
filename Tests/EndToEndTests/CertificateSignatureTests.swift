import Foundation
import Testing
import TestSupport

/// `verify --signature` and `sign` with model_signing's `certificate` bundles: the upstream
/// test models (fixtures/model-signing/upstream, signed by model_signing itself) and the
/// test CA under fixtures/model-signing/certificate.
struct CertificateSignatureTests {
    static let fixtures = SignCommandTests.fixtures
    static let upstream = fixtures + "/upstream"
    static let certs = fixtures + "/certificate"

    /// A copy of an upstream test model (model.sig inside) in a directory that lives as long as this value.
    struct Model {
        let dir = TemporaryDirectory()
        var root: String { dir.file("model") }
        var bundle: String { root + "/model.sig" }

        init(_ name: String) throws {
            try FileManager.default.copyItem(atPath: CertificateSignatureTests.upstream + "/" + name, toPath: dir.file("model"))
        }
    }

    @Test("a certificate bundle checked with only the leaf's public key is refused (exit 64 naming --certificate-chain), never OK")
    func certificateBundleNeedsChain() throws {
        let model = try Model("v1.1.0-certificate")
        let result = try modelctl(["verify", model.root, "--signature", model.bundle,
                                   "--public-key", Self.upstream + "/keys/certificate/signing-key-pub.pem"])
        #expect(result.status == 64, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("--certificate-chain"))
        #expect(!result.stdout.contains("OK"))
    }

    @Test("a keyless (sigstore) bundle checked with a public key or CA certificates is refused (exit 64 naming --identity), never OK")
    func keylessBundleRefused() throws {
        let model = try Model("v1.1.0-sigstore")
        let result = try modelctl(["verify", model.root, "--signature", model.bundle,
                                   "--public-key", Self.upstream + "/keys/certificate/signing-key-pub.pem"])
        #expect(result.status == 64, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("keyless"))
        #expect(result.stderr.contains("--identity"))
        #expect(!result.stdout.contains("OK"))
        let chained = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(chained.status == 64, "\(chained.stderr)")
        #expect(chained.stderr.contains("--identity-provider"))
    }

    @Test("a key bundle checked with --certificate-chain is refused (exit 64 naming --public-key)")
    func keyBundleNeedsKey() throws {
        let setup = try SignCommandTests.Setup()
        let result = try modelctl(["verify", setup.tree, "--signature", setup.tree + "/model.sig", "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--public-key"))
    }

    @Test("model_signing's certificate bundles (1.0.0 and 1.1.0) verify offline against the root CA, the intermediate, or both in one file",
          arguments: ["v1.0.0-certificate", "v1.1.0-certificate"])
    func upstreamBundlesVerify(_ name: String) throws {
        let model = try Model(name)
        let keys = Self.upstream + "/keys/certificate"
        let both = try model.dir.write("both.pem", try String(contentsOfFile: keys + "/int-ca-cert.pem", encoding: .utf8)
            + String(contentsOfFile: keys + "/ca-cert.pem", encoding: .utf8))
        for chain in [[keys + "/ca-cert.pem"], [keys + "/int-ca-cert.pem"], [Self.certs + "/other-ca.pem", keys + "/ca-cert.pem"], [both]] {
            let result = try modelctl(["verify", model.root, "--signature", model.bundle] + chain.flatMap { ["--certificate-chain", $0] })
            #expect(result.status == 0, "\(chain): \(result.stderr)")
            #expect(result.stdout.contains("OK (signature verified, every file matches)"))
            #expect(result.stdout.contains("certificate CN=intermediate-ca"))
        }
        try model.dir.write("model/signme-1", "changed\n")
        let changed = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", keys + "/ca-cert.pem"])
        #expect(changed.status == 2)
        #expect(changed.stdout.contains("changed  signme-1"))
    }

    @Test("a chain that does not cover the leaf is an integrity failure (exit 2) saying so")
    func chainDoesNotCoverLeaf() throws {
        let model = try Model("v1.1.0-certificate")
        let result = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/other-ca.pem", "--json"])
        #expect(result.status == 2, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "signature_invalid")
        #expect((object?["problem"] as? String)?.contains("does not chain to any of the given certificates") == true)
        #expect((object?["problem"] as? String)?.contains("the issuer of") == true)
    }

    /// Signs a copy of the upstream v1.1.0 model with the test leaf key and `chain`; returns the model.
    func signed(with chain: String) throws -> Model {
        let model = try Model("v1.1.0-certificate")
        let key = model.dir.file("leaf.key")
        try FileManager.default.copyItem(atPath: Self.certs + "/leaf.key", toPath: key)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let sign = try modelctl(["sign", model.root, "--key", key, "--certificate-chain", chain])
        #expect(sign.status == 0, "\(sign.stderr)")
        return model
    }

    @Test("sign --certificate-chain writes a certificate bundle that verifies against the CA; a changed file then fails with exit 2")
    func signWithCertificate() throws {
        let model = try signed(with: Self.certs + "/leaf-chain.pem")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model.bundle))) as? [String: Any]
        let material = object?["verificationMaterial"] as? [String: Any]
        #expect(((material?["x509CertificateChain"] as? [String: Any])?["certificates"] as? [Any])?.count == 2)
        #expect(material?["publicKey"] == nil)
        let ok = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("certificate CN=modelctl test signer"))
        try model.dir.write("model/signme-2", "changed\n")
        let changed = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(changed.status == 2)
        #expect(changed.stderr.contains("do not match the digests"))
    }

    @Test("the bundle model_signing 1.1.1 signed with the test CA's leaf verifies, and modelctl's own bundle for that tree carries the same certificates")
    func realToolFixture() throws {
        let dir = TemporaryDirectory()
        let tree = dir.file("signed")
        try FileManager.default.copyItem(atPath: Self.certs + "/signed", toPath: tree)
        let ok = try modelctl(["verify", tree, "--signature", tree + "/model.sig", "--certificate-chain", Self.certs + "/ca.pem", "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        #expect(result?["certificate_subject"] as? String == "CN=modelctl test signer")
        #expect(result?["files_signed"] as? Int == 2)
        func material(_ path: String) throws -> NSDictionary? {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])?["verificationMaterial"] as? NSDictionary
        }
        let theirs = try material(tree + "/model.sig")
        let key = dir.file("leaf.key")
        try FileManager.default.copyItem(atPath: Self.certs + "/leaf.key", toPath: key)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let sign = try modelctl(["sign", tree, "--key", key, "--certificate-chain", Self.certs + "/leaf-chain.pem", "--output", dir.file("ours.sig")])
        #expect(sign.status == 0, "\(sign.stderr)")
        #expect(try material(dir.file("ours.sig")) == theirs)
    }

    @Test("sign refuses a certificate that is not the key's (exit 1)")
    func signKeyMismatch() throws {
        let model = try Model("v1.1.0-certificate")
        let result = try modelctl(["sign", model.root, "--key", Self.fixtures + "/keys/p256.pem", "--certificate-chain", Self.certs + "/leaf-chain.pem"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("does not match the private key"))
    }

    @Test("an expired leaf is an integrity failure (exit 2) naming the expiry")
    func expiredLeaf() throws {
        let model = try signed(with: Self.certs + "/leaf-expired.pem")
        let result = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("expired on 2020-12-31"))
    }

    @Test("a leaf without the code-signing extended key usage is an integrity failure (exit 2) naming it")
    func leafWithoutCodeSigning() throws {
        let model = try signed(with: Self.certs + "/leaf-no-eku.pem")
        let result = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("code-signing extended key usage"))
    }

    @Test("a signature made by another key than the leaf's is an integrity failure (exit 2)")
    func signatureByAnotherKey() throws {
        let model = try Model("v1.1.0-certificate")
        // Put our CA's leaf in model_signing's bundle: the chain verifies, the signature cannot.
        let ours = try String(contentsOfFile: Self.certs + "/leaf.pem", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model.bundle))) as? [String: Any])
        object["verificationMaterial"] = ["x509CertificateChain": ["certificates": [["rawBytes": ours]]], "tlogEntries": [Any]()]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model.bundle))
        let result = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("SIGNATURE INVALID"))
        #expect(result.stdout.contains("ECDSA signature"))
    }

    @Test("--certificate-chain with no certificate in the file, or with --public-key, is refused")
    func chainUsage() throws {
        let model = try Model("v1.1.0-certificate")
        let empty = try model.dir.write("empty.pem", "no certificate here\n")
        let none = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", empty])
        #expect(none.status == 1)
        #expect(none.stderr.contains(empty))
        let both = try modelctl(["verify", model.root, "--signature", model.bundle, "--certificate-chain", Self.certs + "/ca.pem",
                                 "--public-key", Self.upstream + "/keys/certificate/signing-key-pub.pem"])
        #expect(both.status == 64)
    }
}
