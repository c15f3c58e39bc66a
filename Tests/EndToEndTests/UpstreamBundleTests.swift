import Foundation
import Testing
import TestSupport

/// Every key and certificate bundle model_signing has shipped (0.2 to 1.1), checked as its own
/// CI checks them (scripts/tests/test-verify-*.sh): copied to a scratch directory, verified
/// from there with the paths that script uses, then with a signed file changed.
struct UpstreamBundleTests {
    static let upstream = CertificateSignatureTests.upstream
    static let keys = upstream + "/keys/certificate"

    /// One upstream test model and how model_signing's CI verifies it.
    struct Case: Sendable, CustomStringConvertible {
        /// The directory under fixtures/model-signing/upstream.
        var name: String
        /// What is verified, relative to the scratch directory: the model directory, or a file in it.
        var target: String
        /// `--certificate-chain` (true) or `--public-key` (false).
        var certificate: Bool
        /// `--ignore-paths`, as the CI script writes them (relative to the working directory).
        var ignorePaths: [String] = []
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "v0.2.0-certificate", target: "v0.2.0-certificate/", certificate: true),
        Case(name: "v0.3.1-certificate", target: "v0.3.1-certificate/", certificate: true),
        Case(name: "v0.3.1-elliptic-key", target: "v0.3.1-elliptic-key/signme-1", certificate: false),
        Case(name: "v1.0.0-certificate", target: "v1.0.0-certificate/", certificate: true),
        Case(name: "v1.0.0-elliptic-key", target: "v1.0.0-elliptic-key/signme-1", certificate: false),
        Case(name: "v1.0.1-certificate", target: "v1.0.1-certificate/", certificate: true, ignorePaths: ["./v1.0.1-certificate/ignore-me"]),
        Case(name: "v1.0.1-elliptic-key", target: "v1.0.1-elliptic-key", certificate: false, ignorePaths: ["./v1.0.1-elliptic-key/ignore-me"]),
        Case(name: "v1.1.0-certificate", target: "v1.1.0-certificate/", certificate: true),
        Case(name: "v1.1.0-elliptic-key", target: "v1.1.0-elliptic-key", certificate: false, ignorePaths: ["./v1.1.0-elliptic-key/ignore-me"]),
    ]

    @Test("each model_signing release's key and certificate bundle verifies offline; a changed signed file fails with exit 2", arguments: cases)
    func verifies(_ c: Case) throws {
        let dir = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: Self.upstream + "/" + c.name, toPath: dir.file(c.name))
        let trust = c.certificate ? ["--certificate-chain", Self.keys + "/ca-cert.pem"] : ["--public-key", Self.keys + "/signing-key-pub.pem"]
        let arguments = ["verify", c.target, "--signature", c.name + "/model.sig", "--json"] + trust + c.ignorePaths.flatMap { ["--ignore-paths", $0] }
        let ok = try modelctl(arguments, currentDirectory: dir.path)
        #expect(ok.status == 0, "\(ok.stdout)\n\(ok.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "ok")
        #expect((object?["files_signed"] as? Int ?? 0) >= 1)
        try dir.write(c.name + "/signme-1", "changed\n")
        let changed = try modelctl(arguments, currentDirectory: dir.path)
        #expect(changed.status == 2, "\(changed.stdout)\n\(changed.stderr)")
        let failed = try JSONSerialization.jsonObject(with: Data(changed.stdout.utf8)) as? [String: Any]
        #expect(failed?["status"] as? String == "digest_mismatch")
        let paths = (failed?["changed"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
        #expect(paths == [c.target.hasSuffix("signme-1") ? "." : "signme-1"])
    }

    @Test("bundles older than 1.1 record no ignore paths: without --ignore-paths the extra file is reported added (exit 2); relative to the model it is left out")
    func ignorePathsNeeded() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: Self.upstream + "/v1.0.1-certificate", toPath: dir.file("m"))
        let base = ["verify", dir.file("m"), "--signature", dir.file("m/model.sig"), "--certificate-chain", Self.keys + "/ca-cert.pem"]
        let without = try modelctl(base)
        #expect(without.status == 2)
        #expect(without.stdout.contains("added    ignore-me"))
        // Relative to the model directory, from another working directory.
        let relative = try modelctl(base + ["--ignore-paths", "ignore-me"], currentDirectory: "/")
        #expect(relative.status == 0, "\(relative.stderr)")
        #expect(relative.stdout.contains("files     2 signed, 2 found"))
        // An absolute path under the model is taken too; one outside it is a usage error.
        #expect(try modelctl(base + ["--ignore-paths", dir.file("m/ignore-me")]).status == 0)
        let outside = try modelctl(base + ["--ignore-paths", "/etc/passwd"])
        #expect(outside.status == 64)
        #expect(outside.stderr.contains("--ignore-paths /etc/passwd: not a path inside the model directory"))
        let escape = try modelctl(base + ["--ignore-paths", "../elsewhere"], currentDirectory: "/")
        #expect(escape.status == 64)
        // --ignore-paths goes with --signature, and a model that is one file has nothing to leave out.
        #expect(try modelctl(["verify", dir.file("m"), "--ignore-paths", "ignore-me"]).status == 64)
        let file = try modelctl(["verify", dir.file("m/signme-1"), "--signature", dir.file("m/model.sig"),
                                 "--certificate-chain", Self.keys + "/ca-cert.pem", "--ignore-paths", "x"])
        #expect(file.status == 64)
    }

    @Test("sign --ignore-paths leaves the path out and records it, so the bundle verifies with the path present and changed")
    func signIgnorePaths() throws {
        let setup = try SignCommandTests.Setup()
        try setup.dir.write("tree/scratch.log", "noise\n")
        let sign = try modelctl(["sign", setup.tree, "--key", setup.key, "--ignore-paths", "scratch.log", "--json"])
        #expect(sign.status == 0, "\(sign.stderr)")
        let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.tree + "/model.sig"))) as? [String: Any]
        let encoded = try #require((bundle?["dsseEnvelope"] as? [String: Any])?["payload"] as? String)
        let data = try #require(Data(base64Encoded: encoded))
        let payload = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ignored = ((payload["predicate"] as? [String: Any])?["serialization"] as? [String: Any])?["ignore_paths"] as? [String]
        #expect(ignored?.contains("scratch.log") == true)
        let names = ((payload["predicate"] as? [String: Any])?["resources"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names?.contains("scratch.log") == false)
        try setup.dir.write("tree/scratch.log", "other noise\n")
        let ok = try modelctl(["verify", setup.tree, "--signature", setup.tree + "/model.sig", "--public-key", setup.pub])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
