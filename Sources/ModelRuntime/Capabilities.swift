public import ModelRegistry
public import OrderedJSON

/// An entry's capabilities, normalised.
///
/// Registries written by different tools spell the same capability many ways (`vl`,
/// `multimodal`, `function_calling`, `reasoner`, ...). Normalisation:
/// - keys are trimmed of surrounding whitespace and lower-cased (as ImageWorks does); when
///   matching synonyms, `-` and spaces count as `_`;
/// - each canonical capability (``canonicalNames``) is `true` when the canonical key or any of
///   its synonyms (``synonyms``) is `true` (an explicit `false` on one spelling does not veto
///   another spelling's `true`);
/// - `thinking` and `reasoning` are one group: either name or any of their synonyms sets both,
///   as ImageWorks writes them;
/// - `text` is `true` unless the entry says `false` for it (and no synonym says `true`);
/// - keys that are no synonym of anything are kept, lower-cased, after the canonical ones.
///
/// ```swift
/// let caps = Capabilities([("VL", true), ("function_calling", true)])
/// caps["vision"]          // true
/// caps.enabled            // ["text", "vision", "tools"]
/// caps.missing(["audio"]) // ["audio"]
/// ```
public struct Capabilities: Sendable, Hashable {
    /// The canonical capabilities, in the order they are listed.
    public static let canonicalNames = ["text", "vision", "audio", "embedding", "tools", "thinking", "reasoning"]

    /// Synonyms of each canonical capability (in normalised spelling: lower case, `_` separators).
    /// Every canonical name is also a synonym of itself.
    public static let synonyms: [String: Set<String>] = {
        let reasoning: Set<String> = [
            "thinking", "think", "reasoning", "reason", "reasoner", "cot", "chain_of_thought",
            "o1", "o3", "r1", "deepseek",
        ]
        return [
            "text": ["text", "language", "chat"],
            "vision": ["vision", "vl", "vlm", "mm", "multimodal", "multi_modal", "image", "images", "visual", "image_input"],
            "audio": ["audio", "speech", "voice", "asr", "tts", "stt"],
            "embedding": ["embedding", "embeddings", "embed", "text_embedding", "representation"],
            "tools": [
                "tools", "tool", "tool_use", "tool_call", "tool_calls", "toolcalls", "toolchoice", "tool_choice",
                "toolcalling", "tool_calling", "function_call", "function_calls", "function_calling",
                "functioncalling", "function_tools", "functions", "auto_tool_choice",
            ],
            "thinking": reasoning,
            "reasoning": reasoning,
        ]
    }()

    /// The canonical name of each synonym (for `thinking`/`reasoning` synonyms, `reasoning`,
    /// except `thinking` and `think` themselves).
    private static let canonicalBySynonym: [String: String] = {
        var out: [String: String] = [:]
        for name in canonicalNames {
            for synonym in synonyms[name] ?? [] { out[synonym] = name }
        }
        out["thinking"] = "thinking"
        out["think"] = "thinking"
        return out
    }()

    /// The members: the canonical capabilities first, in ``canonicalNames`` order, then other
    /// keys lower-cased in the order the entry gave them.
    public let members: [Member]

    /// One normalised capability.
    public struct Member: Sendable, Hashable {
        /// The lower-cased (canonical, when it has one) name.
        public let name: String
        /// Whether the entry has it.
        public let value: Bool
    }

    /// Normalises raw capability pairs (key as written, value), in the entry's order.
    public init(_ raw: [(String, Bool)]) {
        var canonical: [String: Bool] = [:]
        var others: [(String, Bool)] = []
        for (key, value) in raw {
            let lower = key.trimmingWhitespace.lowercased()
            if let name = Self.canonicalBySynonym[Self.spelling(lower)] {
                let group = (name == "thinking" || name == "reasoning") ? ["thinking", "reasoning"] : [name]
                for member in group { canonical[member] = (canonical[member] ?? false) || value }
            } else if let i = others.firstIndex(where: { $0.0 == lower }) {
                others[i].1 = others[i].1 || value
            } else {
                others.append((lower, value))
            }
        }
        var members = Self.canonicalNames.map { name in
            Member(name: name, value: canonical[name] ?? (name == "text"))
        }
        members += others.map { Member(name: $0.0, value: $0.1) }
        self.members = members
    }

    /// The normalised capabilities of `entry`.
    public init(entry: RegistryEntry) {
        self.init(entry.capabilities.map { ($0.key, $0.value) })
    }

    /// The name `name` is normalised to: trimmed, lower-cased, and the canonical name for a
    /// synonym (`VL` -> `vision`, `" VL "` -> `vision`, `function-calling` -> `tools`, `cot` -> `reasoning`).
    public static func canonicalName(_ name: String) -> String {
        let lower = name.trimmingWhitespace.lowercased()
        return canonicalBySynonym[spelling(lower)] ?? lower
    }

    /// Whether the entry has capability `name` (any spelling); unknown names are `false`.
    public subscript(name: String) -> Bool {
        let wanted = Self.canonicalName(name)
        return members.first { $0.name == wanted }?.value ?? false
    }

    /// The names of the capabilities the entry has, in member order.
    public var enabled: [String] { members.filter(\.value).map(\.name) }

    /// The canonical names of `required` capabilities the entry lacks, without duplicates, in
    /// the order given.
    public func missing(_ required: [String]) -> [String] {
        var out: [String] = []
        for name in required.map(Self.canonicalName) where !self[name] && !out.contains(name) {
            out.append(name)
        }
        return out
    }

    /// `{"text": true, "vision": false, ...}` in member order.
    public var json: JSONValue {
        .object(JSONObject(members.map { ($0.name, .bool($0.value)) }))
    }

    /// Lower case with `-` and spaces as `_`: the spelling synonyms are matched in.
    private static func spelling(_ lower: String) -> String {
        String(lower.map { $0 == "-" || $0 == " " ? "_" : $0 })
    }
}
