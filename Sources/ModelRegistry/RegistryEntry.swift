/// One model of the registry: ImageWorks' `RegistryEntry`, held as the JSON object it was read
/// from so that no field is lost, with typed access to the fields modelctl uses.
///
/// Reading a typed property never fails: construction validated the types
/// (``RegistryEntry/init(_:source:)``). Setting one writes through to ``json``, keeping the
/// position of existing keys and appending new ones.
public struct RegistryEntry: Sendable, Hashable {
    /// The whole entry, every field, in its original order.
    public internal(set) var json: JSONObject

    /// Wraps and validates an entry object.
    ///
    /// - Parameter source: the file it came from, for error messages.
    /// - Throws: ``RegistryError`` (`missingName`, `wrongType`) naming the file, entry and field.
    public init(_ json: JSONObject, source: String) throws(RegistryError) {
        guard let name = json["name"]?.stringValue, !name.isEmpty else {
            let found = json["name"].map { " (found \($0.typeDescription))" } ?? ""
            throw RegistryError(json["name"] == nil ? .missingName : .wrongType,
                                "\(source): an entry has no \"name\" string\(found)")
        }
        try RegistryEntry.validate(json, name: name, source: source)
        self.json = json
    }

    /// A new entry with only a name.
    public init(name: String) {
        json = JSONObject([("name", .string(name))])
    }

    /// The unique name, taken literally (`florence-2-large_(FP16)`).
    public var name: String { json["name"]?.stringValue ?? "" }

    /// `display_name`.
    public var displayName: String? { json["display_name"]?.stringValue }

    /// `backend`: `vllm`, `ollama`, `lmdeploy`, `triton`, ...
    public var backend: String? { json["backend"]?.stringValue }

    /// `backend_config`.
    public var backendConfig: BackendConfig { BackendConfig(json["backend_config"]?.objectValue ?? JSONObject()) }

    /// `served_model_id`: the id the backend serves the model under.
    public var servedModelID: String? { json["served_model_id"]?.stringValue }

    /// `capabilities`, keys as given (not normalised). A value is a boolean, or an object
    /// whose `enabled` boolean says it (ImageWorks writes `"vision": {"enabled": true, ...}`);
    /// other values are left out.
    public var capabilities: [(key: String, value: Bool)] {
        guard let object = json["capabilities"]?.objectValue else { return [] }
        return object.compactMap { member in
            (member.value.boolValue ?? member.value["enabled"]?.boolValue).map { (member.key, $0) }
        }
    }

    /// `roles`.
    public var roles: [String] { json["roles"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// `role_priority`: role name to priority (higher wins).
    public var rolePriority: [String: Double] {
        guard let object = json["role_priority"]?.objectValue else { return [:] }
        var out: [String: Double] = [:]
        for (key, value) in object { if let d = value.doubleValue { out[key] = d } }
        return out
    }

    /// `deprecated`.
    public var deprecated: Bool { json["deprecated"]?.boolValue ?? false }

    /// `artifacts`: the digests recorded by the last verify, when there are any.
    public var artifacts: ArtifactRecord? {
        get {
            guard let object = json["artifacts"]?.objectValue else { return nil }
            return ArtifactRecord(object)
        }
        set {
            var object = json["artifacts"]?.objectValue ?? JSONObject()
            if let newValue {
                newValue.write(into: &object)
                json["artifacts"] = .object(object)
            } else {
                json["artifacts"] = nil
            }
        }
    }

    /// `version_lock`.
    public var versionLock: VersionLockState {
        get { VersionLockState(json["version_lock"]?.objectValue ?? JSONObject()) }
        set {
            var object = json["version_lock"]?.objectValue ?? JSONObject()
            newValue.write(into: &object)
            json["version_lock"] = .object(object)
        }
    }

    /// `probes`: results of capability probes (`probes.vision`, ...).
    public var probes: JSONObject {
        get { json["probes"]?.objectValue ?? JSONObject() }
        set { json["probes"] = .object(newValue) }
    }

    /// Any field by its JSON name.
    public subscript(field: String) -> JSONValue? {
        get { json[field] }
        set { json[field] = newValue }
    }
}

/// `backend_config`: how to reach or launch the backend.
public struct BackendConfig: Sendable, Hashable {
    /// The object as stored.
    public var json: JSONObject

    public init(_ json: JSONObject) { self.json = json }

    /// `port`; 0 or less means the backend's default.
    public var port: Int? { json["port"]?.intValue }
    /// `model_path`: absolute, relative to the registry directory, or a scheme such as `ollama:`.
    public var modelPath: String? { json["model_path"]?.stringValue }
    /// `extra_args`: arguments appended to the launch command.
    public var extraArgs: [String] { json["extra_args"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    /// `host`: a host name, or a full `http(s)://` URL.
    public var host: String? { json["host"]?.stringValue }
    /// `base_url`: the OpenAI-compatible base URL, when set.
    public var baseURL: String? { json["base_url"]?.stringValue }
}

/// `artifacts`: the digests recorded for an entry.
public struct ArtifactRecord: Sendable, Hashable {
    /// `aggregate_sha256` (ImageWorks writes `""` when nothing was hashed).
    public var aggregateSHA256: String
    /// `files`: `{path, sha256}` per file.
    public var files: [(path: String, sha256: String)]

    public init(aggregateSHA256: String, files: [(path: String, sha256: String)]) {
        self.aggregateSHA256 = aggregateSHA256
        self.files = files
    }

    init(_ object: JSONObject) {
        aggregateSHA256 = object["aggregate_sha256"]?.stringValue ?? ""
        files = (object["files"]?.arrayValue ?? []).compactMap { item in
            guard let path = item["path"]?.stringValue, let sha = item["sha256"]?.stringValue else { return nil }
            return (path, sha)
        }
    }

    func write(into object: inout JSONObject) {
        object["aggregate_sha256"] = .string(aggregateSHA256)
        object["files"] = .array(files.map { .object(JSONObject([("path", .string($0.path)), ("sha256", .string($0.sha256))])) })
    }

    public static func == (a: ArtifactRecord, b: ArtifactRecord) -> Bool {
        a.aggregateSHA256 == b.aggregateSHA256 && a.files.elementsEqual(b.files, by: { $0 == $1 })
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(aggregateSHA256)
        for f in files { hasher.combine(f.path); hasher.combine(f.sha256) }
    }
}

/// `version_lock`: whether the entry is locked, and to what.
public struct VersionLockState: Sendable, Hashable {
    /// `locked`.
    public var locked: Bool
    /// `expected_aggregate_sha256`.
    public var expectedAggregateSHA256: String?
    /// `last_verified`: UTC ISO 8601 time of the last successful verify.
    public var lastVerified: String?

    public init(locked: Bool = false, expectedAggregateSHA256: String? = nil, lastVerified: String? = nil) {
        self.locked = locked
        self.expectedAggregateSHA256 = expectedAggregateSHA256
        self.lastVerified = lastVerified
    }

    init(_ object: JSONObject) {
        locked = object["locked"]?.boolValue ?? false
        let expected = object["expected_aggregate_sha256"]?.stringValue
        expectedAggregateSHA256 = expected?.isEmpty == true ? nil : expected
        lastVerified = object["last_verified"]?.stringValue
    }

    func write(into object: inout JSONObject) {
        object["locked"] = .bool(locked)
        object["expected_aggregate_sha256"] = expectedAggregateSHA256.map(JSONValue.string) ?? .null
        object["last_verified"] = lastVerified.map(JSONValue.string) ?? .null
    }
}

// MARK: - Validation

extension RegistryEntry {
    private enum Expect {
        case string, bool, integer, number, object, stringArray, numberObject
        var name: String {
            switch self {
            case .string: "a string"
            case .bool: "a boolean"
            case .integer: "an integer"
            case .number: "a number"
            case .object: "an object"
            case .stringArray: "an array of strings"
            case .numberObject: "an object of numbers"
            }
        }

        func accepts(_ v: JSONValue) -> Bool {
            if v.isNull { return true }
            switch self {
            case .string: return v.stringValue != nil
            case .bool: return v.boolValue != nil
            case .integer: return v.intValue != nil
            case .number: return v.doubleValue != nil
            case .object: return v.objectValue != nil
            case .stringArray: return v.arrayValue?.allSatisfy { $0.stringValue != nil } ?? false
            case .numberObject: return v.objectValue?.allSatisfy { $0.value.doubleValue != nil } ?? false
            }
        }
    }

    private static let topLevel: [(String, Expect)] = [
        ("display_name", .string), ("backend", .string), ("backend_config", .object),
        ("capabilities", .object), ("served_model_id", .string), ("roles", .stringArray),
        ("role_priority", .numberObject), ("deprecated", .bool), ("artifacts", .object),
        ("version_lock", .object), ("probes", .object),
    ]
    private static let backendConfigFields: [(String, Expect)] = [
        ("port", .integer), ("model_path", .string), ("extra_args", .stringArray), ("host", .string), ("base_url", .string),
    ]
    private static let versionLockFields: [(String, Expect)] = [
        ("locked", .bool), ("expected_aggregate_sha256", .string), ("last_verified", .string),
    ]

    private static func validate(_ json: JSONObject, name: String, source: String) throws(RegistryError) {
        func check(_ object: JSONObject, _ fields: [(String, Expect)], prefix: String) throws(RegistryError) {
            for (field, expect) in fields {
                guard let value = object[field], !expect.accepts(value) else { continue }
                throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"\(prefix)\(field)\" must be \(expect.name), found \(describe(value))")
            }
        }
        try check(json, topLevel, prefix: "")
        if let config = json["backend_config"]?.objectValue { try check(config, backendConfigFields, prefix: "backend_config.") }
        if let lock = json["version_lock"]?.objectValue { try check(lock, versionLockFields, prefix: "version_lock.") }
        if let artifacts = json["artifacts"]?.objectValue {
            try check(artifacts, [("aggregate_sha256", .string)], prefix: "artifacts.")
            if let files = artifacts["files"], !files.isNull {
                guard let items = files.arrayValue else {
                    throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"artifacts.files\" must be an array, found \(describe(files))")
                }
                for (i, item) in items.enumerated() where item["path"]?.stringValue == nil || item["sha256"]?.stringValue == nil {
                    throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"artifacts.files[\(i)]\" must be an object with string \"path\" and \"sha256\"")
                }
            }
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): "a string (\"\(s.count > 40 ? String(s.prefix(40)) + "..." : s)\")"
        case .number(let n): "a number (\(n.literal))"
        case .bool(let b): "a boolean (\(b))"
        default: value.typeDescription
        }
    }
}
