public import ErrorSupport
/// Reading and writing JSON text with the fidelity registry files need.
///
/// `parse` reports syntax errors with the file, line and column; `serialize` writes the
/// layout Python's `json.dumps(value, indent=2)` writes (ASCII only, `\uXXXX` escapes), so a
/// file ImageWorks wrote and modelctl rewrote differs only where a value changed.
public enum JSON {
    /// Parses one JSON document.
    ///
    /// - Parameters:
    ///   - bytes: UTF-8 text.
    ///   - source: the name used in error messages, usually the file's path.
    /// - Throws: ``JSONSyntaxError`` naming `source`, the line and the column.
    public static func parse(_ bytes: some Collection<UInt8>, source: String) throws(JSONSyntaxError) -> JSONValue {
        let array = Array(bytes)
        // The parser reads through a buffer pointer: no bounds-checked array access or
        // generic slicing per byte (a 1 MB registry file is a million of them).
        return try array.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSONValue in
            var parser = Parser(bytes: buffer, source: source)
            return try parser.parseDocument()
        }
    }

    /// Parses one JSON document from a string.
    public static func parse(_ text: String, source: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8), source: source)
    }

    /// Writes `value` with a 2-space indent, members in their stored order, and no trailing newline.
    public static func serialize(_ value: JSONValue) -> String {
        String(decoding: serializeBytes(value), as: UTF8.self)
    }

    /// ``serialize(_:)`` as UTF-8 bytes, without building a `String` (registry saves).
    public static func serializeBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, indent: 0, into: &out)
        return out
    }

    /// Writes `value` on one line (`{"a": 1, "b": [true]}`), as Python's `json.dumps` does without indent.
    public static func serializeCompact(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        writeCompact(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            for i in items.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
                pad(indent + 1, &out)
                write(items[i], indent: indent + 1, into: &out)
            }
            out.append(0x0A)
            pad(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            out.append(UInt8(ascii: "{"))
            var first = true
            object.forEachMember { key, member in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(0x0A)
                pad(indent + 1, &out)
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                write(member, indent: indent + 1, into: &out)
            }
            out.append(0x0A)
            pad(indent, &out)
            out.append(UInt8(ascii: "}"))
        default:
            writeCompact(value, into: &out)
        }
    }

    private static func writeCompact(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.literal.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(contentsOf: "[".utf8)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(contentsOf: ", ".utf8) }
                writeCompact(item, into: &out)
            }
            out.append(contentsOf: "]".utf8)
        case .object(let object):
            out.append(contentsOf: "{".utf8)
            var first = true
            for (key, member) in object {
                if !first { out.append(contentsOf: ", ".utf8) }
                first = false
                writeString(key, into: &out)
                out.append(contentsOf: ": ".utf8)
                writeCompact(member, into: &out)
            }
            out.append(contentsOf: "}".utf8)
        }
    }

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    private static func pad(_ level: Int, _ out: inout [UInt8]) {
        var left = 2 * level
        while left > 0 {
            let n = min(left, spaces.count)
            out.append(contentsOf: spaces[0..<n])
            left -= n
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `s` as a quoted JSON string, escaped as Python's `json.dumps` does with
    /// `ensure_ascii`: printable ASCII as is, everything else `\uXXXX` (UTF-16 code units, so
    /// characters outside the BMP become surrogate pairs). Other writers of Python-compatible
    /// JSON (the model_signing statement) use it too.
    public static func writeString(_ s: String, into out: inout String) {
        var bytes: [UInt8] = []
        writeString(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// ``writeString(_:into:)-(_,String)`` into UTF-8 bytes.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Names, paths and digests, the strings of every registry save, are printable ASCII
        // with nothing to escape: copied as they are. Walking them by UTF-16 unit was most of
        // the cost of verify --all's save (bench case r).
        let copied = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 > 0x7E || $0 == 0x22 || $0 == 0x5C }) else { return false }
            out.append(contentsOf: bytes)
            return true
        } ?? false
        if copied {
            out.append(UInt8(ascii: "\""))
            return
        }
        for unit in s.utf16 {
            switch unit {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x20...0x7E: out.append(UInt8(unit))
            default:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
                for shift in stride(from: 12, through: 0, by: -4) {
                    out.append(hexDigits[Int((unit >> UInt16(shift)) & 0xF)])
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A JSON syntax error, with the place it was found.
///
/// Errors compare equal by ``code`` alone.
public struct JSONSyntaxError: CodedError {
    /// The kind of syntax error.
    public enum Code: Hashable, Sendable {
        /// The text is not JSON (the reason says what was expected).
        case invalid
        /// An object names the same member twice (the last would silently win).
        case duplicateKey
        /// Objects and arrays nest deeper than the parser allows.
        case tooDeep
    }

    /// The kind of syntax error; errors compare equal by it.
    public let code: Code
    /// The file (or other source) that was being read.
    public let source: String
    /// 1-based line.
    public let line: Int
    /// 1-based column, counted in characters.
    public let column: Int
    /// What was wrong.
    public let reason: String

    /// An error of `code` (tests compare on it).
    public init(_ code: Code, source: String = "", line: Int = 0, column: Int = 0, reason: String = "") {
        self.code = code
        self.source = source
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `source:line:column: reason`.
    public var message: String { "\(source):\(line):\(column): \(reason)" }
}

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let source: String
    var index = 0
    var depth = 0
    /// The members and elements of the objects and arrays being read, innermost last: each
    /// container is built once at its full size instead of growing member by member.
    var members: [JSONObject.Member] = []
    var elements: [JSONValue] = []

    init(bytes: UnsafeBufferPointer<UInt8>, source: String) {
        self.bytes = bytes
        self.source = source
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipPrologue()
        if index == bytes.count { throw error("the file is empty (expected a JSON value)") }
        let value = try parseValue()
        try finishDocument()
        return value
    }

    /// Steps over a UTF-8 byte order mark (tolerated, as Python's reader does with utf-8-sig)
    /// and the whitespace before the document's value.
    mutating func skipPrologue() {
        if index == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        skipWhitespace()
    }

    /// Only whitespace may follow the top-level value.
    mutating func finishDocument() throws(JSONSyntaxError) {
        skipWhitespace()
        if index != bytes.count { throw error("unexpected text after the JSON value") }
    }

    func error(_ reason: String, at offset: Int? = nil, code: JSONSyntaxError.Code = .invalid) -> JSONSyntaxError {
        let at = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<at where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        // Count characters, not bytes: skip UTF-8 continuation bytes.
        let column = bytes[lineStart..<at].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return JSONSyntaxError(code, source: source, line: line, column: column, reason: reason)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let b = bytes[index]
        if b >= 0x21 && b <= 0x7E { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16)
    }

    mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of file (expected a value)") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "N"): try expectWord("NaN"); return .number(JSONNumber(literal: "NaN"))
        case UInt8(ascii: "I"): try expectWord("Infinity"); return .number(JSONNumber(literal: "Infinity"))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected \(describeCurrent()) (expected a value)")
        }
    }

    mutating func expectWord(_ word: StaticString) throws(JSONSyntaxError) {
        let start = index
        for b in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard index < bytes.count, bytes[index] == b else {
                throw error("invalid literal (expected '\(word)')", at: start)
            }
            index += 1
        }
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > 512 { throw error("nesting deeper than 512 levels", code: .tooDeep) }
    }

    mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        let base = members.count
        defer { members.removeSubrange(base...) }
        // Small objects (every registry entry) check for a repeated key among their few keys
        // so far; a large one switches to a hash set, so parsing stays linear.
        var seen: Set<String>?
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describeCurrent()) (expected a member name in double quotes)")
            }
            let keyStart = index
            let key = try parseString()
            let repeated: Bool
            if seen != nil {
                repeated = !seen!.insert(key).inserted
            } else if members.count - base < 16 {
                repeated = members[base...].contains { $0.key == key }
            } else {
                seen = Set(members[base...].map(\.key))
                repeated = !seen!.insert(key).inserted
            }
            guard !repeated else {
                throw error("duplicate member \"\(key)\" in one object (remove one of them)", at: keyStart, code: .duplicateKey)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()) (expected ':' after member name)")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            if try endOfList(UInt8(ascii: "}")) { return .object(JSONObject(distinct: members[base...])) }
        }
    }

    mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        let base = elements.count
        defer { elements.removeSubrange(base...) }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        while true {
            skipWhitespace()
            let value = try parseValue()
            elements.append(value)
            skipWhitespace()
            if try endOfList(UInt8(ascii: "]")) { return .array(Array(elements[base...])) }
        }
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
        let start = index
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "I") {
                try expectWord("Infinity")
                return JSONNumber(literal: "-Infinity")
            }
        }
        func digits(_ p: inout Parser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) { p.index += 1 }
            return p.index - s
        }
        guard index < bytes.count else { throw error("invalid number", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits(&self) == 0 {
            throw error("invalid number", at: start)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits(&self) == 0 { throw error("invalid number (expected digits after '.')", at: start) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits(&self) == 0 { throw error("invalid number (expected exponent digits)", at: start) }
        }
        return JSONNumber(literal: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var buffer: [UInt8] = []
        var runStart = index
        var escaped = false
        var ascii = true
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                if !escaped {
                    // No escape: the text is the bytes between the quotes, taken as they are.
                    let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                    index += 1
                    // ASCII is valid UTF-8 as it stands; only other text needs validating.
                    if ascii { return String(decoding: run, as: UTF8.self) }
                    guard let s = String(validating: run, as: UTF8.self) else {
                        throw error("string is not valid UTF-8", at: start)
                    }
                    return s
                }
                buffer.append(contentsOf: bytes[runStart..<index])
                index += 1
                break
            }
            if b < 0x20 { throw error("control character in string (must be escaped)") }
            if b != UInt8(ascii: "\\") {
                if b >= 0x80 { ascii = false }
                index += 1
                continue
            }
            escaped = true
            buffer.append(contentsOf: bytes[runStart..<index])
            index += 1
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(try hex4())
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = UInt32(try hex4())
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid surrogate pair in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        throw error("lone surrogate in \\u escape")
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("lone surrogate in \\u escape")
                }
                buffer.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string", at: index - 2)
            }
            runStart = index
        }
        guard let s = String(validating: buffer, as: UTF8.self) else {
            throw error("string is not valid UTF-8", at: start)
        }
        return s
    }

    /// After a member or element: steps over a `,` (`false`: more follow) or the closing
    /// byte (`true`), or says what it found instead.
    mutating func endOfList(_ close: UInt8) throws(JSONSyntaxError) -> Bool {
        // (The message only on the way out: this runs after every member of every object.)
        func expected() -> String { "(expected ',' or '\(Character(Unicode.Scalar(close)))')" }
        guard index < bytes.count else { throw error("unexpected end of file " + expected()) }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        guard bytes[index] == close else { throw error("unexpected \(describeCurrent()) " + expected()) }
        index += 1
        return true
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt16 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt16(d)
            index += 1
        }
        return v
    }
}
