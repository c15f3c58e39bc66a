public import ModelRegistry
public import OrderedJSON

/// What a logical model name resolves to: where to send requests, and what the model can do.
///
/// ```swift
/// let selection = try ModelSelection.select(entry, requiring: ["vision"], endpoints: EndpointResolver())
/// selection.endpoint          // "http://localhost:24001/v1"
/// selection.internalModelID   // the id to put in the request's "model" field
/// ```
public struct ModelSelection: Sendable, Hashable {
    /// The registry name.
    public let logicalName: String
    /// The OpenAI-compatible base URL (see ``EndpointResolver``).
    public let endpoint: String
    /// The entry's `backend`, when it has one.
    public let backend: String?
    /// The id the backend serves the model under: `served_model_id`, else the name.
    public let internalModelID: String
    /// The normalised capabilities.
    public let capabilities: Capabilities

    /// The selection for `entry`, without checking capabilities.
    ///
    /// - Throws: ``RuntimeError`` `invalidConfiguration` when the entry's endpoint cannot be
    ///   built (see ``EndpointResolver/endpoint(for:)``).
    public init(entry: RegistryEntry, endpoints: EndpointResolver) throws(RuntimeError) {
        logicalName = entry.name
        endpoint = try endpoints.endpoint(for: entry)
        backend = entry.backend
        internalModelID = Self.internalModelID(of: entry)
        capabilities = Capabilities(entry: entry)
    }

    /// The selection for `entry`, which must have every capability in `required` (any spelling).
    ///
    /// - Throws: ``RuntimeError`` `missingCapability`, naming the model, what is missing and
    ///   what the entry has; `invalidConfiguration` for an endpoint that cannot be built.
    public static func select(_ entry: RegistryEntry, requiring required: [String] = [], endpoints: EndpointResolver) throws(RuntimeError) -> ModelSelection {
        let selection = try ModelSelection(entry: entry, endpoints: endpoints)
        let missing = selection.capabilities.missing(required)
        guard missing.isEmpty else {
            let has = selection.capabilities.enabled
            throw RuntimeError(.missingCapability, "model '\(entry.name)' lacks the required capabilit\(missing.count == 1 ? "y" : "ies") \(missing.joined(separator: ", ")) (it has: \(has.isEmpty ? "none" : has.joined(separator: ", ")))")
        }
        return selection
    }

    /// `served_model_id` when set and not empty, else the entry's name.
    public static func internalModelID(of entry: RegistryEntry) -> String {
        if let id = entry.servedModelID?.trimmingWhitespace, !id.isEmpty { return id }
        return entry.name
    }

    /// `{logical_name, endpoint, backend, internal_model_id, capabilities}`.
    public var json: JSONValue {
        .object(JSONObject([
            ("logical_name", .string(logicalName)),
            ("endpoint", .string(endpoint)),
            ("backend", backend.map(JSONValue.string) ?? .null),
            ("internal_model_id", .string(internalModelID)),
            ("capabilities", capabilities.json),
        ]))
    }
}
