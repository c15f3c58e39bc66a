public import Foundation
public import ModelRegistry
public import HTTPSupport
public import OrderedJSON
import SystemSupport

/// One model as an Ollama server lists it at `GET /api/tags`.
///
/// `digest` is the SHA-256 of the model's manifest (what `ollama list` shortens to its ID),
/// the same digest ``ServedDigestCheck`` compares with the manifest recorded by `verify`.
public struct OllamaServedModel: Sendable, Hashable {
    /// `name` (else `model`), for example `llama3.2:latest`.
    public var name: String
    /// The manifest's SHA-256, lowercase hex without a `sha256:` prefix; nil when the server
    /// sent none or something that is not 64 hex digits.
    public var digest: String?
    /// `size` in bytes, when it is a non-negative integer.
    public var size: Int64?
    /// `modified_at` as sent (at most 64 characters).
    public var modifiedAt: String?

    /// A served model with these fields.
    public init(name: String, digest: String?, size: Int64?, modifiedAt: String?) {
        self.name = name
        self.digest = digest
        self.size = size
        self.modifiedAt = modifiedAt
    }

    /// Reads one item of `/api/tags`' `models` array; nil when it has no name string. Each other
    /// field is kept only when it has the documented shape.
    init?(_ item: JSONValue) {
        guard let name = (item["name"] ?? item["model"])?.stringValue, !name.isEmpty, name.utf8.count <= 1024 else { return nil }
        self.name = name
        digest = item["digest"]?.stringValue.flatMap(OllamaServedModel.normalizedDigest)
        size = item["size"]?.intValue.flatMap { $0 >= 0 ? Int64($0) : nil }
        modifiedAt = item["modified_at"]?.stringValue.flatMap { $0.utf8.count <= 64 ? $0 : nil }
    }

    /// `sha256:<hex>` or `<hex>`, 64 hex digits, lowercased; nil for anything else.
    static func normalizedDigest(_ text: String) -> String? {
        var hex = Substring(text)
        if hex.lowercased().hasPrefix("sha256:") { hex = hex.dropFirst(7) }
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) else { return nil }
        return hex.lowercased()
    }

    /// The comparable form of an Ollama model name: without `ollama:`, a scheme or leading `/`,
    /// without the public registry's host and `library/` namespace, with tag `latest` when none
    /// is given, lowercased (Ollama matches names case-insensitively).
    ///
    /// ```swift
    /// OllamaServedModel.canonicalName("ollama:/llama3.1")   // "llama3.1:latest"
    /// OllamaServedModel.canonicalName("registry.ollama.ai/library/qwen3:8b")   // "qwen3:8b"
    /// ```
    public static func canonicalName(_ text: String) -> String {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("ollama:") { s = s.dropFirst(7) }
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { s = s.dropFirst(scheme.count) }
        while s.hasPrefix("/") { s = s.dropFirst() }
        var name = s.lowercased()
        for prefix in ["registry.ollama.ai/", "ollama.com/"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        if name.hasPrefix("library/") { name.removeFirst("library/".count) }
        let lastSlash = name.lastIndex(of: "/")
        if let colon = name.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true { return name }
        return name + ":latest"
    }
}

/// Whether the model an Ollama server serves is the one whose manifest `verify` recorded.
///
/// The recorded digest is the SHA-256 of `artifacts.files` path `manifest` (an `ollama:`
/// entry's locked aggregate covers the manifest and every blob; the manifest's own digest is
/// what Ollama reports). Build one with ``check(entry:endpoint:timeout:client:)``.
public struct ServedDigestCheck: Sendable, Hashable {
    /// What the comparison found.
    public enum Outcome: String, Sendable, Hashable {
        /// The served digest equals the recorded manifest digest.
        case match
        /// The server serves the model under another digest: different bytes (exit 2).
        case mismatch
        /// The entry has no recorded manifest digest (`verify` or `lock --set-expected` it first).
        case notRecorded = "not_recorded"
        /// The server answered but does not list the model, or lists it without a digest.
        case notServed = "not_served"
        /// The server could not be asked, or its answer is not `/api/tags`' shape.
        case unavailable
    }

    /// The entry's name.
    public var entry: String
    /// The name looked up in the server's list (as the registry spells it).
    public var servedName: String
    /// The URL asked (`{host}/api/tags`).
    public var url: String
    /// The manifest digest recorded for the entry, when there is one.
    public var recordedDigest: String?
    /// Whether the entry is locked (`version_lock.locked`).
    public var locked: Bool
    /// What the server lists for the model, when it does.
    public var served: OllamaServedModel?
    /// The result.
    public var outcome: Outcome
    /// One sentence naming the model and the URL, for the user.
    public var message: String

    /// `{outcome, served_name, url, recorded_digest, served_digest, served_size, served_modified_at, locked}`.
    public var json: JSONValue {
        .object(JSONObject([
            ("outcome", .string(outcome.rawValue)),
            ("served_name", .string(servedName)),
            ("url", .string(url)),
            ("locked", .bool(locked)),
            ("recorded_digest", recordedDigest.map(JSONValue.string) ?? .null),
            ("served_digest", served?.digest.map(JSONValue.string) ?? .null),
            ("served_size", served?.size.map { .number(JSONNumber(Int($0))) } ?? .null),
            ("served_modified_at", served?.modifiedAt.map(JSONValue.string) ?? .null),
        ]))
    }

    /// The largest `/api/tags` answer read (4 MiB: a few thousand models).
    public static let maxTagsBytes = 4 << 20

    /// The manifest digest recorded for `entry` (`artifacts.files` path `manifest`), when the
    /// entry is an Ollama model (`backend` ollama or an `ollama:` model path) and has one.
    public static func recordedManifestDigest(of entry: RegistryEntry) -> String? {
        entry.artifacts?.files.first { $0.path == "manifest" }.flatMap { OllamaServedModel.normalizedDigest($0.sha256) }
    }

    /// The name to look up: the `ollama:` model path, else `served_model_id`, else the entry's name.
    public static func servedName(of entry: RegistryEntry) -> String {
        if let path = entry.backendConfig.modelPath, let reference = ArtifactLocation.ollamaReference(in: path) { return String(reference) }
        if let id = entry.servedModelID, !id.trimmingCharacters(in: .whitespaces).isEmpty { return id }
        return entry.name
    }

    /// Asks the Ollama server at `endpoint` (`http://host:port`, a trailing `/v1` is ignored)
    /// for its models and compares the one `entry` names with the recorded manifest digest.
    /// Never throws: a server that cannot be asked is outcome ``Outcome/unavailable``.
    ///
    /// - Parameters:
    ///   - timeout: the deadline for the whole exchange.
    ///   - client: the HTTP client (tests pass their own; the CLI uses the shared one).
    public static func check(entry: RegistryEntry, endpoint: URL, timeout: Duration,
                             client: HTTPClient = .shared) async -> ServedDigestCheck {
        let url = BackendEndpoint(name: entry.name, kind: .ollama, baseURL: endpoint).modelsURL
        let name = servedName(of: entry)
        var result = ServedDigestCheck(
            entry: entry.name, servedName: name, url: url.redactedText, recordedDigest: recordedManifestDigest(of: entry),
            locked: entry.versionLock.locked, served: nil, outcome: .unavailable, message: ""
        )
        let models: [OllamaServedModel]
        do {
            let response = try await client.get(url, headers: ["Accept": "application/json"], timeout: timeout, maxBodyBytes: maxTagsBytes)
            let json = try JSON.parse(response.body, source: url.redactedText)
            guard let items = json["models"]?.arrayValue else {
                result.message = "\(entry.name): \(url.redactedText) did not answer an Ollama model list (expected an object with \"models\"); the served digest is unknown"
                return result
            }
            models = items.compactMap(OllamaServedModel.init)
        } catch {
            let hint = (error as? HTTPError)?.code == .unreachable ? "; is Ollama running there?" : ""
            result.message = "\(entry.name): cannot ask \(url.redactedText) which model it serves: \(error)\(hint)"
            return result
        }
        let wanted = OllamaServedModel.canonicalName(name)
        guard let served = models.first(where: { OllamaServedModel.canonicalName($0.name) == wanted }) else {
            result.outcome = .notServed
            result.message = "\(entry.name): \(url.redactedText) does not list '\(name)' (ollama pull it there, or fix served_model_id)"
            return result
        }
        result.served = served
        guard let servedDigest = served.digest else {
            result.outcome = .notServed
            result.message = "\(entry.name): \(url.redactedText) lists '\(served.name)' without a digest; the served digest is unknown"
            return result
        }
        guard let recorded = result.recordedDigest else {
            result.outcome = .notRecorded
            result.message = "\(entry.name): no manifest digest is recorded for the entry; run `modelctl verify \(entry.name.shellQuoted)` (or `lock --set-expected`) on the host that holds the store"
            return result
        }
        if servedDigest == recorded {
            result.outcome = .match
            result.message = "\(entry.name): \(url.redactedText) serves '\(served.name)' with the recorded manifest digest \(recorded)"
        } else {
            result.outcome = .mismatch
            result.message = "\(entry.name): \(url.redactedText) serves '\(served.name)' with manifest digest \(servedDigest), but the \(result.locked ? "locked" : "recorded") one is \(recorded): the server holds other bytes (re-pull it there, or re-lock with `modelctl lock \(entry.name.shellQuoted) --update --reason ...`)"
        }
        return result
    }
}
