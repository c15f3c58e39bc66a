@testable import ArtifactHashing
import Foundation
import Synchronization
import Testing
import TestSupport
import ErrorSupport

/// A large file that changes while it is read is reported, never digested.
struct LargeFileTests {
    @Test("a large file that grows while it is read is reported, never digested")
    func growing() async throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("growing.bin", Data(count: 6 << 20))
        let appended = AppendOnce(path: path)
        let error = await #expect(throws: HashingError.self) {
            try await ArtifactHasher(jobs: 1).hash(dir.path) { _ in appended.append() }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == path)
        #expect(appended.done)
    }

    @Test("a large file truncated while it is read is reported, never digested")
    func truncated() async throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("shrinking.bin", Data(count: 12 << 20))
        let truncated = Once { _ = truncate(path, 2 << 20) }
        let error = await #expect(throws: HashingError.self) {
            try await ArtifactHasher(jobs: 1).hash(dir.path) { _ in truncated.run() }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == path)
        #expect(error?.description.contains("12582912 -> 2097152") == true)
    }
}

/// A large file does not hold up an error or a cancellation for the rest of its length.
@Suite(.serialized)
struct CancellationTests {
    @Test("a cancelled task stops within 16 MiB of a large file")
    func stopsMidFile() async throws {
        let dir = TemporaryDirectory()
        let path = dir.file("sparse.bin")
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(fd, 256 << 20) == 0)
        close(fd)
        let hasher = ArtifactHasher(jobs: 1)
        // The first progress report cancels the worker's own task, as a failing sibling would.
        let error = await #expect(throws: CancellationError.self) {
            try await hasher.hash(path) { _ in withUnsafeCurrentTask { $0?.cancel() } }
        }
        #expect(error != nil)
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
