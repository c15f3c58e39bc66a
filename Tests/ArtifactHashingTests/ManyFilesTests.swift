@testable import ArtifactHashing
import Foundation
import Testing
import TestSupport

/// The paths taken for trees of many small files: files handed out several at a time, the
/// aggregate ordered by digest buckets and computed while the files sort.
struct ManyFilesTests {
    /// The aggregate by its definition: every line built, the lines sorted by their bytes,
    /// joined with `\n`, hashed.
    static func referenceAggregate(_ files: [ArtifactFile]) -> String {
        let lines = files.map(\.lineBytes).sorted { a, b in a.lexicographicallyPrecedes(b) }
        var joined: [UInt8] = []
        for (i, line) in lines.enumerated() {
            if i > 0 { joined.append(0x0A) }
            joined += line
        }
        return SHA256Digest.hex(of: joined)
    }

    static func hex(_ seed: Int) -> String { SHA256Digest.hex(of: "seed \(seed)") }

    @Test("the aggregate equals its definition for digests that tie, text digests and escaped names")
    func aggregateMatchesDefinition() {
        var files: [ArtifactFile] = []
        // Random digests: dealt into buckets by their first bits (from 4,096 files).
        for i in 0..<5000 { files.append(ArtifactFile(path: "d\(i % 7)/f\(i)", sha256: Self.hex(i))) }
        // Equal digests (empty files): ordered by path within one bucket.
        for i in 0..<50 { files.append(ArtifactFile(path: "empty/\(50 - i)", sha256: Self.hex(-1))) }
        // Digests equal in their first word only.
        let twin = Self.hex(-2)
        files.append(ArtifactFile(path: "twin/a", sha256: String(twin.prefix(16)) + String(repeating: "f", count: 48)))
        files.append(ArtifactFile(path: "twin/b", sha256: String(twin.prefix(16)) + String(repeating: "0", count: 48)))
        let plain = files
        #expect(Manifest.aggregate(of: plain) == Self.referenceAggregate(plain))
        // A small manifest (sorted directly) with the same ties.
        let small = Array(plain.suffix(60))
        #expect(Manifest.aggregate(of: small) == Self.referenceAggregate(small))
        #expect(Manifest(root: "r", files: plain.reversed()).aggregate == Self.referenceAggregate(plain))
        // One escaped line or one recorded digest that is not hex: the general order.
        files.append(ArtifactFile(path: "line\nbreak", sha256: Self.hex(-3)))
        #expect(Manifest.aggregate(of: files) == Self.referenceAggregate(files))
        var recorded = plain
        recorded.append(ArtifactFile(path: "odd", sha256: "not-hex"))
        #expect(Manifest.aggregate(of: recorded) == Self.referenceAggregate(recorded))
    }

    @Test("files taken several at a time, some handed back, are each handed out once")
    func takenAndGivenBack() throws {
        let dir = TemporaryDirectory()
        for i in 0..<150 { try dir.write("d\(i % 4)/f\(i)", "file \(i)") }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var seen: [String] = []
        var taken: [ListedFile] = []
        var round = 0
        while true {
            if taken.isEmpty { try walk.next(into: &taken, limit: 8) }
            guard let file = taken.popLast() else { break }
            #expect(taken.count < 8)
            seen.append(file.relativePath.string)
            round += 1
            if round % 5 == 0 { walk.giveBack(&taken) }
            #expect(round % 5 != 0 || taken.isEmpty)
        }
        #expect(seen.count == 150)
        #expect(Set(seen).count == 150)
        try walk.verifyUnchanged()
    }

    @Test("files taken are on loan until started or handed back, so an idle worker waits for them")
    func loans() throws {
        let dir = TemporaryDirectory()
        for i in 0..<10 { try dir.write("f\(i)", "file \(i)") }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var first: [ListedFile] = []
        #expect(try walk.next(into: &first, limit: 4) == 4)
        #expect(walk.hasLoans)
        var second: [ListedFile] = []
        #expect(try walk.next(into: &second, limit: 16) == 6)
        _ = first.popLast()
        let unstarted = first.count
        walk.giveBack(&first)
        walk.settle(1)
        #expect(first.isEmpty)
        #expect(walk.hasLoans)
        walk.settle(second.count)
        #expect(!walk.hasLoans)
        var rest: [ListedFile] = []
        #expect(try walk.next(into: &rest, limit: 16) == unstarted)
        walk.settle(rest.count)
        #expect(!walk.hasLoans)
        #expect(try walk.next(into: &rest, limit: 16) == 0)
    }

    @Test("a large file among small ones in one directory: both workers hash, results as sha256sum's")
    func largeAmongManySmall() async throws {
        let dir = TemporaryDirectory()
        var expected: [String: String] = [:]
        for i in 0..<40 {
            let text = "small \(i)"
            try dir.write("f\(i)", text)
            expected["f\(i)"] = SHA256Digest.hex(of: text)
        }
        let big = [UInt8](repeating: 0x61, count: (1 << 20) + 3)
        try dir.write("big", Data(big))
        expected["big"] = SHA256Digest.hex(of: big)
        let manifest = try await ArtifactHasher(jobs: 2).hash(dir.path)
        #expect(Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.path, $0.sha256) }) == expected)
        #expect(manifest.aggregate == Self.referenceAggregate(manifest.files))
    }
}
