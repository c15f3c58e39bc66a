import Foundation
import Testing
import TestSupport

/// `modelctl sign --shard-size` and `verify --signature` with model_signing's shards bundles.
struct ShardSignatureTests {
    static let fixtures = repositoryRoot + "/fixtures/model-signing"
    static let mib = 1 << 20

    @Test("sign --shard-size 1M signs shards; verify --signature passes, then names the file and byte range of one changed byte (exit 2)")
    func signAndVerifyShards() throws {
        let dir = TemporaryDirectory()
        let big = (0..<(5 * Self.mib / 2)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        try dir.write("m/big.bin", Data(big))
        try dir.write("m/config.json", "{}")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/keys/p256.pem", toPath: dir.file("key.pem"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.file("key.pem"))
        let pub = Self.fixtures + "/keys/p256.pub.pem"

        let signed = try modelctl(["sign", dir.file("m"), "--key", dir.file("key.pem"), "--shard-size", "1M", "--json"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(signed.stdout.utf8)) as? [String: Any]
        #expect(record?["shard_size"] as? Int == Self.mib)
        #expect(record?["shard_count"] as? Int == 4)  // big.bin in three shards, config.json in one

        let ok = try modelctl(["verify", dir.file("m"), "--signature", dir.file("m/model.sig"), "--public-key", pub])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("shards    4 signed, 4 found"), "\(ok.stdout)")

        var changed = big
        changed[3 * Self.mib / 2] ^= 0x40
        try dir.write("m/big.bin", Data(changed))
        let bad = try modelctl(["verify", dir.file("m"), "--signature", dir.file("m/model.sig"), "--public-key", pub, "--json"])
        #expect(bad.status == 2, "\(bad.stderr)")
        #expect(bad.stderr.contains("big.bin bytes 1048576-2097151 changed"), "\(bad.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any]
        let change = (object?["changed"] as? [[String: Any]])?.first
        #expect(change?["path"] as? String == "big.bin:1048576:2097152")
        #expect(change?["file"] as? String == "big.bin")
        #expect(change?["changed_bytes"] as? [[Int]] == [[Self.mib, 2 * Self.mib]])
    }

    @Test("model_signing's shards bundle verifies; its blake2 one is refused naming the hash type (exit 1); a shard size below 1M is a usage error")
    func fixturesAndLimits() throws {
        let pub = Self.fixtures + "/keys/p256.pub.pem", tree = Self.fixtures + "/shards/tree"
        let ok = try modelctl(["verify", tree, "--signature", Self.fixtures + "/shards/model.sig", "--public-key", pub])
        #expect(ok.status == 0, "\(ok.stderr)")
        let blake = try modelctl(["verify", tree, "--signature", Self.fixtures + "/shards/blake2.sig", "--public-key", pub])
        #expect(blake.status == 1)
        #expect(blake.stderr.contains("hash type \"blake2b\" is not supported"), "\(blake.stderr)")
        let dir = TemporaryDirectory()
        let small = try modelctl(["sign", tree, "--key", Self.fixtures + "/keys/p256.pem", "--shard-size", "4K", "--output", dir.file("x.sig")])
        #expect(small.status == 64, "\(small.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.sig")))
    }
}
