import OrderedJSON

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
        guard let discovered else {
            guard var pin = curated.json["version_lock"]?.objectValue, isUnlockedPin(pin) else { return curated }
            pin["locked"] = .bool(true)
            var entry = curated
            entry.json["version_lock"] = .object(pin)
            return entry
        }
        var out = discovered.json
        // Most curated values equal what the discovered entry already holds (its name, backend
        // and model path): only a value that changes something is written, so the usual merge
        // shares the discovered entry's storage instead of copying it.
        var changed = false
        for (key, value) in curated.json {
            if value.isNull { continue }
            let existing = out[key]
            if let existing, !existing.isNull, isDynamicKey(key) { continue }
            if let merged = deepMerged(existing, value) {
                out[key] = merged
                changed = true
            }
        }
        // A version_lock written by a person in the curated layer is a pin: its locked,
        // expected aggregate and signer (public key or signer) win over whatever the tool recorded.
        if let pin = curated.json["version_lock"]?.objectValue {
            var lock = out["version_lock"]?.objectValue ?? JSONObject()
            var pinned = false
            let locks = isUnlockedPin(pin)
            // A curated public_key or signer says who signs; the other kind, copied into the
            // discovered layer from an earlier pin, must not linger beside it.
            for (key, other) in [("public_key", "signer"), ("signer", "public_key")]
            where pin[key].map({ !$0.isNull }) == true && lock[other].map({ !$0.isNull }) == true {
                lock[other] = Optional.none
                pinned = true
            }
            for key in pinnedLockKeys {
                if let value = key == "locked" && locks ? .bool(true) : pin[key], !value.isNull,
                   !(lock[key].map { $0.isSameText(as: value) } ?? false) {
                    lock[key] = value
                    pinned = true
                }
            }
            if pinned || out["version_lock"] == nil {
                out["version_lock"] = .object(lock)
                changed = true
            }
        }
        guard changed else { return discovered }
        var entry = discovered
        entry.replaceJSON(out)
        return entry
    }

    /// Whether a curated `version_lock` pins an expected aggregate without saying `locked`:
    /// such a pin is enforced as a lock (a person who wrote a digest means it to be checked);
    /// only an explicit `"locked": false` turns it off.
    static func isUnlockedPin(_ pin: JSONObject?) -> Bool {
        guard let pin, let expected = pin["expected_aggregate_sha256"], !expected.isNull, expected.stringValue != "" else { return false }
        return pin["locked"]?.isNull ?? true
    }

    /// The `version_lock` keys a curated pin decides.
    public static let pinnedLockKeys = ["locked", "expected_aggregate_sha256", "public_key", "signer"]

    /// Whether the curated entry pins the lock (sets `locked` or the expected aggregate), which
    /// modelctl must then never change.
    public static func isPinned(_ curated: RegistryEntry?) -> Bool {
        guard let pin = curated?.json["version_lock"]?.objectValue else { return false }
        return ["locked", "expected_aggregate_sha256"].contains { pin[$0].map { !$0.isNull } ?? false }
    }

    /// `over` deep-merged onto `base`, or `nil` when that changes nothing.
    private static func deepMerged(_ base: JSONValue?, _ over: JSONValue) -> JSONValue? {
        // (`Optional.none` spelled out: JSONValue is itself ExpressibleByNilLiteral, so a bare
        // `nil` beside a JSONValue would mean JSON null.)
        // Unchanged means the same bytes: `==` would call two Unicode spellings of a path equal.
        guard case .object(var baseObject)? = base, case .object(let overObject) = over else {
            return base.map { $0.isSameText(as: over) } == true ? Optional.none : over
        }
        var changed = false
        for (key, value) in overObject where !value.isNull {
            if let merged = deepMerged(baseObject[key], value) {
                baseObject[key] = merged
                changed = true
            }
        }
        return changed ? .object(baseObject) : Optional.none
    }
}

extension RegistryEntry {
    mutating func replaceJSON(_ object: JSONObject) {
        json = object
    }
}
