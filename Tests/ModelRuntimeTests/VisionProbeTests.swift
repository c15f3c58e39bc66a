import Foundation
import ModelRegistry
import TestSupport
import Testing

@testable import ModelRuntime
import OrderedJSON
import SystemSupport

struct ImageFileTests {
    @Test(arguments: [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], "image/png"),
        ([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], "image/jpeg"),
        (Array("GIF89a....".utf8), "image/gif"),
        (Array("GIF87a....".utf8), "image/gif"),
        (Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), "image/webp"),
        (Array("BM".utf8) + [UInt8](repeating: 0, count: 12) + [40, 0, 0, 0], "image/bmp"),
    ] as [([UInt8], String)])
    func mimeTypeFromMagicBytes(_ bytes: [UInt8], _ mime: String) {
        #expect(ImageFile.mimeType(of: bytes) == mime)
    }

    @Test(arguments: [
        Array("hello, world".utf8), Array("BMP is not enough".utf8), Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8),
        [0x89, 0x50, 0x4E, 0x47], [],
    ] as [[UInt8]])
    func notImages(_ bytes: [UInt8]) {
        #expect(ImageFile.mimeType(of: bytes) == nil)
    }

    @Test func dataURLCarriesTheRealMIMEType() throws {
        let dir = TemporaryDirectory()
        // A PNG named .jpg is still a PNG.
        let path = try dir.write("photo.jpg", Data(solidPNG(red: 255, green: 0, blue: 0)))
        let image = try ImageFile(path: path)
        #expect(image.mimeType == "image/png")
        #expect(image.dataURL.hasPrefix("data:image/png;base64,iVBORw0KGgo"))
        #expect(Data(base64Encoded: String(image.dataURL.dropFirst("data:image/png;base64,".count))) == Data(image.bytes))
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: RuntimeError(.unreadableFile)) { try ImageFile(path: "/nonexistent/red.png") }
        #expect(error?.message == "/nonexistent/red.png: no such file")
    }
}

struct VisionJudgementTests {
    @Test(arguments: [
        ("Red.", nil, true),
        ("red", "red", true),
        ("The dominant colour is GREY.", "gray", true),
        ("Blue", "red", false),
        ("Blue", nil, true),
        ("I'm sorry, but I can't see images. I can only process text.", nil, false),
        ("I\u{2019}m unable to view the image, but red is a popular colour.", "red", false),
        ("As a text-based model I cannot process images.", nil, false),
        ("There is no image attached.", nil, false),
        ("Unknown", nil, false),
        ("", nil, false),
        ("Reddish", "red", false),
    ] as [(String, String?, Bool)])
    func judge(_ reply: String, _ expected: String?, _ ok: Bool) {
        #expect(VisionProbe.judge(reply: reply, expectedColour: expected) == ok)
    }
}

/// probe-vision against a stand-in OpenAI-compatible server on loopback.
struct VisionProbeTests {
    let dir: TemporaryDirectory
    let image: String
    let red = solidPNG(red: 220, green: 20, blue: 30)

    init() throws {
        dir = TemporaryDirectory()
        image = try dir.write("red.png", Data(red))
    }

    /// A registry with one entry whose base_url points at `server`.
    func store(for server: LoopbackHTTPServer) throws -> (RegistryStore, RegistryEntry) {
        let store = try registry(curated: """
            [{"name": "qwen-vl_(FP8)", "backend": "vllm", "served_model_id": "qwen-vl",
              "backend_config": {"base_url": "\(server.baseURL.absoluteString)/v1/", "port": 1},
              "capabilities": {"vision": true}, "probes": {"vision": null}}]
            """, in: dir)
        return (store, try store.load().entry(named: "qwen-vl_(FP8)"))
    }

    static func completion(_ content: String) -> LoopbackHTTPServer.Response {
        let body = JSON.serializeCompact([
            "id": "chatcmpl-1", "object": "chat.completion",
            "choices": [["index": 0, "message": ["role": "assistant", "content": .string(content)], "finish_reason": "stop"]],
        ])
        return .json(body)
    }

    func recorded(_ store: RegistryStore) throws -> JSONValue? {
        try store.load().discovered["qwen-vl_(FP8)"]?.probes["vision"]
    }

    @Test func success() async throws {
        let server = try LoopbackHTTPServer { _ in Self.completion("Red.") }
        defer { server.stop() }
        let (store, entry) = try store(for: server)

        let result = try await VisionProbe(timeout: .seconds(5), expectedColour: "red").runAndRecord(entry: entry, imagePath: image, registry: store)
        #expect(result.visionOK)
        #expect(result.failure == nil)
        #expect(result.statusCode == 200)
        #expect(result.notes == "Red.")
        #expect(result.model == "qwen-vl_(FP8)")

        // The request: one user message with the prompt and the image as a PNG data URL.
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/chat/completions")
        #expect(request.header("Content-Type") == "application/json")
        let body = try JSON.parse(request.body, source: "request")
        #expect(body["model"]?.stringValue == "qwen-vl")
        #expect(body["max_tokens"]?.intValue == 64)
        #expect(body["temperature"]?.intValue == 0)
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.count == 1)
        #expect(messages[0]["role"]?.stringValue == "user")
        let parts = try #require(messages[0]["content"]?.arrayValue)
        #expect(parts[0]["type"]?.stringValue == "text")
        #expect(parts[0]["text"]?.stringValue == VisionProbe.prompt)
        #expect(parts[1]["type"]?.stringValue == "image_url")
        let url = try #require(parts[1]["image_url"]?["url"]?.stringValue)
        let prefix = "data:image/png;base64,"
        #expect(url.hasPrefix(prefix))
        #expect(Data(base64Encoded: String(url.dropFirst(prefix.count))) == Data(red))

        // Recorded in the discovered layer, with every field.
        let probe = try #require(try recorded(store))
        #expect(probe.objectValue?.keys == ["model", "vision_ok", "latency_ms", "notes", "probe_version", "timestamp", "status_code"])
        #expect(probe["vision_ok"]?.boolValue == true)
        #expect(probe["status_code"]?.intValue == 200)
        #expect(probe["probe_version"]?.stringValue == VisionProbe.probeVersion)
        #expect(probe["timestamp"]?.stringValue?.hasSuffix("Z") == true)
        // The curated file is never written.
        let curated = try #require(try AtomicFile.read(store.path(RegistryStore.curatedFileName)))
        #expect(!String(decoding: curated, as: UTF8.self).contains("vision_ok"))
    }

    @Test func modelThatAnswersWithoutSeeingTheImage() async throws {
        let server = try LoopbackHTTPServer { _ in
            Self.completion("I'm sorry, but I can't see images. Could you describe it to me?")
        }
        defer { server.stop() }
        let (store, entry) = try store(for: server)

        let result = try await VisionProbe(timeout: .seconds(5)).runAndRecord(entry: entry, imagePath: image, registry: store)
        #expect(!result.visionOK)
        #expect(result.failure == nil)  // the request worked; the model is blind
        #expect(result.statusCode == 200)
        #expect(result.notes.contains("can't see images"))
        #expect(try recorded(store)?["vision_ok"]?.boolValue == false)
    }

    @Test func modelThatGuessesTheWrongColour() async throws {
        let server = try LoopbackHTTPServer { _ in Self.completion("Blue") }
        defer { server.stop() }
        let (_, entry) = try store(for: server)
        let result = try await VisionProbe(timeout: .seconds(5), expectedColour: "red").run(entry: entry, imagePath: image)
        #expect(!result.visionOK)
    }

    @Test func http500() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"error": "CUDA out of memory"}"#, status: 500) }
        defer { server.stop() }
        let (store, entry) = try store(for: server)

        let result = try await VisionProbe(timeout: .seconds(5)).runAndRecord(entry: entry, imagePath: image, registry: store)
        let failure = try #require(result.failure)
        #expect(failure.code == .httpStatus)
        #expect(failure.message.contains("\(server.baseURL.absoluteString)/v1/chat/completions answered HTTP 500"))
        #expect(failure.message.contains("CUDA out of memory"))
        #expect(!result.visionOK)
        #expect(result.statusCode == 500)
        // A failed request is recorded too.
        let probe = try #require(try recorded(store))
        #expect(probe["vision_ok"]?.boolValue == false)
        #expect(probe["status_code"]?.intValue == 500)
        #expect(probe["notes"]?.stringValue == failure.message)
    }

    @Test func timeout() async throws {
        let server = try LoopbackHTTPServer { _ in Self.completion("Red").withDelay(.seconds(3)) }
        defer { server.stop() }
        let (store, entry) = try store(for: server)

        let started = ContinuousClock.now
        let result = try await VisionProbe(timeout: .milliseconds(500)).runAndRecord(entry: entry, imagePath: image, registry: store)
        #expect(ContinuousClock.now - started < .seconds(2.5))
        let failure = try #require(result.failure)
        #expect(failure.code == .timeout)
        #expect(failure.message.contains("/v1/chat/completions: no answer within 0.5 s"))
        #expect(result.statusCode == nil)
        #expect(result.latencyMS >= 450 && result.latencyMS < 2500)
        let probe = try #require(try recorded(store))
        #expect(probe["vision_ok"]?.boolValue == false)
        #expect(probe["status_code"]?.isNull == true)
    }

    @Test func malformedJSON() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"choices": [{"message": "#) }
        defer { server.stop() }
        let (store, entry) = try store(for: server)

        let result = try await VisionProbe(timeout: .seconds(5)).runAndRecord(entry: entry, imagePath: image, registry: store)
        let failure = try #require(result.failure)
        #expect(failure.code == .malformedResponse)
        #expect(failure.message.contains("/v1/chat/completions answered with something that is not a chat completion"))
        #expect(result.statusCode == 200)
        #expect(try recorded(store)?["vision_ok"]?.boolValue == false)
    }

    @Test func jsonThatIsNoChatCompletion() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"object": "list", "data": []}"#) }
        defer { server.stop() }
        let (_, entry) = try store(for: server)
        let result = try await VisionProbe(timeout: .seconds(5)).run(entry: entry, imagePath: image)
        #expect(result.failure?.code == .malformedResponse)
    }

    @Test func nonImageFileFailsBeforeAnyRequest() async throws {
        let server = try LoopbackHTTPServer { _ in Self.completion("Red") }
        defer { server.stop() }
        let (store, entry) = try store(for: server)
        let text = try dir.write("notes.png", "this is not an image\n")

        let error = await #expect(throws: RuntimeError(.notAnImage)) {
            try await VisionProbe(timeout: .seconds(5)).runAndRecord(entry: entry, imagePath: text, registry: store)
        }
        #expect(error?.message.hasPrefix("\(text): not an image") == true)
        #expect(server.requests.isEmpty)
        #expect(try recorded(store) == nil)
    }

    @Test func unreachableBackend() async throws {
        let port = freePort()
        let e = try entry(#"{"name": "down", "backend": "vllm", "backend_config": {"host": "127.0.0.1", "port": \#(port)}}"#)
        let result = try await VisionProbe(timeout: .seconds(5)).run(entry: e, imagePath: image)
        let failure = try #require(result.failure)
        #expect(failure.code == .backendUnreachable)
        #expect(failure.message.contains("http://127.0.0.1:\(port)/v1/chat/completions"))
        #expect(failure.message.contains("model 'down'"))
    }
}

extension LoopbackHTTPServer.Response {
    func withDelay(_ delay: Duration) -> Self {
        var copy = self
        copy.delay = delay
        return copy
    }
}
