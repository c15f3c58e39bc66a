import ArtifactHashing
import ArgumentParser
import ModelRegistry
import ModelRuntime
import ModelStores
import OrderedJSON
import VersionLock

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the registry's entries by name: name, backend, Ollama ID, lock, vision, roles, aggregate.",
        discussion: """
            ID is the 12-digit ID `ollama list` prints (the start of the manifest's SHA-256) for \
            an ollama: entry whose model is in the local store, else '-'. On a terminal, columns \
            other than NAME are shortened or left out to fit its width (-o wide shows them all); \
            in a pipe every value is whole unless $COLUMNS is set.
            """
    )

    @Option(name: .customLong("role"), help: "Only entries with this role.")
    var role: String?

    @Flag(name: .customLong("json"), help: "Print a JSON array.")
    var json = false

    @OptionGroup var table: TableOptions
    @OptionGroup var registry: RegistryOptions

    func run() throws {
        var entries = try registry.load().entries
        if let role { entries = entries.filter { $0.roles.contains(role) } }
        // By the names' bytes, as ImageWorks' Python sorts them.
        entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let source = try registry.source()
        let ids = entries.map { EntrySummary.ollamaID($0, source: source) }
        if json {
            print(JSON.serialize(.array(zip(entries, ids).map { entry, id in
                .object(JSONObject([
                    ("schema_version", .number(JSONNumber(JSONSchema.version))),
                    ("name", .string(entry.name)),
                    ("backend", entry.backend.map(JSONValue.string) ?? .null),
                    ("ollama_id", id.map(JSONValue.string) ?? .null),
                    ("locked", .bool(entry.versionLock.locked)),
                    ("vision", .bool(EntrySummary.vision(entry))),
                    ("roles", .array(entry.roles.map(JSONValue.string))),
                    ("aggregate_sha256", entry.artifacts.flatMap { $0.aggregateSHA256.isEmpty ? nil : JSONValue.string($0.aggregateSHA256) } ?? .null),
                    ("hash", entry.artifacts.flatMap { $0.aggregateSHA256.isEmpty ? nil : JSONValue.string(String($0.aggregateSHA256.prefix(12))) } ?? .null),
                    ("last_result", entry.versionLock.lastResult.map { .string($0.status) } ?? .null),
                ]))
            })))
            return
        }
        let rows = zip(entries, ids).map { entry, id in
            [entry.name, entry.backend ?? "-", id ?? "-", entry.versionLock.locked ? "yes" : "no", EntrySummary.vision(entry) ? "yes" : "no",
             entry.roles.isEmpty ? "-" : entry.roles.joined(separator: ","), Format.short(entry.artifacts?.aggregateSHA256),
             entry.versionLock.lastResult?.status ?? "-"]
        }
        print(table.render(["NAME", "BACKEND", "ID", "LOCKED", "VISION", "ROLES", "AGGREGATE", "LAST RESULT"], rows))
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the merged entry (curated over discovered), every field, as JSON.",
        discussion: """
            For an ollama: entry whose model is in the local store, stderr also gets the ID \
            `ollama list` prints and the manifest's full digest; stdout stays the entry alone.
            """
    )

    @Argument(help: "The entry's name.")
    var name: String

    // Accepted so scripts can pass --json to every data-printing command; show prints JSON anyway.
    @Flag(name: .customLong("json"), help: "Print JSON (the only output form; accepted for scripts).")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let snapshot = try registry.load()
        let entry = try snapshot.entry(named: name)
        if let digest = EntrySummary.ollamaManifestDigest(entry, source: try registry.source()) {
            Terminal.note("\(displayEscaped(entry.name)): Ollama ID \(digest.prefix(12)) (manifest sha256:\(digest))")
        }
        // The entry exactly as the registry holds it (its own schema, the registry's); no
        // schema_version is added, so `show` output can be pasted back into a layer.
        print(OrderedJSON.JSON.serialize(.object(entry.json)))
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show each entry's lock state and aggregate as a table (not a Prometheus endpoint).",
        discussion: """
            A table of every entry (name, locked, expected and current aggregate, last verify and \
            its result), or one entry in full; --json for scripts. For Prometheus, write the \
            text exposition format with verify --prometheus FILE and let node_exporter's \
            textfile collector read it (configs/examples/).
            """
    )

    @Argument(help: "An entry's name (default: all entries).")
    var name: String?

    @Flag(name: .customLong("json"), help: "Print JSON.")
    var json = false

    @OptionGroup var table: TableOptions
    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let snapshot = try registry.load()
        let entries = try name.map { n in [try snapshot.entry(named: n)] } ?? snapshot.entries
        func object(_ e: RegistryEntry) -> JSONValue {
            let lock = e.versionLock
            return .object(JSONObject([
                ("schema_version", .number(JSONNumber(JSONSchema.version))),
                ("name", .string(e.name)),
                ("locked", .bool(lock.locked)),
                ("expected_aggregate_sha256", lock.expectedAggregateSHA256.map(JSONValue.string) ?? .null),
                ("aggregate_sha256", e.artifacts.flatMap { $0.aggregateSHA256.isEmpty ? nil : JSONValue.string($0.aggregateSHA256) } ?? .null),
                ("file_count", .number(JSONNumber(e.artifacts?.files.count ?? 0))),
                ("last_verified", lock.lastVerified.map(JSONValue.string) ?? .null),
                ("last_full_verify", lock.lastFullVerify.map(JSONValue.string) ?? .null),
                ("last_result", lock.lastResult.map { r in .object(JSONObject([("status", .string(r.status)), ("at", .string(r.at)),
                    ("aggregate_sha256", r.aggregateSHA256.map(JSONValue.string) ?? .null)])) } ?? .null),
            ]))
        }
        if json {
            print(JSON.serialize(name == nil ? .array(entries.map(object)) : object(entries[0])))
        } else if let e = entries.first, name != nil {
            let lock = e.versionLock
            print("""
                name          \(displayEscaped(e.name))
                locked        \(lock.locked ? "yes" : "no")
                expected      \(lock.expectedAggregateSHA256 ?? "-")
                aggregate     \(e.artifacts.map { $0.aggregateSHA256.isEmpty ? "-" : $0.aggregateSHA256 } ?? "-")
                files         \(e.artifacts?.files.count ?? 0)
                last_verified \(lock.lastVerified ?? "-")
                last_result   \(lock.lastResult.map { "\($0.status) at \($0.at)" } ?? "-")
                """)
        } else {
            print(table.render(["NAME", "LOCKED", "EXPECTED", "AGGREGATE", "LAST VERIFIED", "LAST RESULT"], entries.map { e in
                [e.name, e.versionLock.locked ? "yes" : "no", Format.short(e.versionLock.expectedAggregateSHA256),
                 Format.short(e.artifacts?.aggregateSHA256), e.versionLock.lastVerified ?? "-", e.versionLock.lastResult?.status ?? "-"]
            }))
        }
    }
}

/// Small derived facts about an entry for listings.
enum EntrySummary {
    /// Whether the entry has vision, by the same normalisation `select` uses.
    static func vision(_ entry: RegistryEntry) -> Bool {
        Capabilities(entry: entry)["vision"]
    }

    /// The SHA-256 of an `ollama:` entry's manifest in the local store (Ollama's digest of the
    /// model), or `nil` for other entries and models the store does not hold.
    static func ollamaManifestDigest(_ entry: RegistryEntry, source: ArtifactSource) -> String? {
        guard case .ollama(let reference) = source.location(of: entry),
              let store = OllamaStore.firstExisting(source.context.ollamaStores),
              let model = try? store.resolve(reference), !model.manifestDigest.isEmpty else { return nil }
        return model.manifestDigest
    }

    /// The ID `ollama list` prints: the first 12 hex digits of the manifest's digest.
    static func ollamaID(_ entry: RegistryEntry, source: ArtifactSource) -> String? {
        ollamaManifestDigest(entry, source: source).map { String($0.prefix(12)) }
    }
}
