/// A string enumeration that keeps values it does not know.
///
/// A newer server or a hand-written catalog file may use a value this version of modelctl has
/// never heard of (`"training_type": "distilled"`). Loading must not break on it: the value is
/// kept as given, written back unchanged, and reported once as a warning. ``isKnown`` tells the
/// two apart.
public protocol OpenEnumeration: RawRepresentable<String>, Sendable, Hashable, CustomStringConvertible {
    /// The values this version of modelctl knows, in their documented order.
    static var knownValues: [Self] { get }
    /// The JSON field this enumeration is read from, for messages (`"training_type"`).
    static var fieldName: String { get }
    /// A value from its JSON text; never fails, unknown text is kept as given.
    init(rawValue: String)
}

extension OpenEnumeration {
    /// Whether this is one of ``knownValues``.
    public var isKnown: Bool { Self.knownValues.contains(self) }

    /// The raw value, as written in JSON.
    public var description: String { rawValue }
}

/// How a model was trained, as the Tinker model lineup classifies it.
///
/// - `base`: pretrained only, no chat formatting.
/// - `instruction`: chat-tuned, answers without a chain of thought.
/// - `reasoning`: always thinks (long chain of thought) before answering.
/// - `hybrid`: switches between thinking and non-thinking modes.
/// - `vision`: a vision-language model (image input).
public struct TrainingType: OpenEnumeration {
    /// The value as written in JSON.
    public let rawValue: String
    /// A value from its JSON text, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Pretrained only.
    public static let base = TrainingType(rawValue: "base")
    /// Instruction-tuned, no chain of thought.
    public static let instruction = TrainingType(rawValue: "instruction")
    /// Always reasons before answering.
    public static let reasoning = TrainingType(rawValue: "reasoning")
    /// Thinking and non-thinking modes.
    public static let hybrid = TrainingType(rawValue: "hybrid")
    /// Vision-language model.
    public static let vision = TrainingType(rawValue: "vision")

    public static let knownValues: [TrainingType] = [.base, .instruction, .reasoning, .hybrid, .vision]
    public static let fieldName = "training_type"
}

/// Whether every parameter takes part in every token (`dense`) or a router picks a few experts
/// per token (`moe`, mixture of experts).
public struct Architecture: OpenEnumeration {
    /// The value as written in JSON.
    public let rawValue: String
    /// A value from its JSON text, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Every parameter is active for every token.
    public static let dense = Architecture(rawValue: "dense")
    /// Mixture of experts: a fraction of the parameters is active per token.
    public static let moe = Architecture(rawValue: "moe")

    public static let knownValues: [Architecture] = [.dense, .moe]
    public static let fieldName = "architecture"
}

/// A model's size bucket.
///
/// The buckets are the ones the Tinker model lineup publishes
/// (https://tinker-docs.thinkingmachines.ai/model-lineup), applied as published so that the
/// catalog and the service never disagree. They follow the cost of running the model rather
/// than one parameter threshold:
///
/// | bucket | dense models | mixture-of-experts models (total / active) |
/// | --- | --- | --- |
/// | `compact` | up to 4B (Llama-3.2-1B/3B, Qwen3-4B) | — |
/// | `small` | 8B (Llama-3.1-8B, Qwen3-8B) | 21B / 3.6B (gpt-oss-20b) |
/// | `medium` | 32B (Qwen3-32B) | 30B / 3B (Qwen3-30B-A3B), 117B / 5.1B (gpt-oss-120b) |
/// | `large` | 70B (Llama-3.1-70B, Llama-3.3-70B) | 235B / 22B and up (Qwen3-235B, DeepSeek-V3.1, Kimi-K2) |
///
/// For a model outside that list, pick the row of the closest listed model; the built-in
/// specs also record `parameters` (and `active_parameters`) in their metadata.
public struct ModelSize: OpenEnumeration {
    /// The value as written in JSON.
    public let rawValue: String
    /// A value from its JSON text, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Up to about 4B parameters.
    public static let compact = ModelSize(rawValue: "compact")
    /// About 8B dense, or a small mixture of experts.
    public static let small = ModelSize(rawValue: "small")
    /// About 30B dense, or a mid-sized mixture of experts.
    public static let medium = ModelSize(rawValue: "medium")
    /// 70B dense and up, or 235B-total mixtures of experts and up.
    public static let large = ModelSize(rawValue: "large")

    public static let knownValues: [ModelSize] = [.compact, .small, .medium, .large]
    public static let fieldName = "size"
}

/// Where a context limit came from.
///
/// - `server`: reported by a running server (the capabilities endpoint, vLLM's `max_model_len`).
/// - `docs`: the model's public documentation (model card, `config.json`).
/// - `probe`: measured by sending requests to a running backend.
/// - `manual`: written by a person (catalog file or command-line override).
public struct ContextLimitSource: OpenEnumeration {
    /// The value as written in JSON.
    public let rawValue: String
    /// A value from its JSON text, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Reported by a running server.
    public static let server = ContextLimitSource(rawValue: "server")
    /// From the model card or configuration.
    public static let docs = ContextLimitSource(rawValue: "docs")
    /// Measured against a running backend.
    public static let probe = ContextLimitSource(rawValue: "probe")
    /// Written by a person.
    public static let manual = ContextLimitSource(rawValue: "manual")

    public static let knownValues: [ContextLimitSource] = [.server, .docs, .probe, .manual]
    public static let fieldName = "context_limit_source"
}

/// Which context a limit describes.
///
/// - `trained`: what the model was trained for, as its model card or configuration says
///   (the native window, without rope-scaling extensions such as YaRN).
/// - `served`: what a running server accepts, which its operator may have set lower
///   (`vllm serve --max-model-len`) or, with rope scaling, higher.
///
/// The two differ in practice; taking one for the other is how prompts get truncated.
public struct ContextKind: OpenEnumeration {
    /// The value as written in JSON.
    public let rawValue: String
    /// A value from its JSON text, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The context the model was trained for.
    public static let trained = ContextKind(rawValue: "trained")
    /// The context a running server accepts.
    public static let served = ContextKind(rawValue: "served")

    public static let knownValues: [ContextKind] = [.trained, .served]
    public static let fieldName = "context_limit_kind"
}

/// The catalog source that last set a field of a spec, in precedence order.
public enum SpecSource: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The list shipped inside modelctl.
    case builtin
    /// The capabilities server or a backend's model list.
    case server
    /// The user's catalog file.
    case file
    /// A per-call override (command-line option).
    case override

    public var description: String { rawValue }
}
