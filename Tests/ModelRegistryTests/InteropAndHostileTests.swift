import Foundation
import ModelRegistry
import OrderedJSON
import Testing
import TestSupport
import SystemSupport

struct AdoptionTests {
    @Test("an entry only in model_registry.json is adopted into the discovered layer, never deleted")
    func snapshotOnlyEntry() throws {
        let dir = TemporaryDirectory()
        try dir.write("model_registry.curated.json", #"[{"name": "a", "backend": "vllm"}]"#)
        try dir.write("model_registry.json", #"[{"name": "a", "backend": "vllm"}, {"name": "written-by-another-tool", "backend": "ollama", "x": 1}]"#)
        let store = RegistryStore(directory: dir.path)
        #expect(try store.load().entries.map(\.name) == ["written-by-another-tool", "a"])
        try store.update { discovered, snapshot in discovered.modify("a", seed: snapshot["a"]) { $0.versionLock.locked = true } }
        let discovered = try JSON.parse(try #require(try AtomicFile.read(dir.file("model_registry.discovered.json"))), source: "d")
        #expect(discovered.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() == ["a", "written-by-another-tool"])
        #expect(discovered.arrayValue?.first { $0["name"] == "written-by-another-tool" }?["x"] == 1)
    }

    @Test("a legacy single-file registry (model_registry.json alone) shows its entries")
    func legacySingleFile() throws {
        let dir = TemporaryDirectory()
        try dir.write("model_registry.json", #"[{"name": "one"}, {"name": "two"}]"#)
        #expect(try RegistryStore(directory: dir.path).load().entries.map(\.name) == ["one", "two"])
    }

    @Test("a discovered entry modelctl creates carries the merged entry's fields, so it loads on its own")
    func fullDiscoveredEntry() throws {
        let dir = TemporaryDirectory()
        try dir.write("model_registry.curated.json", #"[{"name": "a", "backend": "vllm", "backend_config": {"port": 1}, "display_name": "A"}]"#)
        let store = RegistryStore(directory: dir.path)
        try store.update { discovered, snapshot in discovered.modify("a", seed: snapshot["a"]) { $0.versionLock.locked = true } }
        let layer = try JSON.parse(try #require(try AtomicFile.read(dir.file("model_registry.discovered.json"))), source: "d")
        let entry = try #require(layer.arrayValue?.first)
        #expect(entry["backend"] == "vllm")
        #expect(entry["backend_config"]?["port"] == 1)
        #expect(entry["version_lock"]?["locked"] == true)
    }

    @Test("timestamps keep the spelling already in the file (+00:00 stays +00:00)")
    func timestampSpelling() {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(Timestamp.utc(date) == "2023-11-14T22:13:20Z")
        #expect(Timestamp.utc(date, spelledLike: "2025-01-01T00:00:00+00:00") == "2023-11-14T22:13:20+00:00")
        #expect(Timestamp.utc(date, spelledLike: "2025-01-01T00:00:00Z") == "2023-11-14T22:13:20Z")
    }

    @Test("timestamps agree with the C library's gmtime across leap days, centuries and before 1970")
    func timestampArithmetic() {
        var seconds: [Int64] = [0, -1, 951_782_400, 951_868_799, 4_107_542_399, 4_107_542_400, -2_208_988_800, 253_402_300_799]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            seconds.append(Int64(state >> 30) % 8_000_000_000 - 2_000_000_000)
        }
        for s in seconds {
            var t = time_t(s)
            var parts = tm()
            gmtime_r(&t, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            #expect(Timestamp.utc(Date(timeIntervalSince1970: TimeInterval(s))) == expected, "seconds \(s)")
        }
    }
}

struct HostileRegistryTests {
    @Test("a NaN or infinite role_priority is refused naming the entry and field")
    func nonFinitePriority() throws {
        for literal in ["NaN", "Infinity", "1e999"] {
            let dir = TemporaryDirectory()
            try dir.write("model_registry.curated.json", #"[{"name": "m", "role_priority": {"caption": "# + literal + "}}]")
            let error = #expect(throws: RegistryError(.wrongType)) { try RegistryStore(directory: dir.path).load() }
            #expect(error?.message.contains("role_priority") == true)
        }
    }

    @Test("a duplicate key inside one entry is refused with file, line and key")
    func duplicateKey() throws {
        let dir = TemporaryDirectory()
        try dir.write("model_registry.curated.json", "[\n {\"name\": \"m\",\n  \"name\": \"n\"}\n]")
        let error = #expect(throws: RegistryError(.syntax)) { try RegistryStore(directory: dir.path).load() }
        #expect(error?.message.contains("model_registry.curated.json:3:") == true)
        #expect(error?.message.contains("\"name\"") == true)
    }

    @Test("a layer that is a FIFO or a link to /dev/zero is refused at once")
    func specialFiles() throws {
        let dir = TemporaryDirectory()
        #expect(mkfifo(dir.file("model_registry.curated.json"), 0o644) == 0)
        #expect(throws: RegistryError(.io)) { try RegistryStore(directory: dir.path).load() }
        try FileManager.default.removeItem(atPath: dir.file("model_registry.curated.json"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("model_registry.discovered.json"), withDestinationPath: "/dev/zero")
        let error = #expect(throws: RegistryError(.io)) { try RegistryStore(directory: dir.path).load() }
        #expect(error?.message.contains("model_registry.discovered.json") == true)
    }

    @Test("a discovered layer that is a symlink is written through, and the link kept")
    func symlinkedLayer() throws {
        let dir = TemporaryDirectory()
        try dir.write("shared/discovered.json", "[]")
        try dir.write("reg/model_registry.curated.json", #"[{"name": "m"}]"#)
        try FileManager.default.createSymbolicLink(atPath: dir.file("reg/model_registry.discovered.json"), withDestinationPath: "../shared/discovered.json")
        let store = RegistryStore(directory: dir.file("reg"))
        try store.update { discovered, snapshot in discovered.modify("m", seed: snapshot["m"]) { $0.versionLock.locked = true } }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("reg/model_registry.discovered.json")) == "../shared/discovered.json")
        #expect(try String(contentsOfFile: dir.file("shared/discovered.json"), encoding: .utf8).contains("\"locked\": true"))
    }

    @Test("a save waits for another holder of the registry lock, says so, and gives up at the timeout")
    func lockTimeout() throws {
        let dir = TemporaryDirectory()
        try dir.write("model_registry.curated.json", #"[{"name": "m"}]"#)
        let held = try FileLock(path: dir.file(RegistryStore.lockFileName))
        let messages = Messages()
        let store = RegistryStore(directory: dir.path, lockTimeout: .milliseconds(1300)) { messages.add($0) }
        let error = #expect(throws: RegistryError(.io)) {
            try store.update { discovered, _ in discovered.modify("m") { $0.versionLock.locked = true } }
        }
        #expect(error?.message.contains("held by pid \(getpid())") == true)
        #expect(messages.all.first?.contains("waiting for \(dir.file(RegistryStore.lockFileName)) held by pid") == true)
        held.unlock()
    }
}

final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

struct SnapshotScanTests {
    @Test("a snapshot entry that a layer holds is not read; a new one still is, and a broken snapshot is still an error")
    func snapshotReadOnlyForNewEntries() throws {
        let dir = TemporaryDirectory()
        try dir.write("model_registry.curated.json", #"[{"name": "a", "backend": "vllm"}]"#)
        // The snapshot's copy of "a" has a field of the wrong type: the curated layer's entry is the one used.
        try dir.write("model_registry.json", #"[{"name": "a", "backend": 7}]"#)
        let store = RegistryStore(directory: dir.path)
        #expect(try store.load()["a"]?.backend == "vllm")
        try dir.write("model_registry.json", #"[{"name": "a", "backend": 7}, {"name": "new", "backend": 8}]"#)
        #expect(throws: RegistryError(.wrongType)) { try store.load() }
        try dir.write("model_registry.json", #"[{"name": "a", "backend": "vllm"}, {"name": "new", "backend": "ollama"}]"#)
        #expect(try store.load().entries.map(\.name) == ["new", "a"])
        try dir.write("model_registry.json", #"[{"name": "a"}, {"name": "a"}]"#)
        #expect(throws: RegistryError(.duplicateName)) { try store.load() }
        try dir.write("model_registry.json", #"[{"name": "a",]"#)
        #expect(throws: RegistryError(.syntax)) { try store.load() }
    }
}
