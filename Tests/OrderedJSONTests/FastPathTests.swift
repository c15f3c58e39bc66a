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
}
