import Dispatch
import Synchronization

/// Runs a few independent pieces of work at once and returns their results in order.
///
/// Registry files are parsed and written this way: the discovered layer and the merged
/// snapshot are each about a megabyte for 1,000 entries, and on a two-core host parsing them
/// side by side halves the time a command spends before it can start its work; writing them
/// side by side lets one file's fsync wait while the other is serialized.
public enum Concurrently {
    /// `work(0) ..< work(count)`, run at once on the processors; the first error in index order
    /// is thrown. Without `concurrently` (work too small to pay for threads), or for one piece,
    /// the pieces run in order on the calling thread.
    public static func map<T: Sendable, E: Error>(_ count: Int, concurrently: Bool = true,
                                                  _ work: @Sendable (Int) throws(E) -> T) throws(E) -> [T] {
        if count <= 1 || !concurrently {
            var out: [T] = []
            for i in 0..<count { try out.append(work(i)) }
            return out
        }
        let results = Mutex<[Result<T, E>?]>(Array(repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result = Result { () throws(E) -> T in try work(i) }
            results.withLock { $0[i] = result }
        }
        var out: [T] = []
        for result in results.withLock({ $0 }) { try out.append(result!.get()) }
        return out
    }
}
