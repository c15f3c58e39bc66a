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
        ("one name in two Unicode forms", "[{\"name\": \"caf\u{E9}\"}, {\"name\": \"cafe\u{301}\"}]", .duplicateName,
         ["item 1", "the same name in two Unicode forms"]),
        ("port as a string", "[{\"name\": \"a\", \"backend_config\": {\"port\": \"8000\"}}]", .wrongType, ["entry \"a\"", "backend_config.port", "an integer", "\"8000\""]),
        ("locked as a string", "[{\"name\": \"a\", \"version_lock\": {\"locked\": \"yes\"}}]", .wrongType, ["version_lock.locked"]),
        ("roles not strings", "[{\"name\": \"a\", \"roles\": [1]}]", .wrongType, ["roles"]),
        ("missing name", "[{\"backend\": \"vllm\"}]", .missingName, ["name"]),
        ("signer not an object", #"[{"name": "a", "version_lock": {"signer": "ca.pem"}}]"#, .wrongType, ["entry \"a\"", "version_lock.signer", "an object"]),
        ("signer of both kinds", #"[{"name": "a", "version_lock": {"signer": {"identity": "i", "identity_provider": "p", "certificate_chain": "ca.pem"}}}]"#,
         .wrongType, ["entry \"a\"", "version_lock.signer", "both"]),
        ("signer of neither kind", #"[{"name": "a", "version_lock": {"signer": {"trusted_root": "root.json"}}}]"#, .wrongType, ["entry \"a\"", "version_lock.signer", "names no signer"]),
        ("signer identity without provider", #"[{"name": "a", "version_lock": {"signer": {"identity": "i"}}}]"#, .wrongType, ["version_lock.signer", "identity_provider"]),
        ("signer identity not a string", #"[{"name": "a", "version_lock": {"signer": {"identity": 1, "identity_provider": "p"}}}]"#, .wrongType, ["version_lock.signer", "identity must be a non-empty string"]),
        ("signer chain not paths", #"[{"name": "a", "version_lock": {"signer": {"certificate_chain": ["ca.pem", 2]}}}]"#, .wrongType, ["version_lock.signer", "certificate_chain"]),
        ("signer chain empty", #"[{"name": "a", "version_lock": {"signer": {"certificate_chain": []}}}]"#, .wrongType, ["version_lock.signer", "certificate_chain"]),
        ("signer with an unknown field", #"[{"name": "a", "version_lock": {"signer": {"identity": "i", "identity_provider": "p", "trusted_roots": "r"}}}]"#,
         .wrongType, ["version_lock.signer", "\"trusted_roots\""]),
        ("signer beside a public key", #"[{"name": "a", "version_lock": {"public_key": "k.pem", "signer": {"certificate_chain": "ca.pem"}}}]"#,
         .wrongType, ["entry \"a\"", "version_lock.public_key", "version_lock.signer"]),
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

/// A layer large enough to be read in two halves must give the errors a single pass gives.
struct LargeLayerTests {
    static func entries(_ count: Int, override: (Int) -> String? = { _ in nil }) -> String {
        let items = (0..<count).map { i in
            override(i) ?? """
              {
                "name": "m\(i)",
                "backend": "vllm",
                "backend_config": {
                  "port": 8000,
                  "model_path": "/models/m\(i)/\(String(repeating: "x", count: 200))"
                }
              }
            """
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }

    func loadError(_ text: String) throws -> RegistryError? {
        let dir = TemporaryDirectory()
        try dir.write(RegistryStore.discoveredFileName, text)
        #expect(text.utf8.count > 256 << 10)
        return #expect(throws: RegistryError.self) { try RegistryStore(directory: dir.path).load() }
    }

    @Test("a repeated name across the halves is named with the later item's index")
    func duplicateAcrossHalves() throws {
        let error = try loadError(Self.entries(1200) { $0 == 1100 ? "  {\"name\": \"m3\"}" : nil })
        #expect(error?.code == .duplicateName)
        #expect(error?.description.contains("\"m3\" (item 1100)") == true)
    }

    @Test("a bad item in the second half is named; an earlier repeated name wins over it")
    func badItemOrder() throws {
        let bad = try loadError(Self.entries(1200) { $0 == 1000 ? "  \"not an entry\"" : nil })
        #expect(bad?.code == .notAnArray)
        #expect(bad?.description.contains("item 1000") == true)
        let both = try loadError(Self.entries(1200) { $0 == 1000 ? "  \"not an entry\"" : $0 == 20 ? "  {\"name\": \"m1\"}" : nil })
        #expect(both?.code == .duplicateName)
        #expect(both?.description.contains("(item 20)") == true)
    }

    @Test("a large layer loads every entry in order, and a save writes each file as the plain writer would")
    func loadAndSave() throws {
        let dir = TemporaryDirectory()
        try dir.write(RegistryStore.discoveredFileName, Self.entries(1200))
        // The curated layer changes one entry and adds one of its own.
        try dir.write(RegistryStore.curatedFileName, "[{\"name\": \"m7\", \"backend\": \"ollama\"}, {\"name\": \"curated-only\"}]\n")
        let store = RegistryStore(directory: dir.path)
        let snapshot = try store.load()
        #expect(snapshot.discovered.entries.map(\.name) == (0..<1200).map { "m\($0)" })
        #expect(snapshot.entries.count == 1201)
        try store.update { discovered, _ in discovered.modify("m5") { $0.versionLock.locked = true } }
        let saved = try store.load()
        #expect(try String(contentsOfFile: dir.file(RegistryStore.snapshotFileName), encoding: .utf8) == saved.snapshotText)
        #expect(try String(contentsOfFile: dir.file(RegistryStore.discoveredFileName), encoding: .utf8) == saved.discovered.fileText)
        #expect(saved["m7"]?.backend == "ollama" && saved.discovered["m7"]?.backend == "vllm")
        #expect(saved["m5"]?.versionLock.locked == true)
        #expect(saved.entries.last?.name == "curated-only")
    }
}
