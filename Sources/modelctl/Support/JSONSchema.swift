import OrderedJSON

/// The version of modelctl's JSON output (docs/json-schema.md). Bump it when a key changes
/// meaning or goes away; adding a key does not bump it.
enum JSONSchema {
    /// The `schema_version` every JSON object modelctl prints at the top level (and every
    /// element of a top-level array) carries.
    static let version = 1

    /// `object` with `schema_version` first.
    static func versioned(_ object: JSONObject) -> JSONValue {
        var fields: [(String, JSONValue)] = [("schema_version", .number(JSONNumber(version)))]
        for (key, value) in object where key != "schema_version" { fields.append((key, value)) }
        return .object(JSONObject(fields))
    }

    /// `value` with `schema_version` added when it is an object, or to each object of an array.
    static func versioned(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object): versioned(object)
        case .array(let items): .array(items.map { if case .object(let o) = $0 { versioned(o) } else { $0 } })
        default: value
        }
    }
}

/// modelctl's JSON for standard output: `OrderedJSON.JSON` with ``JSONSchema/version`` added to
/// the top-level object (or to each object of a top-level array).
///
/// This deliberately shadows `OrderedJSON.JSON` inside the command-line tool, so that every
/// command's `--json` output carries `schema_version` without each command remembering to add
/// it. Use `OrderedJSON.JSON` by its full name for JSON that is not a command's result (the
/// registry entry `show` prints verbatim).
enum JSON {
    /// `value` versioned, with a 2-space indent (see `OrderedJSON.JSON.serialize`).
    static func serialize(_ value: JSONValue) -> String {
        OrderedJSON.JSON.serialize(JSONSchema.versioned(value))
    }
}
