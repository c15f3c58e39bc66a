import ArtifactHashing
import Foundation
import Testing
import TestSupport

/// A model tree as `git clone` and `hf download --local-dir` leave it, with tool metadata
/// directories at the top and deeper down.
func makeToolMetadataTree() throws -> TemporaryDirectory {
    let dir = TemporaryDirectory("exclusions")
    try dir.write("model.safetensors", "weights")
    try dir.write("config.json", "{}")
    try dir.write(".git/lfs/objects/ab/cd/abcd", "weights")
    try dir.write(".git/HEAD", "ref: refs/heads/main\n")
    try dir.write(".cache/huggingface/download/model.safetensors.metadata", "etag 1\n")
    try dir.write(".cache/other/kept.txt", "kept")
    try dir.write("sub/.git/config", "[core]\n")
    try dir.write("sub/.cache/huggingface/x.lock", "")
    try dir.write("sub/huggingface/kept.bin", "kept")
    try dir.write("sub/weights.bin", "w")
    return dir
}

struct ExclusionTests {
    static let kept: Set<String> = ["model.safetensors", "config.json", ".cache/other/kept.txt", "sub/huggingface/kept.bin", "sub/weights.bin"]

    @Test("by default .git/ and .cache/huggingface/ are left out at any depth; .none hashes every file")
    func defaultExclusions() async throws {
        let dir = try makeToolMetadataTree()
        let manifest = try await ArtifactHasher(jobs: 2).hash(dir.path)
        #expect(Set(manifest.files.map(\.path)) == Self.kept)
        let all = try await ArtifactHasher(jobs: 2, exclusions: .none).hash(dir.path)
        #expect(all.files.count == Self.kept.count + 5)
        #expect(all.files.contains { $0.path == ".git/lfs/objects/ab/cd/abcd" })
        #expect(all.files.contains { $0.path == "sub/.git/config" })
        // The aggregate is that of the same tree without those directories, as ImageWorks computes it.
        for name in [".git", ".cache/huggingface", "sub/.git", "sub/.cache/huggingface"] {
            try FileManager.default.removeItem(atPath: dir.file(name))
        }
        let clean = try await ArtifactHasher(jobs: 2, exclusions: .none).hash(dir.path)
        #expect(clean.aggregate == manifest.aggregate)
    }

    @Test("a left-out directory is not descended at all (a dangling link inside it is never seen)")
    func notDescended() async throws {
        let dir = try makeToolMetadataTree()
        try FileManager.default.createSymbolicLink(atPath: dir.file(".git/dangling"), withDestinationPath: dir.file("nowhere"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("sub/.cache/huggingface/dangling"), withDestinationPath: dir.file("nowhere"))
        let manifest = try await ArtifactHasher(jobs: 2).hash(dir.path)
        #expect(Set(manifest.files.map(\.path)) == Self.kept)
        await #expect(throws: HashingError.self) { try await ArtifactHasher(jobs: 2, exclusions: .none).hash(dir.path) }
    }

    @Test("a .git file and a huggingface directory outside .cache are hashed")
    func onlyThoseDirectories() async throws {
        let dir = TemporaryDirectory("exclusions")
        try dir.write(".git", "gitdir: ../.git/worktrees/m\n")
        try dir.write("huggingface/a", "a")
        try dir.write("x.cache/huggingface/b", "b")
        let manifest = try await ArtifactHasher(jobs: 1).hash(dir.path)
        #expect(Set(manifest.files.map(\.path)) == [".git", "huggingface/a", "x.cache/huggingface/b"])
    }

    @Test("patterns leave out matching files and directories", arguments: [
        ("*.md", "README.md", false, true),
        ("*.md", "docs/README.md", false, false),
        ("**/*.md", "docs/deep/README.md", false, true),
        ("**/*.md", "README.md", false, true),
        ("original", "original", true, true),
        ("original/**", "original", true, true),
        ("original/**", "original/consolidated.pth", false, true),
        ("original/**", "originals/x", false, false),
        ("shard-0000[0-2].bin", "shard-00001.bin", false, true),
        ("shard-0000[!0-2].bin", "shard-00001.bin", false, false),
        ("shard-0000?.bin", "shard-00009.bin", false, true),
        ("a?c", "a/c", false, false),
        ("a*c", "ab/c", false, false),
        ("a**c", "ab/c", false, true),
        ("\\*.bin", "*.bin", false, true),
        ("\\*.bin", "x.bin", false, false),
        ("[unclosed", "[unclosed", false, true),
    ])
    func patterns(pattern: String, path: String, isDirectory: Bool, excluded: Bool) {
        let exclusions = PathExclusions.none.adding([pattern])
        #expect(exclusions.excludes(path: path, isDirectory: isDirectory) == excluded, "\(pattern) vs \(path)")
    }

    @Test("patterns apply during the walk; a matching directory is not descended")
    func patternsInWalk() async throws {
        let dir = try makeToolMetadataTree()
        try dir.write("original/consolidated.pth", "dup")
        try FileManager.default.createSymbolicLink(atPath: dir.file("original/dangling"), withDestinationPath: dir.file("nowhere"))
        try dir.write("README.md", "docs")
        let hasher = ArtifactHasher(jobs: 2, exclusions: PathExclusions.default.adding(["original", "*.md"]))
        let manifest = try await hasher.hash(dir.path)
        #expect(Set(manifest.files.map(\.path)) == Self.kept)
    }

    @Test("validate refuses empty, NUL-holding, over-long and too many patterns")
    func validation() {
        #expect(PathExclusions.validate(["*.md", "original/**"]) == nil)
        #expect(PathExclusions.validate([""]) != nil)
        #expect(PathExclusions.validate(["a\u{0}b"]) != nil)
        #expect(PathExclusions.validate([String(repeating: "*", count: 5000)]) != nil)
        #expect(PathExclusions.validate(Array(repeating: "x", count: 2000)) != nil)
    }

    @Test("a pathological pattern matches in bounded time")
    func pathological() {
        let exclusions = PathExclusions.none.adding([String(repeating: "*a", count: 200) + "b"])
        #expect(!exclusions.excludes(path: String(repeating: "a", count: 3000), isDirectory: false))
    }
}
