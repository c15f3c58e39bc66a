public import OrderedJSON
import SystemSupport

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

    /// Whether the entry is an Ollama model: backend `ollama` or an `ollama:` model path (see
    /// ``ArtifactLocation/ollamaReference(in:)``).
    public var isOllama: Bool {
        backend?.lowercased() == "ollama" || backendConfig.modelPath.flatMap(ArtifactLocation.ollamaReference) != nil
    }

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

    /// The backend options that choose which weights are read: the launch command names the
    /// verified model with `--model`, and any of these in `extra_args` would make the backend
    /// read something else (vLLM takes the last `--model`; `--config` is a file of options).
    public static let weightOptions = ["--model", "--tokenizer", "--download-dir", "--load-format", "--config"]

    /// The first argument of `extra_args` that names one of ``weightOptions``, with the option
    /// it names, or `nil` when there is none.
    ///
    /// Matched as vLLM's parser reads options: `--opt value` and `--opt=value`, `_` for `-`,
    /// and any prefix of an option name (argparse resolves a unique prefix such as `--mod` or
    /// `--tok` to the option; a prefix several options share is refused too, as argparse would
    /// refuse it anyway). Longer names such as `--served-model-name` or
    /// `--model-loader-extra-config` are other options and pass.
    public var weightOverride: (argument: String, option: String)? {
        for argument in extraArgs where argument.hasPrefix("--") {
            let name = String(argument.prefix { $0 != "=" }.map { $0 == "_" ? "-" : $0 })
            if name.utf8.count > 2, let option = Self.weightOptions.first(where: { $0.hasPrefix(name) }) { return (argument, option) }
        }
        return nil
    }

    /// Why `extra_args` may not be launched, naming the argument, or `nil`.
    public var weightOverrideProblem: String? {
        guard let (argument, option) = weightOverride else { return nil }
        let named = argument.hasPrefix(option) ? option : "\(option) (as argparse abbreviates it)"
        return "backend_config.extra_args '\(argument)' names \(named), which would make the backend read weights other than the verified model_path; remove it from extra_args (the model is given by model_path)"
    }
}

/// `artifacts`: the digests recorded for an entry.
public struct ArtifactRecord: Sendable, Hashable {
    /// Whether `other` records the same files in the same order, compared byte for byte
    /// (`==` compares paths as Swift strings, where two Unicode spellings of a name are equal).
    public func isSameText(as other: ArtifactRecord) -> Bool {
        func same(_ a: String?, _ b: String?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case let (x?, y?): x.hasSameBytes(as: y)
            default: false
            }
        }
        return same(aggregateSHA256, other.aggregateSHA256) && files.count == other.files.count
            && zip(files, other.files).allSatisfy { a, b in
                same(a.path, b.path) && same(a.sha256, b.sha256) && a.size == b.size && same(a.blob, b.blob) && a.shards == b.shards
            }
    }

    /// One recorded file: `{path, sha256, size}` (`size` when known; ImageWorks writes none).
    public struct File: Sendable, Hashable {
        /// Path relative to the artifact root, `/`-separated.
        public var path: String
        /// Lowercase hex SHA-256.
        public var sha256: String
        /// Size in bytes, when recorded.
        public var size: Int64?
        /// For a file in a Hugging Face cache snapshot: the blob its link pointed at.
        public var blob: String?
        /// `shards`: the SHA-256 of each `size`-byte shard of the file, recorded by `lock`
        /// for large files (`{"size": N, "sha256": [...]}`; ImageWorks ignores it).
        public var shards: Shards?

        public init(path: String, sha256: String, size: Int64? = nil, blob: String? = nil, shards: Shards? = nil) {
            self.path = path
            self.sha256 = sha256
            self.size = size
            self.blob = blob
            self.shards = shards
        }
    }

    /// A file's shard digests as recorded: the shard size and one digest per shard. Read
    /// as written; whether they fit the file is the hasher's check.
    public struct Shards: Sendable, Hashable {
        public var size: Int64
        public var sha256: [String]

        public init(size: Int64, sha256: [String]) {
            self.size = size
            self.sha256 = sha256
        }

        /// `nil` unless `value` is an object with an integer `size` and an array of strings `sha256`.
        init?(_ value: JSONValue?) {
            guard let object = value?.objectValue, let size = object["size"]?.intValue,
                  let items = object["sha256"]?.arrayValue else { return nil }
            let digests = items.compactMap(\.stringValue)
            guard digests.count == items.count else { return nil }
            self.init(size: Int64(size), sha256: digests)
        }

        var json: JSONValue {
            .object(JSONObject([("size", .number(JSONNumber(Int(size)))), ("sha256", .array(sha256.map(JSONValue.string)))]))
        }
    }

    /// `aggregate_sha256` (ImageWorks writes `""` when nothing was hashed).
    public var aggregateSHA256: String
    /// `files`, in the order recorded.
    public var files: [File]

    public init(aggregateSHA256: String, files: [File]) {
        self.aggregateSHA256 = aggregateSHA256
        self.files = files
    }

    init(_ object: JSONObject) {
        aggregateSHA256 = object["aggregate_sha256"]?.stringValue ?? ""
        files = (object["files"]?.arrayValue ?? []).compactMap { item in
            guard let path = item["path"]?.stringValue, let sha = item["sha256"]?.stringValue else { return nil }
            return File(path: path, sha256: sha, size: item["size"]?.intValue.map(Int64.init), blob: item["blob"]?.stringValue,
                        shards: Shards(item["shards"]))
        }
    }

    func write(into object: inout JSONObject) {
        object["aggregate_sha256"] = .string(aggregateSHA256)
        object["files"] = .array(files.map { file in
            var member = JSONObject([("path", .string(file.path)), ("sha256", .string(file.sha256))])
            if let size = file.size { member["size"] = .number(JSONNumber(Int(size))) }
            if let blob = file.blob { member["blob"] = .string(blob) }
            if let shards = file.shards { member["shards"] = shards.json }
            return .object(member)
        })
    }
}

/// `version_lock`: whether the entry is locked, and to what.
///
/// The first three fields are ImageWorks'; the others are modelctl's and are written only
/// when set, so an ImageWorks entry gains no keys it did not have until modelctl has
/// something to say.
public struct VersionLockState: Sendable, Hashable {
    /// The outcome of the last verify, failed or not (`version_lock.last_result`).
    public struct LastResult: Sendable, Hashable {
        /// `ok`, `violation`, `error`, `recorded`, ...
        public var status: String
        /// When, UTC ISO 8601.
        public var at: String
        /// The aggregate computed then (none on an error).
        public var aggregateSHA256: String?

        public init(status: String, at: String, aggregateSHA256: String?) {
            self.status = status
            self.at = at
            self.aggregateSHA256 = aggregateSHA256
        }
    }

    /// `locked`.
    public var locked: Bool
    /// `expected_aggregate_sha256`.
    public var expectedAggregateSHA256: String?
    /// `last_verified`: UTC ISO 8601 time of the last successful verify.
    public var lastVerified: String?
    /// `last_full_verify`: the last verify that read every byte (not a quick one).
    public var lastFullVerify: String?
    /// `last_result`.
    public var lastResult: LastResult?
    /// `updated_by`, `updated_at`, `reason`, `previous_aggregate_sha256`: the last re-baseline.
    public var updatedBy: String?
    public var updatedAt: String?
    public var reason: String?
    public var previousAggregateSHA256: String?
    /// `public_key`: the PEM public key (or a path to one) a signature must verify against.
    public var publicKey: String?
    /// `signature`: `{path, key_fingerprint, signed_at}` of the last `modelctl sign`.
    public var signature: JSONObject?
    /// `signer`: who must have signed the model's signature bundle (a Sigstore identity or the
    /// CA certificates of a certificate bundle), in place of a `public_key`.
    public var signer: SignerPin?

    /// Whether the lock says who must have signed (`public_key` or `signer`).
    public var pinsSigner: Bool { publicKey != nil || signer != nil }

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
        lastFullVerify = object["last_full_verify"]?.stringValue
        if let result = object["last_result"]?.objectValue, let status = result["status"]?.stringValue {
            lastResult = LastResult(status: status, at: result["at"]?.stringValue ?? "", aggregateSHA256: result["aggregate_sha256"]?.stringValue)
        }
        updatedBy = object["updated_by"]?.stringValue
        updatedAt = object["updated_at"]?.stringValue
        reason = object["reason"]?.stringValue
        previousAggregateSHA256 = object["previous_aggregate_sha256"]?.stringValue
        publicKey = object["public_key"]?.stringValue
        signature = object["signature"]?.objectValue
        signer = SignerPin.parse(object["signer"]).pin
    }

    func write(into object: inout JSONObject) {
        object["locked"] = .bool(locked)
        object["expected_aggregate_sha256"] = expectedAggregateSHA256.map(JSONValue.string) ?? .null
        object["last_verified"] = lastVerified.map(JSONValue.string) ?? .null
        func optional(_ key: String, _ value: String?) {
            if let value { object[key] = .string(value) } else if object[key] != nil { object[key] = .null }
        }
        optional("last_full_verify", lastFullVerify)
        if let lastResult {
            object["last_result"] = .object(JSONObject([
                ("status", .string(lastResult.status)), ("at", .string(lastResult.at)),
                ("aggregate_sha256", lastResult.aggregateSHA256.map(JSONValue.string) ?? .null),
            ]))
        }
        optional("updated_by", updatedBy)
        optional("updated_at", updatedAt)
        optional("reason", reason)
        optional("previous_aggregate_sha256", previousAggregateSHA256)
        optional("public_key", publicKey)
        if let signature { object["signature"] = .object(signature) }
        // Written only when it changed, so a pin keeps the form it was written in (a path or a list).
        if SignerPin.parse(object["signer"]).pin != signer { object["signer"] = signer?.json ?? .null }
    }
}

/// `version_lock.signer`: who must have signed an entry's model_signing bundle.
///
/// ```json
/// "signer": {"identity": "release@example.com", "identity_provider": "https://accounts.google.com"}
/// "signer": {"certificate_chain": ["ca/root.pem", "ca/intermediate.pem"]}
/// ```
///
/// Paths are absolute or relative to the registry directory (``ArtifactSource/registryPath(_:)``).
public enum SignerPin: Sendable, Hashable {
    /// A Sigstore keyless signer: the certificate's identity (`identity`), the OIDC issuer that
    /// vouched for it (`identity_provider`) and, optionally, a `trusted_root.json` (`trusted_root`).
    case sigstore(identity: String, identityProvider: String, trustedRoot: String?)
    /// PEM files of CA certificates a certificate bundle's signing certificate must chain to
    /// (`certificate_chain`: one path or a list).
    case certificateChain([String])

    /// The fields a signer object may hold.
    static let fields = ["identity", "identity_provider", "trusted_root", "certificate_chain"]

    /// The pin `value` holds (nil for none: absent or null), or why it is no pin (the text
    /// follows the field's name: `must be an object`, `names both ...`).
    static func parse(_ value: JSONValue?) -> (pin: SignerPin?, problem: String?) {
        guard let value, !value.isNull else { return (nil, nil) }
        guard let object = value.objectValue else { return (nil, "must be an object") }
        var unknown: String?
        object.forEachMember { key, _ in if unknown == nil && !fields.contains(key) { unknown = key } }
        if let unknown {
            return (nil, "holds \"\(unknown)\", which is no signer field (\(fields.joined(separator: ", ")))")
        }
        func text(_ key: String) -> (present: Bool, value: String?) {
            guard let member = object[key], !member.isNull else { return (false, nil) }
            return (true, member.stringValue.flatMap { $0.isEmpty ? nil : $0 })
        }
        let identity = text("identity"), provider = text("identity_provider"), root = text("trusted_root")
        if let chain = object["certificate_chain"], !chain.isNull {
            if identity.present || provider.present || root.present {
                return (nil, "names both a Sigstore identity and a certificate_chain; pin one signer")
            }
            let paths = chain.stringValue.map { [$0] } ?? chain.arrayValue?.compactMap(\.stringValue) ?? []
            guard !paths.isEmpty, paths.count == (chain.arrayValue?.count ?? 1), !paths.contains(where: \.isEmpty) else {
                return (nil, "field certificate_chain must be a path or a non-empty array of paths to PEM CA certificates")
            }
            return (.certificateChain(paths), nil)
        }
        guard identity.present || provider.present else {
            return (nil, "names no signer: give identity and identity_provider (Sigstore keyless) or certificate_chain (CA certificates)")
        }
        for (key, field) in [("identity", identity), ("identity_provider", provider), ("trusted_root", root)] where field.present && field.value == nil {
            return (nil, "field \(key) must be a non-empty string")
        }
        guard let id = identity.value, let issuer = provider.value else {
            return (nil, "needs both identity and identity_provider (the OIDC issuer that vouched for the identity)")
        }
        return (.sigstore(identity: id, identityProvider: issuer, trustedRoot: root.value), nil)
    }

    /// The JSON object this pin is written as.
    var json: JSONValue {
        switch self {
        case let .sigstore(identity, provider, root):
            var object = JSONObject([("identity", .string(identity)), ("identity_provider", .string(provider))])
            if let root { object["trusted_root"] = .string(root) }
            return .object(object)
        case .certificateChain(let paths):
            return .object(JSONObject([("certificate_chain", .array(paths.map(JSONValue.string)))]))
        }
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
            case .number: "a finite number"
            case .object: "an object"
            case .stringArray: "an array of strings"
            case .numberObject: "an object of finite numbers"
            }
        }

        func accepts(_ v: JSONValue) -> Bool {
            if v.isNull { return true }
            switch self {
            case .string: return v.stringValue != nil
            case .bool: return v.boolValue != nil
            case .integer: return v.intValue != nil
            case .number: return v.doubleValue != nil  // finite only: NaN and Infinity are refused
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
        ("last_full_verify", .string), ("last_result", .object), ("public_key", .string), ("signature", .object), ("signer", .object),
    ]

    private static func validate(_ json: JSONObject, name: String, source: String) throws(RegistryError) {
        func check(_ object: JSONObject, _ fields: [(String, Expect)], prefix: String) throws(RegistryError) {
            // The object's few members are looked up among the fields, not each field among
            // the members; only a wrong type goes on to the loop that names the first one.
            var wrong = false
            object.forEachMember { key, value in
                if !wrong, let expect = fields.first(where: { $0.0 == key })?.1, !expect.accepts(value) { wrong = true }
            }
            guard wrong else { return }
            for (field, expect) in fields {
                guard let value = object[field], !expect.accepts(value) else { continue }
                throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"\(prefix)\(field)\" must be \(expect.name), found \(describe(value))")
            }
        }
        try check(json, topLevel, prefix: "")
        if let config = json["backend_config"]?.objectValue { try check(config, backendConfigFields, prefix: "backend_config.") }
        if let lock = json["version_lock"]?.objectValue {
            try check(lock, versionLockFields, prefix: "version_lock.")
            if let problem = SignerPin.parse(lock["signer"]).problem {
                throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"version_lock.signer\" \(problem)")
            }
            if lock["signer"].map({ !$0.isNull }) == true && lock["public_key"].map({ !$0.isNull }) == true {
                throw RegistryError(.wrongType, "\(source): entry \"\(name)\": fields \"version_lock.public_key\" and \"version_lock.signer\" both say who must have signed; keep one")
            }
        }
        if let artifacts = json["artifacts"]?.objectValue {
            try check(artifacts, [("aggregate_sha256", .string)], prefix: "artifacts.")
            if let files = artifacts["files"], !files.isNull {
                guard let items = files.arrayValue else {
                    throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"artifacts.files\" must be an array, found \(describe(files))")
                }
                for (i, item) in items.enumerated() where item["path"]?.stringValue == nil || item["sha256"]?.stringValue == nil
                    || (item["size"].map { !$0.isNull && $0.intValue == nil } ?? false)
                {
                    throw RegistryError(.wrongType, "\(source): entry \"\(name)\": field \"artifacts.files[\(i)]\" must be an object with string \"path\" and \"sha256\" (and an integer \"size\", when present)")
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

// MARK: - Known, misplaced and unknown fields

extension RegistryEntry {
    /// The top-level fields of an entry: ImageWorks' `RegistryEntry` (and every `download_*`
    /// field) and those DESIGN adds. Any other key is kept on save, but nothing reads it.
    public static let knownFields: Set<String> = [
        "name", "display_name", "backend", "backend_config", "capabilities", "artifacts", "chat_template",
        "version_lock", "performance", "probes", "profiles_placeholder", "metadata", "generation_defaults",
        "served_model_id", "model_aliases", "roles", "license", "source", "deprecated", "family", "source_provider",
        "quantization", "backend_alternatives", "role_priority", "downloaded_at", "last_accessed",
    ]

    /// Fields of an object inside the entry that a person may write at its top level instead,
    /// where nothing reads them, and where each belongs.
    public static let nestedFields: [String: String] = [
        "model_path": "backend_config", "port": "backend_config", "extra_args": "backend_config", "host": "backend_config",
        "base_url": "backend_config", "locked": "version_lock", "expected_aggregate_sha256": "version_lock",
        "public_key": "version_lock", "signer": "version_lock", "last_verified": "version_lock", "aggregate_sha256": "artifacts", "exclude": "artifacts",
    ]

    /// The fields of the objects modelctl reads inside an entry (ImageWorks' and modelctl's).
    public static let knownInnerFields: [String: Set<String>] = [
        "backend_config": ["port", "model_path", "extra_args", "host", "base_url"],
        "version_lock": ["locked", "expected_aggregate_sha256", "last_verified", "last_full_verify", "last_result", "public_key",
                         "signature", "signer", "updated_by", "updated_at", "reason", "previous_aggregate_sha256"],
        "artifacts": ["aggregate_sha256", "files", "exclude"],
    ]

    /// What is wrong with the entry's keys, one message each: a field written at the top level
    /// that belongs inside `backend_config`, `version_lock` or `artifacts` (always), and, with
    /// `unknown`, a key that is no field at the top level or inside those three objects, with
    /// the closest known names.
    public func keyProblems(unknown: Bool, registryDirectory: String) -> [String] {
        var out: [String] = []
        func unknownKey(_ key: String, prefix: String, known: Set<String>) {
            let close = NameSuggestions.closest(to: key, among: known.sorted(), limit: 2)
            let hint = close.isEmpty ? "" : " (did you mean " + close.map { "\"\(prefix)\($0)\"" }.joined(separator: " or ") + "?)"
            out.append("\(name): unknown field \"\(prefix)\(key)\"\(hint); nothing reads it (it is kept as written)")
        }
        json.forEachMember { key, value in
            if value.isNull || key.hasPrefix("download_") { return }
            if Self.knownFields.contains(key) {
                guard unknown, let known = Self.knownInnerFields[key], let inner = value.objectValue else { return }
                inner.forEachMember { innerKey, _ in if !known.contains(innerKey) { unknownKey(innerKey, prefix: key + ".", known: known) } }
            } else if Self.nestedFields[key] != nil {
                out.append(misplacedField(key, registryDirectory: registryDirectory))
            } else if unknown {
                unknownKey(key, prefix: "", known: Self.knownFields)
            }
        }
        return out
    }

    /// The message for `key`, a nested field written at the top level of the entry.
    func misplacedField(_ key: String, registryDirectory: String) -> String {
        let belongs = (Self.nestedFields[key] ?? "backend_config") + "." + key
        return "\(name): \"\(key)\" is at the top level of the entry, where nothing reads it; it belongs in \(belongs): "
            + "move it there in \(registryDirectory)/\(RegistryStore.curatedFileName) (or the registry file that holds the entry)"
    }
}

extension RegistryEntry {
    /// Why `version_lock.expected_aggregate_sha256` is no SHA-256 digest (uppercase hex, the
    /// wrong length, other characters), naming the field, the file to correct (the curated
    /// file when `curated`, the entry's curated layer, pins it; else the discovered one) and
    /// what a digest looks like, and how to compute one (`modelctl hash --aggregate-only ROOT`,
    /// for the local `root` when there is one); `nil` when it is one, or unset. Such a pin can
    /// never match: it is a mistake in the registry, not a changed model.
    public func malformedPin(registryDirectory: String, curated: RegistryEntry?, root: String? = nil) -> String? {
        guard let pin = versionLock.expectedAggregateSHA256, !Self.isDigest(pin) else { return nil }
        let shown = pin.count > 72 ? String(pin.prefix(72)) + "..." : pin
        let lowered = Self.isDigest(pin.lowercased()) ? " (lowercase it)" : ""
        let pinned = curated?.json["version_lock"]?["expected_aggregate_sha256"].map { !$0.isNull } ?? false
        let file = registryDirectory + "/" + (pinned ? RegistryStore.curatedFileName : RegistryStore.discoveredFileName)
        return "\(name): version_lock.expected_aggregate_sha256 \"\(shown)\" is not a SHA-256 digest\(lowered): a digest is "
            + "64 lowercase hex digits (0-9, a-f), as \(root.map { "modelctl hash --aggregate-only " + $0.shellQuoted } ?? "modelctl hash --aggregate-only PATH") "
            + "prints it; correct it in \(file)"
    }

    /// Whether `text` is 64 lowercase hex digits.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
