import Foundation
import HTTPSupport
public import ModelRegistry
public import OrderedJSON
import SystemSupport

/// Checks that a backend really sees images: sends one image with a question whose answer
/// needs the image, and judges the reply.
///
/// The request is `POST {endpoint}/chat/completions` with one user message holding
/// ``prompt`` and the image as a base64 `data:` URL with its real MIME type, `max_tokens` 64
/// and `temperature` 0.
///
/// ## The rule for `vision_ok`
/// `vision_ok` is `true` when the backend answered 2xx with a chat completion whose reply
/// - does not say that it cannot see, view or process the image (phrases such as "I can't
///   see images", "no image was provided", "as a text-based model"), and
/// - names a colour (English colour words; `grey` and `gray` are one), and, when the caller
///   knows the image's colour (``expectedColour``), names that colour.
///
/// A text-only model that is sent an image usually says it cannot see it, or answers
/// something that is no colour; both give `false`. Without ``expectedColour`` a model that
/// guesses a colour blindly is not caught, so probe with an image of a known solid colour and
/// pass that colour for a conclusive answer.
///
/// A failed request (unreachable, non-2xx, timeout, an answer that is not a chat completion)
/// still gives a result, with `vision_ok` false and the error in `notes`, and ``VisionProbeResult/failure`` set.
public struct VisionProbe: Sendable {
    /// The version of the prompt and the rule; recorded as `probe_version`.
    public static let probeVersion = "1"

    /// The question sent with the image.
    public static let prompt = "What is the dominant colour of this image? Answer with one word."

    /// The longest timeout a probe accepts, one hour.
    public static let maximumTimeout: Duration = .seconds(3600)
    /// The largest answer read from the backend, 4 MiB.
    public static let maximumAnswerBytes = 4 << 20

    /// The deadline for the whole request (sending the image, the answer and its body).
    public var timeout: Duration
    /// The colour the image shows, when known; the reply must then name it.
    public var expectedColour: String?
    /// How to find the entry's endpoint.
    public var endpoints: EndpointResolver
    /// The largest image sent; a larger file is refused before it is read.
    public var maximumImageBytes: Int

    /// A probe with the given timeout, expected colour, endpoint rules and image limit.
    public init(
        timeout: Duration = .seconds(60), expectedColour: String? = nil, endpoints: EndpointResolver = EndpointResolver(),
        maximumImageBytes: Int = ImageFile.defaultMaximumBytes
    ) {
        self.timeout = timeout
        self.expectedColour = expectedColour
        self.endpoints = endpoints
        self.maximumImageBytes = maximumImageBytes
    }

    /// Probes `entry` with the image at `imagePath`.
    ///
    /// - Returns: the result; a failed request gives a result with ``VisionProbeResult/failure`` set.
    /// - Throws: ``RuntimeError`` `unreadableFile`, `imageTooLarge` or `notAnImage` naming the
    ///   file (before any request is sent), or `invalidConfiguration` when the timeout is not
    ///   above 0 and at most ``maximumTimeout`` or the entry's endpoint is no URL.
    public func run(entry: RegistryEntry, imagePath: String) async throws(RuntimeError) -> VisionProbeResult {
        guard timeout > .zero, timeout <= Self.maximumTimeout else {
            throw RuntimeError(.invalidConfiguration, "model '\(entry.name)': the probe timeout \(timeout.secondsText) is not above 0 and at most \(Self.maximumTimeout.secondsText)")
        }
        let image = try ImageFile(path: imagePath, maximumBytes: maximumImageBytes)
        let selection = try ModelSelection(entry: entry, endpoints: endpoints)
        let target = selection.endpoint + "/chat/completions"
        guard let url = URL(string: target), url.scheme != nil, url.host != nil else {
            throw RuntimeError(.invalidConfiguration, "model '\(entry.name)': endpoint '\(selection.endpoint)' is not a valid URL")
        }
        let body = Self.requestBody(model: selection.internalModelID, image: image)

        let clock = ContinuousClock()
        let started = clock.now
        var status: Int?
        var outcome: Result<String, RuntimeError>
        do {
            let response = try await HTTPClient.shared.send(
                method: "POST", url: url, headers: ["Content-Type": "application/json", "Accept": "application/json"],
                body: Array(JSON.serializeCompact(body).utf8), timeout: timeout, maxBodyBytes: Self.maximumAnswerBytes)
            status = response.status
            outcome = Self.reply(from: response, url: target, model: entry.name)
        } catch {
            outcome = .failure(RuntimeError(error, context: "model '\(entry.name)'"))
        }
        let latency = Int((started.duration(to: clock.now).inSeconds * 1000).rounded())

        switch outcome {
        case .success(let reply):
            return VisionProbeResult(
                model: entry.name, visionOK: Self.judge(reply: reply, expectedColour: expectedColour), latencyMS: latency,
                notes: excerpt(reply), timestamp: utcTimestamp(), statusCode: status, failure: nil)
        case .failure(let error):
            return VisionProbeResult(
                model: entry.name, visionOK: false, latencyMS: latency, notes: error.message,
                timestamp: utcTimestamp(), statusCode: status, failure: error)
        }
    }

    /// Probes `entry` and records the result under its `probes.vision` in the discovered layer
    /// of `registry`, through the registry's locked read-modify-write. A failed request is
    /// recorded too.
    ///
    /// - Throws: what ``run(entry:imagePath:)`` throws (then nothing is recorded), or a
    ///   ``RegistryError`` when the registry cannot be written.
    public func runAndRecord(entry: RegistryEntry, imagePath: String, registry: RegistryStore) async throws -> VisionProbeResult {
        let result = try await run(entry: entry, imagePath: imagePath)
        try registry.update { discovered, _ in
            discovered.modify(entry.name) { stored in
                var probes = stored.probes
                probes["vision"] = result.json
                stored.probes = probes
            }
        }
        return result
    }

    /// The chat completion request for `image`.
    static func requestBody(model: String, image: ImageFile) -> JSONValue {
        let content: JSONValue = [
            ["type": "text", "text": .string(prompt)],
            ["type": "image_url", "image_url": ["url": .string(image.dataURL)]],
        ]
        return [
            "model": .string(model),
            "messages": [["role": "user", "content": content]],
            "max_tokens": 64,
            "temperature": 0,
        ]
    }

    /// The reply text of a chat completion, or why there is none.
    static func reply(from response: HTTPResponse, url: String, model: String) -> Result<String, RuntimeError> {
        guard (200...299).contains(response.status) else {
            let body = excerpt(response.bodyText, limit: 300)
            return .failure(RuntimeError(.httpStatus, "model '\(model)': \(url) answered HTTP \(response.status)\(body.isEmpty ? "" : ": " + body)"))
        }
        let notCompletion = "model '\(model)': \(url) answered with something that is not a chat completion"
        let value: JSONValue
        do {
            value = try JSON.parse(response.body, source: url)
        } catch {
            return .failure(RuntimeError(.malformedResponse, "\(notCompletion) (\(error.reason) at line \(error.line), column \(error.column): \(excerpt(response.bodyText, limit: 120)))"))
        }
        guard let message = value["choices"]?.arrayValue?.first?["message"] else {
            return .failure(RuntimeError(.malformedResponse, "\(notCompletion) (no choices[0].message: \(excerpt(response.bodyText, limit: 120)))"))
        }
        let content: String
        switch message["content"] {
        case .string(let text)?:
            content = text
        case .array(let parts)?:
            content = parts.compactMap { $0["text"]?.stringValue }.joined(separator: " ")
        default:
            content = ""
        }
        if content.trimmingWhitespace.isEmpty, let reasoning = message["reasoning_content"]?.stringValue {
            return .success(reasoning)
        }
        return .success(content)
    }

    // MARK: - Judging the reply

    /// Whether `reply` shows that the model saw the image (see the type's documentation).
    public static func judge(reply: String, expectedColour: String? = nil) -> Bool {
        let lower = reply.lowercased().replacingOccurrences(of: "\u{2019}", with: "'")
        if blindPhrases.contains(where: { lower.contains($0) }) { return false }
        let words = Set(lower.split { !$0.isLetter }.map { canonicalColour(String($0)) })
        if let expected = expectedColour?.trimmingWhitespace.lowercased(), !expected.isEmpty {
            return words.contains(canonicalColour(expected))
        }
        return !words.isDisjoint(with: colours)
    }

    /// Phrases with which models say they did not see the image.
    static let blindPhrases = [
        "can't see", "cannot see", "can not see", "unable to see", "not able to see",
        "can't view", "cannot view", "unable to view", "not able to view",
        "can't process image", "cannot process image", "unable to process image",
        "can't process the image", "cannot process the image", "unable to process the image",
        "can't analyze", "cannot analyze", "unable to analyze", "can't analyse", "cannot analyse", "unable to analyse",
        "can't access", "cannot access", "unable to access",
        "don't see an", "do not see an", "don't see any", "do not see any",
        "no image", "not see the image", "image was not", "image wasn't", "didn't receive", "did not receive",
        "text-based", "text based", "text-only", "text only", "only process text", "only understand text",
        "don't have the ability", "do not have the ability", "not capable of", "don't have access", "do not have access",
    ]

    /// English colour words a reply may name.
    static let colours: Set<String> = [
        "red", "green", "blue", "yellow", "orange", "purple", "violet", "pink", "brown", "black", "white",
        "gray", "cyan", "magenta", "teal", "navy", "maroon", "olive", "lime", "beige", "turquoise", "indigo",
        "gold", "silver", "crimson", "scarlet", "azure", "lavender", "tan", "khaki", "aqua",
    ]

    private static func canonicalColour(_ word: String) -> String {
        word == "grey" ? "gray" : word
    }
}

/// The outcome of one vision probe: what is printed and recorded under `probes.vision`.
public struct VisionProbeResult: Sendable, Hashable {
    /// The entry's name.
    public var model: String
    /// Whether the reply shows that the model saw the image (see ``VisionProbe``).
    public var visionOK: Bool
    /// Milliseconds from sending the request to the end of the answer (or the failure).
    public var latencyMS: Int
    /// An excerpt of the reply, or the error.
    public var notes: String
    /// ``VisionProbe/probeVersion``.
    public var probeVersion: String = VisionProbe.probeVersion
    /// When the probe ran, UTC ISO 8601.
    public var timestamp: String
    /// The HTTP status, when the backend answered.
    public var statusCode: Int?
    /// Why the request failed, when it did; the command then exits 1.
    public var failure: RuntimeError?

    /// A result (``probeVersion`` is the current one).
    public init(model: String, visionOK: Bool, latencyMS: Int, notes: String, timestamp: String, statusCode: Int?, failure: RuntimeError?) {
        self.model = model
        self.visionOK = visionOK
        self.latencyMS = latencyMS
        self.notes = notes
        self.timestamp = timestamp
        self.statusCode = statusCode
        self.failure = failure
    }

    /// `{model, vision_ok, latency_ms, notes, probe_version, timestamp, status_code}`.
    public var json: JSONValue {
        .object(JSONObject([
            ("model", .string(model)),
            ("vision_ok", .bool(visionOK)),
            ("latency_ms", .number(JSONNumber(latencyMS))),
            ("notes", .string(notes)),
            ("probe_version", .string(probeVersion)),
            ("timestamp", .string(timestamp)),
            ("status_code", statusCode.map { .number(JSONNumber($0)) } ?? .null),
        ]))
    }
}
