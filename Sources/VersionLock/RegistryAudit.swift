public import ModelRegistry
import SystemSupport

/// `modelctl check`: what is wrong with a registry, found without touching any weights.
public enum RegistryAudit {
    /// The problems of `snapshot`, one message each, naming the entry and the field.
    ///
    /// Always: an invalid model path, a locked entry with no expected aggregate (it would pass
    /// its first verify whatever the weights are). With `strict`: an entry with local or
    /// Ollama artifacts that is not locked.
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
