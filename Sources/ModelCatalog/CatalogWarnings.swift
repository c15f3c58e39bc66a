import Foundation
import Synchronization

/// Where catalog warnings go, and the memory of which ones were already given.
///
/// Every warning the catalog emits (a source that failed, an enumeration value it does not
/// know, an unknown model in `warn` mode) goes through one ``CatalogWarnings``. Warnings given
/// with ``warnOnce(key:_:)`` are given at most once per instance, however many catalogs are
/// loaded and lookups made with it; ``shared`` is the process-wide instance, so the CLI warns
/// once per model per process. The library writes nowhere itself: the program gives the sink
/// (the CLI its log, under `--quiet` and `--log-timestamps`) with ``useShared(_:)``; until
/// then ``shared`` drops what it is given.
///
/// Tests make their own instance with a capturing sink:
///
/// ```swift
/// let lines = Mutex<[String]>([])
/// let warnings = CatalogWarnings { line in lines.withLock { $0.append(line) } }
/// ```
public final class CatalogWarnings: Sendable {
    private static let sharedChannel = Mutex(CatalogWarnings { _ in })

    /// The process-wide instance, the default of every function that takes warnings.
    public static var shared: CatalogWarnings { sharedChannel.withLock { $0 } }

    /// Makes `warnings` the process-wide ``shared`` instance.
    public static func useShared(_ warnings: CatalogWarnings) {
        sharedChannel.withLock { $0 = warnings }
    }

    private let sink: @Sendable (String) -> Void
    private let given = Mutex<Set<String>>([])

    /// A warnings channel that hands each message to `sink`: one line, without a
    /// `warning:` prefix or a trailing newline (the sink adds what its output needs).
    public init(sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// Emits `message`, with control characters escaped (see ``printable(_:)``).
    public func warn(_ message: String) {
        sink(Self.printable(message))
    }

    /// Emits `message` unless a warning with the same `key` was already given through this
    /// instance.
    ///
    /// - Returns: `true` when the message was emitted now.
    @discardableResult
    public func warnOnce(key: String, _ message: String) -> Bool {
        let isNew = given.withLock { $0.insert(key).inserted }
        if isNew { sink(Self.printable(message)) }
        return isNew
    }

    /// `message` as one printable line: model names and URLs in warnings come from servers and
    /// files, so control characters (C0, DEL, C1) become `\xHH` (`\n`, `\r`, `\t` for those)
    /// and bidirectional controls `\u{HHHH}`, and a name cannot clear the screen, set the
    /// window title or forge another line.
    public static func printable(_ message: String) -> String {
        func escaped(_ scalar: Unicode.Scalar) -> String? {
            switch scalar.value {
            case 0x0A: "\\n"
            case 0x0D: "\\r"
            case 0x09: "\\t"
            case 0x00...0x1F, 0x7F: "\\x" + String(scalar.value, radix: 16).leftPadded(2)
            case 0x80...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
                "\\u{" + String(scalar.value, radix: 16, uppercase: true).leftPadded(4) + "}"
            default: nil
            }
        }
        guard message.unicodeScalars.contains(where: { escaped($0) != nil }) else { return message }
        var out = ""
        for scalar in message.unicodeScalars {
            if let text = escaped(scalar) { out += text } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
