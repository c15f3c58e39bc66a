import Foundation
import ModelSigning
import Testing
import TestSupport

/// Certificate bundles read by ``ModelSignatureVerifier``: what counts as keyless, and bounds.
@Suite struct CertificateBundleTests {
    static let upstream = fixtures + "/upstream"

    /// model_signing's v1.1.0 certificate bundle with its verification material replaced.
    func bundle(material: Any, in dir: TemporaryDirectory) throws -> String {
        let path = dir.file("model.sig")
        var object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.upstream + "/v1.1.0-certificate/model.sig"))) as? [String: Any])
        object["verificationMaterial"] = material
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    func verify(_ bundle: String) async throws -> SignatureVerification {
        try await ModelSignatureVerifier(jobs: 1).verify(
            root: Self.upstream + "/v1.1.0-certificate", bundlePath: bundle,
            trust: .certificateChain(paths: [Self.upstream + "/keys/certificate/ca-cert.pem"]))
    }

    func chain() throws -> [[String: String]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.upstream + "/v1.1.0-certificate/model.sig"))) as? [String: Any]
        return try #require(((object?["verificationMaterial"] as? [String: Any])?["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: String]])
    }

    @Test("the unchanged bundle verifies through the library, naming the signing certificate")
    func verifies() async throws {
        let outcome = try await verify(Self.upstream + "/v1.1.0-certificate/model.sig")
        #expect(outcome.isVerified)
        #expect(outcome.certificateSubject == "CN=intermediate-ca")
        #expect(outcome.statement?.resources.count == 2)
    }

    @Test("a certificate chain that comes with transparency-log entries is a keyless bundle, which CA certificates do not check (usage error)")
    func chainWithLogEntryIsKeyless() async throws {
        let dir = TemporaryDirectory()
        let keyless = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.upstream + "/v1.1.0-sigstore/model.sig"))) as? [String: Any]
        let entries = try #require((keyless?["verificationMaterial"] as? [String: Any])?["tlogEntries"])
        let path = try bundle(material: ["x509CertificateChain": ["certificates": try chain()], "tlogEntries": entries], in: dir)
        #expect(try ModelSignatureVerifier.method(ofBundle: path) == .sigstore)
        await #expect(throws: SigningError(.verificationMaterialMismatch, "")) { try await verify(path) }
        let broken = try bundle(material: ["x509CertificateChain": ["certificates": try chain()], "tlogEntries": [["logIndex": "1"]]], in: dir)
        await #expect(throws: SigningError(.bundleMalformed, "")) { try await verify(broken) }
    }

    @Test("a bundle with more than 16 certificates, or one that is not DER, is malformed")
    func boundsAndGarbage() async throws {
        let dir = TemporaryDirectory()
        let many = try bundle(material: ["x509CertificateChain": ["certificates": Array(repeating: try chain()[0], count: 17)]], in: dir)
        await #expect(throws: SigningError(.bundleMalformed, "")) { try await verify(many) }
        let garbage = try bundle(material: ["x509CertificateChain": ["certificates": [["rawBytes": Data("not a certificate".utf8).base64EncodedString()]]]], in: dir)
        await #expect(throws: SigningError(.bundleMalformed, "")) { try await verify(garbage) }
    }

    @Test("the bundle's certificates are not trusted: its own root inside the bundle does not stand in for a given CA")
    func bundleCertificatesAreUntrusted() async throws {
        let dir = TemporaryDirectory()
        let root = try String(contentsOfFile: Self.upstream + "/keys/certificate/ca-cert.pem", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let path = try bundle(material: ["x509CertificateChain": ["certificates": try chain() + [["rawBytes": root]]]], in: dir)
        let outcome = try await ModelSignatureVerifier(jobs: 1).verify(
            root: Self.upstream + "/v1.1.0-certificate", bundlePath: path,
            trust: .certificateChain(paths: [fixtures + "/certificate/other-ca.pem"]))
        #expect(!outcome.signatureVerified)
        #expect(outcome.signatureProblem?.contains("does not chain to any of the given certificates") == true)
    }
}
