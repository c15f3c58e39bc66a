import ArtifactHashing
import Foundation
import ModelStores
import SystemSupport
import Testing
import TestSupport

/// `StoreQuarantine` on an Ollama store in the shipped layout (two models sharing blobs) and on
/// the committed Hugging Face cache fixture: what moves, what stays, the records, the locks, the
/// way back.
struct QuarantineTests {
    /// Two models, `llama3.1:8b` (legacy manifest) and `tiny:latest` (v2 link), sharing the config,
    /// template, params and license blobs; each with weights of its own.
    struct TwoModels {
        let fixture = OllamaFixture()
        var root: String { fixture.root }
        let shared: OllamaFixture.Layer
        let weightsA: OllamaFixture.Layer
        let weightsB: OllamaFixture.Layer

        init() throws {
            let (config, layers) = try fixture.standardLayers(weights: "weights of A \u{01}")
            weightsA = layers[0]
            shared = layers[1]  // the template, used by both
            weightsB = try fixture.blob("application/vnd.ollama.image.model", "weights of B \u{02}")
            try fixture.writeLegacy("registry.ollama.ai/library/llama3.1/8b", config: config, layers: layers)
            try fixture.writeV2("ollama.com/library/tiny/latest",
                                json: OllamaFixture.manifestJSON(config: config, layers: [weightsB] + layers.dropFirst()))
        }

        func blob(_ layer: OllamaFixture.Layer) -> String { fixture.blobPath(layer.digest) }
    }

    static func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
    static func listing(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    @Test("a corrupt blob two models share is moved once, with a record, and both models get `ollama pull`; restore puts it back")
    func sharedCorruptBlob() async throws {
        let store = try TwoModels()
        let manifestsBefore = try shell("find \"$0\"/manifests \"$0\"/manifests-v2 -exec ls -ld {} + | sha256sum", arguments: [store.root]).stdout
        try flipByte(store.blob(store.shared))
        let corruptBytes = try #require(Self.contents(store.blob(store.shared)))
        let quarantine = StoreQuarantine(directory: store.fixture.dir.file("quarantine"))
        let (report, outcomes) = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        #expect(report.hasCorruption)
        #expect(outcomes.count == 1)
        let outcome = try #require(outcomes.first)
        #expect(outcome.candidate.path == store.blob(store.shared))
        #expect(outcome.candidate.expected == store.shared.digest)
        #expect(outcome.candidate.actual == (try sha256(Array(corruptBytes))))
        #expect(Set(outcome.candidate.models) == ["llama3.1:8b", "tiny:latest"])
        #expect(Set(outcome.candidate.repairCommands) == [["ollama", "pull", "llama3.1:8b"], ["ollama", "pull", "tiny:latest"]])
        guard case .moved(let blob, let record) = outcome.result else {
            Issue.record("not moved: \(outcome.result)")
            return
        }
        // Only the corrupt blob left the store; every other blob, link and manifest is as it was.
        #expect(!FileManager.default.fileExists(atPath: store.blob(store.shared)))
        for layer in [store.weightsA, store.weightsB] { #expect(FileManager.default.fileExists(atPath: store.blob(layer))) }
        let manifestsAfter = try shell("find \"$0\"/manifests \"$0\"/manifests-v2 -exec ls -ld {} + | sha256sum", arguments: [store.root]).stdout
        #expect(manifestsAfter == manifestsBefore)
        #expect(Self.contents(blob) == corruptBytes)
        let recordBytes = try #require(Self.contents(record))
        let json = try #require(try JSONSerialization.jsonObject(with: recordBytes) as? [String: Any])
        #expect(json["original_path"] as? String == FileManager.default.resolvingPath(store.blob(store.shared)))
        #expect(json["expected"] as? String == store.shared.digest)
        #expect(json["actual"] as? String == outcome.candidate.actual)
        #expect(json["algorithm"] as? String == "sha256")
        #expect(json["method"] as? String == "rename")
        #expect((json["quarantined_at"] as? String)?.hasSuffix("Z") == true)

        // A second scan sees the blob missing (what `ollama pull` fetches), and moves nothing.
        let (again, none) = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        #expect(none.isEmpty)
        #expect(again.items.filter { $0.status == .corrupt }.count == 2)

        let restored = try quarantine.restore()
        #expect(restored.map(\.refusal) == [nil])
        #expect(Self.contents(store.blob(store.shared)) == corruptBytes)
        #expect(Self.listing(quarantine.directory) == [".modelctl-quarantine.lock"])
    }

    @Test("a truncated blob of one model moves alone: the blobs it shares with another model stay")
    func ownBlobOnly() async throws {
        let store = try TwoModels()
        try truncateFile(store.blob(store.weightsA), to: 3)
        let quarantine = StoreQuarantine(directory: store.fixture.dir.file("q"))
        let (_, outcomes) = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        #expect(outcomes.map(\.candidate.path) == [store.blob(store.weightsA)])
        #expect(outcomes.first?.candidate.repairCommands == [["ollama", "pull", "llama3.1:8b"]])
        #expect(!FileManager.default.fileExists(atPath: store.blob(store.weightsA)))
        #expect(FileManager.default.fileExists(atPath: store.blob(store.shared)))
        #expect(FileManager.default.fileExists(atPath: store.blob(store.weightsB)))
        let after = try await StoreScanner().scan(paths: [store.root])
        #expect(after.items.first { $0.name == "tiny:latest" }?.status == .ok)
    }

    @Test("--dry-run moves nothing and creates no directory")
    func dryRun() async throws {
        let store = try TwoModels()
        try flipByte(store.blob(store.weightsB))
        let quarantine = StoreQuarantine(directory: store.fixture.dir.file("q"))
        let (_, outcomes) = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: true)
        #expect(outcomes.map(\.result) == [.wouldMove])
        #expect(outcomes.first?.candidate.models == ["tiny:latest"])
        #expect(FileManager.default.fileExists(atPath: store.blob(store.weightsB)))
        #expect(!FileManager.default.fileExists(atPath: quarantine.directory))
    }

    @Test("a quarantine directory inside the store is refused, also through a link")
    func insideStoreRefused() async throws {
        let store = try TwoModels()
        try flipByte(store.blob(store.weightsB))
        try link(store.fixture.dir.file("elsewhere"), to: store.root + "/blobs")
        for directory in [store.root + "/quarantine", store.fixture.dir.file("elsewhere/q")] {
            await #expect(throws: StoreError(.quarantineRefused, "")) {
                _ = try await StoreQuarantine(directory: directory).scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
            }
        }
        #expect(FileManager.default.fileExists(atPath: store.blob(store.weightsB)))
    }

    @Test("across file systems the blob is copied, the copy checked, the original removed; restore copies it back")
    func acrossFileSystems() async throws {
        let shm = "/dev/shm"
        let device = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.systemNumber] as? Int) ?? nil }
        let store = try TwoModels()
        guard FileManager.default.fileExists(atPath: shm), device(shm) != device(store.root) else { return }
        let directory = TemporaryDirectory("quarantine", in: shm)
        try flipByte(store.blob(store.weightsA))
        let bytes = Self.contents(store.blob(store.weightsA))
        let quarantine = StoreQuarantine(directory: directory.file("q"))
        let (_, outcomes) = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        guard case .moved(let blob, let record)? = outcomes.first?.result else {
            Issue.record("not moved: \(outcomes)")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: store.blob(store.weightsA)))
        #expect(Self.contents(blob) == bytes)
        let recordBytes = try #require(Self.contents(record))
        let json = try JSONSerialization.jsonObject(with: recordBytes) as? [String: Any]
        #expect(json?["method"] as? String == "copy")
        #expect(try quarantine.restore().map(\.refusal) == [nil])
        #expect(Self.contents(store.blob(store.weightsA)) == bytes)
        #expect(Self.listing(store.root + "/blobs").allSatisfy { !$0.hasPrefix(".modelctl-restore") })
    }

    @Test("restore never overwrites a blob downloaded again since the quarantine")
    func restoreKeepsFreshDownload() async throws {
        let store = try TwoModels()
        try flipByte(store.blob(store.weightsB))
        let quarantine = StoreQuarantine(directory: store.fixture.dir.file("q"))
        _ = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        try store.fixture.dir.write("models/blobs/sha256-\(store.weightsB.digest)", Data(store.weightsB.bytes))  // `ollama pull`
        let outcomes = try quarantine.restore()
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.refusal?.contains("not overwritten") == true)
        #expect(Self.contents(store.blob(store.weightsB)) == Data(store.weightsB.bytes))
        #expect(Self.listing(quarantine.directory).filter { $0.hasSuffix(".blob") }.count == 1)
    }

    @Test("a record naming a path outside the store, or another directory as the store, is refused by restore",
          arguments: [false, true])
    func hostileRecord(movesStoreToo: Bool) async throws {
        let store = try TwoModels()
        try flipByte(store.blob(store.weightsB))
        let quarantine = StoreQuarantine(directory: store.fixture.dir.file("q"))
        _ = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        let record = try #require(Self.listing(quarantine.directory).first { $0.hasSuffix(".json") })
        let path = quarantine.directory + "/" + record
        let outside = store.fixture.dir.file("outside")
        try FileManager.default.createDirectory(atPath: outside + "/blobs", withIntermediateDirectories: true)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: movesStoreToo ? store.root : store.root + "/blobs", with: movesStoreToo ? outside : outside + "/blobs")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let outcomes = try quarantine.restore()
        #expect(outcomes.first?.refusal?.contains("is not a blob of the store") == true, "\(outcomes)")
        #expect(Self.listing(outside + "/blobs").isEmpty)
        #expect(Self.listing(outside) == ["blobs"])  // no lock file either
    }

    @Test("a second quarantine waits for the store's lock, and gives up after its timeout")
    func lockedStore() async throws {
        let store = try TwoModels()
        try flipByte(store.blob(store.weightsB))
        let held = try FileLock(path: store.root + "/.modelctl-scan.lock")
        let quarantine = StoreQuarantine(directory: store.fixture.dir.file("q"), lockTimeout: .milliseconds(300))
        await #expect(throws: StoreError.self) {
            _ = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        }
        #expect(FileManager.default.fileExists(atPath: store.blob(store.weightsB)))
        held.unlock()
        let (_, outcomes) = try await quarantine.scanAndQuarantine(paths: [store.root], scanner: StoreScanner(), dryRun: false)
        #expect(outcomes.count == 1)
    }

    @Test("a Hugging Face blob that is a link to bytes outside the store is not moved; a regular one is, with `hf download`")
    func huggingFaceBlobs() async throws {
        let dir = TemporaryDirectory("hf-q")
        #expect(try shell("cp -a \"$0\" \"$1\"", arguments: [repositoryRoot + "/fixtures/hf-cache/hub", dir.file("hub")]).status == 0)
        let blobs = dir.file("hub/models--acme--tiny-lm/blobs")
        let names = Self.listing(blobs)
        let lfs = try #require(names.first { $0.count == 64 })
        let small = try #require(names.first { $0.count == 40 })
        let outside = try dir.write("outside.bin", "not the bytes the name promises")
        try FileManager.default.removeItem(atPath: blobs + "/" + small)
        try FileManager.default.createSymbolicLink(atPath: blobs + "/" + small, withDestinationPath: outside)
        try flipByte(blobs + "/" + lfs)
        let quarantine = StoreQuarantine(directory: dir.file("q"))
        let (_, outcomes) = try await quarantine.scanAndQuarantine(paths: [dir.file("hub")], scanner: StoreScanner(), dryRun: false)
        let byName = Dictionary(uniqueKeysWithValues: outcomes.map { (($0.candidate.path as NSString).lastPathComponent, $0) })
        guard case .refused? = byName[small]?.result else {
            Issue.record("the link was not refused: \(String(describing: byName[small]))")
            return
        }
        #expect(FileManager.default.fileExists(atPath: outside))
        guard case .moved? = byName[lfs]?.result else {
            Issue.record("the corrupt blob was not moved: \(String(describing: byName[lfs]))")
            return
        }
        #expect(byName[lfs]?.candidate.repairCommands == [["hf", "download", "acme/tiny-lm", "--cache-dir", dir.file("hub")]])
    }

    @Test("`hf download` names --revision when only an older snapshot links to the corrupt blob")
    func huggingFaceRevision() async throws {
        let hf = HFFixture()
        let names = try hf.build()
        let old = "fedcba9876543210fedcba9876543210fedcba98"
        let bytes = Array("weights of the older revision".utf8)
        let oldBlob = try sha256(bytes)
        try hf.dir.write("hub/models--acme--tiny/blobs/\(oldBlob)", Data(bytes))
        try link(hf.dir.file("hub/models--acme--tiny/snapshots/\(old)/model.safetensors"), to: "../../blobs/\(oldBlob)")
        try flipByte(hf.dir.file("hub/models--acme--tiny/blobs/\(oldBlob)"))
        try flipByte(hf.dir.file("hub/models--acme--tiny/blobs/\(try #require(names["config.json"]))"))
        let (_, outcomes) = try await StoreQuarantine(directory: hf.dir.file("q")).scanAndQuarantine(paths: [hf.cache], scanner: StoreScanner(), dryRun: true)
        let commands = Dictionary(uniqueKeysWithValues: outcomes.map { (($0.candidate.path as NSString).lastPathComponent, $0.candidate.repairCommands) })
        #expect(commands[oldBlob] == [["hf", "download", "acme/tiny", "--revision", old, "--cache-dir", hf.cache]])
        #expect(commands[try #require(names["config.json"])] == [["hf", "download", "acme/tiny", "--cache-dir", hf.cache]])
    }
}

extension FileManager {
    /// `path` with its links resolved.
    func resolvingPath(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
}
