import ArtifactHashing
import Foundation
import ModelRegistry
import Testing
import TestSupport
import OrderedJSON
import ErrorSupport

/// Copies an ImageWorks-shaped registry into a fresh, writable temporary directory.
func imageWorksCopy(_ source: String = imageWorksDirectory) throws -> TemporaryDirectory {
    let dir = TemporaryDirectory("imageworks")
    for file in imageWorksFiles {
        try dir.write(file, try Data(contentsOf: URL(fileURLWithPath: source + "/" + file)))
    }
    return dir
}

func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

struct RegistryTests {
    @Test("our ImageWorks-shaped fixture loads, merges to its snapshot, and its aggregates recompute")
    func shapeFixture() throws {
        let dir = try imageWorksCopy(shapeFixtureDirectory)
        let snapshot = try RegistryStore(directory: dir.path).load()
        #expect(snapshot.entries.map(\.name) == ["acme-chat_8b_(Q4_K_M)", "acme-vl-7b-instruct_(AWQ)", "acme-embed_(FP32)"])
        #expect(snapshot.snapshotText == (try String(contentsOfFile: dir.file("model_registry.json"), encoding: .utf8)))
        let vision = try snapshot.entry(named: "acme-vl-7b-instruct_(AWQ)")
        #expect(vision.roles == ["caption", "keywords", "description"])
        #expect(vision.capabilities.first { $0.key == "vision" }?.value == true)
        let artifacts = try #require(vision.artifacts)
        #expect(Manifest.aggregate(of: artifacts.files.map { ArtifactFile(path: $0.path, sha256: $0.sha256) }) == artifacts.aggregateSHA256)
        #expect(snapshot["acme-embed_(FP32)"]?.versionLock.locked == true)
    }

    @Test("the ImageWorks registry loads all 16 entries and merges to ImageWorks' own snapshot", .enabled(if: imageWorksPresent))
    func imageWorksCompatibility() throws {
        let dir = try imageWorksCopy()
        let snapshot = try RegistryStore(directory: dir.path).load()
        #expect(snapshot.entries.count == 16)
        #expect(snapshot.curated.entries.count == 14)
        #expect(snapshot.discovered.entries.count == 16)
        let theirs = try String(contentsOfFile: dir.file("model_registry.json"), encoding: .utf8)
        #expect(snapshot.snapshotText == theirs)
        let florence = try snapshot.entry(named: "florence-2-large_(FP16)")
        #expect(florence.backend == "vllm")
        #expect(florence.roles == ["keywords", "caption", "object_detection"])
    }

    @Test("each recorded aggregate is the aggregate of the recorded files", .enabled(if: imageWorksPresent))
    func recordedAggregates() throws {
        let dir = try imageWorksCopy()
        let snapshot = try RegistryStore(directory: dir.path).load()
        var checked = 0
        for entry in snapshot.entries {
            guard let artifacts = entry.artifacts, !artifacts.files.isEmpty else { continue }
            let files = artifacts.files.map { ArtifactFile(path: $0.path, sha256: $0.sha256) }
            #expect(Manifest.aggregate(of: files) == artifacts.aggregateSHA256, "\(entry.name)")
            checked += 1
        }
        #expect(checked == 6)
    }

    static var lockCycleCases: [(String, String)] {
        [(shapeFixtureDirectory, "acme-vl-7b-instruct_(AWQ)")] + (imageWorksPresent ? [(imageWorksDirectory, "qwen3-vl-8b-instruct_(FP8)")] : [])
    }

    @Test("a lock/unlock cycle leaves the curated file byte-identical and changes only version_lock", arguments: lockCycleCases)
    func lockCycleTouchesOnlyVersionLock(source: String, name: String) throws {
        let dir = try imageWorksCopy(source)
        let store = RegistryStore(directory: dir.path)
        let curated = contents(dir.file("model_registry.curated.json"))
        let before = try store.load()
        try store.update { discovered, _ in
            discovered.modify(name) { $0.versionLock.locked = true }
        }
        let locked = try store.load()
        #expect(contents(dir.file("model_registry.curated.json")) == curated)
        for (old, new) in zip(before.entries, locked.entries) {
            if old.name == name {
                var o = old.json, n = new.json
                o["version_lock"] = nil
                n["version_lock"] = nil
                #expect(o == n)
                #expect(new.versionLock.locked)
            } else {
                #expect(old == new)
            }
        }
        try store.update { discovered, _ in
            discovered.modify(name) { $0.versionLock.locked = false }
        }
        #expect(contents(dir.file("model_registry.curated.json")) == curated)
        // Unlocking restores the original state, so both written files are as ImageWorks wrote them.
        for file in ["model_registry.discovered.json", "model_registry.json"] {
            #expect(contents(dir.file(file)) == contents(source + "/" + file), "\(file)")
        }
    }

    @Test("an unknown name suggests the closest names", .enabled(if: imageWorksPresent))
    func unknownName() throws {
        let dir = try imageWorksCopy()
        let snapshot = try RegistryStore(directory: dir.path).load()
        let error = #expect(throws: RegistryError.self) { try snapshot.entry(named: "florence-2-large") }
        #expect(error?.code == .unknownModel)
        #expect(error?.suggestions.first == "florence-2-large_(FP16)")
        #expect(error?.description.contains("florence-2-large_(FP16)") == true)
    }

    @Test("model paths: absolute, ~, relative to the registry directory, Ollama, remote, mapped, invalid")
    func modelPaths() throws {
        let context = LocationContext(home: "/home/u", workingDirectory: "/work", pathMappings: [PathMapping(old: "/srv/models", new: "/mnt/cache")])
        func location(_ path: String, registry: String = "/reg") throws -> ArtifactLocation {
            try RegistryEntry(JSONObject([("name", "m"), ("backend_config", ["model_path": .string(path)])]), source: "t")
                .artifactLocation(registryDirectory: registry, context: context)
        }
        #expect(try location("/abs/model") == .local(path: "/abs/model"))
        #expect(try location("../fixtures/m") == .local(path: "/reg/../fixtures/m"))
        #expect(try location("m", registry: "configs") == .local(path: "/work/configs/m"))
        #expect(try location("~/w") == .local(path: "/home/u/w"))
        #expect(try location("ollama:/qwen3:8b") == .ollama(reference: "qwen3:8b"))
        #expect(try location("hf:org/name") == .remote("hf:org/name"))
        #expect(try location("weights:v2") == .local(path: "/reg/weights:v2"))
        #expect(try location("/srv/models/q") == .local(path: "/mnt/cache/q"))
        #expect(try location("/srv/modelsX/q") == .local(path: "/srv/modelsX/q"))
        if case .invalid(let reason) = try location("/a\u{0}/b") { #expect(reason.contains("NUL")) } else { Issue.record("NUL accepted") }
        #expect(RegistryEntry(name: "x").artifactLocation(registryDirectory: "/reg", context: context) == .none)
        #expect(throws: RegistryError(.invalidSetting)) { try PathMapping(parsing: "nothing") }
        #expect(try PathMapping.parseList("/a=/b; /c/=/d/") == [PathMapping(old: "/a", new: "/b"), PathMapping(old: "/c", new: "/d")])
    }
}

struct MergeTests {
    func entry(_ json: JSONValue) throws -> RegistryEntry { try RegistryEntry(json.objectValue!, source: "test") }

    @Test("curated deep-merges over discovered; arrays and scalars replace; null erases nothing")
    func deepMerge() throws {
        let discovered = try entry([
            "name": "m", "backend": "vllm", "roles": ["a", "b"],
            "backend_config": ["port": 8000, "model_path": "/x", "extra_args": ["--a"]],
            "metadata": ["keep": 1, "over": "old"], "display_name": "Discovered",
        ])
        let curated = try entry([
            "name": "m", "roles": ["c"], "display_name": nil,
            "backend_config": ["port": 9000, "extra_args": nil],
            "metadata": ["over": "new", "added": true],
        ])
        let merged = RegistryMerge.merge(discovered: discovered, curated: curated)
        #expect(merged.roles == ["c"])
        #expect(merged.displayName == "Discovered")
        #expect(merged.backendConfig.port == 9000)
        #expect(merged.backendConfig.modelPath == "/x")
        #expect(merged.backendConfig.extraArgs == ["--a"])
        #expect(merged["metadata"] == ["keep": 1, "over": "new", "added": true])
        #expect(merged.json.keys == ["name", "backend", "roles", "backend_config", "metadata", "display_name"])
    }

    @Test("curated values equal to the discovered ones leave the entry exactly as discovered")
    func equalValues() throws {
        let discovered = try entry([
            "name": "m", "backend": "vllm",
            "backend_config": ["port": 8000, "model_path": "/x"],
            "version_lock": ["locked": true, "expected_aggregate_sha256": "aa"],
        ])
        let same = try entry(["name": "m", "backend": "vllm", "backend_config": ["port": 8000, "model_path": "/x"]])
        #expect(RegistryMerge.merge(discovered: discovered, curated: same) == discovered)
        let pinnedSame = try entry(["name": "m", "version_lock": ["locked": true]])
        #expect(RegistryMerge.merge(discovered: discovered, curated: pinnedSame) == discovered)
        // One nested member differs: only it changes, the equal ones stay (never null).
        let onePort = try entry(["name": "m", "backend": "vllm", "backend_config": ["port": 9000, "model_path": "/x"]])
        let merged = RegistryMerge.merge(discovered: discovered, curated: onePort)
        #expect(merged.name == "m" && merged.backend == "vllm")
        #expect(merged["backend_config"] == ["port": 9000, "model_path": "/x"])
        #expect(merged["version_lock"] == discovered["version_lock"])
    }

    @Test("a curated path in another Unicode spelling wins: equal as Swift strings, different names on disk")
    func unicodeSpellings() throws {
        let composed = "/m/caf\u{E9}", decomposed = "/m/cafe\u{301}"
        #expect(composed == decomposed)  // why byte comparison is needed
        let discovered = try entry(["name": "m", "backend_config": ["model_path": .string(composed)],
                                    "version_lock": ["public_key": .string(composed)]])
        let curated = try entry(["name": "m", "backend_config": ["model_path": .string(decomposed)],
                                 "version_lock": ["public_key": .string(decomposed)]])
        let merged = RegistryMerge.merge(discovered: discovered, curated: curated)
        #expect(merged.backendConfig.modelPath.map { Array($0.utf8) } == Array(decomposed.utf8))
        #expect(merged.versionLock.publicKey.map { Array($0.utf8) } == Array(decomposed.utf8))
        let record = ArtifactRecord(aggregateSHA256: "aa", files: [.init(path: "caf\u{E9}", sha256: "bb")])
        #expect(!record.isSameText(as: ArtifactRecord(aggregateSHA256: "aa", files: [.init(path: "cafe\u{301}", sha256: "bb")])))
        #expect(record.isSameText(as: record))
    }

    @Test("dynamic keys keep their discovered value; curated only seeds them")
    func dynamicKeys() throws {
        let discovered = try entry([
            "name": "m",
            "version_lock": ["locked": true, "expected_aggregate_sha256": "aa", "last_verified": nil],
            "artifacts": ["aggregate_sha256": "aa", "files": []],
            "download_path": "/d", "probes": nil,
        ])
        let curated = try entry([
            "name": "m",
            "version_lock": ["last_verified": "2020-01-01T00:00:00Z"],
            "artifacts": ["aggregate_sha256": "bb", "files": []],
            "download_path": "/curated", "probes": ["vision": ["vision_ok": true]], "last_accessed": "t",
        ])
        let merged = RegistryMerge.merge(discovered: discovered, curated: curated)
        #expect(merged.versionLock == VersionLockState(locked: true, expectedAggregateSHA256: "aa"))
        #expect(merged.artifacts?.aggregateSHA256 == "aa")
        #expect(merged["download_path"] == "/d")
        #expect(merged["probes"] == ["vision": ["vision_ok": true]])
        #expect(merged["last_accessed"] == "t")
        #expect(RegistryMerge.isDynamicKey("download_size_bytes") && RegistryMerge.isDynamicKey("downloaded_at"))
    }

    @Test("a curated version_lock is a pin: its locked, expected aggregate and public key win")
    func curatedPin() throws {
        let discovered = try entry(["name": "m", "version_lock": ["locked": false, "expected_aggregate_sha256": "aa", "last_verified": "t1"]])
        let curated = try entry(["name": "m", "version_lock": ["locked": true, "expected_aggregate_sha256": "bb", "public_key": "K"]])
        let merged = RegistryMerge.merge(discovered: discovered, curated: curated)
        #expect(merged.versionLock.locked)
        #expect(merged.versionLock.expectedAggregateSHA256 == "bb")
        #expect(merged.versionLock.publicKey == "K")
        #expect(merged.versionLock.lastVerified == "t1")
        #expect(RegistryMerge.isPinned(curated))
        #expect(!RegistryMerge.isPinned(try entry(["name": "m", "version_lock": ["last_verified": "x"]])))
    }

    @Test("a curated signer is a pin: it replaces the discovered signer whole and drops a discovered public key, and a curated public key drops a discovered signer")
    func curatedSignerPin() throws {
        let identity: JSONValue = ["identity": "release@example.com", "identity_provider": "https://accounts.google.com"]
        let chain: JSONValue = ["certificate_chain": "ca.pem"]
        let discoveredSigner = try entry(["name": "m", "version_lock": ["signer": identity, "last_verified": "t1"]])
        let curatedChain = try entry(["name": "m", "version_lock": ["signer": chain]])
        let merged = RegistryMerge.merge(discovered: discoveredSigner, curated: curatedChain)
        #expect(merged.versionLock.signer == .certificateChain(["ca.pem"]))
        #expect(merged.json["version_lock"]?["signer"] == chain)
        #expect(merged.versionLock.lastVerified == "t1")
        let discoveredKey = try entry(["name": "m", "version_lock": ["public_key": "K"]])
        let overKey = RegistryMerge.merge(discovered: discoveredKey, curated: curatedChain)
        #expect(overKey.versionLock.publicKey == nil && overKey.versionLock.signer == .certificateChain(["ca.pem"]))
        let curatedKey = try entry(["name": "m", "version_lock": ["public_key": "K2"]])
        let overSigner = RegistryMerge.merge(discovered: discoveredSigner, curated: curatedKey)
        #expect(overSigner.versionLock.publicKey == "K2" && overSigner.versionLock.signer == nil)
        // Only in the discovered layer, a signer pins all the same.
        #expect(RegistryMerge.merge(discovered: discoveredSigner, curated: nil).versionLock.signer
            == .sigstore(identity: "release@example.com", identityProvider: "https://accounts.google.com", trustedRoot: nil))
    }

    @Test("version_lock.signer keeps the form it was written in when the lock is saved, and a new signer is written as an object")
    func signerRoundTrip() throws {
        let dir = TemporaryDirectory()
        let text = #"[{"name": "m", "version_lock": {"locked": false, "signer": {"certificate_chain": "ca/root.pem"}}, "custom": {"kept": [1, 2]}}]"#
        _ = try dir.write(RegistryStore.discoveredFileName, text)
        let store = RegistryStore(directory: dir.path)
        try store.update { discovered, _ in discovered.modify("m") { $0.versionLock.lastVerified = "2026-01-01T00:00:00Z" } }
        let saved = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file(RegistryStore.discoveredFileName)))) as? [[String: Any]])
        let savedLock = saved.first?["version_lock"] as? [String: Any]
        #expect(savedLock?["signer"] as? [String: String] == ["certificate_chain": "ca/root.pem"])
        #expect(savedLock?["last_verified"] as? String == "2026-01-01T00:00:00Z")
        #expect((saved.first?["custom"] as? [String: Any])?["kept"] as? [Int] == [1, 2])
        let loaded = try store.load().entry(named: "m")
        #expect(loaded.versionLock.signer == .certificateChain(["ca/root.pem"]))
        var lock = loaded.versionLock
        lock.signer = .sigstore(identity: "a@b.c", identityProvider: "https://issuer", trustedRoot: "root.json")
        var changed = loaded
        changed.versionLock = lock
        #expect(changed.json["version_lock"]?["signer"] == ["identity": "a@b.c", "identity_provider": "https://issuer", "trusted_root": "root.json"])
    }

    @Test("entries only in one layer appear as they are, discovered order first")
    func layerOrder() throws {
        let snapshot = RegistrySnapshot(
            curated: RegistryLayer(entries: [try entry(["name": "c-only"]), try entry(["name": "both", "backend": "vllm"])]),
            discovered: RegistryLayer(entries: [try entry(["name": "d-only"]), try entry(["name": "both"])]))
        #expect(snapshot.entries.map(\.name) == ["d-only", "both", "c-only"])
        #expect(snapshot["both"]?.backend == "vllm")
    }
}
