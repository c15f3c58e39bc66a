import ArtifactHashing
import Foundation
import ModelRegistry
import ModelSigning
import OrderedJSON
import Testing
import TestSupport
import VersionLock

struct ActivationGateTests {
    /// A registry whose entry `m` is a copy of the bundled Hugging Face repository
    /// `models--acme--tiny-lm`, with the public key pinned as PEM text.
    private func fixture(lock: Bool) async throws -> (dir: TemporaryDirectory, gate: ActivationGate, snapshot: String) {
        let dir = TemporaryDirectory("gate")
        let repo = dir.file("hub/models--acme--tiny-lm")
        try FileManager.default.createDirectory(atPath: dir.file("hub"), withIntermediateDirectories: true)
        #expect(try runProcess("/bin/cp", ["-R", repositoryRoot + "/fixtures/hf-cache/hub/models--acme--tiny-lm", repo]).status == 0)
        let snapshot = repo + "/snapshots/5f1c0ffee0ddba11cafe0000000000000000a11c"
        let keys = repositoryRoot + "/fixtures/model-signing/keys"
        let bundle = dir.file("m.sig")
        _ = try await ModelSigner().sign(root: snapshot, privateKeyPEMPath: keys + "/p256.pem", output: bundle)
        let pem = try String(contentsOfFile: keys + "/p256.pub.pem", encoding: .utf8)
        let entry: JSONValue = .object(JSONObject([
            ("name", .string("m")), ("backend", .string("vllm")),
            ("backend_config", .object(JSONObject([("model_path", .string(repo))]))),
            ("version_lock", .object(JSONObject([("public_key", .string(pem)), ("signature", .object(JSONObject([("path", .string(bundle))])))]))),
        ]))
        try dir.write("registry/model_registry.curated.json", JSON.serialize(.array([entry])))
        let locker = VersionLocker(store: RegistryStore(directory: dir.file("registry")),
                                   source: ArtifactSource(registryDirectory: dir.file("registry"), context: LocationContext(home: nil, workingDirectory: "/")))
        if lock { _ = try await locker.lock("m", setExpected: true) }
        return (dir, ActivationGate(locker: locker), snapshot)
    }

    @Test("the gate passes a signed, locked repository and hands over the snapshot it verified, the key given as PEM text")
    func passesAndHandsOverVerifiedRoot() async throws {
        let (dir, gate, snapshot) = try await fixture(lock: true)
        _ = dir
        let entry = try gate.locker.store.load().entry(named: "m")
        let check = try await gate.check(entry)
        #expect(check.failure == nil, "\(check.failure?.message ?? "")")
        #expect(check.verified == true)
        #expect(check.signature?.isVerified == true)
        #expect(check.root == snapshot)
        let skipped = try await gate.check(entry, skipVerify: true)
        #expect(skipped.verified == false && skipped.verification == nil && skipped.failure == nil)
    }

    @Test("a file added to a signed snapshot is refused by the signature even when the entry is not locked")
    func signatureRefusesAddedFile() async throws {
        let (dir, gate, snapshot) = try await fixture(lock: false)
        _ = dir
        try "{}".write(toFile: snapshot + "/chat_template.jinja", atomically: false, encoding: .utf8)
        let check = try await gate.check(try gate.locker.store.load().entry(named: "m"))
        #expect(check.failure?.code == .refused)
        #expect(check.signature?.diff?.added.map(\.path) == ["chat_template.jinja"])
        #expect(check.verified == false)
    }

    @Test("a locked entry whose files changed is refused before any signature is read")
    func lockRefusesChange() async throws {
        let (dir, gate, snapshot) = try await fixture(lock: true)
        _ = dir
        try "x".write(toFile: snapshot + "/extra.txt", atomically: false, encoding: .utf8)
        let check = try await gate.check(try gate.locker.store.load().entry(named: "m"))
        #expect(check.failure?.code == .refused)
        #expect(check.verification?.hasViolation == true)
        #expect(check.signature == nil)
    }
}

struct PinnedTrustTests {
    func entry(_ lock: String) throws -> RegistryEntry {
        let text = #"{"name": "m", "version_lock": \#(lock)}"#
        let object = try #require(try JSON.parse(text, source: "test").objectValue)
        return try RegistryEntry(object, source: "test")
    }

    let source = ArtifactSource(registryDirectory: "/reg", context: LocationContext(home: nil, workingDirectory: "/work"))

    @Test("an entry's pins become the trust its signature is checked against, paths resolved against the registry directory")
    func pinnedTrust() throws {
        guard case .certificateChain(let paths)? = SignatureTrust.pinned(by: try entry(#"{"signer": {"certificate_chain": ["ca.pem", "/etc/ca/int.pem"]}}"#), registry: source) else {
            Issue.record("expected a certificate chain")
            return
        }
        #expect(paths == ["/reg/ca.pem", "/etc/ca/int.pem"])
        guard case .sigstore(let signer)? = SignatureTrust.pinned(by: try entry(#"{"signer": {"identity": "a@b.c", "identity_provider": "https://issuer", "trusted_root": "root.json"}}"#), registry: source) else {
            Issue.record("expected a Sigstore signer")
            return
        }
        #expect(signer == SigstoreSigner(identity: "a@b.c", identityProvider: "https://issuer", trustedRootPath: "/reg/root.json"))
        guard case .publicKey(.file(let key))? = SignatureTrust.pinned(by: try entry(#"{"public_key": "keys/k.pem"}"#), registry: source) else {
            Issue.record("expected a public key")
            return
        }
        #expect(key == "/reg/keys/k.pem")
        #expect(SignatureTrust.pinned(by: try entry(#"{"locked": true}"#), registry: source) == nil)
    }
}
