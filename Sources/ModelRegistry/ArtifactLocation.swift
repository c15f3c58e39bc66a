import OrderedJSON
import SystemSupport
/// Where an entry's artifacts are, worked out once from the entry and the environment.
///
/// Every consumer (verify, lock, sign, the orchestrator) switches over this value; none
/// interprets `backend_config.model_path` itself.
public enum ArtifactLocation: Sendable, Hashable {
    /// A local file or directory (an absolute path, after `~` and `--map-path` rewrites).
    case local(path: String)
    /// An Ollama model (`ollama:NAME[:TAG]`, as ImageWorks writes it): the reference after the scheme.
    case ollama(reference: String)
    /// A location modelctl cannot read here (`hf:...`, `s3://...`, `https://...`).
    case remote(String)
    /// The entry names no `backend_config.model_path`.
    case none
    /// The model path is unusable (a NUL byte, an empty `~` expansion); the reason names the field.
    case invalid(reason: String)

    /// The path of a local location, else `nil`.
    public var localPath: String? {
        if case .local(let path) = self { path } else { nil }
    }

    /// The model reference after an `ollama:` scheme (in any case, slashes after it dropped;
    /// empty when it names none), or nil when `path` is not an Ollama model: the one test of
    /// "is this an Ollama model path?".
    public static func ollamaReference(in path: String) -> Substring? {
        guard let colon = path.utf8.firstIndex(of: UInt8(ascii: ":")), path[..<colon].lowercased() == "ollama" else { return nil }
        return path[path.index(after: colon)...].drop { $0 == "/" }
    }

    /// The model path as the user wrote it, for messages.
    public var display: String {
        switch self {
        case .local(let path): path
        case .ollama(let reference): "ollama:" + reference
        case .remote(let text): text
        case .none: "(no model_path)"
        case .invalid(let reason): reason
        }
    }
}

/// One `OLD=NEW` model path prefix rewrite: CI mounts the
/// weights a registry names under `/srv/models` at `/mnt/cache/models`.
public struct PathMapping: Sendable, Hashable {
    /// The prefix the registry names.
    public var old: String
    /// The prefix to use instead.
    public var new: String

    public init(old: String, new: String) {
        self.old = old
        self.new = new
    }

    /// Parses `OLD=NEW`. Both sides must be non-empty; trailing slashes are ignored.
    ///
    /// - Throws: ``RegistryError`` `invalidSetting`, quoting the text.
    public init(parsing text: String) throws(RegistryError) {
        guard let eq = text.firstIndex(of: "="),
              case let old = PathText.trimTrailingSlashes(String(text[..<eq])), !old.isEmpty,
              case let new = PathText.trimTrailingSlashes(String(text[text.index(after: eq)...])), !new.isEmpty
        else {
            throw RegistryError(.invalidSetting, "invalid path mapping '\(text)': expected OLD=NEW, e.g. /srv/models=/mnt/cache/models")
        }
        self.init(old: old, new: new)
    }

    /// Parses `OLD=NEW;OLD2=NEW2` (a list of rewrites); empty parts are skipped.
    public static func parseList(_ text: String) throws(RegistryError) -> [PathMapping] {
        var out: [PathMapping] = []
        for part in text.split(separator: ";") where !part.allSatisfy(\.isWhitespace) {
            let trimmed = part.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
            out.append(try PathMapping(parsing: String(trimmed)))
        }
        return out
    }

    /// `path` with `old` replaced by `new` when `path` is `old` or starts with `old/`.
    func apply(_ path: String) -> String? {
        if path == old { return new }
        guard path.hasPrefix(old + "/") else { return nil }
        return new + path.dropFirst(old.count)
    }
}

/// What location resolution needs from the process: read once at the edge, passed down.
public struct LocationContext: Sendable, Hashable {
    /// `$HOME`, for `~/...` paths.
    public var home: String?
    /// The working directory, for a relative registry directory.
    public var workingDirectory: String
    /// Prefix rewrites, the first that matches wins.
    public var pathMappings: [PathMapping]
    /// Where to look for the Ollama store, in order.
    public var ollamaStores: [String]

    public init(home: String?, workingDirectory: String, pathMappings: [PathMapping] = [], ollamaStores: [String] = []) {
        self.home = home
        self.workingDirectory = workingDirectory
        self.pathMappings = pathMappings
        self.ollamaStores = ollamaStores
    }

    /// A path a registry field names (`model_path`, `public_key`, a recorded signature path):
    /// absolute as written, otherwise relative to `registryDirectory`, never to the working
    /// directory alone, so a command run elsewhere cannot be handed another file of that name.
    public func registryPath(_ path: String, registryDirectory: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = registryDirectory.hasPrefix("/") ? registryDirectory
            : registryDirectory == "." ? workingDirectory : workingDirectory + "/" + registryDirectory
        return base + "/" + path
    }
}

extension RegistryEntry {
    /// Schemes a model path may carry. Anything else with a colon is a relative path
    /// (`weights:v2` is a directory name, not a scheme), unless it is followed by `//`.
    static let knownSchemes: Set<String> = ["ollama", "hf", "huggingface", "s3", "gs", "gcs", "az", "http", "https", "file", "ftp"]

    /// Resolves `backend_config.model_path`: absolute, `~/...`, `ollama:...`, another scheme,
    /// or relative to the registry directory; then applies the context's path mappings.
    /// A `model_path` at the top level of the entry (where nothing reads it) makes the location
    /// invalid: the entry must never pass as one with nothing to hash.
    public func artifactLocation(registryDirectory: String, context: LocationContext) -> ArtifactLocation {
        if let misplaced = json["model_path"], !misplaced.isNull { return .invalid(reason: misplacedField("model_path", registryDirectory: registryDirectory)) }
        guard let raw = backendConfig.modelPath, !raw.isEmpty else { return .none }
        if raw.utf8.contains(0) {
            return .invalid(reason: "\(name): backend_config.model_path contains a NUL byte; fix the registry entry")
        }
        // Found among the UTF-8 bytes: a search by Character costs more than the rest of the
        // entry's resolution, and every verify resolves every entry.
        if let colon = raw.utf8.firstIndex(of: UInt8(ascii: ":")), case let scheme = raw[..<colon].lowercased(), scheme.count > 1,
           scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }),
           Self.knownSchemes.contains(scheme) || raw[colon...].hasPrefix("://")
        {
            if let reference = ArtifactLocation.ollamaReference(in: raw) {
                guard !reference.isEmpty else { return .invalid(reason: "\(name): backend_config.model_path '\(raw)' names no Ollama model") }
                return .ollama(reference: String(reference))
            }
            if scheme == "file", raw.hasPrefix("file://") { return mapped(String(raw.dropFirst("file://".count)), context) }
            return .remote(raw)
        }
        var path: String
        if raw == "~" || raw.hasPrefix("~/") {
            guard let home = context.home, !home.isEmpty else {
                return .invalid(reason: "\(name): backend_config.model_path '\(raw)' starts with ~ but HOME is not set")
            }
            path = home + raw.dropFirst()
        } else {
            path = context.registryPath(raw, registryDirectory: registryDirectory)
        }
        return mapped(path, context)
    }

    private func mapped(_ path: String, _ context: LocationContext) -> ArtifactLocation {
        for mapping in context.pathMappings {
            if let rewritten = mapping.apply(path) { return .local(path: rewritten) }
        }
        return .local(path: path)
    }
}
