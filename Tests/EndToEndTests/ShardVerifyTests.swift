import Foundation
import Testing
import TestSupport

/// lock --shard-size records shard digests; verify checks them and names the changed bytes.
struct ShardVerifyTests {
    @Test("lock --shard-size 1M records shards; a one-byte change is reported with its shard's byte range in text, JSON and JUnit; a truncated file is reported")
    func shardedLockAndVerify() async throws {
        let f = try CLIFixture()
        var data = Data((0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) })
        try f.dir.write("models/b/weights.bin", data)
        #expect(try f.run(["lock", "model-b", "--set-expected", "--shard-size", "1Q"]).status == 64)
        let lock = try f.run(["lock", "model-b", "--set-expected", "--shard-size", "1M"])
        #expect(lock.status == 0, "\(lock.stderr)")
        let shown = try JSONSerialization.jsonObject(with: Data(try f.run(["show", "model-b"]).stdout.utf8)) as? [String: Any]
        let files = try #require((shown?["artifacts"] as? [String: Any])?["files"] as? [[String: Any]])
        let shards = try #require(files.first?["shards"] as? [String: Any])
        #expect(shards["size"] as? Int == 1 << 20)
        #expect((shards["sha256"] as? [String])?.count == 8)
        #expect(files.first?["sha256"] as? String == (try sha256sumOf(f.dir.file("models/b/weights.bin"))))

        try await Task.sleep(for: .milliseconds(2100))
        #expect(try f.run(["verify", "model-b"]).status == 0)
        // The verify keeps the shards it checked.
        #expect(f.registryBytes().values.contains { String(decoding: $0, as: UTF8.self).contains("\"shards\"") })

        data[(5 << 20) + 777] ^= 0x80
        try f.dir.write("models/b/weights.bin", data)
        try await Task.sleep(for: .milliseconds(2100))
        let junit = f.dir.file("report.xml")
        let text = try f.run(["verify", "model-b", "--junit", junit])
        #expect(text.status == 2)
        #expect(text.stdout.contains("changed  weights.bin") && text.stdout.contains("(bytes 5242880-6291455 changed)"), "\(text.stdout)")
        #expect((try String(contentsOfFile: junit, encoding: .utf8)).contains("bytes 5242880-6291455 changed"))
        let json = try f.run(["verify", "model-b", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let changed = try #require((object?["changed"] as? [[String: Any]])?.first)
        #expect(changed["changed_bytes"] as? [[Int]] == [[5 << 20, 6 << 20]])

        try f.dir.write("models/b/weights.bin", data.prefix(3 << 20))
        let truncated = try f.run(["verify", "model-b"])
        #expect(truncated.status == 2)
        #expect(truncated.stdout.contains("changed  weights.bin"))
    }
}
