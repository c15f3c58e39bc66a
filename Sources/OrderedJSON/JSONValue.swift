/// A JSON value that keeps what it was given.
///
/// Registry files are shared with other tools (ImageWorks writes the same files), so modelctl
/// must hand back every field it does not model exactly as it found it. `JSONValue` therefore
/// keeps object keys in their original order and numbers as their original literal text:
/// `0.95` stays `0.95`, `1e-05` stays `1e-05`, and a 64-bit integer is never rounded through
/// a `Double`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The Boolean, when this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The integer, when this is a number with an exact integer value.
    public var intValue: Int? {
        if case .number(let n) = self { return n.intValue }
        return nil
    }

    /// The number as a `Double`, when this is a number.
    public var doubleValue: Double? {
        if case .number(let n) = self { return n.doubleValue }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The member named `key`, when this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// A short name of the value's JSON type, for error messages ("a string", "an object").
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number, kept as the literal text it was read from.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number's text as it appears in JSON, for example `24001`, `0.35` or `1e-05`.
    public let literal: String

    /// A number from an integer.
    public init(_ value: Int) { literal = String(value) }

    /// A number from a `Double`, written as Swift's shortest round-tripping text.
    /// Integral values are written without a fraction (`3.0` becomes `3`).
    public init(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            literal = String(Int64(value))
        } else {
            literal = String(value)
        }
    }

    /// A number from literal text that is already valid JSON number syntax.
    init(literal: String) { self.literal = literal }

    /// The value as an `Int`, when the literal is an integer that fits.
    public var intValue: Int? {
        if let i = Int(literal) { return i }
        if let d = Double(literal), d == d.rounded(), abs(d) < 9.0e15 { return Int(d) }
        return nil
    }

    /// The value as a finite `Double`; `nil` for `NaN`, `Infinity` and literals out of range,
    /// which no field modelctl reads may hold.
    public var doubleValue: Double? { Double(literal).flatMap { $0.isFinite ? $0 : nil } }

    public var description: String { literal }
}

/// A JSON object whose members keep their insertion order.
///
/// Lookups are linear, which is the right trade for registry entries of a few dozen keys:
/// it keeps the type a plain array of pairs, cheap to copy and to compare.
public struct JSONObject: Sendable, Hashable, Sequence {
    public typealias Element = (key: String, value: JSONValue)

    private var storage: [Member]

    struct Member: Sendable, Hashable {
        var key: String
        var value: JSONValue
    }

    /// An empty object.
    public init() { storage = [] }

    /// An object with the given members, in order. A repeated key keeps its last value.
    public init(_ members: [(String, JSONValue)]) {
        storage = []
        for (k, v) in members { self[k] = v }
    }

    /// The keys in order.
    public var keys: [String] { storage.map(\.key) }

    /// The number of members.
    public var count: Int { storage.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { storage.isEmpty }

    /// The value for `key`; setting `nil` removes the member, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get { storage.first(where: { $0.key == key })?.value }
        set {
            let index = storage.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case (let i?, let v?): storage[i].value = v
            case (let i?, nil): storage.remove(at: i)
            case (nil, let v?): storage.append(Member(key: key, value: v))
            case (nil, nil): break
            }
        }
    }

    /// Calls `body` with each member in order (the writer's loop, without an iterator per object).
    public func forEachMember(_ body: (String, JSONValue) -> Void) {
        for member in storage { body(member.key, member.value) }
    }

    /// An object of members already known to have distinct keys (the parser's).
    init(distinct members: ArraySlice<Member>) {
        storage = Array(members)
    }

    public func makeIterator() -> Iterator { Iterator(base: storage.makeIterator()) }

    /// The members in order (a concrete type: a `for` loop over an object in another module
    /// then costs a call per member, not an existential dispatch).
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Member]>

        public mutating func next() -> Element? {
            base.next().map { (key: $0.key, value: $0.value) }
        }
    }
}

extension JSONValue {
    /// Whether the two values would be written as the same text: strings, keys and number
    /// literals compared byte for byte. (`==` compares strings as Swift does, so a name in
    /// composed and in decomposed Unicode form are equal by `==`, though they are different
    /// names to a file system and to every other tool reading the registry.)
    public func isSameText(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a.literal.hasSameBytes(as: b.literal)
        case (.string(let a), .string(let b)): a.hasSameBytes(as: b)
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.isSameText(as: $1) }
        case (.object(let a), .object(let b)): a.isSameText(as: b)
        default: false
        }
    }
}

extension JSONObject {
    /// ``JSONValue/isSameText(as:)`` for objects: the same keys, in the same order, with values of the same text.
    public func isSameText(as other: JSONObject) -> Bool {
        storage.count == other.storage.count && zip(storage, other.storage).allSatisfy { a, b in
            a.key.hasSameBytes(as: b.key) && a.value.isSameText(as: b.value)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension String {
    /// Whether the two strings are the same UTF-8 bytes. (`==` compares as Swift does: a
    /// composed and a decomposed spelling of one text are equal by `==`.)
    public func hasSameBytes(as other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        // Compared as buffers where both strings have contiguous UTF-8 (native strings do):
        // the view's iterator cost about 30 M instructions in verify --all of 1,000 entries.
        let compared: Bool?? = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in a.elementsEqual(b) }
        }
        return compared.flatMap { $0 } ?? utf8.elementsEqual(other.utf8)
    }
}
