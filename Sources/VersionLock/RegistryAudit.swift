public import ModelRegistry
import SystemSupport

/// `modelctl check`: what is wrong with a registry, found without touching any weights.
public enum RegistryAudit {
    /// The problems of `snapshot`, one message each, naming the entry and the field.
    ///
    /// Always: an invalid model path (one written at the top level of the entry included), a
    /// field written at the top level that belongs inside `backend_config`, `version_lock` or
    /// `artifacts`, a pin that is no SHA-256 digest, a locked entry with no expected aggregate
    /// (it would pass its first verify whatever the weights are), `extra_args` in either layer
    /// that name other weights (``BackendConfig/weightOverride``). With `strict`: a key that is
    /// no entry field (with the closest field names), an entry with local or Ollama artifacts
    /// that is not locked, unless its backend is in `skippingBackends`, and a discovered
    /// `artifacts.exclude` under a curated pin (``EntryExclusions/ignoredUnderPin(_:curated:)``).
    ///
    /// A suggested `modelctl lock` is one that can run here: when the entry's artifacts are not
    /// on this host, the message says to lock it where they are instead.
    public static func problems(_ snapshot: RegistrySnapshot, source: ArtifactSource, strict: Bool,
                                skippingBackends: Set<String> = []) -> [String] {
        var out: [String] = []
        func add(_ problem: String) { if !out.contains(problem) { out.append(problem) } }
        for entry in snapshot.entries {
            let location = source.location(of: entry)
            if case .invalid(let reason) = location { add(reason) }
            entry.keyProblems(unknown: strict, registryDirectory: source.registryDirectory).forEach(add)
            if let problem = entry.malformedPin(registryDirectory: source.registryDirectory, curated: snapshot.curated[entry.name],
                                               root: location.localPath) { add(problem) }
            if let port = entry.backendConfig.port, !(0...65_535).contains(port) {
                add("\(entry.name): backend_config.port \(port) is not a TCP port (0 to 65535; 0 means the backend's default)")
            }
            let lock = entry.versionLock
            // A pinned lock is the curated file's to change: modelctl lock refuses it.
            let pinned = RegistryMerge.isPinned(snapshot.curated[entry.name])
            let curatedFile = source.registryDirectory + "/" + RegistryStore.curatedFileName
            if lock.locked && lock.expectedAggregateSHA256 == nil {
                add("\(entry.name): locked without an expected aggregate (version_lock.expected_aggregate_sha256); " + (pinned
                    ? "its lock is pinned in \(curatedFile): add the expected_aggregate_sha256 there"
                    : lockSuggestion(entry, location, source)))
            }
            // Each layer on its own: a discovered value the curated one hides today is
            // launched the day the curated value goes.
            for (layer, file) in [(snapshot.curated, RegistryStore.curatedFileName), (snapshot.discovered, RegistryStore.discoveredFileName)] {
                if let problem = layer[entry.name]?.backendConfig.weightOverrideProblem { add("\(entry.name): \(problem) (in \(file))") }
            }
            if strict, let ignored = EntryExclusions.ignoredUnderPin(entry, curated: snapshot.curated[entry.name]) {
                add(ignored + " (--strict)")
            }
            if strict && !lock.locked && !skippingBackends.contains(entry.backend ?? "") {
                switch location {
                case .local, .ollama:
                    add("\(entry.name): not locked (--strict); " + (pinned
                        ? pinnedUnlocked(source.registryDirectory)
                        : lockSuggestion(entry, location, source)))
                default: break
                }
            }
        }
        return out
    }

    /// What to do about an entry whose curated pin says `"locked": false` (modelctl lock refuses a pin).
    static func pinnedUnlocked(_ registryDirectory: String) -> String {
        "its lock is pinned in \(registryDirectory)/\(RegistryStore.curatedFileName) with \"locked\": false: set it to true there"
    }

    /// `run modelctl lock NAME --set-expected` when the entry's artifacts are on this host; else
    /// why they are not, and where and how to lock it instead.
    static func lockSuggestion(_ entry: RegistryEntry, _ location: ArtifactLocation, _ source: ArtifactSource) -> String {
        let command = "modelctl lock \(entry.name.shellQuoted) --set-expected"
        do {
            _ = try source.root(for: location, name: entry.name, written: entry.backendConfig.modelPath)
            return "run " + command
        } catch {
            var why = error.message
            if why.hasPrefix(entry.name + ": ") { why.removeFirst(entry.name.count + 2) }
            let skip = entry.backend.map { ", or leave its backend to that host here with --skip-backend " + $0.shellQuoted } ?? ""
            return "its artifacts are not on this host (\(why)): run \(command) on the host that holds them, "
                + "or pin version_lock.expected_aggregate_sha256 in the curated file\(skip)"
        }
    }
}
