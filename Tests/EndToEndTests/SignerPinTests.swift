import Foundation
import Testing
import TestSupport

/// `version_lock.signer` through the built binary: `verify NAME --signature` and
/// activate-model's gate check the bundle against the pinned signer, as they do with `public_key`.
struct SignerPinTests {
    static let certs = CertificateSignatureTests.certs

    /// A registry whose entry `signed` (models/b) pins `signer`, the test CA copied beside the
    /// registry as `ca/ca.pem`, and the entry signed with the CA's leaf (recorded by `sign`).
    struct Fixture {
        let f: CLIFixture
        let bundle: String
        var marker: String { f.dir.file("launched") }
        var environment: [String: String] { HostileRoundTwoTests.launchEnvironment(f, marker: marker) }

        init(signer: String) throws {
            f = try CLIFixture()
            bundle = f.dir.file("signed.sig")
            let fm = FileManager.default
            try fm.createDirectory(atPath: f.dir.file("registry/ca"), withIntermediateDirectories: true)
            try fm.copyItem(atPath: SignerPinTests.certs + "/ca.pem", toPath: f.dir.file("registry/ca/ca.pem"))
            try fm.copyItem(atPath: SignerPinTests.certs + "/other-ca.pem", toPath: f.dir.file("registry/ca/other-ca.pem"))
            try pin(signer)
            try fm.copyItem(atPath: SignerPinTests.certs + "/leaf.key", toPath: f.dir.file("leaf.key"))
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: f.dir.file("leaf.key"))
            let sign = try f.run(["sign", "signed", "--key", f.dir.file("leaf.key"), "--certificate-chain", SignerPinTests.certs + "/leaf-chain.pem", "--output", bundle])
            #expect(sign.status == 0, "\(sign.stderr)")
        }

        /// Rewrites the curated file with `signer` as the entry's version_lock.signer.
        func pin(_ signer: String) throws {
            try f.dir.write("registry/model_registry.curated.json", """
                [{"name": "signed", "backend": "vllm", "backend_config": {"model_path": "\(f.dir.file("models/b"))"},
                  "version_lock": {"signer": \(signer)}}]
                """)
        }

        func verify(_ extra: [String] = [], from directory: String? = nil) throws -> ProcessResult {
            try modelctl(["verify", "signed", "--signature", bundle, "--registry-dir", f.registry] + extra, currentDirectory: directory)
        }

        /// activate-model, and whether it launched (the marker is removed again).
        func activate() throws -> (result: ProcessResult, launched: Bool) {
            let result = try modelctl(["activate-model", "signed", "--registry-dir", f.registry], environment: environment)
            let launched = FileManager.default.fileExists(atPath: marker)
            try? FileManager.default.removeItem(atPath: marker)
            return (result, launched)
        }
    }

    @Test("a certificate_chain signer (a registry-relative path) is what verify NAME --signature and activate-model check; another CA pinned refuses both; --certificate-chain overrides the pin")
    func certificateChainPin() throws {
        let x = try Fixture(signer: #"{"certificate_chain": "ca/ca.pem"}"#)
        // Run from a directory holding another ca/ca.pem: the registry's is the one read.
        let elsewhere = x.f.dir.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere + "/ca", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.certs + "/other-ca.pem", toPath: elsewhere + "/ca/ca.pem")
        let ok = try x.verify(from: elsewhere)
        #expect(ok.status == 0, "\(ok.stdout)\n\(ok.stderr)")
        #expect(ok.stdout.contains("certificate CN=modelctl test signer"))
        let good = try x.activate()
        #expect(good.launched, "\(good.result.stderr)")

        try x.pin(#"{"certificate_chain": ["ca/other-ca.pem"]}"#)
        let wrong = try x.verify()
        #expect(wrong.status == 2, "\(wrong.stderr)")
        #expect(wrong.stdout.contains("does not chain to any of the given certificates"))
        // The bundle carries its own root: the message names where the chain ends, not a missing issuer.
        #expect(wrong.stdout.contains("the chain ends at CN=modelctl test root, which signed itself and is not among them"))
        let refused = try x.activate()
        #expect(refused.result.status == 2, "\(refused.result.stderr)")
        #expect(!refused.launched)
        #expect(refused.result.stderr.contains("does not chain to any of the given certificates"))
        #expect(!refused.result.stderr.contains("--skip-verify"))
        // The option given overrides the pin.
        let overridden = try x.verify(["--certificate-chain", Self.certs + "/ca.pem"])
        #expect(overridden.status == 0, "\(overridden.stderr)")

        // Back to the right CA: a changed file is refused by both.
        try x.pin(#"{"certificate_chain": ["ca/ca.pem"]}"#)
        try x.f.dir.write("models/b/weights.bin", "tampered")
        #expect(try x.verify().status == 2)
        let tampered = try x.activate()
        #expect(tampered.result.status == 2 && !tampered.launched)
        // No signature recorded: refused, saying how to sign for this pin.
        try x.f.dir.write("registry/model_registry.discovered.json", "[]\n")
        let unsigned = try x.activate()
        #expect(unsigned.result.status == 2 && !unsigned.launched)
        #expect(unsigned.result.stderr.contains("version_lock.signer is set but no signature is recorded"))
        #expect(unsigned.result.stderr.contains("--certificate-chain CHAIN.pem"))
    }

    @Test("a Sigstore signer pin is what verify NAME --signature and activate-model check: a certificate bundle never passes it")
    func sigstorePin() throws {
        let x = try Fixture(signer: #"{"identity": "release@example.com", "identity_provider": "https://accounts.google.com", "trusted_root": "root.json"}"#)
        let verify = try x.verify()
        #expect(verify.status != 0, "\(verify.stdout)")
        #expect(!verify.stdout.contains("OK"))
        let activate = try x.activate()
        #expect(activate.result.status != 0)
        #expect(!activate.launched)
        // The explicit option still overrides the pin.
        #expect(try x.verify(["--certificate-chain", Self.certs + "/ca.pem"]).status == 0)
    }

    @Test("a Sigstore identity pin checks model_signing's keyless test model: the right identity passes, another fails, and the trusted root comes from the pin, --trusted-root or MODELCTL_TRUSTED_ROOT")
    func sigstoreIdentityPin() throws {
        let dir = TemporaryDirectory("signer-keyless")
        let model = dir.file("model")
        try FileManager.default.copyItem(atPath: repositoryRoot + "/fixtures/model-signing/upstream/v1.1.0-sigstore", toPath: model)
        // A root without Fulcio's CAs: no Fulcio certificate chains to it.
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/fixtures/sigstore/trusted_root.json"))) as! [String: Any]
        var bare = root
        bare["certificateAuthorities"] = [Any]()
        try dir.write("registry/bare-root.json", try JSONSerialization.data(withJSONObject: bare))
        func pin(_ signer: String) throws {
            try dir.write("registry/model_registry.curated.json", """
                [{"name": "keyless", "backend": "vllm", "backend_config": {"model_path": "\(model)"}, "version_lock": {"signer": \(signer)}}]
                """)
        }
        func verify(_ extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
            try modelctl(["verify", "keyless", "--signature", model + "/model.sig", "--registry-dir", dir.file("registry")] + extra, environment: environment)
        }
        let identity = #""identity": "stefanb@us.ibm.com", "identity_provider": "https://sigstore.verify.ibm.com/oauth2""#
        try pin("{\(identity)}")
        let ok = try verify()
        #expect(ok.status == 0, "\(ok.stdout)\n\(ok.stderr)")
        #expect(ok.stdout.contains("stefanb@us.ibm.com"), "\(ok.stdout)")
        // A root that does not cover the certificate, from each place a root can be named.
        for (extra, environment) in [(["--trusted-root", dir.file("registry/bare-root.json")], [:]),
                                     ([], ["MODELCTL_TRUSTED_ROOT": dir.file("registry/bare-root.json")])] {
            let refused = try verify(extra, environment: environment)
            #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stdout.contains("Fulcio") || refused.stdout.contains("SCT"), "\(refused.stdout)")
        }
        try pin(#"{\#(identity), "trusted_root": "bare-root.json"}"#)
        #expect(try verify().status == 2)
        try pin(#"{"identity": "someone@example.com", "identity_provider": "https://sigstore.verify.ibm.com/oauth2"}"#)
        let wrong = try verify()
        #expect(wrong.status == 2, "\(wrong.stdout)\n\(wrong.stderr)")
        #expect(wrong.stdout.contains("identity"), "\(wrong.stdout)")
    }

    @Test("verify of an unlocked entry that pins a signer says its digests were recorded without a check, in text and JUnit")
    func unlockedPinnedEntryWarns() throws {
        let x = try Fixture(signer: #"{"certificate_chain": "ca/ca.pem"}"#)
        let junit = x.f.dir.file("verify.xml")
        let result = try modelctl(["verify", "signed", "--registry-dir", x.f.registry, "--junit", junit])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("pins a signer but is not locked"), "\(result.stderr)")
        #expect(result.stderr.contains("--signature BUNDLE"), "\(result.stderr)")
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("pins a signer but is not locked"))
    }

    @Test("a path checked while the registry cannot be read says so: no entry's pins are read for it")
    func unreadableRegistryWithPath() throws {
        let dir = TemporaryDirectory("signer-unreadable")
        try dir.write("registry/model_registry.curated.json", "{not json")
        let fixtures = repositoryRoot + "/fixtures/model-signing"
        let result = try modelctl(["--registry-dir", dir.file("registry"), "verify", fixtures + "/tree", "--signature", fixtures + "/tree/model.sig",
                                   "--public-key", fixtures + "/keys/p256.pub.pem"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("cannot be read") && result.stderr.contains("without any entry's pins"), "\(result.stderr)")
        // A name that is no path still fails on the registry.
        let named = try modelctl(["--registry-dir", dir.file("registry"), "verify", "some-entry", "--signature", fixtures + "/tree/model.sig"])
        #expect(named.status == 1, "\(named.stderr)")
    }

    @Test("a malformed signer is an error naming the entry and the field, for verify, activate-model and check alike")
    func malformedSigner() throws {
        let x = try Fixture(signer: #"{"certificate_chain": "ca/ca.pem"}"#)
        try x.pin(#"{"certificate_chain": "ca/ca.pem", "identity": "someone"}"#)
        for result in [try x.verify(), try x.activate().result, try modelctl(["check", "--registry-dir", x.f.registry])] {
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("entry \"signed\""))
            #expect(result.stderr.contains("version_lock.signer"))
        }
        #expect(try x.activate().launched == false)
    }
}
