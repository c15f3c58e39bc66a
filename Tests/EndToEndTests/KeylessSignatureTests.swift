import Foundation
import Testing
import TestSupport

/// `verify --signature` with Sigstore keyless bundles: model_signing's own keyless test models
/// (fixtures/model-signing/upstream/*-sigstore), checked offline by the binary.
struct KeylessSignatureTests {
    static let upstream = SignCommandTests.fixtures + "/upstream"
    /// The public-good trusted root modelctl builds in (scripts/embed-trusted-root.sh reads it).
    static let rootFixture = repositoryRoot + "/fixtures/sigstore/trusted_root.json"
    static let identity = ["--identity", "stefanb@us.ibm.com", "--identity-provider", "https://sigstore.verify.ibm.com/oauth2"]

    /// A copy of the 1.1.0 keyless test model in a directory that lives as long as this value.
    struct Model {
        let dir = TemporaryDirectory()
        var root: String { dir.file("model") }
        var bundle: String { root + "/model.sig" }
        init() throws { try FileManager.default.copyItem(atPath: KeylessSignatureTests.upstream + "/v1.1.0-sigstore", toPath: dir.file("model")) }
    }

    @Test("a keyless bundle verifies offline with the signer's identity and issuer, cosign's flag names too (exit 0)")
    func verifies() throws {
        let model = try Model()
        let result = try modelctl(["verify", model.root, "--signature", model.bundle] + Self.identity)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("OK (signature verified, every file matches)"))
        #expect(result.stdout.contains("signer    stefanb@us.ibm.com (https://sigstore.verify.ibm.com/oauth2)"))
        let cosign = try modelctl(["verify", model.root, "--signature", model.bundle, "--json", "--certificate-identity", "stefanb@us.ibm.com",
                                   "--certificate-oidc-issuer", "https://sigstore.verify.ibm.com/oauth2"])
        #expect(cosign.status == 0, "\(cosign.stderr)")
        #expect(cosign.stdout.contains("\"signer_identity\": \"stefanb@us.ibm.com (https://sigstore.verify.ibm.com/oauth2)\""))
    }

    @Test("another identity, or a changed file, is an integrity failure (exit 2) naming the check")
    func integrityFailures() throws {
        let model = try Model()
        let other = try modelctl(["verify", model.root, "--signature", model.bundle, "--identity", "mallory@example.com",
                                  "--identity-provider", "https://sigstore.verify.ibm.com/oauth2"])
        #expect(other.status == 2, "\(other.stderr)")
        #expect(other.stdout.contains("SIGNATURE INVALID"))
        #expect(other.stderr.contains("identity: the certificate was issued to \"stefanb@us.ibm.com\", not to \"mallory@example.com\""))
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: model.root + "/signme-2"))
        let changed = try modelctl(["verify", model.root, "--signature", model.bundle] + Self.identity)
        #expect(changed.status == 2, "\(changed.stderr)")
        #expect(changed.stdout.contains("changed"))
    }

    @Test("a keyless bundle without the identity flags, or half of them, is a usage error (exit 64) naming them")
    func missingIdentity() throws {
        let model = try Model()
        let bare = try modelctl(["verify", model.root, "--signature", model.bundle])
        #expect(bare.status == 64, "\(bare.stderr)")
        #expect(bare.stderr.contains("--identity ID --identity-provider URL"))
        #expect(!bare.stdout.contains("OK"))
        let half = try modelctl(["verify", model.root, "--signature", model.bundle, "--identity", "stefanb@us.ibm.com"])
        #expect(half.status == 64, "\(half.stderr)")
        #expect(half.stderr.contains("--identity-provider"))
        let mixed = try modelctl(["verify", model.root, "--signature", model.bundle, "--public-key", SignCommandTests.fixtures + "/keys/p256.pub.pem"] + Self.identity)
        #expect(mixed.status == 64, "\(mixed.stderr)")
    }

    @Test("--trusted-root, else MODELCTL_TRUSTED_ROOT, replaces the built-in root: one without the Fulcio CA fails (exit 2)")
    func trustedRoot() throws {
        let model = try Model()
        let copy = model.dir.file("copy.json")
        let root = model.dir.file("root.json")
        let builtIn = try modelctl(["verify", model.root, "--signature", model.bundle] + Self.identity)
        #expect(builtIn.status == 0, "\(builtIn.stderr)")
        // A root without the current Fulcio CA: keep the public-good CA of 2021-2022 only.
        var edited = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.rootFixture))) as? [String: Any])
        edited["certificateAuthorities"] = [(edited["certificateAuthorities"] as? [Any])?.first as Any]
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: root))
        try FileManager.default.copyItem(atPath: Self.rootFixture, toPath: copy)
        let option = try modelctl(["verify", model.root, "--signature", model.bundle, "--trusted-root", root] + Self.identity)
        #expect(option.status == 2, "\(option.stderr)")
        #expect(option.stderr.contains("Fulcio chain: the signing certificate's issuer"))
        let environment = try modelctl(["verify", model.root, "--signature", model.bundle] + Self.identity, environment: ["MODELCTL_TRUSTED_ROOT": root])
        #expect(environment.status == 2, "\(environment.stderr)")
        // The option beats the environment.
        let both = try modelctl(["verify", model.root, "--signature", model.bundle, "--trusted-root", copy] + Self.identity, environment: ["MODELCTL_TRUSTED_ROOT": root])
        #expect(both.status == 0, "\(both.stderr)")
    }
}
