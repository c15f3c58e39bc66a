import ArtifactHashing
import Testing

struct ManifestDiffTests {
    @Test("changed, missing, added and moved files are told apart")
    func diff() {
        let expected = [
            ArtifactFile(path: "same", sha256: "11"),
            ArtifactFile(path: "edited", sha256: "22"),
            ArtifactFile(path: "gone", sha256: "33"),
            ArtifactFile(path: "old-name", sha256: "44"),
        ]
        let actual = [
            ArtifactFile(path: "same", sha256: "11"),
            ArtifactFile(path: "edited", sha256: "99"),
            ArtifactFile(path: "new-name", sha256: "44"),
            ArtifactFile(path: "extra", sha256: "55"),
        ]
        let diff = ManifestDiff(expected: expected, actual: actual)
        #expect(diff.changed == [.init(path: "edited", expected: "22", actual: "99")])
        #expect(diff.missing.map(\.path) == ["gone"])
        #expect(diff.added.map(\.path) == ["extra"])
        #expect(diff.moved == [.init(from: "old-name", to: "new-name", sha256: "44")])
        #expect(!diff.isEmpty)
        #expect(ManifestDiff(expected: expected, actual: expected).isEmpty)
    }

    @Test("files with the same bytes pair up in path order; a whole renamed tree is all moves")
    func movesPairInPathOrder() {
        // Two vanished files share a digest and one new path holds it: the first by path moves.
        let duplicate = ManifestDiff(
            expected: [ArtifactFile(path: "b/copy", sha256: "aa"), ArtifactFile(path: "a/copy", sha256: "aa")],
            actual: [ArtifactFile(path: "z/copy", sha256: "aa"), ArtifactFile(path: "y/other", sha256: "bb")])
        #expect(duplicate.moved == [.init(from: "a/copy", to: "z/copy", sha256: "aa")])
        #expect(duplicate.missing.map(\.path) == ["b/copy"])
        #expect(duplicate.added.map(\.path) == ["y/other"])

        // 20,000 renames: every file pairs with its new name.
        let count = 20_000
        let expected = (0..<count).map { ArtifactFile(path: "old/f\($0)", sha256: SHA256Digest.hex(of: "\($0)")) }
        let actual = (0..<count).map { ArtifactFile(path: "new/f\($0)", sha256: SHA256Digest.hex(of: "\($0)")) }
        let renamed = ManifestDiff(expected: expected, actual: actual)
        #expect(renamed.moved.count == count && renamed.missing.isEmpty && renamed.added.isEmpty && renamed.changed.isEmpty)
        #expect(renamed.moved.allSatisfy { $0.to == "new/" + $0.from.dropFirst(4) })
    }

    @Test("the aggregate sorts lines by bytes and joins them without a trailing newline")
    func aggregateFormula() {
        let files = [ArtifactFile(path: "b", sha256: "ff"), ArtifactFile(path: "a", sha256: "00")]
        #expect(Manifest.sortedLines(files) == ["00  a", "ff  b"])
        #expect(Manifest.aggregate(of: files) == SHA256Digest.hex(of: "00  a\nff  b"))
        #expect(Manifest.aggregate(of: []) == SHA256Digest.hex(of: ""))
    }
}
