import Foundation
import ModelRegistry
import Testing
import TestSupport
import ErrorSupport

struct BadInputTests {
    static let cases: [(label: String, text: String, code: RegistryError.Code, mentions: [String])] = [
        ("malformed JSON", "[\n  {\"name\": \"a\",\n   \"backend\" \"vllm\"}\n]\n", .syntax, [":3:14:"]),
        ("empty file", "", .syntax, [":1:1:", "empty"]),
        ("top level not an array", "{\"name\": \"a\"}", .notAnArray, ["array", "an object"]),
        ("item not an object", "[\"a\"]", .notAnArray, ["item 0"]),
        ("duplicate names", "[{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"a\"}]", .duplicateName, ["\"a\"", "item 2"]),
        ("port as a string", "[{\"name\": \"a\", \"backend_config\": {\"port\": \"8000\"}}]", .wrongType, ["entry \"a\"", "backend_config.port", "an integer", "\"8000\""]),
        ("locked as a string", "[{\"name\": \"a\", \"version_lock\": {\"locked\": \"yes\"}}]", .wrongType, ["version_lock.locked"]),
        ("roles not strings", "[{\"name\": \"a\", \"roles\": [1]}]", .wrongType, ["roles"]),
        ("missing name", "[{\"backend\": \"vllm\"}]", .missingName, ["name"]),
    ]

    @Test("bad input is refused with the file and place named, and nothing is written", arguments: cases.indices)
    func badInput(index: Int) throws {
        let c = Self.cases[index]
        for layer in [RegistryStore.curatedFileName, RegistryStore.discoveredFileName] {
            let dir = TemporaryDirectory()
            try dir.write(RegistryStore.curatedFileName, "[{\"name\": \"fine\"}]\n")
            try dir.write(layer, c.text)
            let store = RegistryStore(directory: dir.path)
            let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            let bytes = before.map { FileManager.default.contents(atPath: dir.file($0)) }

            let loadError = #expect(throws: RegistryError.self, "\(c.label) in \(layer)") { try store.load() }
            #expect(loadError?.code == c.code, "\(c.label)")
            #expect(loadError?.description.contains(dir.file(layer)) == true, "\(c.label): \(loadError?.description ?? "")")
            for fragment in c.mentions {
                #expect(loadError?.description.contains(fragment) == true, "\(c.label): '\(fragment)' in \(loadError?.description ?? "")")
            }
            #expect(throws: RegistryError.self) {
                try store.update { discovered, _ in discovered.modify("fine") { $0.versionLock.locked = true } }
            }
            let after = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != RegistryStore.lockFileName }.sorted()
            #expect(after == before)
            #expect(after.map { FileManager.default.contents(atPath: dir.file($0)) } == bytes)
        }
    }

    @Test("a missing registry directory is an error naming it")
    func missingDirectory() {
        let error = #expect(throws: RegistryError.self) { try RegistryStore(directory: "/nonexistent/registry").load() }
        #expect(error?.description.contains("/nonexistent/registry") == true)
    }

    @Test("missing layer files are empty layers")
    func missingFiles() throws {
        let dir = TemporaryDirectory()
        #expect(try RegistryStore(directory: dir.path).load().entries.isEmpty)
    }
}
