import ArgumentParser
import ModelRegistry
import ModelRuntime
import OrderedJSON

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the registry's entries: name, backend, lock, vision, roles, aggregate."
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
        if json {
            print(JSON.serialize(.array(entries.map { entry in
                .object(JSONObject([
                    ("schema_version", .number(JSONNumber(JSONSchema.version))),
                    ("name", .string(entry.name)),
                    ("backend", entry.backend.map(JSONValue.string) ?? .null),
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
        let rows = entries.map { entry in
            [entry.name, entry.backend ?? "-", entry.versionLock.locked ? "yes" : "no", EntrySummary.vision(entry) ? "yes" : "no",
             entry.roles.isEmpty ? "-" : entry.roles.joined(separator: ","), Format.short(entry.artifacts?.aggregateSHA256),
             entry.versionLock.lastResult?.status ?? "-"]
        }
        print(table.render(["NAME", "BACKEND", "LOCKED", "VISION", "ROLES", "AGGREGATE", "LAST RESULT"], rows))
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the merged entry (curated over discovered), every field, as JSON."
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
        // The entry exactly as the registry holds it (its own schema, the registry's); no
        // schema_version is added, so `show` output can be pasted back into a layer.
        print(OrderedJSON.JSON.serialize(.object(entry.json)))
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Lock state and aggregate of every entry, or of one entry in full."
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
                name          \(Text.escapingControls(e.name))
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
}
