public import ErrorSupport
import SystemSupport
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

    /// ``parse(_:source:)`` for a large document whose top level is an array written one
    /// element per indented block (a registry layer): the array is cut in two at an element
    /// boundary and the halves are parsed at once. The value and any error are the ones
    /// ``parse(_:source:)`` gives.
    ///
    /// The cut is found from the layout (a `,` ending a line whose next line opens an object
    /// at the first indent) and proven by the first half's parse, which reads from the start
    /// of the document: when it does not arrive at the cut between two elements, it simply
    /// reads on to the end and the second half's work is dropped.
    public static func parse(_ bytes: [UInt8], source: String, splittingAbove threshold: Int) throws(JSONSyntaxError) -> JSONValue {
        guard bytes.count >= threshold,
              let cut = bytes.withUnsafeBufferPointer({ buffer in var probe = Parser(bytes: buffer, source: source); return probe.arrayCut() })
        else {
            return try parse(bytes, source: source)
        }
        let halves = Concurrently.map(2) { half in
            bytes.withUnsafeBufferPointer { buffer in
                var parser = Parser(bytes: buffer, source: source)
                return Result { () throws(JSONSyntaxError) -> Parser.Half in
                    half == 0 ? try parser.parseArrayHead(until: cut) : try parser.parseArrayTail(after: cut)
                }
            }
        }
        // A sequential parse meets the first half's errors first.
        let head = try halves[0].get()
        if let whole = head.whole { return whole }
        return .array(head.elements + (try halves[1].get()).elements)
    }

    /// The `member` string of each object of a top-level array, read without building the
    /// document: a check of a file most of whose content is not needed (the registry's merged
    /// snapshot, read only for entries that no layer holds) costs a fraction of ``parse(_:source:)``.
    ///
    /// - Returns: the strings in order, or `nil` when the text is not a valid array of objects
    ///   that each have one `member`, a string, and no repeated or escaped member names (the
    ///   caller then parses in full, which says what is wrong). Repeated names inside nested
    ///   objects are not looked for.
    public static func memberStrings(_ bytes: [UInt8], member: String) -> [String]? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer, source: "")
            return try? parser.scanMemberStrings(Array(member.utf8))
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

    /// ``serializeBytes(_:)`` of a value that stands `indent` levels deep: how it reads as an
    /// element of an array at level `indent - 1`, so that elements written once can be joined
    /// into several documents (see ``joinArray(_:)``).
    public static func serializeBytes(_ value: JSONValue, indent: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, indent: indent, into: &out)
        return out
    }

    /// The text ``serializeBytes(_:)`` writes for a top-level array whose elements' texts,
    /// written with ``serializeBytes(_:indent:)`` at indent 1, are `elements`.
    public static func joinArray(_ elements: [[UInt8]]) -> [UInt8] {
        if elements.isEmpty { return Array("[]".utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(2) { $0 + $1.count + 4 })
        out.append(UInt8(ascii: "["))
        for (i, element) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: [0x0A, 0x20, 0x20])
            out.append(contentsOf: element)
        }
        out.append(0x0A)
        out.append(UInt8(ascii: "]"))
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
        // Most strings (names, paths, digests) are printable ASCII with nothing to escape:
        // their UTF-8 bytes are the output as they are.
        func appendIfPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
            guard ByteScan.plainStringEnd(utf8, from: 0) == utf8.count, !utf8.contains(0x7F) else { return false }
            out.append(contentsOf: utf8)
            return true
        }
        // (Not `withUTF8` on a copy: that mutating call copies a string it shares.)
        if s.utf8.withContiguousStorageIfAvailable(appendIfPlain) ?? Array(s.utf8).withUnsafeBufferPointer(appendIfPlain) {
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
            case 0x20: index = ByteScan.spacesEnd(bytes, from: index + 1)
            case 0x0A, 0x0D, 0x09: index += 1
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
        try parseArray(stoppingAt: -1).value
    }

    /// The array whose `[` is at `index`; when an element ends exactly at `cut` (a top-level
    /// array's `,`, see ``arrayCut()``), the elements so far, stopping there.
    mutating func parseArray(stoppingAt cut: Int) throws(JSONSyntaxError) -> (value: JSONValue, reachedCut: Bool) {
        try enter()
        defer { depth -= 1 }
        index += 1
        let base = elements.count
        defer { elements.removeSubrange(base...) }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return (.array([]), false)
        }
        let reachedCut = try readElements(stoppingAt: cut)
        return (.array(Array(elements[base...])), reachedCut)
    }

    /// Reads elements and their separators onto ``elements`` up to and past the array's `]`
    /// (`false`), or until an element ends exactly at `cut` (`true`).
    mutating func readElements(stoppingAt cut: Int) throws(JSONSyntaxError) -> Bool {
        while true {
            skipWhitespace()
            let value = try parseValue()
            elements.append(value)
            skipWhitespace()
            if index == cut { return true }
            if try endOfList(UInt8(ascii: "]")) { return false }
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
            index = ByteScan.plainStringEnd(bytes, from: index)
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

    // MARK: A top-level array in two halves

    /// What one half of a top-level array's parse gives: its elements, or (the first half,
    /// when its cut was not between two elements) the whole document.
    struct Half: Sendable {
        var elements: [JSONValue] = []
        var whole: JSONValue?
    }

    /// Where a top-level array written with a 2-space indent may be cut: the first `,` past
    /// the middle that ends a line whose next line opens an object at the first indent.
    /// A raw newline is never inside a string, so this can only be wrong about the depth,
    /// which the first half's parse checks.
    mutating func arrayCut() -> Int? {
        skipPrologue()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
        var j = max(index + 1, bytes.count / 2)
        while j + 4 < bytes.count {
            if bytes[j] == UInt8(ascii: ","), bytes[j + 1] == 0x0A, bytes[j + 2] == 0x20, bytes[j + 3] == 0x20, bytes[j + 4] == UInt8(ascii: "{") {
                return j
            }
            j += 1
        }
        return nil
    }

    /// Parses the document (a top-level array) from its start, stopping when an element ends
    /// exactly at `cut`; otherwise it is the whole document, as ``parseDocument()`` reads it.
    mutating func parseArrayHead(until cut: Int) throws(JSONSyntaxError) -> Half {
        skipPrologue()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return Half(whole: try parseDocument()) }
        let (array, reachedCut) = try parseArray(stoppingAt: cut)
        if reachedCut { return Half(elements: array.arrayValue ?? []) }
        try finishDocument()
        return Half(whole: array)
    }

    /// Parses the elements after the `,` at `cut` to the array's end and the document's.
    mutating func parseArrayTail(after cut: Int) throws(JSONSyntaxError) -> Half {
        index = cut + 1
        depth = 1
        _ = try readElements(stoppingAt: -1)
        try finishDocument()
        return Half(elements: elements)
    }

    // MARK: Scanning without building values

    /// See ``JSON/memberStrings(_:member:)``; throws on anything it does not accept.
    mutating func scanMemberStrings(_ member: [UInt8]) throws(JSONSyntaxError) -> [String] {
        skipPrologue()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { throw error("expected an array") }
        var found: [String] = []
        var keys: [Range<Int>] = []
        try skipContainer(UInt8(ascii: "]")) { (p) throws(JSONSyntaxError) in
            guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "{") else { throw p.error("expected an object") }
            keys.removeAll(keepingCapacity: true)
            var value: String?
            try p.skipContainer(UInt8(ascii: "}")) { (p) throws(JSONSyntaxError) in
                let key = try p.skipString()
                // An escaped or repeated name is left to the full parse.
                let name = UnsafeBufferPointer(rebasing: p.bytes[key])
                if name.contains(UInt8(ascii: "\\")) || keys.contains(where: { p.bytes[$0].elementsEqual(name) }) {
                    throw p.error("escaped or repeated member name")
                }
                keys.append(key)
                try p.expect(UInt8(ascii: ":"))
                p.skipWhitespace()
                if name.elementsEqual(member) {
                    guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "\"") else { throw p.error("not a string") }
                    value = try p.parseString()
                } else {
                    try p.skipValue()
                }
            }
            guard let value else { throw p.error("member missing") }
            found.append(value)
        }
        skipWhitespace()
        if index != bytes.count { throw error("unexpected text after the JSON value") }
        return found
    }

    /// Consumes `,` (then `false`) or `close` (then `true`).
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

    mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw error("unexpected \(describeCurrent())") }
        index += 1
    }

    /// Steps over a string, checking its escapes and UTF-8; returns the range between the quotes.
    mutating func skipString() throws(JSONSyntaxError) -> Range<Int> {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        let start = index
        index += 1
        var ascii = true
        while true {
            index = ByteScan.plainStringEnd(bytes, from: index)
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw error("control character in string") }
            if b >= 0x80 { ascii = false }
            if b == UInt8(ascii: "\\") {
                // Escapes are rare: the full string reader checks them (and surrogates).
                index = start
                _ = try parseString()
                return (start + 1)..<(index - 1)
            }
            index += 1
        }
        index += 1
        if !ascii, String(validating: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(index - 1)]), as: UTF8.self) == nil {
            throw error("string is not valid UTF-8", at: start)
        }
        return (start + 1)..<(index - 1)
    }

    /// Steps over any value, checking its syntax.
    mutating func skipValue() throws(JSONSyntaxError) {
        guard index < bytes.count else { throw error("unexpected end of file (expected a value)") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            _ = try skipString()
        case UInt8(ascii: "{"):
            try skipContainer(UInt8(ascii: "}")) { (p) throws(JSONSyntaxError) in
                _ = try p.skipString()
                try p.expect(UInt8(ascii: ":"))
                p.skipWhitespace()
                try p.skipValue()
            }
        case UInt8(ascii: "["):
            try skipContainer(UInt8(ascii: "]")) { (p) throws(JSONSyntaxError) in try p.skipValue() }
        default:
            _ = try parseValue()
        }
    }

    /// Steps over an object or array whose opening byte is at `index`, reading each member
    /// or element with `item`.
    mutating func skipContainer(_ close: UInt8, _ item: (inout Parser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try enter()
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == close {
            index += 1
        } else {
            while true {
                skipWhitespace()
                try item(&self)
                skipWhitespace()
                if try endOfList(close) { break }
            }
        }
        depth -= 1
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

/// Byte scanning eight bytes at a time, for the long plain runs registry files are made of
/// (64-digit digests, paths, indentation).
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `word` is below `n` (n <= 128); exact for "any", not for which.
    @inline(__always)
    private static func anyBelow(_ word: UInt64, _ n: UInt64) -> Bool {
        (word &- ones &* n) & ~word & highs != 0
    }

    /// Whether any byte of `word` equals `byte`.
    @inline(__always)
    private static func anyEqual(_ word: UInt64, _ byte: UInt64) -> Bool {
        anyBelow(word ^ (ones &* byte), 1)
    }

    /// The index of the first byte at or after `start` that a JSON string cannot hold as it
    /// stands (`"`, `\`, a control byte) or that is not ASCII; `bytes.count` when there is none.
    static func plainStringEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        var i = start
        while i + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if word & highs != 0 || anyBelow(word, 0x20) || anyEqual(word, 0x22) || anyEqual(word, 0x5C) { break }
            i += 8
        }
        while i < bytes.count {
            let b = base[i]
            if b < 0x20 || b >= 0x80 || b == 0x22 || b == 0x5C { return i }
            i += 1
        }
        return i
    }

    /// The index of the first byte at or after `start` that is not a space, eight spaces at a time.
    @inline(__always)
    static func spacesEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        var i = start
        while i + 8 <= bytes.count, UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) == ones &* 0x20 { i += 8 }
        while i < bytes.count, base[i] == 0x20 { i += 1 }
        return i
    }
}
