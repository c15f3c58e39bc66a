import Foundation
import Synchronization

/// Where catalog warnings go, and the memory of which ones were already given.
///
/// Every warning the catalog emits (a source that failed, an enumeration value it does not
/// know, an unknown model in `warn` mode) goes through one ``CatalogWarnings``. Warnings given
/// with ``warnOnce(key:_:)`` are given at most once per instance, however many catalogs are
/// loaded and lookups made with it; ``shared`` is the process-wide instance, so the CLI warns
/// once per model per process.
///
/// Tests make their own instance with a capturing sink:
///
/// ```swift
/// let lines = Mutex<[String]>([])
/// let warnings = CatalogWarnings { line in lines.withLock { $0.append(line) } }
/// ```
public final class CatalogWarnings: Sendable {
    /// The process-wide instance, writing to standard error.
    public static let shared = CatalogWarnings()

    /// A sink that writes `modelctl: warning: MESSAGE` and a newline to standard error.
    public static let standardError: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data(("modelctl: warning: " + message + "\n").utf8))
    }

    private let sink: @Sendable (String) -> Void
    private let given = Mutex<Set<String>>([])

    /// A warnings channel that hands each message to `sink`: one line, without a
    /// `warning:` prefix or a trailing newline (the sink adds what its output needs).
    public init(sink: @escaping @Sendable (String) -> Void = CatalogWarnings.standardError) {
        self.sink = sink
    }

    /// Emits `message`.
    public func warn(_ message: String) {
        sink(message)
    }

    /// Emits `message` unless a warning with the same `key` was already given through this
    /// instance.
    ///
    /// - Returns: `true` when the message was emitted now.
    @discardableResult
    public func warnOnce(key: String, _ message: String) -> Bool {
        let isNew = given.withLock { $0.insert(key).inserted }
        if isNew { sink(message) }
        return isNew
    }
}
