#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of its own for a piece of work, joined when the work is wanted.
///
/// For work that must run beside the caller whatever else is running (``Concurrently``):
/// Dispatch runs a `concurrentPerform` nested in another one on the calling thread, and its
/// global queues may hold work back while their threads are busy.
public final class OSThread: @unchecked Sendable {
    #if canImport(Darwin)
    private var handle: pthread_t?
    #else
    private var handle = pthread_t()
    #endif

    private init() {}

    /// Starts `body` on a new thread; `nil` when no thread can be created.
    public static func start(_ body: @escaping () -> Void) -> OSThread? {
        final class Box { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
        let thread = OSThread()
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        // 8 MiB of stack, as a main thread has: the work may recurse (a JSON parse allows
        // 512 levels), and some systems give other threads far less by default.
        let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
        pthread_attr_init(attributes)
        defer {
            pthread_attr_destroy(attributes)
            attributes.deallocate()
        }
        pthread_attr_setstacksize(attributes, 8 << 20)
        #if canImport(Darwin)
        let created = pthread_create(&thread.handle, attributes, { context in
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, context)
        #else
        let created = pthread_create(&thread.handle, attributes, { context in
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        #endif
        guard created == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            return nil
        }
        return thread
    }

    /// Waits for the thread to end.
    public func join() {
        #if canImport(Darwin)
        if let handle { pthread_join(handle, nil) }
        #else
        pthread_join(handle, nil)
        #endif
    }
}
