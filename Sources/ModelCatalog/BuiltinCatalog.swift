import ModelRegistry
import OrderedJSON

/// The model specs shipped inside modelctl: the 46 models of the Tinker service as the vendor's
/// `tinker-cookbook` 0.6.1 lists them (`tinker_cookbook/model_info.py`), in its order.
///
/// - Training type, architecture and size follow the Tinker model lineup's own classification
///   (https://tinker-docs.thinkingmachines.ai/model-lineup); for models the lineup page does not
///   list yet, `model_info.py` decides: `is_chat` false is `base`; a model whose renderers can
///   switch thinking off is `hybrid`; one with only reasoning-effort renderers is `reasoning`;
///   a size written `TOTAL-AACTIVE` is a mixture of experts. See ``ModelSize`` for the buckets.
/// - `trained_context_length` (and so `max_context_length`, kind `trained`, source `docs`) is
///   the native context from each model's public model card, at the URL recorded in the spec's
///   `metadata.reference`. Where the card names a longer context reached with YaRN rope
///   scaling, that number is `metadata.context_length_extended` and the spec has the feature
///   `yarn`; it is not the trained context. Where no card stating the number could be read
///   when this list was made, the context is `null` (unknown), never a guess.
/// - `metadata.parameters` (and `metadata.active_parameters` for mixtures of experts) are the
///   model card's (or `model_info.py`'s) parameter counts.
///
/// Feature tags: `vision` (accepts images; `is_vl`), `audio` (accepts audio; `is_audio_in`),
/// `thinking` (can produce a chain of thought before answering; switchable for `hybrid`
/// models), `yarn` (see above).
///
/// Model cards, as read for this list:
///
/// | model | native context | card says |
/// | --- | --- | --- |
/// | Qwen3-235B-A22B-Instruct-2507, Qwen3-30B-A3B-Instruct-2507, Qwen3-4B-Instruct-2507 | 262,144 | "Context Length: 262,144 natively" |
/// | Qwen3-VL-235B-A22B-Instruct, Qwen3-VL-30B-A3B-Instruct | 262,144 | "Native 256K context, expandable to 1M" |
/// | Qwen3-30B-A3B, Qwen3-32B, Qwen3-8B | 32,768 | "32,768 natively and 131,072 tokens with YaRN" |
/// | Qwen3-30B-A3B-Base, Qwen3-8B-Base | 32,768 | "Context Length: 32,768" |
/// | Qwen3.5-* and Qwen3.6-* | 262,144 | "262,144 natively, extensible up to 1,010,000 tokens" |
/// | Llama-3.1-8B/-Instruct/-70B, Llama-3.2-1B/-3B, Llama-3.3-70B-Instruct | 131,072 | "128k" context |
/// | DeepSeek-V3.1, DeepSeek-V3.1-Base | 131,072 | long-context extension "to 128K" |
/// | Kimi-K2-Thinking, Kimi-K2.5 | 262,144 | "Context Length: 256K" |
/// | gpt-oss-120b, gpt-oss-20b | 131,072 | "context length of 128k" (131,072 in config.json) |
/// | Qwen3.8-27B, DeepSeek-V4.1-Flash(-1017), Kimi-K2.6, Kimi-K3.1-Pro, GLM-5.3(-Flash), Nemotron 3 / 3.5, Inkling | unknown | no card stating it could be read |
public enum BuiltinCatalog {
    /// The built-in specs, in the order `model_info.py` lists them.
    ///
    /// Each spec has ``ModelSpec/source`` `.builtin` and, where a card states it, its context
    /// limit from the docs.
    public static let specs: [ModelSpec] = entries.map(\.spec)

    private struct Entry {
        var name: String
        var training: TrainingType
        var architecture: Architecture
        var size: ModelSize
        var context: Int?
        var parameters: String
        var activeParameters: String? = nil
        var extendedContext: Int? = nil
        var features: [String] = []

        var spec: ModelSpec {
            var metadata = JSONObject()
            metadata["reference"] = .string("https://huggingface.co/\(name)")
            metadata["parameters"] = .string(parameters)
            if let activeParameters { metadata["active_parameters"] = .string(activeParameters) }
            if let extendedContext { metadata["context_length_extended"] = .number(JSONNumber(extendedContext)) }
            return ModelSpec(
                modelName: name, trainingType: training, architecture: architecture, size: size,
                maxContextLength: context, contextLimitSource: context == nil ? nil : .docs,
                contextLimitKind: context == nil ? nil : .trained, trainedContextLength: context,
                features: features + (extendedContext == nil ? [] : ["yarn"]),
                source: .builtin, metadata: metadata)
        }
    }

    private static let entries: [Entry] = [
        // meta-llama
        Entry(name: "meta-llama/Llama-3.1-8B-Instruct", training: .instruction, architecture: .dense, size: .small,
              context: 131_072, parameters: "8B"),
        Entry(name: "meta-llama/Llama-3.2-1B", training: .base, architecture: .dense, size: .compact,
              context: 131_072, parameters: "1.23B"),
        Entry(name: "meta-llama/Llama-3.2-3B", training: .base, architecture: .dense, size: .compact,
              context: 131_072, parameters: "3.21B"),
        Entry(name: "meta-llama/Llama-3.1-8B", training: .base, architecture: .dense, size: .small,
              context: 131_072, parameters: "8B"),
        Entry(name: "meta-llama/Llama-3.1-70B", training: .base, architecture: .dense, size: .large,
              context: 131_072, parameters: "70B"),
        Entry(name: "meta-llama/Llama-3.3-70B-Instruct", training: .instruction, architecture: .dense, size: .large,
              context: 131_072, parameters: "70B"),
        // Qwen
        Entry(name: "Qwen/Qwen3-VL-30B-A3B-Instruct", training: .vision, architecture: .moe, size: .medium,
              context: 262_144, parameters: "30B", activeParameters: "3B", features: ["vision"]),
        Entry(name: "Qwen/Qwen3-VL-235B-A22B-Instruct", training: .vision, architecture: .moe, size: .large,
              context: 262_144, parameters: "235B", activeParameters: "22B", features: ["vision"]),
        Entry(name: "Qwen/Qwen3-8B-Base", training: .base, architecture: .dense, size: .small,
              context: 32_768, parameters: "8.2B"),
        Entry(name: "Qwen/Qwen3-30B-A3B-Base", training: .base, architecture: .moe, size: .medium,
              context: 32_768, parameters: "30.5B", activeParameters: "3.3B"),
        Entry(name: "Qwen/Qwen3-8B", training: .hybrid, architecture: .dense, size: .small,
              context: 32_768, parameters: "8.2B", extendedContext: 131_072, features: ["thinking"]),
        Entry(name: "Qwen/Qwen3-32B", training: .hybrid, architecture: .dense, size: .medium,
              context: 32_768, parameters: "32.8B", extendedContext: 131_072, features: ["thinking"]),
        Entry(name: "Qwen/Qwen3-30B-A3B", training: .hybrid, architecture: .moe, size: .medium,
              context: 32_768, parameters: "30.5B", activeParameters: "3.3B", extendedContext: 131_072,
              features: ["thinking"]),
        Entry(name: "Qwen/Qwen3-4B-Instruct-2507", training: .instruction, architecture: .dense, size: .compact,
              context: 262_144, parameters: "4.0B"),
        Entry(name: "Qwen/Qwen3-30B-A3B-Instruct-2507", training: .instruction, architecture: .moe, size: .medium,
              context: 262_144, parameters: "30.5B", activeParameters: "3.3B"),
        Entry(name: "Qwen/Qwen3-235B-A22B-Instruct-2507", training: .instruction, architecture: .moe, size: .large,
              context: 262_144, parameters: "235B", activeParameters: "22B"),
        Entry(name: "Qwen/Qwen3.5-4B", training: .hybrid, architecture: .dense, size: .compact,
              context: 262_144, parameters: "4B", extendedContext: 1_010_000, features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.5-9B", training: .hybrid, architecture: .dense, size: .small,
              context: 262_144, parameters: "9B", extendedContext: 1_010_000, features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.5-9B-Base", training: .base, architecture: .dense, size: .small,
              context: 262_144, parameters: "9B", features: ["vision"]),
        Entry(name: "Qwen/Qwen3.5-27B", training: .hybrid, architecture: .dense, size: .medium,
              context: 262_144, parameters: "27B", extendedContext: 1_010_000, features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.5-35B-A3B", training: .hybrid, architecture: .moe, size: .medium,
              context: 262_144, parameters: "35B", activeParameters: "3B", extendedContext: 1_010_000,
              features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.5-35B-A3B-Base", training: .base, architecture: .moe, size: .medium,
              context: 262_144, parameters: "35B", activeParameters: "3B", features: ["vision"]),
        Entry(name: "Qwen/Qwen3.5-397B-A17B", training: .hybrid, architecture: .moe, size: .large,
              context: 262_144, parameters: "397B", activeParameters: "17B", extendedContext: 1_010_000,
              features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.6-27B", training: .hybrid, architecture: .dense, size: .medium,
              context: 262_144, parameters: "27B", extendedContext: 1_010_000, features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.6-35B-A3B", training: .hybrid, architecture: .moe, size: .medium,
              context: 262_144, parameters: "35B", activeParameters: "3B", extendedContext: 1_010_000,
              features: ["vision", "thinking"]),
        Entry(name: "Qwen/Qwen3.8-27B", training: .hybrid, architecture: .dense, size: .medium,
              context: nil, parameters: "27B", features: ["vision", "thinking"]),
        // deepseek-ai
        Entry(name: "deepseek-ai/DeepSeek-V3.1", training: .hybrid, architecture: .moe, size: .large,
              context: 131_072, parameters: "671B", activeParameters: "37B", features: ["thinking"]),
        Entry(name: "deepseek-ai/DeepSeek-V3.1-Base", training: .base, architecture: .moe, size: .large,
              context: 131_072, parameters: "671B", activeParameters: "37B"),
        Entry(name: "deepseek-ai/DeepSeek-V4.1-Flash", training: .hybrid, architecture: .moe, size: .large,
              context: nil, parameters: "552B", activeParameters: "16B", features: ["thinking"]),
        Entry(name: "deepseek-ai/DeepSeek-V4.1-Flash-1017", training: .hybrid, architecture: .moe, size: .large,
              context: nil, parameters: "552B", activeParameters: "16B", features: ["thinking"]),
        // openai
        Entry(name: "openai/gpt-oss-20b", training: .reasoning, architecture: .moe, size: .small,
              context: 131_072, parameters: "21B", activeParameters: "3.6B", features: ["thinking"]),
        Entry(name: "openai/gpt-oss-120b", training: .reasoning, architecture: .moe, size: .medium,
              context: 131_072, parameters: "117B", activeParameters: "5.1B", features: ["thinking"]),
        // moonshotai
        Entry(name: "moonshotai/Kimi-K2-Thinking", training: .reasoning, architecture: .moe, size: .large,
              context: 262_144, parameters: "1T", activeParameters: "32B", features: ["thinking"]),
        Entry(name: "moonshotai/Kimi-K2.5", training: .hybrid, architecture: .moe, size: .large,
              context: 262_144, parameters: "1T", activeParameters: "32B", features: ["vision", "thinking"]),
        Entry(name: "moonshotai/Kimi-K2.6", training: .hybrid, architecture: .moe, size: .large,
              context: nil, parameters: "1T", activeParameters: "32B", features: ["vision", "thinking"]),
        Entry(name: "moonshotai/Kimi-K3.1-Pro", training: .hybrid, architecture: .moe, size: .large,
              context: nil, parameters: "2.8T", activeParameters: "104B", features: ["vision", "thinking"]),
        // zai-org
        Entry(name: "zai-org/GLM-5.3", training: .reasoning, architecture: .moe, size: .large,
              context: nil, parameters: "744B", activeParameters: "40B", features: ["thinking"]),
        Entry(name: "zai-org/GLM-5.3-Flash", training: .reasoning, architecture: .moe, size: .large,
              context: nil, parameters: "320B", activeParameters: "18B", features: ["thinking"]),
        // nvidia
        Entry(name: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", training: .hybrid, architecture: .moe, size: .medium,
              context: nil, parameters: "30B", activeParameters: "3B", features: ["thinking"]),
        Entry(name: "nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16", training: .hybrid, architecture: .moe, size: .medium,
              context: nil, parameters: "120B", activeParameters: "12B", features: ["thinking"]),
        Entry(name: "nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16", training: .hybrid, architecture: .moe, size: .large,
              context: nil, parameters: "550B", activeParameters: "55B", features: ["thinking"]),
        Entry(name: "nvidia/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16", training: .hybrid, architecture: .moe, size: .medium,
              context: nil, parameters: "30B", activeParameters: "3B", features: ["thinking"]),
        Entry(name: "nvidia/NVIDIA-Nemotron-3.5-Super-VL-120B-A12B-BF16", training: .hybrid, architecture: .moe, size: .medium,
              context: nil, parameters: "120B", activeParameters: "12B", features: ["vision", "thinking"]),
        // thinkingmachines
        Entry(name: "thinkingmachines/Inkling", training: .reasoning, architecture: .moe, size: .large,
              context: nil, parameters: "975B", activeParameters: "41B", features: ["vision", "audio", "thinking"]),
        Entry(name: "thinkingmachines/Inkling-Small", training: .reasoning, architecture: .moe, size: .large,
              context: nil, parameters: "276B", activeParameters: "12B", features: ["vision", "audio", "thinking"]),
        Entry(name: "thinkingmachines/Inkling-2-Small", training: .reasoning, architecture: .moe, size: .large,
              context: nil, parameters: "594B", activeParameters: "17B", features: ["vision", "thinking"]),
    ]
}
