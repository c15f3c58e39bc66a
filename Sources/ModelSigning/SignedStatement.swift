import OrderedJSON
public import ArtifactHashing
import Foundation

/// The in-toto v1 statement model_signing 1.x signs: one subject (the model's name and a digest
/// over every file digest) and a predicate listing each file's SHA-256 with the serialization
/// parameters needed to hash the tree again.
///
/// ```json
/// {
///   "_type": "https://in-toto.io/Statement/v1",
///   "subject": [{"name": "model", "digest": {"sha256": "<digest over the resources>"}}],
///   "predicateType": "https://model_signing/signature/v1.0",
///   "predicate": {
///     "resources": [{"algorithm": "sha256", "digest": "<hex>", "name": "dir/file"}, ...],
///     "serialization": {"allow_symlinks": false, "hash_type": "sha256",
///                       "ignore_paths": [".git", ...], "method": "files"}
///   }
/// }
/// ```
///
/// ``encoded()`` writes the bytes as model_signing does (protobuf's `MessageToJson`, which is
/// Python's `json.dumps(indent=2)`: two-space indent, `": "` after keys, non-ASCII escaped as
/// `\uXXXX`, no trailing newline), with the
/// keys of the predicate's objects in sorted order. model_signing itself writes those keys in
/// an order that changes from run to run (they live in a protobuf `Struct`, a hash map), and
/// `ignore_paths` in Python set order; verifiers never depend on either.
public struct SignedStatement: Sendable, Hashable {
    /// The subject's name: the model directory's (or file's) last path component. Informative only.
    public var modelName: String
    /// The signed files in statement order (by path components); `name` `"."` is a model that is one file.
    public var resources: [ArtifactFile]
    /// Whether the tree was hashed following symbolic links (`allow_symlinks`).
    public var allowSymlinks: Bool
    /// Paths relative to the model root that were left out, with everything under them.
    public var ignorePaths: [String]

    /// A statement with these parts; `resources` are kept in the order given.
    public init(modelName: String, resources: [ArtifactFile], allowSymlinks: Bool, ignorePaths: [String]) {
        self.modelName = modelName
        self.resources = resources
        self.allowSymlinks = allowSymlinks
        self.ignorePaths = ignorePaths
    }

    /// The subject digest: SHA-256 over the raw 32-byte digests of the resources, in their order.
    public var subjectDigest: String {
        var digest = SHA256Digest()
        for resource in resources { digest.update(hexBytes(resource.sha256) ?? []) }
        return digest.finalizeHex()
    }

    /// The statement as model_signing's DSSE payload bytes.
    public func encoded() -> [UInt8] {
        let resourceNodes: [PyJSON] = resources.map {
            .object([("algorithm", .string("sha256")), ("digest", .string($0.sha256)), ("name", .string($0.path))])
        }
        var serialization: [(String, PyJSON)] = [
            ("allow_symlinks", .bool(allowSymlinks)),
            ("hash_type", .string("sha256")),
        ]
        if !ignorePaths.isEmpty { serialization.append(("ignore_paths", .array(ignorePaths.map { .string($0) }))) }
        serialization.append(("method", .string("files")))
        let statement: PyJSON = .object([
            ("_type", .string(ModelSigningFormat.statementType)),
            ("subject", .array([.object([("name", .string(modelName)), ("digest", .object([("sha256", .string(subjectDigest))]))])])),
            ("predicateType", .string(ModelSigningFormat.predicateType)),
            ("predicate", .object([("resources", .array(resourceNodes)), ("serialization", .object(serialization))])),
        ])
        var out = ""
        statement.write(into: &out, indent: 0)
        return Array(out.utf8)
    }

    /// Reads a DSSE payload as model_signing's verifier does: an in-toto v1 statement with the
    /// v1.0 model signature predicate, one subject, file serialization with SHA-256, and a
    /// subject digest that matches the resources.
    ///
    /// - Parameter source: the bundle's path, for messages.
    /// - Throws: ``SigningError`` `.bundleMalformed` or `.bundleUnsupported`, naming `source`.
    public static func decode(_ payload: [UInt8], source: String) throws(SigningError) -> SignedStatement {
        let raw: StatementJSON
        do {
            raw = try JSONDecoder().decode(StatementJSON.self, from: Data(payload))
        } catch {
            throw SigningError(.bundleMalformed, "\(source): the signed payload is not an in-toto statement model_signing writes (\(decodingSummary(error)))")
        }
        guard raw.type == ModelSigningFormat.statementType else {
            throw SigningError(.bundleMalformed, "\(source): the signed payload is a \(raw.type) statement, not \(ModelSigningFormat.statementType)")
        }
        guard raw.predicateType == ModelSigningFormat.predicateType else {
            if raw.predicateType == "https://model_signing/Digests/v0.1" {
                throw SigningError(.bundleUnsupported, "\(source): signed with model_signing 0.2 (predicate https://model_signing/Digests/v0.1); re-sign the model with model_signing 1.x or modelctl sign")
            }
            throw SigningError(.bundleMalformed, "\(source): predicate type \(raw.predicateType) is not \(ModelSigningFormat.predicateType)")
        }
        guard raw.subject.count == 1, let subject = raw.subject.first, let subjectDigest = subject.digest["sha256"] else {
            throw SigningError(.bundleMalformed, "\(source): the statement must have exactly one subject with a sha256 digest")
        }
        guard let predicate = raw.predicate else {
            throw SigningError(.bundleMalformed, "\(source): the statement has no predicate")
        }
        let serialization = predicate.serialization
        guard serialization.method == "files" else {
            throw SigningError(.bundleUnsupported, "\(source): serialization method \"\(serialization.method)\" is not supported; modelctl checks signatures made per file (model_signing's default, not --shard)")
        }
        guard serialization.hashType == "sha256" else {
            throw SigningError(.bundleUnsupported, "\(source): hash type \"\(serialization.hashType ?? "none")\" is not supported; modelctl checks SHA-256 manifests (model_signing's default)")
        }
        var resources: [ArtifactFile] = []
        resources.reserveCapacity(predicate.resources.count)
        var seen = Set<String>()
        for resource in predicate.resources {
            guard resource.algorithm == "sha256", resource.digest.utf8.count == 64, hexBytes(resource.digest) != nil else {
                throw SigningError(.bundleMalformed, "\(source): resource \"\(resource.name)\" does not carry a SHA-256 digest")
            }
            guard seen.insert(resource.name).inserted else {
                throw SigningError(.bundleMalformed, "\(source): resource \"\(resource.name)\" is listed twice")
            }
            resources.append(ArtifactFile(path: resource.name, sha256: resource.digest.lowercased()))
        }
        let statement = SignedStatement(
            modelName: subject.name ?? "",
            resources: resources,
            allowSymlinks: serialization.allowSymlinks ?? false,
            ignorePaths: serialization.ignorePaths ?? []
        )
        guard statement.subjectDigest == subjectDigest.lowercased() else {
            throw SigningError(.bundleMalformed, "\(source): the subject digest \(subjectDigest) does not match the listed resources (\(statement.subjectDigest)); the statement is inconsistent")
        }
        return statement
    }
}

/// Constants of model_signing's "key" signature format.
public enum ModelSigningFormat {
    /// The Sigstore bundle media type model_signing writes.
    public static let bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// The Sigstore bundle media types read, with their minor version (v0.1 to v0.3, in the
    /// old and the current spelling).
    static let bundleVersions: [String: Int] = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1": 1,
        "application/vnd.dev.sigstore.bundle+json;version=0.2": 2,
        "application/vnd.dev.sigstore.bundle+json;version=0.3": 3,
        bundleMediaType: 3,
    ]
    /// The DSSE payload type of an in-toto statement.
    public static let payloadType = "application/vnd.in-toto+json"
    /// The in-toto statement type.
    public static let statementType = "https://in-toto.io/Statement/v1"
    /// The predicate type of a model_signing 1.x signature.
    public static let predicateType = "https://model_signing/signature/v1.0"
    /// The signature file name model_signing writes by default.
    public static let defaultSignatureName = "model.sig"

    /// DSSE's pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`.
    public static func preAuthenticationEncoding(_ payload: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8) + payload
    }
}

/// Orders resources as model_signing does: by path components (Python's `PurePosixPath`
/// ordering), each component by its code points, so `a/b` sorts before `a-c`.
func statementOrder(_ a: String, _ b: String) -> Bool {
    var left = a.split(separator: "/", omittingEmptySubsequences: false).makeIterator()
    var right = b.split(separator: "/", omittingEmptySubsequences: false).makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case let (l?, r?):
            if l == r { continue }
            return l.utf8.lexicographicallyPrecedes(r.utf8)
        }
    }
}

/// The bytes of a hex string, or nil when it is not hex of even length.
func hexBytes(_ hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
        guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
        bytes.append(high << 4 | low)
        i += 2
    }
    return bytes
}

/// A short, path-free description of a JSON decoding failure.
func decodingSummary(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .keyNotFound(let key, let context)?:
        return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
        return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    case .dataCorrupted?:
        return "not valid JSON"
    default:
        return "not valid JSON"
    }
}

private struct StatementJSON: Decodable {
    struct Subject: Decodable {
        var name: String?
        var digest: [String: String]
    }
    struct Serialization: Decodable {
        var method: String
        var hashType: String?
        var allowSymlinks: Bool?
        var ignorePaths: [String]?
        enum CodingKeys: String, CodingKey {
            case method, hashType = "hash_type", allowSymlinks = "allow_symlinks", ignorePaths = "ignore_paths"
        }
    }
    struct Resource: Decodable {
        var name: String
        var algorithm: String
        var digest: String
    }
    struct Predicate: Decodable {
        var serialization: Serialization
        var resources: [Resource]
    }
    var type: String
    var subject: [Subject]
    var predicateType: String
    var predicate: Predicate?
    enum CodingKeys: String, CodingKey {
        case type = "_type", subject, predicateType, predicate
    }
}

/// The JSON that Python's `json.dumps(value, indent=2)` writes (what protobuf's `MessageToJson`
/// calls): objects keep the order given, strings escape `"`, `\`, control characters and every
/// character outside printable ASCII as `\uXXXX` (lowercase hex, surrogate pairs above U+FFFF).
enum PyJSON {
    case string(String)
    case bool(Bool)
    case array([PyJSON])
    case object([(String, PyJSON)])

    func write(into out: inout String, indent: Int) {
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .string(let s): PyJSON.writeString(s, into: &out)
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                item.write(into: &out, indent: indent + 2)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += inner
                PyJSON.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent + 2)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        JSON.writeString(s, into: &out)
    }
}
