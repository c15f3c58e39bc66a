#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place blocking work runs: a pool of threads of our own, shared by the whole process.
///
/// Swift's cooperative pool has one thread per processor, and a task that blocks in `pread`,
/// `poll`, `getaddrinfo` or `flock` holds one of them: eight children each blocked for 0.5 s
/// take 2 s on two cores. Children of a task group started with this executor as their
/// preference (`group.addTask(executorPreference: BlockingExecutor.shared)`, SE-0417) run on
/// these threads instead, so `--jobs` above the processor count really adds reads in flight.
///
/// Two kinds of work come here:
/// - task jobs: at most ``width`` threads run them (raise it with ``reserve(_:)``, as a hash
///   with `jobs` workers does);
/// - blocking calls (``run(_:)``, ``execute(_:)``: HTTP exchanges, lock waits): each gets a
///   thread beyond that width while it runs, so a slow server or a held lock never takes a
///   hashing worker's place, and no hashing holds up an exchange.
///
/// Threads start when work finds none idle and stay parked on a condition afterwards.
///
/// ```swift
/// BlockingExecutor.shared.reserve(8)
/// await withTaskGroup(of: Void.self) { group in
///     for path in paths { group.addTask(executorPreference: BlockingExecutor.shared) { hash(path) } }
/// }
/// ```
public final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's executor (starts with no threads and a width of one per processor).
    public static let shared = BlockingExecutor()

    /// Widths are cut to this many threads (a `--jobs` of a million must not start a million).
    public static let maximumWidth = 256

    // Everything below is guarded by `mutex`; `wake` is signalled when work is queued.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs = FIFO<UnownedJob>()
    private var calls = FIFO<() -> Void>()
    private var threads = 0
    private var idle = 0
    private var jobWidth: Int
    private var runningJobs = 0
    /// Blocking calls queued or running: each may hold a thread beyond the width.
    private var callsInFlight = 0

    /// An executor of its own (tests); the process uses ``shared``. Its threads are never ended.
    init(width: Int = BlockingExecutor.processorCount) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        jobWidth = min(Self.maximumWidth, max(1, width))
    }

    /// Processors this process may run on.
    public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Threads that may run task jobs at once.
    public var width: Int { locked { jobWidth } }

    /// Lets at least `threads` task jobs run at once (cut to 1 ... ``maximumWidth``); the
    /// width never shrinks, as threads already started stay for later work.
    public func reserve(_ threads: Int) {
        submit { jobWidth = max(jobWidth, min(Self.maximumWidth, max(1, threads))) }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { jobs.push(job) }
    }

    /// Runs `work` on a thread of the pool, beyond ``width``: for a call that may block a
    /// long time. Returns at once.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        submit {
            calls.push(work)
            callsInFlight += 1
        }
    }

    /// Runs the blocking `body` on a thread of the pool (see ``execute(_:)``) and returns
    /// what it returns, without holding a thread of the concurrency pool meanwhile.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            execute { continuation.resume(returning: Result { () throws(E) -> T in try body() }) }
        }
        return try result.get()
    }

    /// Runs `here` on the calling thread while `there` runs on a thread of the pool (see
    /// ``execute(_:)``), and returns both results when both are done: two independent pieces
    /// of work in synchronous code, such as a registry's large files parsed or written side by
    /// side. When both throw, `here`'s error is thrown.
    public func together<A, B: Sendable, E: Error>(_ here: () throws(E) -> A,
                                                   _ there: @escaping @Sendable () throws(E) -> B) throws(E) -> (A, B) {
        let handoff = Handoff<Result<B, E>>()
        execute { handoff.put(Result { () throws(E) -> B in try there() }) }
        let first = Result { () throws(E) -> A in try here() }
        let second = handoff.take()
        return (try first.get(), try second.get())
    }

    /// Makes `change` (queues work, or widens) under the lock, then wakes a thread for it, or starts one when no idle
    /// thread is left for the work that may run now.
    private func submit(_ change: () -> Void) {
        let start = locked { () -> Bool in
            change()
            let runnable = calls.count + min(jobs.count, max(0, jobWidth - runningJobs))
            if runnable > idle, threads < jobWidth + callsInFlight {
                threads += 1
                return true
            }
            pthread_cond_signal(wake)
            return false
        }
        if start { startThread() }
    }

    private func startThread() {
        final class Context { let pool: BlockingExecutor; init(_ pool: BlockingExecutor) { self.pool = pool } }
        let context = Unmanaged.passRetained(Context(self)).toOpaque()
        #if canImport(Darwin)
        var handle: pthread_t?
        #else
        var handle = pthread_t()
        #endif
        let created = pthread_create(&handle, nil, { context in
            #if canImport(Darwin)
            let pool = Unmanaged<Context>.fromOpaque(context).takeRetainedValue().pool
            #else
            let pool = Unmanaged<Context>.fromOpaque(context!).takeRetainedValue().pool
            #endif
            pool.serve()
            return nil
        }, context)
        if created == 0 {
            pthread_detach(handle)
        } else {
            Unmanaged<Context>.fromOpaque(context).release()
            // The work waits for a thread that is running; with none it would wait for ever.
            let none = locked { () -> Bool in
                threads -= 1
                return threads == 0
            }
            if none { fatalError("BlockingExecutor: cannot start a thread (pthread_create: \(String(cString: strerror(created))))") }
        }
    }

    /// A pool thread: for ever takes the oldest blocking call, else the oldest job while
    /// fewer than ``width`` run, parked while there is neither.
    private func serve() {
        pthread_mutex_lock(mutex)
        while true {
            if let call = calls.pop() {
                pthread_mutex_unlock(mutex)
                call()
                pthread_mutex_lock(mutex)
                callsInFlight -= 1
            } else if runningJobs < jobWidth, let job = jobs.pop() {
                runningJobs += 1
                pthread_mutex_unlock(mutex)
                job.runSynchronously(on: asUnownedTaskExecutor())
                pthread_mutex_lock(mutex)
                runningJobs -= 1
            } else {
                idle += 1
                pthread_cond_wait(wake, mutex)
                idle -= 1
            }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// A first-in, first-out queue: an array read from a moving head, compacted as it drains.
private struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }

    mutating func push(_ item: Element) { items.append(item) }

    mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}

/// One value passed from a pool thread to a thread that waits for it.
private final class Handoff<Value>: @unchecked Sendable {
    // `value` is guarded by `mutex`; `filled` is signalled when it is set.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let filled = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value?

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(filled, nil)
    }

    deinit {
        pthread_cond_destroy(filled)
        pthread_mutex_destroy(mutex)
        filled.deallocate()
        mutex.deallocate()
    }

    func put(_ item: Value) {
        pthread_mutex_lock(mutex)
        value = item
        pthread_cond_signal(filled)
        pthread_mutex_unlock(mutex)
    }

    func take() -> Value {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while value == nil { pthread_cond_wait(filled, mutex) }
        return value!
    }
}
