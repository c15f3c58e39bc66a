public import OrderedJSON

/// The merge rules of the registry layers.
public enum RegistryMerge {
    /// Keys owned by the tool: the discovered value wins; a curated value only seeds an entry that has none.
    public static func isDynamicKey(_ key: String) -> Bool {
        switch key {
        case "artifacts", "version_lock", "probes", "performance", "last_accessed", "downloaded_at": true
        default: key.hasPrefix("download_")
        }
    }

    /// Deep-merges `curated` over `discovered`: objects merge key by key, arrays and scalars
    /// replace, a curated `null` erases nothing, and dynamic keys keep their discovered value.
    public static func merge(discovered: RegistryEntry?, curated: RegistryEntry?) -> RegistryEntry {
        guard let curated else { return discovered! }
        guard let discovered else { return curated }
        var out = discovered.json
        for (key, value) in curated.json {
            if value.isNull { continue }
            if isDynamicKey(key), let existing = out[key], !existing.isNull { continue }
            out[key] = deepMerge(out[key], value)
        }
        // A version_lock written by a person in the curated layer is a pin: its locked,
        // expected aggregate and public key win over whatever the tool recorded.
        if let pin = curated.json["version_lock"]?.objectValue {
            var lock = out["version_lock"]?.objectValue ?? JSONObject()
            for key in pinnedLockKeys { if let value = pin[key], !value.isNull { lock[key] = value } }
            out["version_lock"] = .object(lock)
        }
        var entry = discovered
        entry.replaceJSON(out)
        return entry
    }

    /// The `version_lock` keys a curated pin decides.
    public static let pinnedLockKeys = ["locked", "expected_aggregate_sha256", "public_key"]

    /// Whether the curated entry pins the lock (sets `locked` or the expected aggregate), which
    /// modelctl must then never change.
    public static func isPinned(_ curated: RegistryEntry?) -> Bool {
        guard let pin = curated?.json["version_lock"]?.objectValue else { return false }
        return ["locked", "expected_aggregate_sha256"].contains { pin[$0].map { !$0.isNull } ?? false }
    }

    private static func deepMerge(_ base: JSONValue?, _ over: JSONValue) -> JSONValue {
        guard case .object(var baseObject)? = base, case .object(let overObject) = over else { return over }
        for (key, value) in overObject where !value.isNull {
            baseObject[key] = deepMerge(baseObject[key], value)
        }
        return .object(baseObject)
    }
}

extension RegistryEntry {
    mutating func replaceJSON(_ object: JSONObject) {
        json = object
    }
}
