#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

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
    /// Reader threads started in this process, for tests to see that the path was taken.
    static let started = Atomic<Int>(0)

    /// How the range ended: read to its end, an early end of file, a read error, or stopped
    /// by the consumer.
    enum End { case complete, shortFile, failed(errno: Int32), stopped }

    private let fd: Int32
    private let end: Int64
    private let start: Int64
    private let memory: UnsafeMutableRawBufferPointer
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let filledCondition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let freedCondition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()

    // Shared state, guarded by `mutex`.
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
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(filledCondition, nil)
        pthread_cond_init(freedCondition, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<ReadAhead>.fromOpaque(context!).takeRetainedValue().readLoop()
            return nil
        }, context)
        if created != 0 {
            Unmanaged<ReadAhead>.fromOpaque(context).release()
            return nil
        }
        Self.started.wrappingAdd(1, ordering: .relaxed)
    }

    deinit {
        pthread_cond_destroy(freedCondition)
        pthread_cond_destroy(filledCondition)
        pthread_mutex_destroy(mutex)
        freedCondition.deallocate()
        filledCondition.deallocate()
        mutex.deallocate()
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
            pthread_mutex_lock(mutex)
            while filled == 0 && readerEnd == nil {
                consumerWaiting = true
                pthread_cond_wait(filledCondition, mutex)
                consumerWaiting = false
            }
            if filled == 0 {
                pthread_mutex_unlock(mutex)
                break
            }
            let length = lengths[slot]
            pthread_mutex_unlock(mutex)

            if !body(UnsafeRawBufferPointer(rebasing: buffer(slot)[0..<length])) {
                stop()
                return .stopped
            }

            pthread_mutex_lock(mutex)
            filled -= 1
            if readerWaiting && filled <= Self.slots / 2 { pthread_cond_signal(freedCondition) }
            pthread_mutex_unlock(mutex)
            slot = (slot + 1) % Self.slots
        }
        pthread_join(thread, nil)
        return readerEnd ?? .complete
    }

    /// Stops the reader early and waits for it.
    private func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(freedCondition)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
    }

    private func readLoop() {
        var position = start
        var slot = 0
        var outcome = End.complete
        while position < end {
            pthread_mutex_lock(mutex)
            while filled == Self.slots && !stopping {
                readerWaiting = true
                pthread_cond_wait(freedCondition, mutex)
                readerWaiting = false
            }
            let stop = stopping
            pthread_mutex_unlock(mutex)
            if stop { break }

            let target = buffer(slot)
            let want = Int(min(Int64(Self.chunkSize), end - position))
            var got = 0
            while got < want {
                let n = pread(fd, target.baseAddress! + got, want - got, off_t(position + Int64(got)))
                if n > 0 {
                    got += n
                } else if n == 0 {
                    outcome = .shortFile
                    break
                } else if errno != EINTR {
                    outcome = .failed(errno: errno)
                    break
                }
            }
            position += Int64(got)
            let last: Bool
            if case .complete = outcome { last = position >= end } else { last = true }

            pthread_mutex_lock(mutex)
            if got > 0 {
                lengths[slot] = got
                filled += 1
            }
            if last { readerEnd = outcome }
            if consumerWaiting { pthread_cond_signal(filledCondition) }
            pthread_mutex_unlock(mutex)
            if last { return }
            slot = (slot + 1) % Self.slots
        }
        pthread_mutex_lock(mutex)
        readerEnd = outcome
        if consumerWaiting { pthread_cond_signal(filledCondition) }
        pthread_mutex_unlock(mutex)
    }
}
