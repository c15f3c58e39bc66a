import ArtifactHashing
import Foundation
import ModelRegistry
import OrderedJSON
import Testing
import TestSupport
import VersionLock
import ErrorSupport

/// A registry with one entry whose model lives in `models/m` (a relative model path).
struct Fixture {
    let dir = TemporaryDirectory("versionlock")
    var store: RegistryStore { RegistryStore(directory: dir.file("registry")) }
    var locker: VersionLocker {
        VersionLocker(store: store, source: ArtifactSource(registryDirectory: dir.file("registry"), context: LocationContext(home: nil, workingDirectory: "/")),
                      hasher: ArtifactHasher(jobs: 2))
    }
    var model: String { dir.file("models/m") }

    init(curated: String? = nil) throws {
        try dir.write("models/m/config.json", "{}")
        try dir.write("models/m/weights.bin", String(repeating: "w", count: 10_000))
        try dir.write("models/m/tokenizer.json", "tok")
        try dir.write("models/m/old-name.txt", "will move")
        try dir.write("registry/model_registry.curated.json", curated ?? """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}, "x_custom": {"kept": [1, 2]}}]
            """)
    }

    /// The registry files with every `last_result` member taken out.
    func withoutLastResult() -> [String: Data?] {
        files().mapValues { data in
            guard let data, let value = try? JSON.parse(Array(data), source: "x"), let items = value.arrayValue else { return data }
            let stripped: [JSONValue] = items.map { item in
                guard var entry = item.objectValue, var lock = entry["version_lock"]?.objectValue else { return item }
                lock["last_result"] = nil
                entry["version_lock"] = .object(lock)
                return .object(entry)
            }
            return Data((JSON.serialize(.array(stripped)) + "\n").utf8)
        }
    }

    func files() -> [String: Data?] {
        Dictionary(uniqueKeysWithValues: (try! FileManager.default.contentsOfDirectory(atPath: dir.file("registry")))
            .filter { $0.hasSuffix(".json") }.map { ($0, FileManager.default.contents(atPath: dir.file("registry/" + $0))) })
    }
}

struct VersionLockTests {
    @Test("verify of an unlocked entry records artifacts and last_verified")
    func unlockedVerifyRecords() async throws {
        let f = try Fixture()
        let outcome = try await f.locker.verify("m")
        #expect(outcome.status == .recorded)
        let entry = try f.store.load().entry(named: "m")
        #expect(entry.artifacts?.aggregateSHA256 == outcome.aggregate)
        #expect(entry.artifacts?.files.count == 4)
        #expect(entry.versionLock.lastVerified == outcome.lastVerified)
        #expect(entry.versionLock.locked == false)
        #expect(entry["x_custom"] == ["kept": [1, 2]])
        #expect(outcome.aggregate == (try await ArtifactHasher().hash(f.model)).aggregate)
    }

    @Test("locked without an expected aggregate: the first verify sets it; later verifies match")
    func firstVerifySetsExpectation() async throws {
        let f = try Fixture()
        let state = try await f.locker.lock("m", setExpected: false)
        #expect(state.locked && state.expectedAggregateSHA256 == nil)
        let first = try await f.locker.verify("m")
        #expect(first.status == .expectationSet)
        #expect(try f.store.load().entry(named: "m").versionLock.expectedAggregateSHA256 == first.aggregate)
        let second = try await f.locker.verify("m")
        #expect(second.status == .ok)
    }

    @Test("a mismatch reports changed, missing, added and moved files and records nothing")
    func violation() async throws {
        let f = try Fixture()
        let locked = try await f.locker.lock("m", setExpected: true)
        #expect(locked.expectedAggregateSHA256 != nil)
        let before = f.withoutLastResult()

        try f.dir.write("models/m/weights.bin", String(repeating: "W", count: 10_000))
        try FileManager.default.removeItem(atPath: f.dir.file("models/m/tokenizer.json"))
        try FileManager.default.moveItem(atPath: f.dir.file("models/m/old-name.txt"), toPath: f.dir.file("models/m/new-name.txt"))
        try f.dir.write("models/m/extra.bin", "extra")

        let outcome = try await f.locker.verify("m")
        #expect(outcome.status == .violation)
        #expect(outcome.expectedAggregate == locked.expectedAggregateSHA256)
        let diff = try #require(outcome.diff)
        #expect(diff.changed.map(\.path) == ["weights.bin"])
        #expect(diff.changed.first?.actual == (try sha256sumOf(f.dir.file("models/m/weights.bin"))))
        #expect(diff.missing.map(\.path) == ["tokenizer.json"])
        #expect(diff.added.map(\.path) == ["extra.bin"])
        #expect(diff.moved == [ManifestDiff.Move(from: "old-name.txt", to: "new-name.txt", sha256: try sha256sumOf(f.dir.file("models/m/new-name.txt")))])
        // Nothing but version_lock.last_result changed: a dashboard can tell the check failed.
        #expect(f.withoutLastResult() == before)
        let after = try f.store.load().entry(named: "m").versionLock
        #expect(after.lastResult?.status == "violation")
        #expect(after.lastResult?.aggregateSHA256 == outcome.aggregate)
        #expect(after.expectedAggregateSHA256 == locked.expectedAggregateSHA256)
    }

    @Test("lock --set-expected keeps an expected aggregate already stored; unlock keeps it too")
    func lockAndUnlock() async throws {
        let f = try Fixture()
        let first = try await f.locker.lock("m", setExpected: true)
        try f.dir.write("models/m/weights.bin", "changed")
        let again = try await f.locker.lock("m", setExpected: true)
        #expect(again.expectedAggregateSHA256 == first.expectedAggregateSHA256)
        let unlocked = try f.locker.unlock("m")
        #expect(!unlocked.locked)
        #expect(unlocked.expectedAggregateSHA256 == first.expectedAggregateSHA256)
        // Unlocked, a changed model verifies and is recorded again.
        #expect(try await f.locker.verify("m").status == .recorded)
    }

    @Test("a missing artifact root is an error, never a pass")
    func missingRoot() async throws {
        let f = try Fixture()
        _ = try await f.locker.lock("m", setExpected: true)
        try FileManager.default.removeItem(atPath: f.model)
        let before = f.withoutLastResult()
        let error = await #expect(throws: VersionLockError.self) { try await f.locker.verify("m") }
        #expect(error?.description.contains("m") == true)
        #expect(error?.description.contains("does not exist") == true)
        #expect(f.withoutLastResult() == before)
        #expect(try f.store.load().entry(named: "m").versionLock.lastResult?.status == "error")
    }

    @Test("a non-local model path cannot be verified")
    func remotePath() async throws {
        let f = try Fixture(curated: #"[{"name": "o", "backend": "ollama", "backend_config": {"model_path": "ollama:/qwen3:8b"}}]"#)
        let error = await #expect(throws: VersionLockError.self) { try await f.locker.verify("o") }
        #expect(error?.description.contains("ollama:/qwen3:8b") == true)
    }

    @Test("an unknown entry is a registry error with suggestions")
    func unknownEntry() async throws {
        let f = try Fixture()
        let error = await #expect(throws: VersionLockError(.unknownModel)) { try await f.locker.verify("n") }
        #expect(error?.description.contains("modelctl list") == true)
    }
}

struct ConcurrentChangeTests {
    @Test("a model_path switched while the artifacts were hashed is reported, never stamped ok")
    func modelPathSwitchedDuringHash() async throws {
        let f = try Fixture()
        try f.dir.write("models/other/weights.bin", "other")
        let curated = f.dir.file("registry/model_registry.curated.json")
        let switched = Flag()
        // The hasher reports progress once more when it finishes, before the result is
        // applied: switch the entry to another tree right then.
        let progress: @Sendable (String, HashProgress) -> Void = { _, _ in
            guard switched.setOnce() else { return }
            try? #"[{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/other"}}]"#
                .write(toFile: curated, atomically: true, encoding: .utf8)
        }
        let batch = try await f.locker.verify(names: ["m"], progress: progress)
        let result = try #require(batch.results.first)
        #expect(result.status == .error)
        #expect(result.error == VersionLockError(.changedDuringVerify))
        #expect(result.error?.message.contains("models/other") == true)
        #expect(try f.store.load().entry(named: "m").versionLock.lastVerified == nil)
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    /// True the first time only.
    func setOnce() -> Bool { lock.withLock { defer { done = true }; return !done } }
}
