import ArtifactHashing
import Foundation
@testable import ModelSigning
import Testing
import TestSupport

/// What model_signing 0.2 wrote, read as model_signing 1.1.1 reads it, and `--ignore-paths`.
@Suite struct LegacyBundleTests {
    static let upstream = fixtures + "/upstream"

    @Test("the 0.2 pre-authentication encoding is Python's repr of the payload after `DSSEV1`, quotes chosen as Python chooses them")
    func compatEncoding() {
        let prefix = "DSSEV1 28 application/vnd.in-toto+json "
        // The expected texts are what Python 3 prints for f"{payload}".
        let cases: [([UInt8], String)] = [
            (Array("a'b\"c\\\n\t\r".utf8) + [0x00, 0x7F, 0xFF] + Array("{}".utf8), #"b'a\'b"c\\\n\t\r\x00\x7f\xff{}'"#),
            (Array("it's".utf8), #"b"it's""#),
            (Array("plain".utf8), "b'plain'"),
        ]
        for (payload, repr) in cases {
            let expected = prefix + "\(payload.count) " + repr
            #expect(String(decoding: ModelSigningFormat.preAuthenticationEncodingV02(payload), as: UTF8.self) == expected)
        }
    }

    /// A 0.2 statement: each file a subject.
    func statement(_ subjects: String) -> [UInt8] {
        Array(#"{"_type": "https://in-toto.io/Statement/v1", "subject": [\#(subjects)], "predicateType": "https://model_signing/Digests/v0.1", "predicate": {"unused": "x"}}"#.utf8)
    }

    @Test("a 0.2 statement lists its subjects as the signed files, without links or ignored paths; a bad digest or a file listed twice is malformed")
    func compatStatement() throws {
        let digest = String(repeating: "ab", count: 32)
        let decoded = try SignedStatement.decode(statement(#"{"name": "b/c", "digest": {"sha256": "\#(digest)"}, "annotations": {"actual_hash_algorithm": "file-sha256"}}, {"name": "a", "digest": {"sha256": "\#(digest.uppercased())"}}"#), source: "s")
        #expect(decoded.resources.map(\.path) == ["b/c", "a"])
        #expect(decoded.resources.allSatisfy { $0.sha256 == digest })
        #expect(!decoded.allowSymlinks && decoded.ignorePaths.isEmpty)
        #expect(throws: SigningError(.bundleMalformed, "")) {
            try SignedStatement.decode(statement(#"{"name": "a", "digest": {"sha1": "\#(digest)"}}"#), source: "s")
        }
        #expect(throws: SigningError(.bundleMalformed, "")) {
            try SignedStatement.decode(statement(#"{"name": "a", "digest": {"sha256": "\#(digest)"}}, {"name": "a", "digest": {"sha256": "\#(digest)"}}"#), source: "s")
        }
    }

    @Test("a 0.2 statement without subjects is malformed: signed, it would pass an empty tree (a failed mount) as OK")
    func compatStatementWithoutSubjects() async throws {
        #expect(throws: SigningError(.bundleMalformed, "")) { try SignedStatement.decode(statement(""), source: "s") }
        // Through the verifier: the statement signed with the test key, an empty model directory.
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        let key = try ECKey.loadPrivate(path: fixture("keys/p256.pem"))
        let payload = statement("")
        let bundle = SignatureBundle(payload: payload, signature: try key.sign(ModelSigningFormat.preAuthenticationEncoding(payload)),
                                     material: .publicKey(hint: nil))
        try Data(bundle.encoded()).write(to: URL(fileURLWithPath: dir.file("empty.sig")))
        await #expect(throws: SigningError(.bundleMalformed, "")) {
            try await ModelSignatureVerifier(jobs: 1).verify(root: dir.file("empty"), bundlePath: dir.file("empty.sig"),
                                                             trust: .publicKey(.file(fixture("keys/p256.pub.pem"))))
        }
    }

    @Test("model_signing 0.2's certificate bundle verifies through the library; a flipped payload byte does not")
    func compatBundle() async throws {
        let trust = SignatureTrust.certificateChain(paths: [Self.upstream + "/keys/certificate/ca-cert.pem"])
        let root = Self.upstream + "/v0.2.0-certificate"
        let outcome = try await ModelSignatureVerifier(jobs: 1).verify(root: root, bundlePath: root + "/model.sig", trust: trust)
        #expect(outcome.isVerified)
        #expect(outcome.statement?.resources.map(\.path) == ["signme-1", "signme-2"])
        // Another file name in the payload: neither encoding verifies any more.
        let dir = TemporaryDirectory()
        let text = try String(contentsOfFile: root + "/model.sig", encoding: .utf8)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var envelope = try #require(object["dsseEnvelope"] as? [String: Any])
        let encoded = try #require(envelope["payload"] as? String)
        let payload = try #require(Data(base64Encoded: encoded))
        envelope["payload"] = Data(String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "signme-2", with: "signme-3").utf8).base64EncodedString()
        var altered = object
        altered["dsseEnvelope"] = envelope
        let path = dir.file("model.sig")
        try JSONSerialization.data(withJSONObject: altered).write(to: URL(fileURLWithPath: path))
        let tampered = try await ModelSignatureVerifier(jobs: 1).verify(root: root, bundlePath: path, trust: trust)
        #expect(!tampered.signatureVerified)
    }

    @Test("--ignore-paths: a path under the model (from the working directory or absolute) or relative to it; nothing outside")
    func ignoredPathForms() throws {
        let dir = TemporaryDirectory()
        _ = try dir.write("m/sub/x", "x")
        #expect(IgnoredPaths.relative(dir.file("m/sub/x"), toModel: dir.file("m")) == "sub/x")
        #expect(IgnoredPaths.relative(dir.file("m/./sub/"), toModel: dir.file("m")) == "sub")
        #expect(IgnoredPaths.relative("sub/x", toModel: dir.file("m")) == "sub/x")
        #expect(IgnoredPaths.relative("./sub//x", toModel: dir.file("m")) == "sub/x")
        #expect(IgnoredPaths.relative(dir.file("other"), toModel: dir.file("m")) == nil)
        #expect(IgnoredPaths.relative("../x", toModel: dir.file("m")) == nil)
        #expect(IgnoredPaths.relative(dir.file("m"), toModel: dir.file("m")) == nil)
        #expect(IgnoredPaths.relative(".", toModel: dir.file("m")) == nil)
    }
}
