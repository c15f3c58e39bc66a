import Foundation
import Testing
import TestSupport

/// `modelctl sign` and `modelctl verify --signature` against the model_signing fixtures.
struct SignCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/model-signing").path

    /// A copy of the fixture tree (with model_signing's model.sig inside) and a mode-600 P-256
    /// key, in a directory that lives as long as this value.
    struct Setup {
        let dir = TemporaryDirectory()
        var tree: String { dir.file("tree") }
        var key: String { dir.file("p256.pem") }
        var pub: String { SignCommandTests.fixtures + "/keys/p256.pub.pem" }

        init() throws {
            try FileManager.default.copyItem(atPath: SignCommandTests.fixtures + "/tree", toPath: dir.file("tree"))
            try FileManager.default.copyItem(atPath: SignCommandTests.fixtures + "/keys/p256.pem", toPath: dir.file("p256.pem"))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("p256.pem"))
        }
    }

    @Test("verify --signature accepts model_signing's bundle (exit 0) and rejects a flipped byte with exit 2 and the changed file")
    func verifiesAndRejects() throws {
        let setup = try Setup()
        let (dir, tree, pub) = (setup.dir, setup.tree, setup.pub)
        defer { withExtendedLifetime(setup) {} }
        let ok = try modelctl(["verify", tree, "--signature", tree + "/model.sig", "--public-key", pub])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("OK (signature verified"))
        try dir.write("tree/tokenizer/merges.txt", "#version: 0.2\nh f\n")
        let bad = try modelctl(["verify", tree, "--signature", tree + "/model.sig", "--public-key", pub, "--json"])
        #expect(bad.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "digest_mismatch")
        #expect((object?["changed"] as? [[String: Any]])?.first?["path"] as? String == "tokenizer/merges.txt")
        #expect(bad.stderr.contains(tree))
    }

    @Test("another public key is an invalid signature: exit 2")
    func otherKey() throws {
        let setup = try Setup()
        let tree = setup.tree
        defer { withExtendedLifetime(setup) {} }
        let result = try modelctl(["verify", tree, "--signature", tree + "/model.sig", "--public-key", Self.fixtures + "/keys/other.pub.pem"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("SIGNATURE INVALID"))
    }

    @Test("an unreadable key or a malformed bundle exits 1 naming the file")
    func errorsExitOne() throws {
        let setup = try Setup()
        let (dir, tree, pub) = (setup.dir, setup.tree, setup.pub)
        defer { withExtendedLifetime(setup) {} }
        let noKey = try modelctl(["sign", tree, "--key", dir.file("absent.pem")])
        #expect(noKey.status == 1)
        #expect(noKey.stderr.contains(dir.file("absent.pem")))
        let bundle = try dir.write("broken.sig", "{\"mediaType\": 3}")
        let malformed = try modelctl(["verify", tree, "--signature", bundle, "--public-key", pub])
        #expect(malformed.status == 1)
        #expect(malformed.stderr.contains(bundle))
    }

    @Test("sign writes PATH/model.sig, warns about a readable key, and its bundle verifies")
    func signThenVerify() throws {
        let setup = try Setup()
        let (tree, key, pub) = (setup.tree, setup.key, setup.pub)
        defer { withExtendedLifetime(setup) {} }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let signed = try modelctl(["sign", tree, "--key", key, "--json"])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("warning") && signed.stderr.contains(key))
        #expect(!signed.stderr.contains("BEGIN"))
        let object = try JSONSerialization.jsonObject(with: Data(signed.stdout.utf8)) as? [String: Any]
        #expect(object?["signature"] as? String == tree + "/model.sig")
        #expect((object?["key_fingerprint"] as? String)?.count == 64)
        #expect(object?["file_count"] as? Int == 7)
        let verified = try modelctl(["verify", tree, "--signature", tree + "/model.sig", "--public-key", pub])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        try FileManager.default.removeItem(atPath: tree + "/sub/empty.txt")
        let missing = try modelctl(["verify", tree, "--signature", tree + "/model.sig", "--public-key", pub])
        #expect(missing.status == 2)
        #expect(missing.stdout.contains("missing  sub/empty.txt"))
    }
}
