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
/// With ``shardSize`` set, the statement is model_signing's `shards` serialization instead: each
/// resource is one shard of a file, named `path:start:end` (bytes `start..<end`), with algorithm
/// `sha256-sharded-<shard size>`, and the serialization records `"method": "shards"` and
/// `"shard_size"`. A file is cut at every multiple of the shard size; an empty file has no shard
/// and so is not listed at all.
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
    /// The signed resources in statement order (by path components, then shard offsets): files,
    /// where `"."` is a model that is one file, or with ``shardSize`` shards named `path:start:end`.
    public var resources: [ArtifactFile]
    /// Whether the tree was hashed following symbolic links (`allow_symlinks`).
    public var allowSymlinks: Bool
    /// Paths relative to the model root that were left out, with everything under them.
    public var ignorePaths: [String]
    /// Bytes per shard of a `shards` statement; nil for a `files` statement (one resource per file).
    public var shardSize: Int64?

    /// A statement with these parts; `resources` are kept in the order given.
    public init(modelName: String, resources: [ArtifactFile], allowSymlinks: Bool, ignorePaths: [String], shardSize: Int64? = nil) {
        self.modelName = modelName
        self.resources = resources
        self.allowSymlinks = allowSymlinks
        self.ignorePaths = ignorePaths
        self.shardSize = shardSize
    }

    /// The shard sizes a `shards` statement may use: from 4 KiB (a page; smaller shards would
    /// keep a digest in memory for every few bytes of a file that grew after signing) to 1 TiB.
    public static let shardSizes: ClosedRange<Int64> = 4096...FileShards.maximumSize

    /// The resource algorithm: `sha256`, or `sha256-sharded-<shard size>` for shards (what
    /// model_signing names a shard's digest, and compares when it verifies).
    static func resourceAlgorithm(shardSize: Int64?) -> String { shardSize.map { "sha256-sharded-\($0)" } ?? "sha256" }

    /// The file and byte range a shard resource names (`path:start:end`, split at its last two
    /// colons), or nil when `name` is not one.
    public static func shard(named name: String) -> (path: String, bytes: Range<Int64>)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let start = Int64(parts[parts.count - 2]), let end = Int64(parts[parts.count - 1]),
              start >= 0, end > start else { return nil }
        return (parts.dropLast(2).joined(separator: ":"), start..<end)
    }

    /// The subject digest: SHA-256 over the raw 32-byte digests of the resources, in their order.
    public var subjectDigest: String {
        var digest = SHA256Digest()
        for resource in resources { digest.update(hexBytes(resource.sha256) ?? []) }
        return digest.finalizeHex()
    }

    /// The statement as model_signing's DSSE payload bytes.
    public func encoded() -> [UInt8] {
        let algorithm = SignedStatement.resourceAlgorithm(shardSize: shardSize)
        let resourceNodes: [PyJSON] = resources.map {
            .object([("algorithm", .string(algorithm)), ("digest", .string($0.sha256)), ("name", .string($0.path))])
        }
        var serialization: [(String, PyJSON)] = [
            ("allow_symlinks", .bool(allowSymlinks)),
            ("hash_type", .string("sha256")),
        ]
        if !ignorePaths.isEmpty { serialization.append(("ignore_paths", .array(ignorePaths.map { .string($0) }))) }
        serialization.append(("method", .string(shardSize == nil ? "files" : "shards")))
        if let shardSize { serialization.append(("shard_size", .int(shardSize))) }
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
    /// v1.0 model signature predicate, one subject, file or shard serialization with SHA-256
    /// (a shard size in ``shardSizes``, written as an integer or as model_signing's `4096.0`),
    /// and a subject digest that matches the resources; or model_signing 0.2's statement
    /// (predicate `https://model_signing/Digests/v0.1`), which lists each file (at least one) as a subject with
    /// its SHA-256 and records neither serialization nor ignored paths (read as files, SHA-256,
    /// no links, as model_signing reads it).
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
        if raw.predicateType == ModelSigningFormat.digestsPredicateType {
            // model_signing 0.2: the subjects are the files; there is no subject digest to check.
            // None at all would vouch for an empty tree (a failed mount) as "OK": in-toto requires
            // a subject, and model_signing 0.2 never wrote a statement without one.
            guard !raw.subject.isEmpty else {
                throw SigningError(.bundleMalformed, "\(source): the model_signing 0.2 statement lists no file (no subject); it vouches for nothing")
            }
            let listed = raw.subject.map { (name: $0.name ?? "", algorithm: "sha256", digest: $0.digest["sha256"] ?? "") }
            return SignedStatement(modelName: "", resources: try resources(listed, algorithm: "sha256", shards: false, source: source),
                                   allowSymlinks: false, ignorePaths: [])
        }
        guard raw.predicateType == ModelSigningFormat.predicateType else {
            throw SigningError(.bundleMalformed, "\(source): predicate type \(raw.predicateType) is not \(ModelSigningFormat.predicateType)")
        }
        guard raw.subject.count == 1, let subject = raw.subject.first, let subjectDigest = subject.digest["sha256"] else {
            throw SigningError(.bundleMalformed, "\(source): the statement must have exactly one subject with a sha256 digest")
        }
        guard let predicate = raw.predicate, let serialization = predicate.serialization, let listed = predicate.resources else {
            throw SigningError(.bundleMalformed, "\(source): the statement has no predicate with serialization and resources")
        }
        guard serialization.method == "files" || serialization.method == "shards" else {
            throw SigningError(.bundleUnsupported, "\(source): serialization method \"\(serialization.method)\" is not supported; modelctl checks signatures made per file or per shard (model_signing's \"files\" and \"shards\")")
        }
        // Not an integrity failure (exit 1, not 2): the signature verified, and nothing says the
        // files differ; modelctl only cannot recompute these digests.
        guard serialization.hashType == "sha256" else {
            throw SigningError(.bundleUnsupported, "\(source): hash type \"\(serialization.hashType ?? "none")\" is not supported; modelctl checks SHA-256 digests (model_signing's default): sign the model again with hash type sha256")
        }
        var shardSize: Int64?
        if serialization.method == "shards" {
            guard let size = serialization.shardSize, size.rounded() == size, size >= Double(shardSizes.lowerBound), size <= Double(shardSizes.upperBound) else {
                throw SigningError(.bundleMalformed, "\(source): a shards statement needs a shard_size that is a whole number of bytes from \(shardSizes.lowerBound) to \(shardSizes.upperBound)")
            }
            shardSize = Int64(size)
        }
        let statement = SignedStatement(
            modelName: subject.name ?? "",
            resources: try resources(listed.map { ($0.name, $0.algorithm, $0.digest) }, algorithm: resourceAlgorithm(shardSize: shardSize),
                                     shards: shardSize != nil, source: source),
            allowSymlinks: serialization.allowSymlinks ?? false,
            ignorePaths: serialization.ignorePaths ?? [],
            shardSize: shardSize
        )
        guard statement.subjectDigest == subjectDigest.lowercased() else {
            throw SigningError(.bundleMalformed, "\(source): the subject digest \(subjectDigest) does not match the listed resources (\(statement.subjectDigest)); the statement is inconsistent")
        }
        return statement
    }

    /// The signed files (or shards, named `path:start:end`): each an `algorithm` digest, each name once.
    private static func resources(_ listed: [(name: String, algorithm: String, digest: String)], algorithm: String, shards: Bool,
                                  source: String) throws(SigningError) -> [ArtifactFile] {
        var resources: [ArtifactFile] = []
        resources.reserveCapacity(listed.count)
        var seen = Set<String>()
        for resource in listed {
            guard resource.algorithm == algorithm, resource.digest.utf8.count == 64, hexBytes(resource.digest) != nil else {
                throw SigningError(.bundleMalformed, "\(source): resource \"\(resource.name)\" does not carry a \(algorithm) digest")
            }
            if shards && shard(named: resource.name) == nil {
                throw SigningError(.bundleMalformed, "\(source): resource \"\(resource.name)\" does not name a shard as path:start:end")
            }
            guard seen.insert(resource.name).inserted else {
                throw SigningError(.bundleMalformed, "\(source): resource \"\(resource.name)\" is listed twice")
            }
            resources.append(ArtifactFile(path: resource.name, sha256: resource.digest.lowercased()))
        }
        return resources
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
    /// The predicate type of a model_signing 0.2 signature (one subject per file), still read.
    public static let digestsPredicateType = "https://model_signing/Digests/v0.1"
    /// The signature file name model_signing writes by default.
    public static let defaultSignatureName = "model.sig"

    /// DSSE's pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`.
    public static func preAuthenticationEncoding(_ payload: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8) + payload
    }

    /// The encoding model_signing 0.2 signed by mistake (with SHA-256 on every curve), which
    /// model_signing still accepts when the DSSE one does not verify: `DSSEV1 <len(type)> <type> <len(payload)> ` followed
    /// by Python's `repr` of the payload bytes (`b'...'`, escaped), not the bytes themselves.
    /// Like the DSSE encoding it names the type and payload unambiguously (`repr` is one-to-one).
    static func preAuthenticationEncodingV02(_ payload: [UInt8]) -> [UInt8] {
        // Python picks double quotes only when the bytes hold a single quote and no double one.
        let quote: UInt8 = payload.contains(0x27) && !payload.contains(0x22) ? 0x22 : 0x27
        var out = Array("DSSEV1 \(payloadType.utf8.count) \(payloadType) \(payload.count) b".utf8) + [quote]
        out.reserveCapacity(out.count + payload.count + payload.count / 8 + 1)
        let hex = Array("0123456789abcdef".utf8)
        for byte in payload {
            switch byte {
            case 0x5C, quote: out += [0x5C, byte]
            case 0x09: out += [0x5C, 0x74]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x20..<0x7F: out.append(byte)
            default: out += [0x5C, 0x78, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        out.append(quote)
        return out
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
        /// A double: model_signing writes it through a protobuf Struct (`4096.0`).
        var shardSize: Double?
        enum CodingKeys: String, CodingKey {
            case method, hashType = "hash_type", allowSymlinks = "allow_symlinks", ignorePaths = "ignore_paths", shardSize = "shard_size"
        }
    }
    struct Resource: Decodable {
        var name: String
        var algorithm: String
        var digest: String
    }
    /// Optional parts: model_signing 0.2's predicate holds neither.
    struct Predicate: Decodable {
        var serialization: Serialization?
        var resources: [Resource]?
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
    case int(Int64)
    case array([PyJSON])
    case object([(String, PyJSON)])

    func write(into out: inout String, indent: Int) {
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .string(let s): PyJSON.writeString(s, into: &out)
        case .bool(let b): out += b ? "true" : "false"
        case .int(let n): out += String(n)
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
