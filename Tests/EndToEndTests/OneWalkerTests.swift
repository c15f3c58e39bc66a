import Foundation
import Testing
import TestSupport

/// Lock, verify, sign and `hash --format model-signing` walk a tree the one same way.
struct OneWalkerTests {
    static let keys = repositoryRoot + "/fixtures/model-signing/keys"

    /// A registry with entry `m` on `models/m`: a top-level `.git/` and `.cache/huggingface/`,
    /// a link to a file inside and one to a file outside, and `notes.md` excluded by name.
    private func fixture(exclude: [String] = []) throws -> (dir: TemporaryDirectory, tree: String, args: [String]) {
        let dir = TemporaryDirectory("e2e-walker")
        try dir.write("models/m/weights.bin", String(repeating: "w", count: 3000))
        try dir.write("models/m/sub/config.json", "{}")
        try dir.write("models/m/.git/HEAD", "ref: refs/heads/main")
        try dir.write("models/m/.cache/huggingface/download/weights.bin.metadata", "etag")
        try dir.write("models/m/notes.md", "excluded by name")
        try dir.write("models/m/original/consolidated.pth", "excluded with its directory")
        try dir.write("outside/blob", "linked bytes")
        try FileManager.default.createSymbolicLink(atPath: dir.file("models/m/sub/inner-link"), withDestinationPath: "../weights.bin")
        try FileManager.default.createSymbolicLink(atPath: dir.file("models/m/outer-link"), withDestinationPath: dir.file("outside/blob"))
        let excluded = exclude.map { "\"\($0)\"" }.joined(separator: ", ")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/m"))"}, "artifacts": {"exclude": [\(excluded)]}}]
            """)
        return (dir, dir.file("models/m"), ["--registry-dir", dir.file("registry")])
    }

    private func signedPaths(_ statement: String) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(statement.utf8)) as? [String: Any]
        let resources = (object?["predicate"] as? [String: Any])?["resources"] as? [[String: Any]] ?? []
        return resources.compactMap { $0["name"] as? String }.sorted()
    }

    @Test("lock, verify, sign and hash --format model-signing agree on the file set of a tree with tool metadata, exclusions and links")
    func fourAgree() throws {
        let (dir, tree, args) = try fixture(exclude: ["notes.md", "original/**"])
        _ = dir
        #expect(try modelctl(["lock", "m", "--set-expected"] + args).status == 0)
        let sign = try modelctl(["sign", "m", "--key", Self.keys + "/p256.pem", "--json"] + args)
        #expect(sign.status == 0, "\(sign.stderr)")
        let statement = try modelctl(["hash", "--entry", "m", "--format", "model-signing"] + args)
        let locked = try modelctl(["hash", "--entry", "m"] + args).stdout.split(separator: "\n").map { String($0.dropFirst(66)) }.sorted()
        let expected = ["outer-link", "sub/config.json", "sub/inner-link", "weights.bin"]
        #expect(locked == expected)
        #expect(try signedPaths(statement.stdout) == expected)
        #expect(sign.stdout.contains("\"file_count\": 4"))
        #expect(try modelctl(["verify", "m"] + args).status == 0)
        let checked = try modelctl(["verify", "m", "--signature", tree + "/model.sig", "--public-key", Self.keys + "/p256.pub.pem", "--json"] + args)
        #expect(checked.status == 0, "\(checked.stdout)")
        #expect(checked.stdout.contains("\"files_found\": 4"))
        // An excluded file may change under both the lock and the signature.
        try dir.write("models/m/notes.md", "edited")
        #expect(try modelctl(["verify", "m"] + args).status == 0)
        #expect(try modelctl(["verify", "m", "--signature", tree + "/model.sig", "--public-key", Self.keys + "/p256.pub.pem"] + args).status == 0)
    }

    @Test("an exclusion no model_signing ignore path can express is refused for signing, naming the pattern")
    func globExclusionRefusedForSigning() throws {
        let (dir, _, args) = try fixture(exclude: ["**/*.md"])
        _ = dir
        let sign = try modelctl(["sign", "m", "--key", Self.keys + "/p256.pem"] + args)
        #expect(sign.status == 1 && sign.stderr.contains("'**/*.md' cannot be written as a model_signing ignore path"), "\(sign.stderr)")
    }

    @Test("a FIFO, a link to /dev/null or a linked directory in a locked, signed tree fails verify and verify --signature with exit 2, naming it",
          arguments: ["fifo", "devnull", "linkeddir"])
    func specialFilesFail(kind: String) throws {
        let (dir, tree, args) = try fixture()
        #expect(try modelctl(["lock", "m", "--set-expected"] + args).status == 0)
        #expect(try modelctl(["sign", "m", "--key", Self.keys + "/p256.pem"] + args).status == 0)
        let name = kind == "fifo" ? "generation_config.json" : kind == "devnull" ? "chat_template.jinja" : "extra"
        switch kind {
        case "fifo": #expect(mkfifo(tree + "/" + name, 0o644) == 0)
        case "devnull": try FileManager.default.createSymbolicLink(atPath: tree + "/" + name, withDestinationPath: "/dev/null")
        default: try FileManager.default.createSymbolicLink(atPath: tree + "/" + name, withDestinationPath: dir.file("outside"))
        }
        let verify = try modelctl(["verify", "m"] + args)
        #expect(verify.status == 2, "\(verify.stdout) \(verify.stderr)")
        #expect((verify.stdout + verify.stderr).contains(tree + "/" + name))
        let signature = try modelctl(["verify", "m", "--signature", tree + "/model.sig", "--public-key", Self.keys + "/p256.pub.pem"] + args)
        #expect(signature.status == 2, "\(signature.stdout) \(signature.stderr)")
        #expect(signature.stderr.contains(tree + "/" + name))
        let hash = try modelctl(["hash", tree])
        #expect(hash.status == 1 && hash.stderr.contains(tree + "/" + name), "\(hash.stderr)")
        try dir.write("registry/model_registry.discovered.json", "[]")
        let lock = try modelctl(["lock", "m", "--set-expected"] + args)
        #expect(lock.status == 1 && lock.stderr.contains(tree + "/" + name), "\(lock.stderr)")
    }

    @Test("a special file excluded by name in artifacts.exclude is left out: the lock still verifies")
    func excludedByName() throws {
        let (dir, tree, args) = try fixture(exclude: ["generation_config.json"])
        _ = dir
        #expect(try modelctl(["lock", "m", "--set-expected"] + args).status == 0)
        #expect(mkfifo(tree + "/generation_config.json", 0o644) == 0)
        let verify = try modelctl(["verify", "m"] + args)
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    @Test("allow_symlinks: false is honoured: a signed file replaced by a link to an identical copy outside the tree fails with exit 2")
    func allowSymlinksFalse() throws {
        let dir = TemporaryDirectory("e2e-nolinks")
        try dir.write("m/weights.bin", "weights")
        try dir.write("copy/weights.bin", "weights")
        let sign = try modelctl(["sign", dir.file("m"), "--key", Self.keys + "/p256.pem"])
        #expect(sign.status == 0, "\(sign.stderr)")
        let verify = ["verify", dir.file("m"), "--signature", dir.file("m/model.sig"), "--public-key", Self.keys + "/p256.pub.pem"]
        #expect(try modelctl(verify).status == 0)
        try FileManager.default.removeItem(atPath: dir.file("m/weights.bin"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/weights.bin"), withDestinationPath: dir.file("copy/weights.bin"))
        let linked = try modelctl(verify)
        #expect(linked.status == 2, "\(linked.stdout) \(linked.stderr)")
        #expect(linked.stderr.contains("allow_symlinks: false") && linked.stdout.contains("problem   the signed statement says allow_symlinks: false"))
    }
}
