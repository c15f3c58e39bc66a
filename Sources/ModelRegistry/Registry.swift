#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One layer of the registry: the entries of one file, in file order.
public struct RegistryLayer: Sendable, Hashable {
    /// The entries, in the order of the file.
    public var entries: [RegistryEntry]

    public init(entries: [RegistryEntry] = []) { self.entries = entries }

    /// The entry named `name`.
    public subscript(name: String) -> RegistryEntry? {
        entries.first { $0.name == name }
    }

    /// Changes the entry named `name`, adding one (holding only the name) when the layer has none.
    public mutating func modify<T>(_ name: String, _ change: (inout RegistryEntry) throws -> T) rethrows -> T {
        if let i = entries.firstIndex(where: { $0.name == name }) {
            return try change(&entries[i])
        }
        var entry = RegistryEntry(name: name)
        let result = try change(&entry)
        entries.append(entry)
        return result
    }

    /// The layer as file text: a JSON array, 2-space indent, trailing newline.
    public var fileText: String {
        JSON.serialize(.array(entries.map { .object($0.json) })) + "\n"
    }
}

/// The registry as read at one moment: both layers and the merged entries.
public struct RegistrySnapshot: Sendable {
    /// The curated layer (written by people).
    public let curated: RegistryLayer
    /// The discovered layer (written by modelctl).
    public let discovered: RegistryLayer
    /// The merged entries: discovered order first, then curated-only entries in curated order.
    public let entries: [RegistryEntry]

    public init(curated: RegistryLayer, discovered: RegistryLayer) {
        self.curated = curated
        self.discovered = discovered
        var merged: [RegistryEntry] = []
        var seen = Set<String>()
        for entry in discovered.entries {
            seen.insert(entry.name)
            merged.append(RegistryMerge.merge(discovered: entry, curated: curated[entry.name]))
        }
        for entry in curated.entries where !seen.contains(entry.name) {
            merged.append(RegistryMerge.merge(discovered: nil, curated: entry))
        }
        entries = merged
    }

    /// The merged entry named `name`, if any.
    public subscript(name: String) -> RegistryEntry? {
        entries.first { $0.name == name }
    }

    /// The merged entry named `name`.
    ///
    /// - Throws: ``RegistryError`` `unknownModel`, with the closest names as suggestions.
    public func entry(named name: String) throws(RegistryError) -> RegistryEntry {
        if let entry = self[name] { return entry }
        let close = NameSuggestions.closest(to: name, among: entries.map(\.name))
        let hint = close.isEmpty ? "" : "; did you mean " + close.map { "'\($0)'" }.joined(separator: ", ") + "?"
        throw RegistryError(.unknownModel, "unknown model '\(name)'\(hint)", suggestions: close)
    }

    /// The snapshot file's text (`model_registry.json`).
    public var snapshotText: String { RegistryLayer(entries: entries).fileText }
}

/// The merge rules of the registry layers.
public enum RegistryMerge {
    /// Keys owned by the tool: the discovered value wins; a curated value only seeds an entry that has none.
    public static func isDynamicKey(_ key: String) -> Bool {
        ["artifacts", "version_lock", "probes", "performance", "last_accessed", "downloaded_at"].contains(key)
            || key.hasPrefix("download_")
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
        var entry = discovered
        entry.replaceJSON(out)
        return entry
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

/// A registry directory: the curated layer, the discovered layer and the merged snapshot.
///
/// Reads take no lock (files are only ever replaced by rename, so a reader never sees a torn
/// file). ``update(_:)`` holds an exclusive `flock` for the whole read-modify-write.
public struct RegistryStore: Sendable {
    /// `model_registry.curated.json`, written by people; modelctl never writes it.
    public static let curatedFileName = "model_registry.curated.json"
    /// `model_registry.discovered.json`, written by modelctl.
    public static let discoveredFileName = "model_registry.discovered.json"
    /// `model_registry.json`, the merged snapshot for scripts.
    public static let snapshotFileName = "model_registry.json"
    /// The advisory lock file.
    public static let lockFileName = ".model_registry.lock"

    /// The registry directory.
    public let directory: String

    public init(directory: String) {
        var dir = directory
        while dir.count > 1, dir.hasSuffix("/") { dir.removeLast() }
        self.directory = dir
    }

    /// Path of a file inside the registry directory.
    public func path(_ fileName: String) -> String { directory + "/" + fileName }

    /// Reads both layers.
    ///
    /// - Throws: ``RegistryError`` naming the file (and line, column, entry or field): the
    ///   directory is missing, JSON is malformed, the top level is not an array of objects, two
    ///   entries share a name, or a known field has the wrong type. A missing file is an empty layer.
    public func load() throws(RegistryError) -> RegistrySnapshot {
        var st = stat()
        guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw RegistryError(.io, "\(directory): registry directory not found (set --registry-dir or MODELCTL_REGISTRY_DIR)")
        }
        return RegistrySnapshot(curated: try loadLayer(Self.curatedFileName), discovered: try loadLayer(Self.discoveredFileName))
    }

    private func loadLayer(_ fileName: String) throws(RegistryError) -> RegistryLayer {
        let file = path(fileName)
        guard let bytes = try AtomicFile.read(file) else { return RegistryLayer() }
        let value: JSONValue
        do {
            value = try JSON.parse(bytes, source: file)
        } catch {
            throw RegistryError(.syntax, error.description)
        }
        guard let items = value.arrayValue else {
            throw RegistryError(.notAnArray, "\(file): the top level must be an array of entries, found \(value.typeDescription)")
        }
        var entries: [RegistryEntry] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else {
                throw RegistryError(.notAnArray, "\(file): item \(index) must be an entry object, found \(item.typeDescription)")
            }
            let entry = try RegistryEntry(object, source: file)
            guard seen.insert(entry.name).inserted else {
                throw RegistryError(.duplicateName, "\(file): duplicate entry name \"\(entry.name)\" (item \(index))")
            }
            entries.append(entry)
        }
        return RegistryLayer(entries: entries)
    }

    /// Runs a read-modify-write of the discovered layer under the registry's exclusive lock.
    ///
    /// `change` receives the discovered layer and the snapshot as read under the lock. When it
    /// returns, the discovered layer and the merged snapshot are written atomically (only when
    /// they changed); the curated file is never written. When `change` throws, nothing is written.
    public func update<T>(_ change: (inout RegistryLayer, RegistrySnapshot) throws -> T) throws -> T {
        let lock = try FileLock(path: path(Self.lockFileName))
        defer { lock.unlock() }
        removeAbandonedTemporaryFiles()
        let before = try load()
        var discovered = before.discovered
        let result = try change(&discovered, before)
        if discovered != before.discovered {
            let after = RegistrySnapshot(curated: before.curated, discovered: discovered)
            try AtomicFile.write(Array(discovered.fileText.utf8), to: path(Self.discoveredFileName))
            try AtomicFile.write(Array(after.snapshotText.utf8), to: path(Self.snapshotFileName))
        }
        return result
    }

    /// Deletes temporary files a killed writer left behind. Only the holder of the registry lock
    /// writes, so while it is held every such file is abandoned.
    private func removeAbandonedTemporaryFiles() {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        var abandoned: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix(".model_registry"), name.contains(".json.tmp-") { abandoned.append(name) }
        }
        for name in abandoned { unlink(path(name)) }
    }

    /// Where an entry's artifacts are.
    public enum ModelLocation: Sendable, Hashable {
        /// A local file or directory (absolute path).
        case local(String)
        /// Not a local path (`ollama:...`, `hf:...`): it cannot be hashed here.
        case remote(String)
        /// The entry has no `backend_config.model_path`.
        case none
    }

    /// Resolves `backend_config.model_path`: absolute, `~/...`, a scheme such as `ollama:`, or
    /// relative to the registry directory.
    public func location(of entry: RegistryEntry) -> ModelLocation {
        guard let raw = entry.backendConfig.modelPath, !raw.isEmpty else { return .none }
        if raw.hasPrefix("/") { return .local(raw) }
        if raw.hasPrefix("~/"), let home = getenv("HOME") { return .local(String(cString: home) + raw.dropFirst()) }
        if let colon = raw.firstIndex(of: ":"), raw[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "+" }),
           raw[..<colon].count > 1
        {
            return .remote(raw)
        }
        let base: String
        if directory.hasPrefix("/") {
            base = directory
        } else {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
            let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "."
            base = directory == "." ? cwd : cwd + "/" + directory
        }
        return .local(base + "/" + raw)
    }
}

/// Close-name suggestions for an unknown model.
enum NameSuggestions {
    static func closest(to name: String, among names: [String], limit: Int = 3) -> [String] {
        let target = Array(name.lowercased())
        let scored = names.map { candidate -> (String, Int) in
            let c = Array(candidate.lowercased())
            var d = distance(target, c)
            if candidate.lowercased().contains(name.lowercased()) || name.lowercased().contains(candidate.lowercased()) { d = min(d, 1) }
            return (candidate, d)
        }
        let threshold = max(2, target.count / 3)
        return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
