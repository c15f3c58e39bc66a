@testable import SystemSupport
import Foundation
import Testing

@Suite(.serialized)
struct BlockingExecutorTests {
    /// Seconds `count` children each blocked in `usleep` for half a second take when run on `executor`.
    func blockedChildren(_ count: Int, on executor: (any TaskExecutor)?) async -> Double {
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask(executorPreference: executor) { usleep(500_000) }
            }
        }
        return (ContinuousClock.now - start).inSeconds
    }

    @Test("eight children blocked 0.5 s each finish together with a width of 8, whatever the processor count")
    func widthAddsBlockingConcurrency() async {
        // An executor of its own: other suites' hashing shares the process's one meanwhile.
        let executor = BlockingExecutor(width: 1)
        executor.reserve(8)
        #expect(executor.width == 8)
        let seconds = await blockedChildren(8, on: executor)
        // On the cooperative pool (one thread per processor) this takes 8 x 0.5 s / processors.
        #expect(seconds < 1.2, "took \(seconds) s")
        // The width bounds the jobs running at once: 16 children take two rounds.
        #expect(await blockedChildren(16, on: executor) >= 1.0)
    }

    @Test("blocking calls get threads beyond the width: they never wait for each other or for jobs")
    func callsBeyondWidth() async throws {
        let executor = BlockingExecutor(width: 2)
        // Jobs fill the width meanwhile; the calls do not queue behind them.
        let busy = Task { await blockedChildren(4, on: executor) }
        let start = ContinuousClock.now
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<(executor.width + 4) {
                group.addTask { try await executor.run { () throws(CancellationError) -> Int in usleep(400_000); return i } }
            }
            return try await group.reduce(0, +)
        }
        let n = executor.width + 4
        #expect(values == n * (n - 1) / 2)
        #expect((ContinuousClock.now - start).inSeconds < 1.0)
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) { try await executor.run { () throws(Refused) -> Int in throw Refused() } }
        _ = await busy.value
    }

    @Test("together runs its two pieces at the same time, returns both results and throws the first piece's error first")
    func together() throws {
        let executor = BlockingExecutor(width: 1)
        let start = ContinuousClock.now
        let (a, b) = executor.together({ usleep(300_000); return "here" }, { usleep(300_000); return 2 })
        #expect(a == "here" && b == 2)
        // One after the other they would take 0.6 s.
        #expect((ContinuousClock.now - start).inSeconds < 0.55)
        struct Failed: Error, Equatable { var which: String }
        #expect(throws: Failed(which: "here")) {
            _ = try executor.together({ () throws(Failed) in throw Failed(which: "here") }, { () throws(Failed) in throw Failed(which: "there") })
        }
        #expect(throws: Failed(which: "there")) {
            _ = try executor.together({ () throws(Failed) in 1 }, { () throws(Failed) -> Int in throw Failed(which: "there") })
        }
    }
}
