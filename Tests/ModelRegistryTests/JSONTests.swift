import Foundation
import ModelRegistry
import OrderedJSON
import Testing
import TestSupport
import ErrorSupport

/// The real ImageWorks registry beside the project (shared/interop/imageworks), when present.
let imageWorksDirectory = repositoryRoot + "/../shared/interop/imageworks"
let imageWorksPresent = FileManager.default.fileExists(atPath: imageWorksDirectory + "/model_registry.json")
/// The project's own registry of the same shape, written by Python's json.dumps(indent=2).
let shapeFixtureDirectory = repositoryRoot + "/fixtures/registries/imageworks-shape"
let imageWorksFiles = ["model_registry.curated.json", "model_registry.discovered.json", "model_registry.json"]
/// Every ImageWorks-shaped registry available to this run.
let imageWorksShapedDirectories = [shapeFixtureDirectory] + (imageWorksPresent ? [imageWorksDirectory] : [])

struct JSONTests {
    @Test("ImageWorks-shaped files survive parse and serialize byte for byte", arguments: imageWorksShapedDirectories, imageWorksFiles)
    func imageWorksRoundTrip(directory: String, file: String) throws {
        let path = directory + "/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let value = try JSON.parse(text, source: path)
        #expect(JSON.serialize(value) + "\n" == text)
    }

    @Test("numbers keep their literal text and objects their key order")
    func fidelity() throws {
        let text = #"{"z": 1, "a": 0.95, "m": 1e-05, "big": 12345678901234567890, "neg": -0.0, "s": "caf\u00e9 \ud83d\ude00 \"q\" \\ /"}"#
        let value = try JSON.parse(text, source: "inline")
        #expect(value.objectValue?.keys == ["z", "a", "m", "big", "neg", "s"])
        #expect(JSON.serializeCompact(value) == #"{"z": 1, "a": 0.95, "m": 1e-05, "big": 12345678901234567890, "neg": -0.0, "s": "caf\u00e9 \ud83d\ude00 \"q\" \\ /"}"#)
        #expect(value["s"]?.stringValue == "café 😀 \"q\" \\ /")
    }

    @Test("syntax errors carry file, line and column", arguments: [
        ("[\n  {\"name\": \"x\",}\n]", 2, 16),
        ("[\n  {\"name\" \"x\"}\n]", 2, 11),
        ("[1, 2", 1, 6),
        ("", 1, 1),
        ("[\"\u{00e9}\u{00e9}\", tru]", 1, 8),
        ("{\"a\": 01}", 1, 8),
    ])
    func syntaxErrors(text: String, line: Int, column: Int) throws {
        let error = #expect(throws: JSONSyntaxError.self) { try JSON.parse(text, source: "reg.json") }
        #expect(error?.line == line)
        #expect(error?.column == column)
        #expect(error?.description.hasPrefix("reg.json:\(line):\(column): ") == true)
    }

    @Test("serialize writes Python's indent=2 layout, ASCII only")
    func layout() {
        let value: JSONValue = ["name": "x", "list": [1, "é"], "empty": [:], "none": [], "nested": ["k": nil]]
        #expect(JSON.serialize(value) == """
            {
              "name": "x",
              "list": [
                1,
                "\\u00e9"
              ],
              "empty": {},
              "none": [],
              "nested": {
                "k": null
              }
            }
            """)
    }
}
