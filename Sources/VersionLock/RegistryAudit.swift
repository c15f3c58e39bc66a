public import ModelRegistry
import SystemSupport

/// `modelctl check`: what is wrong with a registry, found without touching any weights.
public enum RegistryAudit {
    /// The problems of `snapshot`, one message each, naming the entry and the field.
    ///
    /// Always: an invalid model path, a locked entry with no expected aggregate (it would pass
    /// its first verify whatever the weights are), `extra_args` in either layer that name other
    /// weights (``BackendConfig/weightOverride``). With `strict`: an entry with local or
    /// Ollama artifacts that is not locked, and a discovered `artifacts.exclude` under a curated
    /// pin (``EntryExclusions/ignoredUnderPin(_:curated:)``).
    public static func problems(_ snapshot: RegistrySnapshot, source: ArtifactSource, strict: Bool) -> [String] {
        var out: [String] = []
        for entry in snapshot.entries {
            let location = source.location(of: entry)
            if case .invalid(let reason) = location { out.append(reason) }
            if let port = entry.backendConfig.port, !(0...65_535).contains(port) {
                out.append("\(entry.name): backend_config.port \(port) is not a TCP port (0 to 65535; 0 means the backend's default)")
            }
            let lock = entry.versionLock
            if lock.locked && lock.expectedAggregateSHA256 == nil {
                out.append("\(entry.name): locked without an expected aggregate (version_lock.expected_aggregate_sha256); run modelctl lock \(entry.name.shellQuoted) --set-expected")
            }
            // Each layer on its own: a discovered value the curated one hides today is
            // launched the day the curated value goes.
            for (layer, file) in [(snapshot.curated, RegistryStore.curatedFileName), (snapshot.discovered, RegistryStore.discoveredFileName)] {
                if let problem = layer[entry.name]?.backendConfig.weightOverrideProblem { out.append("\(entry.name): \(problem) (in \(file))") }
            }
            if strict, let ignored = EntryExclusions.ignoredUnderPin(entry, curated: snapshot.curated[entry.name]) {
                out.append(ignored + " (--strict)")
            }
            if strict && !lock.locked {
                switch location {
                case .local, .ollama:
                    out.append("\(entry.name): not locked (--strict); run modelctl lock \(entry.name.shellQuoted) --set-expected")
                default: break
                }
            }
        }
        return out
    }
}
