#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HTTPSupport
import ModelRegistry
import TestSupport
import Testing

@testable import ModelRuntime
import SystemSupport

/// The orchestrator never signals a process its record cannot prove, never launches on a path
/// that is not local, and refuses out-of-range durations before launching anything.
@Suite("Orchestrator safety")
struct OrchestratorSafetyTests {
    let dir = TemporaryDirectory("modelctl-orchestrator-safety")
    let port = freePort()

    func configuration(startTimeout: Duration = .seconds(10)) -> OrchestratorConfiguration {
        OrchestratorConfiguration(
            stateDirectory: dir.path + "/state", launchCommand: [python3, fakeVLLMScript], port: port,
            startTimeout: startTimeout, stopGracePeriod: .seconds(2), enabled: true)
    }

    func vllm(_ name: String) throws -> RegistryEntry {
        try entry(#"{"name": "\#(name)", "backend": "vllm"}"#)
    }

    /// A process that leads its own process group (as a launched backend does), and its pid.
    func groupLeader() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python3)
        process.arguments = ["-c", "import os, time; os.setpgid(0, 0); time.sleep(60)"]
        try process.run()
        // Wait until it has made its group.
        for _ in 0..<200 where Platform.processInfo(process.processIdentifier)?.group != process.processIdentifier {
            usleep(10_000)
        }
        return process
    }

    @Test("a huge state file is not parsed: current-model refuses it naming it, --stop clears it")
    func hugeStateFile() async throws {
        try writeRawState(String(repeating: " ", count: 3 << 20) + "{}")
        let orchestrator = Orchestrator(configuration: configuration())
        let current = #expect(throws: RuntimeError(.stateIO)) { try orchestrator.current() }
        #expect(current?.message.contains("active_model.json: larger than 1 MiB") == true, "\(current?.message ?? "")")
        let stopped = try await orchestrator.stop()
        guard case .discardedMalformedState(let reason) = stopped else {
            Issue.record("expected the state to be discarded, got \(stopped)")
            return
        }
        #expect(reason.contains("larger than 1 MiB"))
        #expect(!FileManager.default.fileExists(atPath: configuration().stateFilePath))
    }

    func writeRawState(_ json: String) throws {
        try FileManager.default.createDirectory(atPath: configuration().stateDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(Array(json.utf8), to: configuration().stateFilePath)
    }

    @Test(arguments: [
        #"{"logical_name": "ghost", "port": 1, "pid": PID, "command": []}"#,
        #"{"logical_name": "ghost", "port": 1, "pid": PID, "command": [], "process_start_ticks": 0}"#,
        #"{"logical_name": "ghost", "port": 1, "pid": PID, "command": [1, 2]}"#,
        #"{"logical_name": "ghost", "port": 1, "pid": PID, "command": [], "process_start_ticks": "soon"}"#,
    ])
    func recordThatCannotProveItsProcessNeverLeadsToASignal(_ template: String) async throws {
        let victim = try groupLeader()
        defer {
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
        }
        try writeRawState(template.replacingOccurrences(of: "PID", with: String(victim.processIdentifier)))
        let orchestrator = Orchestrator(configuration: configuration())
        let outcome = try await orchestrator.stop()
        switch outcome {
        case .stale(_, let reason):
            #expect(reason.contains("cannot prove"), "\(reason)")
        case .discardedMalformedState:
            break
        default:
            Issue.record("expected a stale or discarded record, got \(outcome)")
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(victim.isRunning, "the process behind an unprovable record was signalled")
        #expect(!FileManager.default.fileExists(atPath: configuration().stateFilePath))
    }

    @Test(arguments: ["ollama:qwen3:8b", "hf:Qwen/Qwen3-8B", "models/relative", "~/models/x", "/models/with\u{0}nul"])
    func onlyResolvedLocalPathsAreLaunched(_ path: String) async throws {
        let orchestrator = Orchestrator(configuration: configuration())
        let error = await #expect(throws: RuntimeError(.modelPathNotLocal)) {
            try await orchestrator.activate(try vllm("remote"), modelPath: path)
        }
        #expect(error?.message.contains("not a resolved local path") == true)
        // Refused before anything was created or launched.
        #expect(!FileManager.default.fileExists(atPath: configuration().stateDirectory))
    }

    @Test(arguments: [Duration.seconds(1e20), .seconds(86_401), .zero, .seconds(-5)])
    func anOutOfRangeStartTimeoutIsRefusedBeforeLaunching(_ timeout: Duration) async throws {
        let orchestrator = Orchestrator(configuration: configuration(startTimeout: timeout))
        let error = await #expect(throws: RuntimeError(.invalidConfiguration)) {
            try await orchestrator.activate(try vllm("slow"), modelPath: "/models/slow")
        }
        #expect(error?.message.contains("the start timeout") == true)
        #expect(!FileManager.default.fileExists(atPath: configuration().logFilePath), "nothing was launched")
    }
}

/// probe-vision bounds its inputs and its waits, and reaches IPv6 literal endpoints.
@Suite("Probe limits")
struct ProbeLimitTests {
    let dir = TemporaryDirectory("modelctl-probe-limits")

    func entry(baseURL: String) throws -> RegistryEntry {
        try ModelRuntimeTests.entry(#"{"name": "vl", "backend": "vllm", "backend_config": {"base_url": "\#(baseURL)"}}"#)
    }

    @Test func anOversizeImageIsRefusedBeforeItIsReadOrSent() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        // A PNG header on a 21 MiB (sparse) file: an image by its bytes, too large by its size.
        let path = try dir.write("huge.png", Data(solidPNG(red: 1, green: 2, blue: 3)))
        #expect(truncate(path, 21 << 20) == 0)
        let error = await #expect(throws: RuntimeError(.imageTooLarge)) {
            try await VisionProbe(timeout: .seconds(5)).run(entry: try entry(baseURL: server.url("/v1").absoluteString), imagePath: path)
        }
        #expect(error?.message.contains(path) == true)
        #expect(server.requests.isEmpty)
        // The limit is the probe's own: a small limit refuses a small image too.
        let small = try dir.write("small.png", Data(solidPNG(red: 1, green: 2, blue: 3)))
        await #expect(throws: RuntimeError(.imageTooLarge)) {
            try await VisionProbe(timeout: .seconds(5), maximumImageBytes: 16).run(entry: try entry(baseURL: server.url("/v1").absoluteString), imagePath: small)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aFIFOIsRefusedWithoutHanging() async throws {
        let fifo = dir.file("image.png")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: RuntimeError(.unreadableFile)) { try ImageFile(path: fifo) }
    }

    @Test(arguments: [Duration.seconds(1e16), .seconds(3601), .zero])
    func anOutOfRangeTimeoutIsRefused(_ timeout: Duration) async throws {
        let path = try dir.write("red.png", Data(solidPNG(red: 200, green: 0, blue: 0)))
        let error = await #expect(throws: RuntimeError(.invalidConfiguration)) {
            try await VisionProbe(timeout: timeout).run(entry: try entry(baseURL: "http://127.0.0.1:1/v1"), imagePath: path)
        }
        #expect(error?.message.contains("at most 3600 s") == true)
    }

    @Test func anIPv6LiteralEndpointIsReachable() async throws {
        let server = try RawLoopbackServer(ipv6: true) { connection in
            let head = connection.readHead()
            let body = head.hasPrefix("POST /v1/chat/completions ") && head.contains("Host: [::1]:")
                ? #"{"choices": [{"message": {"role": "assistant", "content": "Red."}}]}"# : #"{"error": "wrong request"}"#
            connection.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        }
        defer { server.stop() }
        let path = try dir.write("red.png", Data(solidPNG(red: 200, green: 0, blue: 0)))
        let viaHost = try ModelRuntimeTests.entry(#"{"name": "v6", "backend": "vllm", "backend_config": {"host": "::1", "port": \#(server.port)}}"#)
        #expect(try EndpointResolver().endpoint(for: viaHost) == "http://[::1]:\(server.port)/v1")
        let result = try await VisionProbe(timeout: .seconds(10), expectedColour: "red").run(entry: viaHost, imagePath: path)
        #expect(result.failure == nil, "\(result.notes)")
        #expect(result.visionOK)

        // MODELCTL_OLLAMA_HOST as a bracketed literal with a port.
        let ollama = try ModelRuntimeTests.entry(#"{"name": "o", "backend": "ollama"}"#)
        let resolver = EndpointResolver(ollamaHost: "[::1]:\(server.port)")
        #expect(try resolver.endpoint(for: ollama) == "http://[::1]:\(server.port)/v1")
        let viaOllama = try await VisionProbe(timeout: .seconds(10), expectedColour: "red", endpoints: resolver).run(entry: ollama, imagePath: path)
        #expect(viaOllama.failure == nil, "\(viaOllama.notes)")
    }
}

/// Host values are validated, so the URL built is the one the registry names.
struct HostValidationTests {
    @Test(arguments: [
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "gpu/box"}}"#, nil as String?),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "user@gpu-box"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "gpu box"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "evil.example#x"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "[::1"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "http://user@evil.example/v1"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"base_url": "http://a b/v1"}}"#, nil),
        (#"{"name": "a", "backend": "ollama"}"#, "evil.example/x"),
        (#"{"name": "a", "backend": "ollama"}"#, "me@evil.example"),
        (#"{"name": "a", "backend": "ollama"}"#, "gpu box:11434"),
        // Ports outside 1...65535, written anywhere, are refused (not dropped or passed on).
        (#"{"name": "a", "backend": "vllm", "backend_config": {"port": 99999}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "gpu-box:70000"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "[::1]:99999", "port": 8000}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "[::1]:abc"}}"#, nil),
        (#"{"name": "a", "backend": "vllm", "backend_config": {"host": "[::1]x"}}"#, nil),
        (#"{"name": "a", "backend": "ollama"}"#, "gpu-box:99999"),
        (#"{"name": "a", "backend": "ollama"}"#, "[::1]:65536"),
    ])
    func hostsWithSeparatorsAreRefused(_ json: String, _ ollamaHost: String?) throws {
        let e = try entry(json)
        let error = #expect(throws: RuntimeError(.invalidConfiguration)) {
            try EndpointResolver(ollamaHost: ollamaHost).endpoint(for: e)
        }
        #expect(error?.message.contains("model 'a'") == true)
    }

    @Test func validHostsStillResolve() throws {
        let e = try entry(#"{"name": "a", "backend": "vllm", "backend_config": {"host": "gpu-box.lan:24010"}}"#)
        #expect(try EndpointResolver().endpoint(for: e) == "http://gpu-box.lan:24010/v1")
        let v4 = try entry(#"{"name": "a", "backend": "vllm", "backend_config": {"host": "10.0.0.7", "port": 9}}"#)
        #expect(try EndpointResolver().endpoint(for: v4) == "http://10.0.0.7:9/v1")
        let v6 = try entry(#"{"name": "a", "backend": "vllm", "backend_config": {"host": "[fd00::2]"}}"#)
        #expect(try EndpointResolver().endpoint(for: v6) == "http://[fd00::2]:24001/v1")
        let v6Port = try entry(#"{"name": "a", "backend": "ollama"}"#)
        #expect(try EndpointResolver(ollamaHost: "[::1]:65535").endpoint(for: v6Port) == "http://[::1]:65535/v1")
        #expect(try EndpointResolver(ollamaHost: "::1").endpoint(for: v6Port) == "http://[::1]:11434/v1")
        let highest = try entry(#"{"name": "a", "backend": "vllm", "backend_config": {"port": 65535}}"#)
        #expect(try EndpointResolver().endpoint(for: highest) == "http://localhost:65535/v1")
    }
}
