import Synchronization
import SystemSupport

/// Processors not busy hashing, which a worker with a large file may borrow to read ahead of
/// itself. Starts at processors minus workers; a worker that runs out of files gives its
/// processor back, so the last large files of a run get a reader each.
final class SpareProcessors: Sendable {
    private let count: Atomic<Int>

    init(processors: Int, workers: Int) {
        count = Atomic(processors - workers)
    }

    /// Takes one spare processor, if there is one.
    func take() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current - 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Returns a processor.
    func give() { count.wrappingAdd(1, ordering: .relaxed) }
}

/// Reads a byte range of a file on a thread of its own into a ring of buffers, while the
/// caller hashes the buffers already filled: reading (the page-cache copy, or the disk) is off
/// the hashing thread's critical path, so one large file hashes at the rate of one core.
///
/// The ring holds `slots` buffers of `chunkSize` bytes. The reader sleeps when the ring is
/// full and is woken once half of it is free again, so the threads meet a few hundred times
/// per GiB rather than once per buffer.
final class ReadAhead {
    static let chunkSize = 1 << 20
    static let slots = 4
    /// Reader threads started in this process.
    static let started = Atomic<Int>(0)
    /// Counts reader threads started by runs within a task, for tests to see that the path
    /// was taken without seeing other tests' runs.
    final class StartCounter: Sendable {
        let count = Atomic<Int>(0)
        init() {}
        var value: Int { count.load(ordering: .relaxed) }
    }
    @TaskLocal static var counter: StartCounter?

    /// How the range ended: read to its end, an early end of file, a read error, or stopped
    /// by the consumer.
    enum End { case complete, shortFile, failed(errno: Int32), stopped }

    private let fd: Int32
    private let end: Int64
    private let start: Int64
    private let memory: UnsafeMutableRawBufferPointer
    private let lock = Platform.ConditionLock()
    private var thread: OSThread?

    // Shared state, guarded by `lock`.
    private var lengths = [Int](repeating: 0, count: ReadAhead.slots)
    private var filled = 0
    private var readerEnd: End?
    private var stopping = false
    private var readerWaiting = false
    private var consumerWaiting = false

    /// Starts reading `fd` from `start` up to `end` on a new thread.
    /// Returns `nil` if the thread cannot be created (the caller reads for itself).
    init?(fd: Int32, from start: Int64, to end: Int64) {
        self.fd = fd
        self.start = start
        self.end = end
        memory = .allocate(byteCount: ReadAhead.chunkSize * ReadAhead.slots, alignment: 4096)
        // The thread holds the reader until its loop ends; `consume` joins it.
        lock.lock()
        guard let thread = OSThread.start({ [self] in readLoop() }) else {
            lock.unlock()
            return nil
        }
        self.thread = thread
        lock.unlock()
        Self.started.wrappingAdd(1, ordering: .relaxed)
        Self.counter?.count.wrappingAdd(1, ordering: .relaxed)
    }

    deinit {
        memory.deallocate()
    }

    private func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[slot * Self.chunkSize ..< (slot + 1) * Self.chunkSize])
    }

    /// Calls `body` with each filled buffer in file order until the reader is done or `body`
    /// returns `false`, then joins the reader thread and says how the range ended.
    func consume(_ body: (UnsafeRawBufferPointer) -> Bool) -> End {
        var slot = 0
        while true {
            lock.lock()
            while filled == 0 && readerEnd == nil {
                consumerWaiting = true
                lock.wait()
                consumerWaiting = false
            }
            if filled == 0 {
                lock.unlock()
                break
            }
            let length = lengths[slot]
            lock.unlock()

            if !body(UnsafeRawBufferPointer(rebasing: buffer(slot)[0..<length])) {
                stop()
                return .stopped
            }

            lock.lock()
            filled -= 1
            if readerWaiting && filled <= Self.slots / 2 { lock.broadcast() }
            lock.unlock()
            slot = (slot + 1) % Self.slots
        }
        joinReader()
        return readerEnd ?? .complete
    }

    private func joinReader() {
        lock.lock()
        let thread = self.thread
        lock.unlock()
        thread?.join()
    }

    /// Stops the reader early and waits for it.
    private func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        lock.unlock()
        joinReader()
    }

    private func readLoop() {
        var position = start
        var slot = 0
        var outcome = End.complete
        while position < end {
            lock.lock()
            while filled == Self.slots && !stopping {
                readerWaiting = true
                lock.wait()
                readerWaiting = false
            }
            let stop = stopping
            lock.unlock()
            if stop { break }

            let target = buffer(slot)
            let want = Int(min(Int64(Self.chunkSize), end - position))
            var got = 0
            while got < want {
                let n: Int
                do throws(SystemError) {
                    n = try Platform.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: target[got..<want]), at: position + Int64(got))
                } catch {
                    outcome = .failed(errno: error.errno)
                    break
                }
                if n == 0 {
                    outcome = .shortFile
                    break
                }
                got += n
            }
            position += Int64(got)
            let last: Bool
            if case .complete = outcome { last = position >= end } else { last = true }

            lock.lock()
            if got > 0 {
                lengths[slot] = got
                filled += 1
            }
            if last { readerEnd = outcome }
            if consumerWaiting { lock.broadcast() }
            lock.unlock()
            if last { return }
            slot = (slot + 1) % Self.slots
        }
        lock.lock()
        readerEnd = outcome
        if consumerWaiting { lock.broadcast() }
        lock.unlock()
    }
}
