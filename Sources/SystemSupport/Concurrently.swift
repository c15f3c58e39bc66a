import Synchronization

/// Runs a few independent pieces of work at once and returns their results in order.
///
/// Registry files are parsed and written this way: the discovered layer and the merged
/// snapshot are each about a megabyte for 1,000 entries, and on a two-core host parsing them
/// side by side halves the time a command spends before it can start its work; writing them
/// side by side lets one file's fsync wait while the other is serialized.
///
/// Each piece past the first gets a thread of its own (``OSThread``) and the first runs on the
/// caller's, so a piece may itself split its work: Dispatch's `concurrentPerform`, used here
/// before, runs a call nested in another in sequence, and a large layer parsed in halves
/// inside the concurrent read of the registry files got no second processor.
public enum Concurrently {
    /// `work(0) ..< work(count)`, run at once; the first error in index order is thrown.
    /// Without `concurrently` (work too small to pay for threads), or for one piece, the
    /// pieces run in order on the calling thread. Meant for a few pieces (a thread each).
    public static func map<T: Sendable, E: Error>(_ count: Int, concurrently: Bool = true,
                                                  _ work: @Sendable (Int) throws(E) -> T) throws(E) -> [T] {
        if count <= 1 || !concurrently {
            var out: [T] = []
            for i in 0..<count { try out.append(work(i)) }
            return out
        }
        let results = Mutex<[Result<T, E>?]>(Array(repeating: nil, count: count))
        withoutActuallyEscaping(work) { work in
            @Sendable func run(_ i: Int) {
                let result = Result { () throws(E) -> T in try work(i) }
                results.withLock { $0[i] = result }
            }
            // Every thread is joined before `work` goes out of scope.
            let threads = (1..<count).map { i in (i, OSThread.start { run(i) }) }
            run(0)
            for (i, thread) in threads {
                if let thread { thread.join() } else { run(i) }
            }
        }
        var out: [T] = []
        for result in results.withLock({ $0 }) { try out.append(result!.get()) }
        return out
    }

    /// `work` over `count` items cut into `parts` ranges of nearly equal size, run at once
    /// (see ``map(_:concurrently:_:)``); the results in order.
    public static func map<T: Sendable>(_ count: Int, inParts parts: Int, _ work: @Sendable (Range<Int>) -> T) -> [T] {
        map(max(1, parts)) { part in
            work((count * part / max(1, parts))..<(count * (part + 1) / max(1, parts)))
        }
    }
}
