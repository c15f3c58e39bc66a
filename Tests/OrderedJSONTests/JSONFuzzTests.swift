import OrderedJSON
import Testing

/// The parser under hostile bytes: every truncation of a registry-shaped document, tens of
/// thousands of seeded mutations of it, random bytes, and deep nesting. Every input must give a
/// value or a thrown `JSONSyntaxError` with a place in the text; every value must write and read
/// back as itself.
struct JSONFuzzTests {
    static let document = Array("""
    [
      {
        "name": "florence-2-large_(FP16)",
        "backend_config": {"port": 8001, "model_path": "/srv/models/f\\u00e9", "extra_args": ["--dtype", "fp16"]},
        "artifacts": {"aggregate_sha256": "\(String(repeating: "ab", count: 32))", "files": [{"path": "a\\nb", "size": 1.5e3}]},
        "version_lock": {"locked": true, "expected_aggregate_sha256": null, "note": "\\ud83d\\ude00 \\"q\\" \\\\ \\/"},
        "role_priority": {"caption": -0.25, "big": 12345678901234567890, "neg": -Infinity}
      },
      {"name": "b", "roles": [], "metadata": {}, "deprecated": false}
    ]
    """.utf8)

    static func check(_ bytes: [UInt8], _ label: @autoclosure () -> String) {
        do {
            let value = try JSON.parse(bytes, source: "fuzz.json")
            let again = try JSON.parse(JSON.serialize(value), source: "again.json")
            #expect(again.isSameText(as: value), "\(label())")
        } catch {
            #expect(error.source == "fuzz.json" && error.line >= 1 && error.column >= 1, "\(label()): \(error.message)")
        }
    }

    @Test("every truncation of a document is a value or a syntax error with its place")
    func truncations() {
        #expect(throws: Never.self) { try JSON.parse(Self.document, source: "whole.json") }
        for length in 0..<Self.document.count { Self.check(Array(Self.document[..<length]), "prefix \(length)") }
    }

    @Test("seeded mutations and random bytes never crash or hang the parser")
    func mutations() {
        var random: UInt64 = 0xC0FF_EE00
        func next(_ n: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(max(1, n)))
        }
        let alphabet = Array("[]{}\",:\\ 0123456789.eE+-truefalsnNIy\u{7F}\n\t".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for round in 0..<20_000 {
            var bytes = Self.document
            for _ in 0..<(1 + next(4)) {
                let at = next(bytes.count)
                switch next(3) {
                case 0: bytes[at] = alphabet[next(alphabet.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[next(alphabet.count)], at: at)
                }
            }
            Self.check(bytes, "mutation \(round)")
        }
        for round in 0..<5_000 {
            Self.check((0..<next(64)).map { _ in alphabet[next(alphabet.count)] }, "random \(round)")
        }
    }

    @Test("nesting far past the limit is an error, not a stack overflow")
    func deepNesting() {
        for open in ["[", "{\"a\":", "[{\"k\": "] {
            let bytes = Array(String(repeating: open, count: 100_000).utf8)
            #expect(throws: JSONSyntaxError(.tooDeep)) { try JSON.parse(bytes, source: "deep.json") }
        }
    }
}
