import ArtifactHashing
import Foundation
import Testing
import TestSupport

/// Sets a file's modification time, as `touch -d` does (the change time moves to now).
func setModificationTime(_ path: String, _ date: Date) throws {
    try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
}

/// Waits until files written now are old enough to be stamped (see ``StatCache``).
func waitForStampable() async throws { try await Task.sleep(for: .milliseconds(2_100)) }

struct StatCacheTests {
    @Test("a second hash reuses unchanged files and gives the same manifest")
    func reuse() async throws {
        let dir = try makeAwkwardTree()
        try await waitForStampable()
        let hasher = ArtifactHasher(jobs: 2)
        let first = try await hasher.hash(dir.path, reusing: nil)
        #expect(first.reusedFiles == 0)
        #expect(first.cache.count == first.manifest.files.count)
        let second = try await hasher.hash(dir.path, reusing: first.cache)
        #expect(second.reusedFiles == first.manifest.files.count)
        #expect(second.manifest == first.manifest)
    }

    @Test("a file rewritten with the same size and its mtime reset is read again (ctime moved)")
    func sameSizeMtimeReset() async throws {
        let dir = TemporaryDirectory("statcache")
        let path = try dir.write("weights.bin", "aaaa")
        try dir.write("config.json", "{}")
        let old = Date(timeIntervalSince1970: 1_600_000_000)
        try setModificationTime(path, old)
        try await waitForStampable()
        let hasher = ArtifactHasher(jobs: 2)
        let first = try await hasher.hash(dir.path, reusing: nil)
        try dir.write("weights.bin", "bbbb")
        try setModificationTime(path, old)
        let second = try await hasher.hash(dir.path, reusing: first.cache)
        #expect(second.reusedFiles == 1)
        #expect(second.manifest.files.first { $0.path == "weights.bin" }?.sha256 == (try sha256sumOf(path)))
        #expect(second.manifest.aggregate != first.manifest.aggregate)
    }

    @Test("added and removed files are seen by a quick hash")
    func listingChanges() async throws {
        let dir = try makeAwkwardTree()
        try await waitForStampable()
        let hasher = ArtifactHasher(jobs: 2)
        let first = try await hasher.hash(dir.path, reusing: nil)
        try FileManager.default.removeItem(atPath: dir.file("one"))
        try dir.write("added.bin", "new")
        let second = try await hasher.hash(dir.path, reusing: first.cache)
        #expect(!second.manifest.files.contains { $0.path == "one" })
        #expect(second.manifest.files.contains { $0.path == "added.bin" })
        #expect(second.manifest.files.count == first.manifest.files.count)
    }

    @Test("files modified moments before they are read are not stamped")
    func freshFilesNotStamped() async throws {
        let dir = TemporaryDirectory("statcache")
        let path = try dir.write("fresh.bin", "fresh")
        // Modified "in the future" (clock skew) counts as moments ago, however slow the test runner is.
        try setModificationTime(path, Date().addingTimeInterval(3600))
        let run = try await ArtifactHasher(jobs: 1).hash(dir.path, reusing: nil)
        #expect(run.cache.count == 0)
    }

    @Test("the file format round-trips, and corrupt, truncated or foreign bytes are refused")
    func format() throws {
        var cache = StatCache()
        let stamp = FileStamp(device: 2049, inode: 77, size: 10, modifiedNanoseconds: -5, changedNanoseconds: 1_700_000_000_123_456_789)
        cache.insert(pathBytes: Array("a/b c\nd".utf8), stamp: stamp, sha256: String(repeating: "ab", count: 32))
        cache.insert(pathBytes: [0xFF, 0x41], stamp: stamp, sha256: String(repeating: "cd", count: 32))
        let bytes = cache.serialized(root: "/models/m")
        let parsed = try #require(StatCache(parsing: bytes, root: "/models/m"))
        #expect(parsed.count == 2)
        #expect(parsed.digest(pathBytes: Array("a/b c\nd".utf8), stamp: stamp) == String(repeating: "ab", count: 32))
        #expect(parsed.digest(pathBytes: [0xFF, 0x41], stamp: stamp) == String(repeating: "cd", count: 32))
        var other = stamp
        other.changedNanoseconds += 1
        #expect(parsed.digest(pathBytes: [0xFF, 0x41], stamp: other) == nil)
        #expect(StatCache(parsing: bytes, root: "/models/other") == nil)
        #expect(StatCache(parsing: Array(bytes.dropLast(3)), root: "/models/m") == nil)
        for position in stride(from: 0, to: bytes.count, by: 7) {
            var flipped = bytes
            flipped[position] ^= 0x01
            #expect(StatCache(parsing: flipped, root: "/models/m") == nil, "byte \(position) flipped")
        }
        #expect(StatCache(parsing: bytes + Array("x\n".utf8), root: "/models/m") == nil)
        #expect(StatCache(parsing: Array("garbage".utf8), root: "/models/m") == nil)
        #expect(StatCache(parsing: [], root: "/models/m") == nil)
    }
}
