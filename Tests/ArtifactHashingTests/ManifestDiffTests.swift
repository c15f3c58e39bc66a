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

    @Test("the aggregate sorts lines by bytes and joins them without a trailing newline")
    func aggregateFormula() {
        let files = [ArtifactFile(path: "b", sha256: "ff"), ArtifactFile(path: "a", sha256: "00")]
        #expect(Manifest.sortedLines(files) == ["00  a", "ff  b"])
        #expect(Manifest.aggregate(of: files) == SHA256Digest.hex(of: "00  a\nff  b"))
        #expect(Manifest.aggregate(of: []) == SHA256Digest.hex(of: ""))
    }
}
