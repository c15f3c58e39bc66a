/// One file of an artifact root: its path relative to the root (with `/` separators) and its digest.
///
/// The path is kept byte for byte as the file system spells it (``pathBytes``); ``path`` is
/// the same text for every name that is valid UTF-8. Two files are equal when their path
/// bytes, digests and sizes are: the NFC and NFD spellings of a name are different files.
public struct ArtifactFile: Sendable, Hashable {
    var name: PathName
    var digest: DigestValue
    /// The size, or `Int64.min` for none: an optional would add eight bytes to every file of
    /// a million-file manifest.
    private var storedSize: Int64

    /// Size in bytes, when known (recorded manifests from other tools may not carry it).
    public var size: Int64? {
        get { storedSize == Int64.min ? nil : storedSize }
        set { storedSize = newValue ?? Int64.min }
    }

    public init(path: String, sha256: String, size: Int64? = nil) {
        self.init(name: PathName(path), digest: DigestValue(hex: sha256), size: size)
    }

    /// A file whose path is given as bytes, which need not be valid UTF-8.
    public init(pathBytes: [UInt8], sha256: String, size: Int64? = nil) {
        self.init(name: PathName(bytes: pathBytes), digest: DigestValue(hex: sha256), size: size)
    }

    init(name: PathName, digest: DigestValue, size: Int64?) {
        self.name = name
        self.digest = digest
        self.storedSize = size ?? Int64.min
    }

    /// Path relative to the artifact root, `/`-separated. For a name that is not valid UTF-8,
    /// the invalid bytes read as U+FFFD here; ``pathBytes`` has them exactly.
    public var path: String {
        get { name.string }
        set { name = PathName(newValue) }
    }

    /// The path's exact bytes, as the file system spells it.
    public var pathBytes: [UInt8] {
        get { name.bytes }
        set { name = PathName(bytes: newValue) }
    }

    /// Whether the path is valid UTF-8 (then ``path`` is exact).
    public var isPathUTF8: Bool { name.isUTF8 }

    /// The path for messages and terminals, with control characters and bytes that are not
    /// UTF-8 escaped (see ``displayEscaped(_:)``).
    public var displayPath: String { name.displayed }

    /// Lowercase hex SHA-256 of the file's bytes.
    public var sha256: String {
        get { digest.hex }
        set { digest = DigestValue(hex: newValue) }
    }

    /// The manifest line for this file as text (see ``lineBytes``); bytes of the path that
    /// are not UTF-8 read as U+FFFD.
    public var line: String { String(decoding: lineBytes, as: UTF8.self) }

    /// The manifest line for this file, as the aggregate digests it and `modelctl hash`
    /// prints it, without a newline: `<hex>  <path bytes>`; when the path holds a line feed or
    /// a carriage return, GNU `sha256sum`'s escaped form `\<hex>  <path>` with `\` written
    /// as `\\`, LF as `\n` and CR as `\r`.
    public var lineBytes: [UInt8] {
        var out: [UInt8] = []
        appendLine(to: &out)
        return out
    }

    /// Whether the line takes the escaped form.
    var needsEscapedLine: Bool { name.withBytes { needsLineEscape($0) } }

    func appendLine(to out: inout [UInt8]) {
        name.withBytes { path in
            let escaped = needsLineEscape(path)
            if escaped { out.append(0x5C) }
            digest.appendHex(to: &out)
            out += [0x20, 0x20]
            if escaped { appendLineEscaped(path, to: &out) } else { out += path }
        }
    }
}

/// A digest as 32 bytes (four big-endian words, which order as the hex does), or, for a
/// recorded value that is not 64 lowercase hex digits, the text as given.
enum DigestValue: Sendable, Hashable {
    case raw(UInt64, UInt64, UInt64, UInt64)
    case text(String)

    init(hex: String) {
        // (Not `withUTF8` on a copy: that mutating call copies a string it shares.)
        let raw = hex.utf8.withContiguousStorageIfAvailable(DigestValue.init(hexBytes:))
            ?? Array(hex.utf8).withUnsafeBufferPointer(DigestValue.init(hexBytes:))
        self = raw ?? .text(hex)
    }

    /// The digest whose 64 lowercase hex digits are `hex`; `nil` for anything else.
    init?(hexBytes hex: UnsafeBufferPointer<UInt8>) {
        guard hex.count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for w in 0..<4 {
            var word: UInt64 = 0
            for i in (w * 16)..<(w * 16 + 16) {
                let c = hex[i]
                let v: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c &- UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c &- UInt8(ascii: "a") &+ 10
                default: return nil
                }
                word = word << 4 | UInt64(v)
            }
            switch w {
            case 0: words.0 = word
            case 1: words.1 = word
            case 2: words.2 = word
            default: words.3 = word
            }
        }
        self = .raw(words.0, words.1, words.2, words.3)
    }

    /// The digest from its 32 bytes.
    init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32)
        func word(_ i: Int) -> UInt64 { UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        self = .raw(word(0), word(1), word(2), word(3))
    }

    var hex: String {
        switch self {
        case .text(let text): return text
        case .raw:
            var out: [UInt8] = []
            out.reserveCapacity(64)
            appendHex(to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    func appendHex(to out: inout [UInt8]) {
        switch self {
        case .text(let text): out += text.utf8
        case .raw(let a, let b, let c, let d):
            // Written into 64 bytes on the stack and appended at once: a manifest line per
            // file of a million-file tree makes a byte-at-a-time append show in the profile.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hex in
                DigestValue.writeHex(a, to: hex, at: 0)
                DigestValue.writeHex(b, to: hex, at: 16)
                DigestValue.writeHex(c, to: hex, at: 32)
                DigestValue.writeHex(d, to: hex, at: 48)
                out.append(contentsOf: UnsafeBufferPointer(hex))
            }
        }
    }
}

extension DigestValue {
    /// Writes the 16 lowercase hex digits of `word` at `start`.
    fileprivate static func writeHex(_ word: UInt64, to out: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        for k in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: word >> UInt64(60 - 4 * k)) & 0xF
            out[start + k] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        }
    }
}
