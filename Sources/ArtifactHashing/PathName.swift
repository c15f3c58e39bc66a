/// A file name or relative path exactly as the file system spells it: a `String` when the
/// bytes are valid UTF-8 (as good as always), the bytes themselves otherwise.
///
/// Equality, hashing and order are by bytes. Swift's `String` compares by canonical
/// equivalence, so the NFC and NFD spellings of `café` (two distinct files on Linux) would be
/// one `String` key; a `PathName` keeps them apart.
struct PathName: Sendable, Hashable, Comparable {
    private enum Storage: Sendable {
        case text(String)
        /// Not valid UTF-8.
        case bytes([UInt8])
    }

    private var storage: Storage

    init(_ text: String) { storage = .text(text) }

    /// The name for `bytes`: text when they are valid UTF-8.
    init(bytes: some Collection<UInt8>) {
        if let text = String(validating: bytes, as: UTF8.self) {
            storage = .text(text)
        } else {
            storage = .bytes(Array(bytes))
        }
    }

    /// The name for the bytes of a directory entry.
    init(entry: UnsafeRawBufferPointer) {
        self.init(bytes: entry.bindMemory(to: UInt8.self))
    }

    /// Whether the bytes are valid UTF-8.
    var isUTF8: Bool { if case .text = storage { true } else { false } }

    /// The name as text; bytes that are not UTF-8 become U+FFFD.
    var string: String {
        switch storage {
        case .text(let text): text
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The exact bytes.
    var bytes: [UInt8] {
        switch storage {
        case .text(let text): Array(text.utf8)
        case .bytes(let bytes): bytes
        }
    }

    var isEmpty: Bool { withBytes { $0.isEmpty } }

    /// Calls `body` with the exact bytes.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        switch storage {
        case .text(let text):
            let done: Void? = text.utf8.withContiguousStorageIfAvailable { buffer in
                result = Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(buffer)) }
            }
            if done == nil {
                var text = text
                text.withUTF8 { buffer in result = Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(buffer)) } }
            }
        case .bytes(let bytes):
            bytes.withUnsafeBytes { buffer in result = Result { () throws(E) -> R in try body(buffer) } }
        }
        return try result!.get()
    }

    /// Calls `body` with the name as a NUL-terminated C string.
    func withCString<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        switch storage {
        case .text(let text):
            text.withCString { pointer in result = Result { () throws(E) -> R in try body(pointer) } }
        case .bytes(let bytes):
            (bytes + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    result = Result { () throws(E) -> R in try body(chars.baseAddress!) }
                }
            }
        }
        return try result!.get()
    }

    /// Whether the name holds `byte`.
    func contains(_ byte: UInt8) -> Bool { withBytes { $0.contains(byte) } }

    /// `self + separator + other`, or `other` when `self` is empty.
    func appending(_ other: PathName, separator: String = "/") -> PathName {
        if isEmpty { return other }
        if case .text(let a) = storage, case .text(let b) = other.storage { return PathName(a + separator + b) }
        return PathName(bytes: bytes + Array(separator.utf8) + other.bytes)
    }

    /// The name for messages, control characters and bytes that are not UTF-8 escaped
    /// (see ``displayEscaped(_:)``).
    var displayed: String {
        switch storage {
        case .text(let text): displayEscaped(text)
        case .bytes(let bytes): displayEscaped(bytes: bytes)
        }
    }

    static func == (a: PathName, b: PathName) -> Bool {
        a.withBytes { x in b.withBytes { y in x.elementsEqual(y) } }
    }

    func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: $0) }
    }

    static func < (a: PathName, b: PathName) -> Bool {
        a.withBytes { x in b.withBytes { y in compareBytes(x, y) < 0 } }
    }
}

// MARK: - Escaping

/// `text` made safe to print on a terminal or in a message: control characters (C0, DEL and
/// C1), Unicode bidirectional overrides and isolates (which reorder what is shown), and the
/// backslash itself are written as escapes, so a name cannot clear the screen, set a window
/// title, forge a line or hide its real spelling.
///
/// `\\`, `\t`, `\n` and `\r` keep their usual escapes; other C0 controls and DEL become
/// `\xHH`; C1 controls and bidirectional controls become `\u{HHHH}`. Everything else is kept.
///
/// ```swift
/// displayEscaped("weights\u{1B}[2J.bin")   // "weights\\x1b[2J.bin"
/// ```
///
/// With `backslashes: false` a backslash is kept as it is: for a message whose names were
/// escaped when it was written, so that their escapes are not escaped twice.
public func displayEscaped(_ text: String, backslashes: Bool = true) -> String {
    func needed(_ scalar: Unicode.Scalar) -> Bool { needsDisplayEscape(scalar) && (backslashes || scalar != "\\") }
    guard text.unicodeScalars.contains(where: needed) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        if needed(scalar) { appendDisplayed(scalar, to: &out) } else { out.unicodeScalars.append(scalar) }
    }
    return out
}

/// The bytes of a file name made safe to print: as ``displayEscaped(_:)``, and each byte that
/// is not part of valid UTF-8 written as `\xHH`.
public func displayEscaped(bytes: some Collection<UInt8>) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return displayEscaped(text) }
    let bytes = Array(bytes)
    var out = ""
    var i = 0
    while i < bytes.count {
        let lead = bytes[i]
        let length = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0
        if length > 0, i + length <= bytes.count,
           let decoded = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
            for scalar in decoded.unicodeScalars { appendDisplayed(scalar, to: &out) }
            i += length
        } else {
            out += "\\x" + hexByte(lead)
            i += 1
        }
    }
    return out
}

private func needsDisplayEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x5C, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
    default: false
    }
}

private func appendDisplayed(_ scalar: Unicode.Scalar, to out: inout String) {
    guard needsDisplayEscape(scalar) else {
        out.unicodeScalars.append(scalar)
        return
    }
    switch scalar.value {
    case 0x5C: out += "\\\\"
    case 0x09: out += "\\t"
    case 0x0A: out += "\\n"
    case 0x0D: out += "\\r"
    case 0x00...0x1F, 0x7F: out += "\\x" + hexByte(UInt8(scalar.value))
    default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
    }
}

private func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

/// Whether a manifest line for this name must be written in `sha256sum`'s escaped form: the
/// name holds a line feed or a carriage return, which a line cannot carry as they are.
func needsLineEscape(_ name: UnsafeRawBufferPointer) -> Bool {
    name.contains(0x0A) || name.contains(0x0D)
}

/// Appends `name` escaped as GNU `sha256sum` escapes names: `\` as `\\`, LF as `\n`, CR as `\r`.
func appendLineEscaped(_ name: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    for byte in name {
        switch byte {
        case 0x5C: out += [0x5C, 0x5C]
        case 0x0A: out += [0x5C, UInt8(ascii: "n")]
        case 0x0D: out += [0x5C, UInt8(ascii: "r")]
        default: out.append(byte)
        }
    }
}
