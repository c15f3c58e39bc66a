/// A fully qualified Ollama model name: `host/namespace/model:tag`.
///
/// Parsed the way Ollama's `types/model` parses names (the tag follows the last `:` after the
/// last `/`; one, two or three `/`-separated parts are `model`, `namespace/model`,
/// `host/namespace/model`), with Ollama's defaults for what is left out and its rules for
/// each part, which also keep every part a single safe path component.
///
/// ```swift
/// let ref = try OllamaReference(parsing: "ollama:/llama3.1:8b")
/// ref.description        // "registry.ollama.ai/library/llama3.1:8b"
/// ref.shortName          // "llama3.1:8b"
/// ```
public struct OllamaReference: Sendable, Hashable, CustomStringConvertible {
    /// The registry Ollama pulls from when a name has no host.
    public static let defaultHost = "registry.ollama.ai"
    /// The namespace of a name without one.
    public static let defaultNamespace = "library"
    /// The tag of a name without one.
    public static let defaultTag = "latest"
    /// The host under which the newer `manifests-v2/` tree keeps the public registry's models.
    static let v2CanonicalHost = "ollama.com"

    public var host: String
    public var namespace: String
    public var model: String
    public var tag: String

    /// A reference from its four parts, each checked as Ollama checks it.
    /// - Throws: ``StoreError/Code/invalidReference`` naming the part.
    public init(host: String, namespace: String, model: String, tag: String) throws(StoreError) {
        self.host = host
        self.namespace = namespace
        self.model = model
        self.tag = tag
        try validate(original: description)
    }

    /// Parses `ollama:NAME[:TAG]`, `ollama:/NAME:TAG` (as ImageWorks writes model paths),
    /// `NAME[:TAG]`, `ns/model[:tag]` or `host/ns/model[:tag]` (optionally after `https://`).
    /// - Throws: ``StoreError/Code/invalidReference`` when a part is empty, too long, or has a
    ///   character Ollama does not allow there.
    public init(parsing text: String) throws(StoreError) {
        var s = Substring(text)
        if s.hasPrefix("ollama:") { s = s.dropFirst("ollama:".count) }
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { s = s.dropFirst(scheme.count) }
        while s.hasPrefix("/") { s = s.dropFirst() }
        guard !s.isEmpty, s.utf8.count <= 600 else {
            throw StoreError(.invalidReference, "'\(text)' is not an Ollama model name (expected ollama:NAME[:TAG])")
        }
        var tag = OllamaReference.defaultTag
        let lastColon = s.lastIndex(of: ":")
        let lastSlash = s.lastIndex(of: "/")
        if let colon = lastColon, lastSlash.map({ colon > $0 }) ?? true {
            tag = String(s[s.index(after: colon)...])
            s = s[..<colon]
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: (host, namespace, model) = (OllamaReference.defaultHost, OllamaReference.defaultNamespace, parts[0])
        case 2: (host, namespace, model) = (OllamaReference.defaultHost, parts[0], parts[1])
        case 3: (host, namespace, model) = (parts[0], parts[1], parts[2])
        default:
            throw StoreError(.invalidReference, "'\(text)' has too many '/'-separated parts for an Ollama name (at most host/namespace/model:tag)")
        }
        self.tag = tag
        try validate(original: text)
    }

    /// `host/namespace/model:tag`.
    public var description: String { "\(host)/\(namespace)/\(model):\(tag)" }

    /// The shortest name Ollama would print: `model:tag`, `ns/model:tag` or the full name.
    public var shortName: String {
        if !host.caseInsensitiveEquals(OllamaReference.defaultHost) && !host.caseInsensitiveEquals(OllamaReference.v2CanonicalHost) {
            return description
        }
        if !namespace.caseInsensitiveEquals(OllamaReference.defaultNamespace) { return "\(namespace)/\(model):\(tag)" }
        return "\(model):\(tag)"
    }

    /// Whether the host is the public registry under either of its names.
    var isPublicHost: Bool {
        host.caseInsensitiveEquals(OllamaReference.defaultHost) || host.caseInsensitiveEquals(OllamaReference.v2CanonicalHost)
    }

    private enum Part: String { case host, namespace, model, tag }

    private func validate(original: String) throws(StoreError) {
        for (part, value) in [(Part.host, host), (.namespace, namespace), (.model, model), (.tag, tag)] {
            if let reason = OllamaReference.invalidity(of: value, as: part) {
                throw StoreError(.invalidReference, "'\(original)' is not a valid Ollama model name: the \(part.rawValue) '\(value)' \(reason)")
            }
        }
    }

    /// Ollama's rule for a name part (`types/model/name.go`): 1 to 80 bytes (host: 350), the
    /// first an ASCII letter, digit or `_`; then also `-` and `_`, `.` except in a namespace,
    /// and `:` only in a host (a port).
    private static func invalidity(of value: String, as part: Part) -> String? {
        let maxLength = part == .host ? 350 : 80
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return "is empty" }
        guard bytes.count <= maxLength else { return "is longer than \(maxLength) bytes" }
        func isWord(_ c: UInt8) -> Bool {
            (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95
        }
        guard isWord(bytes[0]) else { return "must start with a letter, digit or '_'" }
        for c in bytes.dropFirst() {
            switch c {
            case UInt8(ascii: "-"), UInt8(ascii: "_"): continue
            case UInt8(ascii: ".") where part != .namespace: continue
            case UInt8(ascii: ":") where part == .host: continue
            default:
                if !isWord(c) { return "contains '\(String(decoding: [c], as: UTF8.self))'" }
            }
        }
        return nil
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && zip(self.utf8, other.utf8).allSatisfy { a, b in
            let la = (a >= 65 && a <= 90) ? a + 32 : a
            let lb = (b >= 65 && b <= 90) ? b + 32 : b
            return la == lb
        }
    }
}
