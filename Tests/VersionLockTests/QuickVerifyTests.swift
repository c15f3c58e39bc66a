import ArtifactHashing
import Foundation
import ModelRegistry
import OrderedJSON
import Synchronization
import Testing
import TestSupport
import VersionLock

/// Waits until files written now are old enough for the stat cache (2 s).
private func waitForStampable() async throws { try await Task.sleep(for: .milliseconds(2_100)) }

struct QuickVerifyTests {
    func options(_ f: Fixture, quick: Bool = false, budget: Int64? = nil) -> VerifyOptions {
        VerifyOptions(quick: quick, fullBytesBudget: budget, statCache: StatCacheStore(stateDirectory: f.dir.file("state")))
    }

    @Test("quick verify reuses unchanged files, catches a same-size rewrite with its mtime reset, and does not count as a full verify")
    func quickCatchesRewrite() async throws {
        let f = try Fixture()
        _ = try await f.locker.lock("m", setExpected: true)
        try await waitForStampable()
        let full = try await f.locker.verify("m", options: options(f))
        #expect(full.status == .ok && full.reusedFiles == 0)
        let lastFull = try f.store.load().entry(named: "m").versionLock.lastFullVerify
        #expect(lastFull != nil)
        #expect(FileManager.default.fileExists(atPath: StatCacheStore(stateDirectory: f.dir.file("state")).path(for: f.model)))

        let quick = try await f.locker.verify("m", options: options(f, quick: true))
        #expect(quick.status == .ok)
        #expect(quick.reusedFiles == 4)
        #expect(!quick.fullyRead)

        // Same size, mtime put back: only ctime tells.
        let weights = f.model + "/weights.bin"
        let mtime = try #require(try FileManager.default.attributesOfItem(atPath: weights)[.modificationDate] as? Date)
        try f.dir.write("models/m/weights.bin", String(repeating: "x", count: 10_000))
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: weights)
        let caught = try await f.locker.verify("m", options: options(f, quick: true))
        #expect(caught.status == .violation)
        #expect(caught.diff?.changed.map(\.path) == ["weights.bin"])
        #expect(caught.reusedFiles == 3)
    }

    @Test("quick verify sees an added file, and a missing or corrupt cache means a full hash")
    func listingAndBadCache() async throws {
        let f = try Fixture()
        _ = try await f.locker.lock("m", setExpected: true)
        let none = try await f.locker.verify("m", options: options(f, quick: true))
        #expect(none.status == .ok && none.reusedFiles == 0 && none.fullyRead)
        try await waitForStampable()
        _ = try await f.locker.verify("m", options: options(f))
        let cacheFile = StatCacheStore(stateDirectory: f.dir.file("state")).path(for: f.model)
        var bytes = try #require(FileManager.default.contents(atPath: cacheFile))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: cacheFile))
        let corrupt = try await f.locker.verify("m", options: options(f, quick: true))
        #expect(corrupt.status == .ok && corrupt.reusedFiles == 0)
        #expect(corrupt.warnings.contains { $0.contains("corrupt") })
        // The full hash rewrote the cache.
        try await waitForStampable()
        _ = try await f.locker.verify("m", options: options(f))
        try f.dir.write("models/m/extra.bin", "added")
        let added = try await f.locker.verify("m", options: options(f, quick: true))
        #expect(added.status == .violation)
        #expect(added.diff?.added.map(\.path) == ["extra.bin"])
    }

    @Test("a full verify of an unchanged tree leaves its stat cache file as it is; a changed tree rewrites it")
    func steadyFullVerifyWritesNoCache() async throws {
        let f = try Fixture()
        _ = try await f.locker.lock("m", setExpected: true)
        try await waitForStampable()
        _ = try await f.locker.verify("m", options: options(f))
        let cacheFile = StatCacheStore(stateDirectory: f.dir.file("state")).path(for: f.model)
        func identity() throws -> (Int, Date?) {
            let attributes = try FileManager.default.attributesOfItem(atPath: cacheFile)
            return ((attributes[.systemFileNumber] as? NSNumber)?.intValue ?? -1, attributes[.modificationDate] as? Date)
        }
        let first = try identity()
        let again = try await f.locker.verify("m", options: options(f))
        #expect(again.status == .ok && again.reusedFiles == 0)
        let second = try identity()
        #expect(second.0 == first.0 && second.1 == first.1, "the cache file was rewritten although nothing changed")
        // A new file changes the cache: it is replaced (a new inode: written aside and renamed).
        try f.dir.write("models/m/extra.bin", "added")
        try await waitForStampable()
        _ = try await f.locker.verify("m", options: options(f))
        #expect(try identity().0 != first.0)
        let reloaded = StatCacheStore(stateDirectory: f.dir.file("state")).load(resolvedRoot: try #require(realpathOf(f.model)))
        #expect(reloaded.cache?.count == 5)
    }

    @Test("--no-record writes no stat cache")
    func noRecordWritesNoCache() async throws {
        let f = try Fixture()
        try await waitForStampable()
        var opts = options(f)
        opts.record = false
        _ = try await f.locker.verify("m", options: opts)
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("state")))
    }

    @Test("rolling scrub reads in full the least recently fully verified entries up to the budget")
    func scrubOrder() async throws {
        let f = try Fixture(curated: """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}},
             {"name": "n", "backend": "vllm", "backend_config": {"model_path": "../models/n"}},
             {"name": "o", "backend": "vllm", "backend_config": {"model_path": "../models/o"}}]
            """)
        for name in ["n", "o"] { try f.dir.write("models/\(name)/w.bin", String(repeating: "z", count: 20_000)) }
        try await waitForStampable()
        _ = try await f.locker.verifyAll(options: options(f))
        // Make "n" the least recently fully verified, then "m", then "o".
        _ = try f.store.update { discovered, snapshot in
            for (name, when) in [("n", "2020-01-01T00:00:00Z"), ("m", "2021-01-01T00:00:00+00:00"), ("o", "2022-01-01T00:00:00Z")] {
                discovered.modify(name, seed: snapshot[name]) { $0.versionLock.lastFullVerify = when }
            }
        }
        let batch = try await f.locker.verifyAll(options: options(f, budget: 25_000))
        let byName = Dictionary(uniqueKeysWithValues: batch.results.map { ($0.name, $0) })
        #expect(byName["n"]?.fullyRead == true)
        #expect(byName["m"]?.fullyRead == false)
        #expect(byName["o"]?.fullyRead == false)
        let after = try f.store.load()
        #expect(after["n"]?.versionLock.lastFullVerify != "2020-01-01T00:00:00Z")
        #expect(after["m"]?.versionLock.lastFullVerify == "2021-01-01T00:00:00+00:00")
        // Next night: m (2021) comes first.
        let next = try await f.locker.verifyAll(options: options(f, budget: 25_000))
        #expect(next.results.first { $0.name == "m" }?.fullyRead == true)
        #expect(next.results.first { $0.name == "o" }?.fullyRead == false)
    }

    @Test("artifacts.exclude (curated wins) leaves files out; a non-string item is an error naming the entry and field")
    func entryExclude() async throws {
        let f = try Fixture(curated: """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}, "artifacts": {"exclude": ["*.txt", "logs/**"]}}]
            """)
        try f.dir.write("models/m/logs/run.log", "noise")
        try f.dir.write("models/m/.git/lfs/objects/x", "dup")
        let first = try await f.locker.verify("m")
        #expect(first.manifest?.files.map(\.path).sorted() == ["config.json", "tokenizer.json", "weights.bin"])
        // The discovered layer now holds artifacts; an edit of the curated list still applies.
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}, "artifacts": {"exclude": ["*.txt"]}}]
            """)
        let second = try await f.locker.verify("m")
        #expect(second.manifest?.files.map(\.path).contains("logs/run.log") == true)
        // --include-all: the hasher excludes nothing, and neither does the entry.
        let everything = VersionLocker(store: f.store, source: f.locker.source, hasher: ArtifactHasher(jobs: 2, exclusions: .none))
        let all = try await everything.verify("m", options: VerifyOptions(record: false))
        #expect(all.manifest?.files.count == 6)

        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}, "artifacts": {"exclude": ["*.txt", 3]}}]
            """)
        await #expect(throws: VersionLockError(.invalidField)) { try await f.locker.verify("m") }
        do {
            _ = try await f.locker.verify("m")
        } catch let error as VersionLockError {
            #expect(error.message.contains("m:") && error.message.contains("artifacts.exclude[1]"))
        }
        // lock --set-expected applies the same rules.
        try f.dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}, "artifacts": {"exclude": "*.txt"}}]
            """)
        await #expect(throws: VersionLockError(.invalidField)) { try await f.locker.lock("m", setExpected: true) }
    }

    @Test("a lock taken by another writer while a batch hashes is respected: the entry is judged as locked")
    func concurrentLockDuringBatch() async throws {
        let f = try Fixture(curated: """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "../models/m"}},
             {"name": "n", "backend": "vllm", "backend_config": {"model_path": "../models/n"}}]
            """)
        try f.dir.write("models/n/w.bin", "n")
        let store = f.store
        let done = Mutex(false)
        let batch = try await f.locker.verifyAll(progress: { name, _ in
            // Once, while the batch is still hashing: another process locks "m" to other weights.
            guard name == "m", done.withLock({ let was = $0; $0 = true; return !was }) else { return }
            _ = try? store.update { discovered, snapshot in
                discovered.modify("m", seed: snapshot["m"]) { entry in
                    var lock = entry.versionLock
                    lock.locked = true
                    lock.expectedAggregateSHA256 = String(repeating: "0", count: 64)
                    entry.versionLock = lock
                }
            }
        })
        #expect(done.withLock { $0 })
        let m = try #require(batch.results.first { $0.name == "m" })
        #expect(m.status == .violation)
        #expect(batch.results.first { $0.name == "n" }?.status == .recorded)
        let saved = try f.store.load()
        #expect(saved["m"]?.versionLock.locked == true)
        #expect(saved["m"]?.versionLock.expectedAggregateSHA256 == String(repeating: "0", count: 64))
        #expect(saved["n"]?.artifacts != nil)
    }
}

struct LargeBatchTests {
    @Test("a batch of 300 entries is judged in order, each against its own registry entry, in one save")
    func largeBatch() async throws {
        let f = try Fixture(curated: "[]")
        var entries: [String] = []
        for i in 0..<300 {
            try f.dir.write("models/e\(i)/w.bin", "weights of \(i)")
            let lock = i % 3 == 0 ? #", "version_lock": {"locked": true}"# : ""
            entries.append(#"{"name": "e\#(i)", "backend": "vllm", "backend_config": {"model_path": "../models/e\#(i)"}\#(lock)}"#)
        }
        try f.dir.write("registry/model_registry.curated.json", "[" + entries.joined(separator: ",\n") + "]")
        let first = try await f.locker.verifyAll()
        #expect(first.results.map(\.name) == (0..<300).map { "e\($0)" })
        #expect(first.results.allSatisfy { $0.status == ($0.locked ? .expectationSet : .recorded) })

        // One locked and one unlocked entry change; every other entry stays as it was.
        try f.dir.write("models/e3/w.bin", "tampered")
        try f.dir.write("models/e4/w.bin", "updated")
        let second = try await f.locker.verifyAll()
        let byName = Dictionary(uniqueKeysWithValues: second.results.map { ($0.name, $0) })
        #expect(byName["e3"]?.status == .violation)
        #expect(byName["e3"]?.diff?.changed.map(\.path) == ["w.bin"])
        #expect(byName["e4"]?.status == .recorded)
        #expect(second.results.filter { $0.status == .violation }.count == 1)

        let saved = try f.store.load()
        for i in 0..<300 {
            let entry = try #require(saved["e\(i)"])
            let expected = try await ArtifactHasher(jobs: 1).hash(f.dir.file("models/e\(i)")).aggregate
            #expect(entry.versionLock.lastResult?.aggregateSHA256 == expected, "e\(i)")
            if i != 3 { #expect(entry.artifacts?.aggregateSHA256 == expected, "e\(i)") }
        }
        #expect(saved["e3"]?.versionLock.lastResult?.status == "violation")
        #expect(saved["e0"]?.versionLock.expectedAggregateSHA256 == first.results[0].aggregate)
    }
}

private func realpathOf(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
