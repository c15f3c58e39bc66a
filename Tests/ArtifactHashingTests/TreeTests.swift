import ArtifactHashing
import Foundation
import Testing
import TestSupport
import ErrorSupport

/// A tree with awkward names: spaces, unicode, a leading dash, deep nesting, empty and
/// one-byte files, a backslash, and names that sort differently as bytes and as strings.
func makeAwkwardTree() throws -> TemporaryDirectory {
    let dir = TemporaryDirectory("awkward")
    try dir.write("config.json", #"{"model_type": "llama"}"#)
    try dir.write("with space.txt", "space\n")
    try dir.write("ünïcødé-名前.bin", Data([0xFF, 0x00, 0x7F]))
    try dir.write("-leading-dash", "dash")
    try dir.write("a/b/c/d/e/f/deep.safetensors", Data((0..<70_000).map { UInt8($0 % 251) }))
    try dir.write("empty", "")
    try dir.write("one", "1")
    try dir.write("back\\slash", "bs")
    try dir.write("Z-upper", "Z")
    try dir.write("a-lower", "a")
    try dir.write(".hidden", "hidden")
    return dir
}

/// The aggregate computed the long way, with sha256sum as the only hash function.
func independentAggregate(root: String, paths: [String]) throws -> String {
    let lines = try paths.map { "\(try sha256sumOf(root + "/" + $0))  \($0)" }
    let text = lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: "\n")
    return try sha256sumOf(text: text)
}

struct TreeTests {
    @Test("per-file digests equal sha256sum's and the aggregate equals the formula")
    func awkwardTree() async throws {
        let dir = try makeAwkwardTree()
        let manifest = try await ArtifactHasher(jobs: 2, chunkSize: 4096).hash(dir.path)
        let expectedPaths = ["config.json", "with space.txt", "ünïcødé-名前.bin", "-leading-dash", "a/b/c/d/e/f/deep.safetensors",
                             "empty", "one", "back\\slash", "Z-upper", "a-lower", ".hidden"]
        #expect(Set(manifest.files.map(\.path)) == Set(expectedPaths))
        for file in manifest.files {
            #expect(file.sha256 == (try sha256sumOf(dir.file(file.path))), "\(file.path)")
        }
        #expect(manifest.files.first { $0.path == "empty" }?.size == 0)
        #expect(manifest.aggregate == (try independentAggregate(root: dir.path, paths: expectedPaths)))
        // Files come back ordered by the bytes of their paths.
        let paths = manifest.files.map(\.path)
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test("the same results for any number of jobs")
    func jobsDoNotMatter() async throws {
        let dir = try makeAwkwardTree()
        for i in 0..<40 { try dir.write("many/f\(i)", String(repeating: "x", count: i * 997)) }
        let one = try await ArtifactHasher(jobs: 1).hash(dir.path)
        let eight = try await ArtifactHasher(jobs: 8, chunkSize: 1000).hash(dir.path)
        #expect(one == eight)
        #expect(one.aggregate == eight.aggregate)
    }

    @Test("large files among many small ones in one directory hash as sha256sum says, for any jobs")
    func largeAmongSmall() async throws {
        // Workers take files one at a time from the shared walk, so none holds the others up.
        let dir = TemporaryDirectory()
        for i in 0..<3 { try dir.write("big-\(i).bin", Data((0..<(3 << 19) + i).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })) }
        for i in 0..<70 { try dir.write("small-\(i)", "small \(i)") }
        for i in 0..<9 { try dir.write("d\(i)/f", "in d\(i)") }
        let one = try await ArtifactHasher(jobs: 1).hash(dir.path)
        #expect(one.files.count == 82)
        for file in one.files where file.path.hasPrefix("big-") {
            #expect(file.sha256 == (try sha256sumOf(dir.file(file.path))), "\(file.path)")
        }
        for jobs in [2, 3, 8] {
            let many = try await ArtifactHasher(jobs: jobs, chunkSize: 65_537).hash(dir.path)
            #expect(many == one, "jobs \(jobs)")
        }
        #expect(one.aggregate == (try independentAggregate(root: dir.path, paths: one.files.map(\.path))))
    }

    @Test("a FIFO, a link to one, a link to /dev/null: each is reported by name, never opened, unless excluded by name")
    func specialFilesReported() async throws {
        let dir = TemporaryDirectory()
        try dir.write("weights.bin", "w")
        #expect(mkfifo(dir.file("pipe"), 0o644) == 0)
        // Opening a FIFO for reading would block until a writer came; the walk must not.
        try FileManager.default.createSymbolicLink(atPath: dir.file("link-to-pipe"), withDestinationPath: "pipe")
        try FileManager.default.createSymbolicLink(atPath: dir.file("chat_template.jinja"), withDestinationPath: "/dev/null")
        var excluded = ["pipe", "link-to-pipe", "chat_template.jinja"]
        for name in ["pipe", "link-to-pipe", "chat_template.jinja"] {
            excluded.removeAll { $0 == name }
            let error = await #expect(throws: HashingError.self) {
                try await ArtifactHasher(jobs: 2, exclusions: PathExclusions.default.adding(excluded)).hash(dir.path)
            }
            #expect(error?.code == .specialFile && error?.path == dir.file(name), "\(String(describing: error))")
            excluded.append(name)
        }
        let manifest = try await ArtifactHasher(jobs: 2, exclusions: PathExclusions.default.adding(excluded)).hash(dir.path)
        #expect(manifest.files.map(\.path) == ["weights.bin"])
    }

    @Test("an empty directory aggregates to the SHA-256 of the empty string")
    func emptyDirectory() async throws {
        let dir = TemporaryDirectory()
        let manifest = try await ArtifactHasher().hash(dir.path)
        #expect(manifest.files.isEmpty)
        #expect(manifest.aggregate == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("a single file as root is listed under its base name")
    func singleFile() async throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("weights.bin", "abc")
        let manifest = try await ArtifactHasher().hash(path)
        #expect(manifest.files.map(\.path) == ["weights.bin"])
        #expect(manifest.aggregate == (try sha256sumOf(text: "\(knownAnswers[1].hex)  weights.bin")))
    }

    @Test("symlinks to files are followed under the link's path; a symlinked directory is reported, never descended")
    func symlinkRules() async throws {
        let dir = TemporaryDirectory()
        let outside = TemporaryDirectory()
        try outside.write("blob", "blob bytes")
        try outside.write("dir/inner", "inner")
        try dir.write("snapshot/real.txt", "real")
        try FileManager.default.createSymbolicLink(atPath: dir.file("snapshot/model.safetensors"), withDestinationPath: outside.file("blob"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("snapshot/relative-link"), withDestinationPath: "real.txt")
        try FileManager.default.createSymbolicLink(atPath: dir.file("snapshot/linked-dir"), withDestinationPath: outside.file("dir"))
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.file("snapshot")) }
        #expect(error?.code == .specialFile && error?.description.contains("linked-dir: a symbolic link to a directory") == true)
        let manifest = try await ArtifactHasher(exclusions: PathExclusions.default.adding(["linked-dir"])).hash(dir.file("snapshot"))
        #expect(manifest.files.map(\.path) == ["model.safetensors", "real.txt", "relative-link"])
        #expect(manifest.files[0].sha256 == (try sha256sumOf(outside.file("blob"))))
        #expect(manifest.files[2].sha256 == manifest.files[1].sha256)
    }

    @Test("a dangling symlink is an error that names it")
    func danglingSymlink() async throws {
        let dir = TemporaryDirectory()
        try dir.write("ok", "ok")
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("sub/broken"), withDestinationPath: dir.file("nowhere"))
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.path) }
        #expect(error?.code == .danglingSymlink)
        #expect(error?.path == dir.file("sub/broken"))
        #expect(error?.description.contains("sub/broken") == true)
    }

    @Test("a file name with a newline is hashed; its line takes sha256sum's escaped form")
    func newlineInName() async throws {
        let dir = TemporaryDirectory()
        try dir.write("bad\nname", "x")
        try dir.write("plain", "y")
        let manifest = try await ArtifactHasher().hash(dir.path)
        #expect(manifest.files.map(\.path) == ["bad\nname", "plain"])
        let x = try sha256sumOf(text: "x"), y = try sha256sumOf(text: "y")
        #expect(manifest.files[0].line == "\\\(x)  bad\\nname")
        // The escaped line keeps one line per file, so no name can forge another file's line.
        let lines = ["\\\(x)  bad\\nname", "\(y)  plain"].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(manifest.lines == lines)
        #expect(manifest.aggregate == (try sha256sumOf(text: lines.joined(separator: "\n"))))
    }

    @Test("a missing root is an error that names it")
    func missingRoot() async throws {
        let dir = TemporaryDirectory()
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.file("absent")) }
        #expect(error?.code == .notFound)
        #expect(error?.description.hasPrefix(dir.file("absent")) == true)
    }

    @Test("a file that grows while it is hashed is reported, never digested")
    func growingFile() async throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("growing.bin", Data(count: 8 << 20))
        let appended = AppendOnce(path: path)
        // The first progress report comes after the first chunk: the file grows mid-read.
        let error = await #expect(throws: HashingError.self) {
            try await ArtifactHasher(jobs: 1, chunkSize: 1 << 20).hash(dir.path) { _ in appended.append() }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == path)
        #expect(appended.done)
    }

    @Test("a file rewritten in place at the same size while it is hashed never yields a mixed digest")
    func inPlaceRewrite() async throws {
        // One pwrite of the whole file at a time, alternating all-A and all-B. The kernel
        // stamps the times as each write begins, so a read that overtakes the writer sees no
        // change in size or times; only reading the recently modified file twice catches it.
        let dir = TemporaryDirectory()
        let size = 8 << 20
        let path = try dir.write("weights.bin", Data(repeating: UInt8(ascii: "A"), count: size))
        let valid = Set([SHA256Digest.hex(of: [UInt8](repeating: UInt8(ascii: "A"), count: size)),
                         SHA256Digest.hex(of: [UInt8](repeating: UInt8(ascii: "B"), count: size))])
        let writer = RewriteLoop(path: path, size: size)
        writer.start()
        defer { writer.stop() }
        for _ in 0..<300 {
            do {
                let manifest = try await ArtifactHasher(jobs: 1).hash(dir.path)
                #expect(valid.contains(manifest.files[0].sha256), "a digest of a mix of old and new bytes")
            } catch let error as HashingError {
                #expect(error.code == .changedWhileHashing)
            }
        }
        writer.stop()
        #expect(writer.rewrites > 0)
    }

    @Test("a directory swapped for a symlink mid-walk is not descended")
    func directorySwappedForLink() async throws {
        // d1 and d2 hold 40 files each; the walk lists 32 entries per turn, so when the first
        // file is hashed one directory is open and the other is still waiting to be opened.
        // Both are then moved away and replaced by links to a directory outside the root.
        let dir = TemporaryDirectory()
        let away = TemporaryDirectory()
        for d in ["d1", "d2"] {
            for i in 0..<40 { try dir.write("\(d)/f\(i)", "\(d) \(i)") }
            try away.write("outside-\(d)/secret", "not part of the root")
        }
        let swapped = Once {
            for d in ["d1", "d2"] {
                _ = rename(dir.file(d), away.file("moved-\(d)"))
                _ = symlink(away.file("outside-\(d)"), dir.file(d))
            }
        }
        // The walk reads the directory already open to its end through its descriptor and does
        // not descend the link (see WalkTests); the root changed after it was listed, so no
        // manifest comes out (40 files of one directory was never the state of the tree).
        let error = await #expect(throws: HashingError.self) {
            try await ArtifactHasher(jobs: 1).hash(dir.path) { _ in swapped.run() }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == dir.path)
    }

    @Test("progress reaches the total")
    func progress() async throws {
        let dir = try makeAwkwardTree()
        let last = LastProgress()
        let manifest = try await ArtifactHasher().hash(dir.path) { last.set($0) }
        let final = try #require(last.value)
        #expect(final.bytesDone == manifest.totalBytes)
        #expect(final.bytesTotal == manifest.totalBytes)
        #expect(final.filesDone == manifest.files.count)
    }

    @Test("a sparse file over 4 GiB hashes as sha256sum says")
    func sparseOver4GiB() async throws {
        let dir = TemporaryDirectory()
        let path = dir.file("huge.bin")
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        let size: off_t = (4 << 30) + (3 << 20) + 17
        #expect(ftruncate(fd, size) == 0)
        for offset: off_t in [0, (2 << 30) - 1, (4 << 30) - 2, size - 5] {
            let marker = Array("mark".utf8)
            #expect(pwrite(fd, marker, marker.count, offset) == marker.count)
        }
        close(fd)
        let manifest = try await ArtifactHasher().hash(path)
        #expect(manifest.files[0].size == Int64(size))
        #expect(manifest.files[0].sha256 == (try sha256sumOf(path)))
    }
}

final class AppendOnce: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private(set) var done = false
    init(path: String) { self.path = path }
    func append() {
        lock.withLock {
            guard !done, let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.seekToEndOfFile()
            handle.write(Data("more".utf8))
            try? handle.close()
            done = true
        }
    }
}

final class LastProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var last: HashProgress?
    func set(_ p: HashProgress) { lock.withLock { last = p } }
    var value: HashProgress? { lock.withLock { last } }
}

/// Rewrites a file in place on a thread of its own, the whole file per `pwrite`, alternating
/// all-A and all-B with a pause after each, until stopped.
final class RewriteLoop: @unchecked Sendable {
    private let path: String
    private let size: Int
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?
    private(set) var rewrites = 0

    init(path: String, size: Int) {
        self.path = path
        self.size = size
    }

    func start() {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            let fd = open(path, O_WRONLY)
            defer { close(fd) }
            let a = [UInt8](repeating: UInt8(ascii: "A"), count: size)
            let b = [UInt8](repeating: UInt8(ascii: "B"), count: size)
            var flip = false
            while lock.withLock({ running }) {
                flip.toggle()
                _ = (flip ? b : a).withUnsafeBytes { pwrite(fd, $0.baseAddress, size, 0) }
                lock.withLock { rewrites += 1 }
                usleep(9000)  // a pause longer than one hash, so a read can overtake a write unseen
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
        while thread?.isFinished == false { usleep(1000) }
    }
}
