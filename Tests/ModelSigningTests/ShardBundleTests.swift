import ArtifactHashing
import ErrorSupport
import Foundation
@testable import ModelSigning
import Testing
import TestSupport

/// model_signing's `shards` serialization, against `fixtures/model-signing/shards/`: a tree and
/// bundles made by model_signing 1.1.1's library API with shard size 4096 (see generate.sh).
@Suite struct ShardBundleTests {
    static let publicKey = PublicKeyPEM.file(fixture("keys/p256.pub.pem"))

    /// A copy of the shards fixture tree at `dir/tree`.
    func copyShardTree(into dir: TemporaryDirectory) throws -> String {
        try FileManager.default.copyItem(atPath: fixture("shards/tree"), toPath: dir.file("tree"))
        return dir.file("tree")
    }

    @Test("modelctl verifies the shards bundle model_signing's library wrote (shard_size 4096.0, algorithm sha256-sharded-4096)")
    func verifiesModelSigningShards() async throws {
        let outcome = try await ModelSignatureVerifier().verify(root: fixture("shards/tree"), bundlePath: fixture("shards/model.sig"), trust: .publicKey(Self.publicKey))
        try outcome.check()
        let statement = try #require(outcome.statement)
        #expect(statement.shardSize == 4096)
        // weights.bin (10,000 bytes) in three shards; the empty file in none.
        #expect(statement.resources.map(\.path) == [
            "config.json:0:36", "tokenizer/vocab.txt:0:12", "tokenizer-extra.txt:0:5",
            "weights.bin:0:4096", "weights.bin:4096:8192", "weights.bin:8192:10000",
        ])
        #expect(outcome.filesChecked == 6)
    }

    @Test("one changed byte fails with the file and the shard's byte range named")
    func oneByteNamesRange() async throws {
        let dir = TemporaryDirectory()
        let tree = try copyShardTree(into: dir)
        var weights = try bytes(tree + "/weights.bin")
        weights[5000] ^= 1
        try Data(weights).write(to: URL(fileURLWithPath: tree + "/weights.bin"))
        let outcome = try await ModelSignatureVerifier().verify(root: tree, bundlePath: fixture("shards/model.sig"), trust: .publicKey(Self.publicKey))
        #expect(outcome.signatureVerified && !outcome.isVerified)
        #expect(outcome.diff?.changed.map(\.path) == ["weights.bin:4096:8192"])
        #expect(outcome.diff?.missing.isEmpty == true && outcome.diff?.added.isEmpty == true)
        let failure = try #require(outcome.failure)
        #expect(failure.code == .digestMismatch && failure.severity == .integrityFailure)
        #expect(failure.message.contains("weights.bin bytes 4096-8191 changed"), "\(failure.message)")
    }

    @Test("the shards statement modelctl makes is model_signing's byte for byte (keys sorted, shard_size an integer), and its bundle verifies")
    func statementMatchesModelSigning() async throws {
        let ours = try await SignedStatement.hashing(root: fixture("shards/tree"), shardSize: 4096)
        #expect(ours.encoded() == (try bytes(fixture("shards/statement.canonical.json"))))
        // model_signing's own payload (shard_size 4096.0, keys in its order) reads as the same statement.
        var theirs = try SignedStatement.decode(try envelope(fixture("shards/model.sig")).payload, source: "model.sig")
        theirs.ignorePaths.sort()  // in Python set order
        #expect(theirs == ours)

        let dir = TemporaryDirectory()
        let tree = try copyShardTree(into: dir)
        let record = try await ModelSigner().sign(root: tree, privateKeyPEMPath: try copyKey("p256.pem", into: dir), output: dir.file("ours.sig"), shardSize: 4096)
        #expect(try envelope(record.bundlePath).payload == (try bytes(fixture("shards/statement.canonical.json"))))
        try await ModelSignatureVerifier().verify(root: tree, bundlePath: record.bundlePath, trust: .publicKey(Self.publicKey)).check()
    }

    @Test("shards end at each multiple of the shard size and at the end of the file; each is the SHA-256 of its bytes")
    func shardBoundaries() async throws {
        let dir = TemporaryDirectory()
        let exact = (0..<8192).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 300) }
        try dir.write("m/exact.bin", Data(exact))
        try dir.write("m/small.txt", "x")
        let statement = try await SignedStatement.hashing(root: dir.file("m"), shardSize: 4096)
        #expect(statement.resources.map(\.path) == ["exact.bin:0:4096", "exact.bin:4096:8192", "small.txt:0:1"])
        #expect(statement.resources.map(\.sha256) == [
            SHA256Digest.hex(of: Array(exact[0..<4096])), SHA256Digest.hex(of: Array(exact[4096...])), SHA256Digest.hex(of: Array("x".utf8)),
        ])
        // A single file is named ".", as model_signing names it.
        let single = try await SignedStatement.hashing(root: dir.file("m/exact.bin"), shardSize: 4096)
        #expect(single.resources.map(\.path) == [".:0:4096", ".:4096:8192"])
    }

    @Test("files of 1 MiB shards, settled for 2 s, are checked shard by shard in parallel: a match passes and one changed byte is named with its range")
    func settledFilesCheckedByShards() async throws {
        let dir = TemporaryDirectory()
        let key = try copyKey("p256.pem", into: dir)
        let mib = 1 << 20
        let big = (0..<(5 * mib / 2)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 10) }
        var bundles: [String] = []
        for name in ["same", "changed"] {
            try dir.write(name + "/big.bin", Data(big))
            try dir.write(name + "/config.json", "{}")
            bundles.append(try await ModelSigner().sign(root: dir.file(name), privateKeyPEMPath: key, output: dir.file(name + ".sig"), shardSize: Int64(mib)).bundlePath)
        }
        var changed = big
        changed[2 * mib + 5] ^= 1
        try dir.write("changed/big.bin", Data(changed))
        // A file changed in the last 2 s is read whole (it may still be being written); after
        // that its shards are checked against the signed ones.
        try await Task.sleep(for: .milliseconds(2100))
        let same = try await ModelSignatureVerifier(jobs: 4).verify(root: dir.file("same"), bundlePath: bundles[0], trust: .publicKey(Self.publicKey))
        try same.check()
        #expect(same.filesChecked == 4)
        let outcome = try await ModelSignatureVerifier(jobs: 4).verify(root: dir.file("changed"), bundlePath: bundles[1], trust: .publicKey(Self.publicKey))
        #expect(outcome.diff?.changed.map(\.path) == ["big.bin:2097152:2621440"])
        #expect(outcome.failure?.message.contains("big.bin bytes 2097152-2621439 changed") == true, "\(outcome.failure?.message ?? "")")
        // A model that is one file is checked by its shards too.
        let single = try await ModelSigner().sign(root: dir.file("same/big.bin"), privateKeyPEMPath: key, output: dir.file("single.sig"), shardSize: Int64(mib))
        #expect(single.statement.resources.map(\.path) == [".:0:1048576", ".:1048576:2097152", ".:2097152:2621440"])
        try await ModelSignatureVerifier().verify(root: dir.file("same/big.bin"), bundlePath: single.bundlePath, trust: .publicKey(Self.publicKey)).check()
    }

    @Test("the signed shards of each file are what the hasher checks: files covered exactly, by their manifest path")
    func shardExpectations() async throws {
        let dir = TemporaryDirectory()
        let mib = 1 << 20
        try dir.write("m/big.bin", Data(count: 3 * mib))
        try dir.write("m/small.txt", "x")
        let statement = try await SignedStatement.hashing(root: dir.file("m"), shardSize: Int64(mib))
        let expected = statement.shardExpectations(root: dir.file("m"))
        #expect(expected.keys.sorted() == ["big.bin", "small.txt"])
        #expect(expected["big.bin"]?.fileSize == Int64(3 * mib) && expected["big.bin"]?.shards.sha256.count == 3)
        // A statement missing a middle shard does not stand for the file: it is hashed whole.
        var gap = statement
        gap.resources.removeAll { $0.path == "big.bin:1048576:2097152" }
        #expect(gap.shardExpectations(root: dir.file("m"))["big.bin"] == nil)
    }

    @Test("a hash type other than sha256 is refused naming it, as an error (exit 1), not a mismatch")
    func otherHashTypeRefused() async throws {
        let error = await #expect(throws: SigningError(.bundleUnsupported, "")) {
            try await ModelSignatureVerifier().verify(root: fixture("shards/tree"), bundlePath: fixture("shards/blake2.sig"), trust: .publicKey(Self.publicKey))
        }
        #expect(error?.message.contains("hash type \"blake2b\"") == true, "\(error?.message ?? "")")
        #expect(error?.severity == .error)
    }

    @Test("a shards statement needs a whole shard_size of at least 4 KiB, sha256-sharded-N digests and path:start:end names",
          arguments: [
              ("\"shard_size\": 4096", "\"shard_size\": 4096.5"),
              ("\"shard_size\": 4096", "\"shard_size\": 1024"),
              ("\"shard_size\": 4096", "\"shard_size\": \"4096\""),
              ("\"sha256-sharded-4096\"", "\"sha256\""),
              ("\"config.json:0:36\"", "\"config.json\""),
          ])
    func malformedShardStatements(_ find: String, _ replace: String) async throws {
        let statement = try await SignedStatement.hashing(root: fixture("shards/tree"), shardSize: 4096)
        let text = String(decoding: statement.encoded(), as: UTF8.self)
        #expect(text.contains(find))
        let edited = text.replacingOccurrences(of: find, with: replace)
        #expect(throws: SigningError(.bundleMalformed, "")) { try SignedStatement.decode(Array(edited.utf8), source: "x") }
        #expect(try SignedStatement.decode(Array(text.replacingOccurrences(of: "\"shard_size\": 4096", with: "\"shard_size\": 4096.0").utf8), source: "x") == statement)
    }

    @Test("signing shards refuses a file name with a colon, which a path:start:end name cannot carry for model_signing")
    func colonRefused() async throws {
        let dir = TemporaryDirectory()
        try dir.write("m/a:b.bin", "data")
        try dir.write("m/c:", "trailing colon")
        let key = try copyKey("p256.pem", into: dir)
        let error = await #expect(throws: SigningError(.hashingFailed, "")) {
            try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: key, output: dir.file("m.sig"), shardSize: 4096)
        }
        #expect(error?.message.contains("a:b.bin") == true, "\(error?.message ?? "")")
        try FileManager.default.removeItem(atPath: dir.file("m/a:b.bin"))
        await #expect(throws: SigningError(.hashingFailed, "")) {
            try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: key, output: dir.file("m.sig"), shardSize: 4096)
        }
        // Per file, the same tree signs.
        _ = try await ModelSigner().sign(root: dir.file("m"), privateKeyPEMPath: key, output: dir.file("m.sig"))
    }
}
