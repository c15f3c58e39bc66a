import ArtifactHashing
import Foundation
import Testing
import TestSupport

/// Shard digests: recorded in the same read as the file digest, checked shard by shard in parallel.
struct ShardTests {
    static let mib = 1 << 20

    /// A file of 8.5 MiB of varied bytes, so every shard digest differs.
    static func bigFile(_ dir: TemporaryDirectory) throws -> (path: String, data: Data) {
        var data = Data(count: 8 * mib + mib / 2)
        data.withUnsafeMutableBytes { raw in
            var x: UInt32 = 2463534242
            for i in 0..<raw.count {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5
                raw[i] = UInt8(truncatingIfNeeded: x)
            }
        }
        return (try dir.write("model/big.gguf", data), data)
    }

    /// Files written less than 2 s ago are hashed whole (a write may be in flight); the
    /// shard path needs a settled file.
    static func settle() async throws { try await Task.sleep(for: .milliseconds(2100)) }

    func recorded(_ dir: TemporaryDirectory) async throws -> (Manifest, Data) {
        let (_, data) = try Self.bigFile(dir)
        try dir.write("model/config.json", "{}")
        var hasher = ArtifactHasher(jobs: 2, chunkSize: 100_000)
        hasher.shardSize = Int64(Self.mib)
        return (try await hasher.hash(dir.file("model")), data)
    }

    static func expectation(_ manifest: Manifest) throws -> [String: ShardExpectation] {
        let file = try #require(manifest.files.first { $0.path == "big.gguf" })
        let shards = try #require(manifest.shards["big.gguf"])
        return ["big.gguf": ShardExpectation(fileSize: file.size!, sha256: file.sha256, shards: shards)]
    }

    @Test("a hash with a shard size records each shard's SHA-256 beside the unchanged file digest, for large files only")
    func recordsShards() async throws {
        let dir = TemporaryDirectory()
        let (manifest, data) = try await recorded(dir)
        let shards = try #require(manifest.shards["big.gguf"])
        #expect(manifest.shards["config.json"] == nil)
        #expect(shards.shardSize == Int64(Self.mib))
        #expect(shards.sha256.count == 9)
        for i in 0..<9 {
            let piece = data.subdata(in: (i * Self.mib)..<min((i + 1) * Self.mib, data.count))
            #expect(shards.sha256[i] == SHA256Digest.hex(of: piece), "shard \(i)")
        }
        #expect(manifest.files.first { $0.path == "big.gguf" }?.sha256 == SHA256Digest.hex(of: data))
        var plain = ArtifactHasher(jobs: 2)
        plain.shardSize = nil
        #expect(try await plain.hash(dir.file("model")).aggregate == manifest.aggregate)
    }

    @Test("an unchanged sharded file verifies from its shards; a one-byte change names its shard's byte range; a truncated file is hashed whole")
    func checksShards() async throws {
        let dir = TemporaryDirectory()
        let (manifest, data) = try await recorded(dir)
        try await Self.settle()
        var verifier = ArtifactHasher(jobs: 2)
        verifier.expectedShards = try Self.expectation(manifest)
        // Shards equal: the recorded digest stands, and so does the aggregate.
        let same = try await verifier.hash(dir.file("model"))
        #expect(same.aggregate == manifest.aggregate)
        #expect(same.changedRanges.isEmpty)
        #expect(same.shards["big.gguf"] == manifest.shards["big.gguf"])
        // The recorded digest is taken only when every shard matches: a record whose file
        // digest is not these bytes' shows that the shards, not the bytes, decided.
        var forged = verifier
        forged.expectedShards["big.gguf"]!.sha256 = String(repeating: "ab", count: 32)
        #expect(try await forged.hash(dir.file("model")).files.first { $0.path == "big.gguf" }?.sha256 == String(repeating: "ab", count: 32))

        // One byte in the middle of shard 4 (bytes 4 MiB ..< 5 MiB).
        var changed = data
        changed[4 * Self.mib + 12345] ^= 0x01
        try dir.write("model/big.gguf", changed)
        try await Self.settle()
        let after = try await verifier.hash(dir.file("model"))
        #expect(after.changedRanges["big.gguf"] == [Int64(4 * Self.mib)..<Int64(5 * Self.mib)])
        #expect(after.files.first { $0.path == "big.gguf" }?.sha256 == SHA256Digest.hex(of: changed))
        #expect(after.aggregate != manifest.aggregate)

        // Truncated: the shards no longer fit, the file is hashed whole and differs.
        try dir.write("model/big.gguf", data.prefix(data.count - 100))
        try await Self.settle()
        let short = try await verifier.hash(dir.file("model"))
        #expect(short.changedRanges.isEmpty)
        #expect(short.files.first { $0.path == "big.gguf" }?.sha256 == SHA256Digest.hex(of: data.prefix(data.count - 100)))
    }

    @Test("a file checked by its shards is stamped in the stat cache, so the next quick verify does not read it")
    func shardCheckFeedsStatCache() async throws {
        let dir = TemporaryDirectory()
        let (manifest, _) = try await recorded(dir)
        try await Self.settle()
        var verifier = ArtifactHasher(jobs: 2)
        verifier.expectedShards = try Self.expectation(manifest)
        let full = try await verifier.hash(dir.file("model"), reusing: nil)
        #expect(full.manifest.shards["big.gguf"] != nil)
        #expect(full.cache.count == 2)
        let quick = try await verifier.hash(dir.file("model"), reusing: full.cache)
        #expect(quick.reusedFiles == 2)
        #expect(quick.manifest.aggregate == manifest.aggregate)
    }

    @Test("shard records that do not fit the file are not used: wrong count, bad hex, a size out of bounds")
    func unusableRecords() {
        let good = FileShards(shardSize: 1 << 20, sha256: Array(repeating: String(repeating: "0", count: 64), count: 3))
        #expect(good.fits(fileSize: 3 << 20))
        #expect(!good.fits(fileSize: 3 << 20 + 1))
        #expect(!FileShards(shardSize: 1 << 20, sha256: ["zz", "", ""]).fits(fileSize: 3 << 20))
        #expect(!FileShards(shardSize: 4096, sha256: Array(repeating: String(repeating: "0", count: 64), count: 768)).fits(fileSize: 3 << 20))
        #expect(good.range(of: 2, fileSize: (3 << 20) - 7) == Int64(2 << 20)..<Int64((3 << 20) - 7))
    }
}

#if canImport(Glibc)
import Glibc

/// `--io-nice`'s drop-behind: the pages a scrub read leave the page cache.
struct DropBehindTests {
    /// Pages of `path` in the page cache (`mincore` over a mapping of it).
    static func residentPages(_ path: String) -> Int {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return -1 }
        defer { munmap(map, size) }
        let pages = (size + 4095) / 4096
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(map, size, &vector) == 0 else { return -1 }
        return vector.reduce(0) { $0 + Int($1 & 1) }
    }

    @Test("with dropBehind, a file hashed whole and a sharded file checked leave the page cache; without, they stay")
    func dropsPagesBehind() async throws {
        let dir = TemporaryDirectory()
        let (path, _) = try ShardTests.bigFile(dir)
        // Only clean pages can be dropped: written back first.
        let fd = open(path, O_RDONLY); fsync(fd); close(fd)
        try await ShardTests.settle()
        var hasher = ArtifactHasher(jobs: 2)
        let manifest = try await hasher.hash(path)
        #expect(Self.residentPages(path) > 2000, "a plain read leaves the file cached")
        hasher.dropBehind = true
        #expect(try await hasher.hash(path) == manifest)
        #expect(Self.residentPages(path) < 64)
        // Sharded check: read back into the cache, then checked shard by shard.
        var recorder = ArtifactHasher(jobs: 2)
        // 2 MiB shards: the page cache keeps folios of up to 2 MiB, dropped only whole.
        recorder.shardSize = Int64(2 * ShardTests.mib)
        let recorded = try await recorder.hash(dir.file("model"))
        #expect(Self.residentPages(path) > 2000)
        var checker = ArtifactHasher(jobs: 2)
        checker.expectedShards = try ShardTests.expectation(recorded)
        checker.dropBehind = true
        let checked = try await checker.hash(dir.file("model"))
        #expect(checked.shards["big.gguf"] != nil && checked.changedRanges.isEmpty)
        #expect(Self.residentPages(path) < 64)
    }
}
#endif
