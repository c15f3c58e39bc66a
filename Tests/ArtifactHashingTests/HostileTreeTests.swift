import ArtifactHashing
import Foundation
import Testing
import TestSupport
import ErrorSupport

/// Trees that change, lie about their sizes, loop, or are shaped to exhaust descriptors.
@Suite(.serialized)
struct HostileTreeTests {
    @Test("files renamed in a directory while it is listed fail the walk, never a manifest the tree never had")
    func renamedDuringListing() async throws {
        // 100 files; the walk lists 32 per turn, so when the first file is hashed the listing
        // is a third done. Every file is then renamed: each exists under one name or the other
        // at every instant, yet a single listing would mix old and new names.
        let dir = TemporaryDirectory()
        for i in 0..<100 { try dir.write("d/f\(i)", "file \(i)") }
        let renamed = Once {
            for i in 0..<100 { _ = rename(dir.file("d/f\(i)"), dir.file("d/g\(i)")) }
        }
        let error = await #expect(throws: HashingError.self) {
            try await ArtifactHasher(jobs: 1).hash(dir.path) { _ in renamed.run() }
        }
        // Named: the directory, or a file that vanished under the walk.
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path.hasPrefix(dir.file("d")) == true)
    }

    @Test("files added to a directory while it is listed are found by a second listing")
    func addedDuringListing() async throws {
        let dir = TemporaryDirectory()
        for i in 0..<100 { try dir.write("d/f\(i)", "file \(i)") }
        let added = Once {
            for i in 0..<20 { try? dir.write("d/new\(i)", "new \(i)") }
        }
        let manifest = try await ArtifactHasher(jobs: 1).hash(dir.path) { _ in added.run() }
        #expect(manifest.files.count == 120)
        #expect(Set(manifest.files.map(\.path)).count == 120)
        #expect(manifest.aggregate == (try independentAggregate(root: dir.path, paths: manifest.files.map(\.path))))
    }

    @Test("a comb tree 300 levels deep is walked with a bounded number of open descriptors")
    func combTreeDescriptors() async throws {
        // Every level holds two short teeth and the spine to the next level. Depth first, each
        // tooth waiting its turn kept its parent open: one descriptor per level.
        // The walk lists depth first from a stack, so the spine must be the entry the file
        // system lists last: the order is the same in every directory of one file system.
        let dir = TemporaryDirectory()
        let (s, t1, t2) = try combNames(in: dir.path)
        var spine = s
        var paths: [String] = []
        for level in 0..<300 {
            try dir.write(spine + "/\(t1)/f", "tooth 1 at \(level)")
            try dir.write(spine + "/\(t2)/f", "tooth 2 at \(level)")
            paths += [spine + "/\(t1)/f", spine + "/\(t2)/f"]
            spine += "/" + s
        }
        let baseline = openDescriptorCount()
        let peak = Peak()
        let manifest = try await ArtifactHasher(jobs: 2).hash(dir.path) { _ in peak.record(openDescriptorCount() - baseline) }
        #expect(manifest.files.count == 600)
        #expect(Set(manifest.files.map(\.path)) == Set(paths))
        #expect(peak.value < 100, "peak descriptors above baseline: \(peak.value)")
        #expect(manifest.aggregate == (try independentAggregate(root: dir.path, paths: paths)))
    }

    @Test("a file that holds more bytes than its size says (a link into /proc) is refused, naming it")
    func procfsFile() async throws {
        let dir = TemporaryDirectory()
        try dir.write("weights.bin", "w")
        try FileManager.default.createSymbolicLink(atPath: dir.file("version"), withDestinationPath: "/proc/version")
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.path) }
        #expect(error?.code == .sizeMismatch)
        #expect(error?.path == dir.file("version"))
        #expect(error?.description.contains("more bytes than its size") == true)
    }

    @Test("a file that holds fewer bytes than its size says (a link into /sys) is refused as such, not as changed")
    func sysfsFile() async throws {
        let target = "/sys/kernel/uevent_seqnum"
        try #require(FileManager.default.fileExists(atPath: target))
        let dir = TemporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: dir.file("seqnum"), withDestinationPath: target)
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.path) }
        #expect(error?.code == .sizeMismatch)
        #expect(error?.description.contains("fewer bytes") == true)
    }

    @Test("a file exactly as long as a read buffer is read to its end, and one more read finds nothing")
    func bufferSizedFile() async throws {
        let dir = TemporaryDirectory()
        try dir.write("exact", Data(repeating: 7, count: 4096))
        try dir.write("empty", Data())
        let manifest = try await ArtifactHasher(jobs: 1, chunkSize: 4096).hash(dir.path)
        #expect(manifest.files.map(\.sha256) == [try sha256sumOf(dir.file("empty")), try sha256sumOf(dir.file("exact"))])
    }

    @Test("a symlink loop is reported as a loop, not as dangling", arguments: ["self", "pair"])
    func symlinkLoop(kind: String) async throws {
        let dir = TemporaryDirectory()
        try dir.write("ok", "ok")
        if kind == "self" {
            #expect(symlink("loop", dir.file("loop")) == 0)
        } else {
            #expect(symlink("other", dir.file("loop")) == 0)
            #expect(symlink("loop", dir.file("other")) == 0)
        }
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.path) }
        #expect(error?.code == .symlinkLoop)
        #expect(error?.description.contains("loop") == true)
        #expect(error?.description.contains("dangling") == false)
        // The root itself.
        let root = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.file("loop")) }
        #expect(root?.code == .symlinkLoop)
    }

    @Test("jobs are capped at 256; a million jobs on one file neither stalls nor allocates per job")
    func jobsCapped() async throws {
        #expect(ArtifactHasher(jobs: 1_000_000).jobs == ArtifactHasher.maximumJobs)
        #expect(ArtifactHasher.maximumJobs == 256)
        let dir = TemporaryDirectory()
        try dir.write("one", "1")
        var hasher = ArtifactHasher(jobs: 4)
        hasher.jobs = 1_000_000  // set past the initializer: the run still caps it
        let start = ContinuousClock.now
        let manifest = try await hasher.hash(dir.path)
        #expect(manifest.files.count == 1)
        #expect(start.duration(to: .now) < .seconds(3))
    }

    @Test("a file written through a shared writable mapping never yields a mixed digest")
    func sharedMappingWriter() async throws {
        // The writer stores all-A then all-B through a MAP_SHARED mapping, over and over. Only
        // its first store to each clean page moves the file's times; once the pages are dirty,
        // stores change bytes and nothing else, until the pages are written back. The test
        // waits until those times are older than the two-second re-read window.
        let dir = TemporaryDirectory()
        let size = 4 << 20
        let path = try dir.write("weights.bin", Data(repeating: UInt8(ascii: "A"), count: size))
        let valid = Set([SHA256Digest.hex(of: [UInt8](repeating: UInt8(ascii: "A"), count: size)),
                         SHA256Digest.hex(of: [UInt8](repeating: UInt8(ascii: "B"), count: size))])
        let writer = try MappedWriter(path: path, size: size)
        writer.start()
        defer { writer.stop() }
        try await Task.sleep(for: .milliseconds(2600))
        var refused = 0
        for _ in 0..<40 {
            do {
                let manifest = try await ArtifactHasher(jobs: 1).hash(dir.path)
                #expect(valid.contains(manifest.files[0].sha256), "a digest of a mix of old and new bytes")
            } catch let error as HashingError {
                #expect(error.code == .changedWhileHashing)
                refused += 1
            }
        }
        writer.stop()
        #expect(writer.stores > 0)
        #expect(refused > 0)
    }
}

/// Three directory names in the order `readdir` lists them on this file system, the last
/// first: a spine that the walk's stack takes before its two teeth.
func combNames(in directory: String) throws -> (String, String, String) {
    let probe = directory + "/probe"
    for name in ["a", "b", "c"] { try FileManager.default.createDirectory(atPath: probe + "/" + name, withIntermediateDirectories: true) }
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard let stream = opendir(probe) else { throw POSIXError(.EIO) }
    defer { closedir(stream) }
    var order: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != ".", name != ".." { order.append(name) }
    }
    return (order[2], order[0], order[1])
}

/// The largest value recorded.
final class Peak: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    func record(_ v: Int) { lock.withLock { peak = max(peak, v) } }
    var value: Int { lock.withLock { peak } }
}

/// Descriptors this process has open.
func openDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
}

/// Stores all-A, then all-B, through a shared writable mapping of a file, on its own thread.
final class MappedWriter: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?
    private(set) var stores = 0

    init(path: String, size: Int) throws {
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else { throw POSIXError(.ENOMEM) }
        base = p
        self.size = size
    }

    deinit { munmap(base, size) }

    func start() {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            var flip = false
            while lock.withLock({ running }) {
                flip.toggle()
                memset(base, Int32(flip ? UInt8(ascii: "B") : UInt8(ascii: "A")), size)
                lock.withLock { stores += 1 }
                usleep(1000)
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
