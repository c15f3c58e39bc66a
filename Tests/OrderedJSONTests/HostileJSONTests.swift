import OrderedJSON
import Testing
import ErrorSupport

struct HostileJSONTests {
    @Test("a member named twice in one object is refused with its line and column")
    func duplicateKey() throws {
        let text = "[\n  {\"name\": \"a\",\n   \"name\": \"b\"}\n]"
        let error = #expect(throws: JSONSyntaxError(.duplicateKey)) { try JSON.parse(text, source: "reg.json") }
        #expect(error?.line == 3)
        #expect(error?.column == 4)
        #expect(error?.description.contains("duplicate member \"name\"") == true)
    }

    @Test("the same key in two different objects is fine")
    func sameKeyInSiblings() throws {
        let value = try JSON.parse("[{\"a\": 1}, {\"a\": 2}]", source: "x")
        #expect(value.arrayValue?.count == 2)
    }

    @Test("NaN and Infinity are kept as text but never read as numbers", arguments: ["NaN", "Infinity", "-Infinity", "1e999"])
    func nonFinite(literal: String) throws {
        let value = try JSON.parse("{\"p\": \(literal)}", source: "x")
        #expect(value["p"]?.doubleValue == nil)
        #expect(JSON.serialize(value).contains(literal))
    }

    @Test("nesting beyond 512 levels is refused, not a stack overflow")
    func tooDeep() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError(.tooDeep)) { try JSON.parse(text, source: "x") }
    }

    @Test("an object with many members parses in linear time and keeps their order")
    func manyMembers() throws {
        let members = (0..<50_000).map { "\"k\($0)\": \($0)" }.joined(separator: ",")
        let value = try JSON.parse("{" + members + "}", source: "x")
        #expect(value.objectValue?.count == 50_000)
        #expect(value.objectValue?.keys.last == "k49999")
    }

    @Test("a repeated key is found in a large object too, before and after the parser switches to a hash set",
          arguments: [2, 15, 16, 17, 40])
    func duplicateInLargeObject(position: Int) throws {
        var members = (0..<50).map { "\"k\($0)\": \($0)" }
        members.insert("\"k1\": 0", at: position)
        #expect(throws: JSONSyntaxError(.duplicateKey)) { try JSON.parse("{" + members.joined(separator: ", ") + "}", source: "x") }
    }

    @Test("strings with and without escapes read the same text")
    func escapes() throws {
        let value = try JSON.parse(#"["plain é", "tab\tquote\"é\u00e9\ud83d\ude00"]"#, source: "x")
        #expect(value.arrayValue?[0] == "plain é")
        #expect(value.arrayValue?[1] == "tab\tquote\"éé😀")
        #expect(throws: JSONSyntaxError(.invalid)) { try JSON.parse([0x22, 0xFF, 0x22], source: "x") }
    }
}
