import OrderedJSON
import Testing

/// The fast paths (a large array parsed in two halves, strings scanned eight bytes at a time,
/// elements written once and joined) must give exactly what the plain paths give.
struct FastPathTests {
    /// A registry-shaped array of `count` entries, written as modelctl and Python write it.
    static func layer(_ count: Int, name: (Int) -> String = { "m\($0)" }) -> JSONValue {
        .array((0..<count).map { i in
            [
                "name": .string(name(i)), "port": .number(JSONNumber(8000 + i)),
                "files": [["path": "model.safetensors", "sha256": .string(String(repeating: "ab", count: 32))]],
                "tags": ["a", "b"], "note": i % 7 == 0 ? "tab\there \"q\" é 😀" : nil,
            ]
        })
    }

    static func bytes(_ value: JSONValue) -> [UInt8] { JSON.serializeBytes(value) + [0x0A] }

    /// Where the first digit of the first `"port": N` at or after `start` is.
    static func portDigit(in text: [UInt8], from start: Int) -> Int {
        let key = Array("\"port\": ".utf8)
        var i = start
        while !text[i..<(i + key.count)].elementsEqual(key) { i += 1 }
        return i + key.count
    }

    @Test("a large layer parsed in two halves equals the sequential parse")
    func halvesEqualWhole() throws {
        for count in [1, 2, 3, 10, 257, 1000] {
            let text = Self.bytes(Self.layer(count))
            let whole = try JSON.parse(text, source: "x")
            #expect(try JSON.parse(text, source: "x", splittingAbove: 0) == whole)
        }
    }

    @Test("a cut that is not between top-level elements is caught by the first half, which reads on")
    func misleadingCut() throws {
        // One top-level element whose nested array is laid out at the first indent: the
        // layout says ",\n  {" inside it, past the middle.
        let inner = (0..<200).map { "{\"k\": \($0)}" }.joined(separator: ",\n  ")
        let text = Array("[[\n  \(inner)\n]]\n".utf8)
        #expect(try JSON.parse(text, source: "x", splittingAbove: 0) == (try JSON.parse(text, source: "x")))
        let compact = Array(JSON.serializeCompact(Self.layer(300)).utf8)
        #expect(try JSON.parse(compact, source: "x", splittingAbove: 0) == (try JSON.parse(compact, source: "x")))
        let notArray = Array("{\"a\": [\n  {\"b\": 1},\n  {\"b\": 2}\n]}".utf8)
        #expect(try JSON.parse(notArray, source: "x", splittingAbove: 0) == (try JSON.parse(notArray, source: "x")))
    }

    @Test("an error in either half is the error a sequential parse reports, line and column included",
          arguments: [0.1, 0.45, 0.55, 0.9, 1.0])
    func errorsMatch(at fraction: Double) throws {
        var text = Self.bytes(Self.layer(400))
        // Break the first port number at or after the given place (or add text after the end).
        if fraction == 1.0 {
            text.append(contentsOf: Array("x".utf8))
        } else {
            let at = Self.portDigit(in: text, from: Int(Double(text.count) * fraction))
            text[at] = UInt8(ascii: "z")
        }
        var sequential: JSONSyntaxError?
        do { _ = try JSON.parse(text, source: "f.json") } catch { sequential = error }
        var split: JSONSyntaxError?
        do { _ = try JSON.parse(text, source: "f.json", splittingAbove: 0) } catch { split = error }
        #expect(sequential != nil)
        #expect(split?.message == sequential?.message)
    }

    @Test("the first error wins when both halves have one")
    func firstErrorWins() throws {
        var text = Self.bytes(Self.layer(400))
        text[Self.portDigit(in: text, from: text.count / 4)] = UInt8(ascii: "?")
        text[Self.portDigit(in: text, from: text.count * 3 / 4)] = UInt8(ascii: "?")
        var sequential: JSONSyntaxError?
        do { _ = try JSON.parse(text, source: "f.json") } catch { sequential = error }
        var split: JSONSyntaxError?
        do { _ = try JSON.parse(text, source: "f.json", splittingAbove: 0) } catch { split = error }
        #expect(split != nil && split?.message == sequential?.message)
    }

    @Test("strings with a special byte at every offset of an 8-byte word read and write as the plain path does")
    func byteScanOffsets() throws {
        for special in ["\"", "\\", "\n", "\u{01}", "\u{7F}", "é", "😀"] {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 19 - offset)
                let written = JSON.serialize(.string(text))
                #expect(try JSON.parse(written, source: "x") == .string(text))
                // Python's json.dumps: printable ASCII as is, everything else escaped.
                let plain = special.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }
                #expect(written.utf8.count == text.utf8.count + 2 || !plain)
                #expect(written.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
            }
        }
        // A raw control byte inside a long string is refused wherever it falls.
        for offset in 0..<17 {
            var bytes = Array("\"".utf8) + Array(repeating: UInt8(ascii: "a"), count: 24) + Array("\"".utf8)
            bytes[1 + offset] = 0x0A
            #expect(throws: JSONSyntaxError(.invalid)) { try JSON.parse(bytes, source: "x") }
        }
        // Long runs of spaces between tokens.
        let spaced = "[" + String(repeating: " ", count: 37) + "1," + String(repeating: " ", count: 8) + "\n\t 2]"
        #expect(try JSON.parse(spaced, source: "x") == [1, 2])
    }

    @Test("elements written once and joined are the array's own text")
    func joinedElements() throws {
        for count in [0, 1, 5] {
            let value = Self.layer(count)
            let elements = (value.arrayValue ?? []).map { JSON.serializeBytes($0, indent: 1) }
            #expect(JSON.joinArray(elements) == JSON.serializeBytes(value))
        }
    }

    @Test("an object shares storage with an unchanged copy only")
    func sharedStorage() throws {
        let object = try #require(Self.layer(1).arrayValue?.first?.objectValue)
        var copy = object
        #expect(copy.sharesStorage(with: object))
        copy["name"] = "other"
        #expect(!copy.sharesStorage(with: object))
        #expect(!JSONObject([("name", "m0")]).sharesStorage(with: object))
    }
}
