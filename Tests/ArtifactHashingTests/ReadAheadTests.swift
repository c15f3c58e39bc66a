@testable import ArtifactHashing
import Foundation
import Synchronization
import Testing
import TestSupport
import ErrorSupport

/// Large files are read on a second thread while the worker hashes. These tests lower the
/// size threshold and claim spare processors so that path runs, and check that it did.
@Suite(.serialized)
struct ReadAheadTests {
    /// A hasher that reads ahead of any file of 1 MiB or more.
    func eagerHasher(jobs: Int = 1) -> ArtifactHasher {
        var hasher = ArtifactHasher(jobs: jobs)
        hasher.processors = jobs + 2
        hasher.readAheadMinimum = 1 << 20
        return hasher
    }

    @Test("read-ahead digests equal sha256sum's across ring wrap-arounds and a partial last buffer")
    func digestsMatch() async throws {
        let dir = TemporaryDirectory()
        // 9 buffers and a bit: the 4-slot ring wraps twice; the last read is short.
        let size = 9 * ReadAhead.chunkSize + 12_345
        let path = try dir.write("model.bin", Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }))
        try dir.write("other.bin", Data(count: 3 << 20))
        try dir.write("small.txt", "small")
        let counter = ReadAhead.StartCounter()
        let manifest = try await ReadAhead.$counter.withValue(counter) { try await eagerHasher(jobs: 2).hash(dir.path) }
        // Each large file is read ahead at least once (twice while it was modified moments ago).
        #expect(counter.value >= 2)
        #expect(manifest.files.map(\.path) == ["model.bin", "other.bin", "small.txt"])
        for file in manifest.files {
            #expect(file.sha256 == (try sha256sumOf(dir.file(file.path))), "\(file.path)")
        }
        #expect(manifest.files[0].size == Int64(size))
        // The same answer without read-ahead.
        #expect(manifest == (try await ArtifactHasher(jobs: 1).hash(dir.path)))
        #expect(try ArtifactHasher().hashFile(atPath: path) == manifest.files[0].sha256)
    }

    @Test("a file that grows during read-ahead is reported, never digested")
    func growing() async throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("growing.bin", Data(count: 6 << 20))
        let appended = AppendOnce(path: path)
        let counter = ReadAhead.StartCounter()
        let error = await #expect(throws: HashingError.self) {
            try await ReadAhead.$counter.withValue(counter) { try await eagerHasher().hash(dir.path) { _ in appended.append() } }
        }
        #expect(counter.value == 1)
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == path)
        #expect(appended.done)
    }

    @Test("a file truncated during read-ahead is reported, never digested")
    func truncated() async throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("shrinking.bin", Data(count: 12 << 20))
        let truncated = Once { _ = truncate(path, 2 << 20) }
        let error = await #expect(throws: HashingError.self) {
            try await eagerHasher().hash(dir.path) { _ in truncated.run() }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == path)
        #expect(error?.description.contains("12582912 -> 2097152") == true)
    }
}

/// A large file does not hold up an error or a cancellation for the rest of its length.
@Suite(.serialized)
struct CancellationTests {
    @Test("a cancelled task stops within 16 MiB of a large file, with or without read-ahead", arguments: [false, true])
    func stopsMidFile(readAhead: Bool) async throws {
        let dir = TemporaryDirectory()
        let path = dir.file("sparse.bin")
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(fd, 256 << 20) == 0)
        close(fd)
        var hasher = ArtifactHasher(jobs: 1)
        hasher.processors = readAhead ? 2 : 1
        hasher.readAheadMinimum = 1 << 20
        let counter = ReadAhead.StartCounter()
        // The first progress report cancels the worker's own task, as a failing sibling would.
        let error = await #expect(throws: CancellationError.self) {
            try await ReadAhead.$counter.withValue(counter) {
                try await hasher.hash(path) { _ in withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        #expect(error != nil)
        #expect(counter.value == (readAhead ? 1 : 0))
        // The file is closed (other tests running meanwhile open other files).
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)
        }
        #expect(!open.contains(path))
    }
}

/// Runs an action the first time it is asked to.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (() -> Void)?
    init(_ action: @escaping () -> Void) { self.action = action }
    func run() {
        let pending = lock.withLock { () -> (() -> Void)? in
            defer { action = nil }
            return action
        }
        pending?()
    }
}
