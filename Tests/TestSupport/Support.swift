public import Foundation

/// A temporary directory removed when the value goes away.
public final class TemporaryDirectory: Sendable {
    /// Absolute path of the directory.
    public let path: String

    /// Creates a fresh directory under `parent` (default: the system's temporary directory).
    public init(_ label: String = "modelctl-test", in parent: String = NSTemporaryDirectory()) {
        var template = Array((parent + "/\(label)-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = URL(fileURLWithPath: String(cString: made!)).standardizedFileURL.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`.
    public func file(_ relative: String) -> String { path + "/" + relative }

    /// Writes `contents` to `relative`, creating parent directories.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, Data(contents.utf8))
    }

    /// Writes `data` to `relative`, creating parent directories.
    @discardableResult
    public func write(_ relative: String, _ data: Data) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        return full
    }
}

/// What a finished process left.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, capturing its output (no shell).
///
/// - Parameters:
///   - environment: variables added to (or replacing those of) this process's environment;
///     `MODELCTL_*` variables of the test runner are removed first so tests see defaults.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       currentDirectory: String? = nil, stdin: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MODELCTL_") }
    for (k, v) in environment { env[k] = v }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    let errData = LockedData()
    let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.isSet { usleep(1000) }
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.value, as: UTF8.self))
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false
    func set(_ d: Data) { lock.withLock { data = d; done = true } }
    var isSet: Bool { lock.withLock { done } }
    var value: Data { lock.withLock { data } }
}

/// Runs a shell command line with `/bin/sh -c`; `arguments` become `$0`, `$1`, ... (for test
/// set-up, such as `sha256sum`, and for running modelctl under `ulimit`).
@discardableResult
public func shell(_ command: String, arguments: [String] = [], currentDirectory: String? = nil) throws -> ProcessResult {
    try runProcess("/bin/sh", ["-c", command] + arguments, currentDirectory: currentDirectory)
}

/// The SHA-256 of a file as `sha256sum` computes it: an independent oracle for our engine.
public func sha256sumOf(_ path: String) throws -> String {
    let result = try runProcess("/usr/bin/sha256sum", ["-b", "--", path])
    precondition(result.status == 0, "sha256sum failed: \(result.stderr)")
    // sha256sum marks a line whose name it had to escape with a leading backslash.
    return String(result.stdout.drop(while: { $0 == "\\" }).prefix(64))
}

/// The SHA-256 of `text` as `sha256sum` computes it.
public func sha256sumOf(text: String) throws -> String {
    let result = try runProcess("/bin/sh", ["-c", "sha256sum -b"], stdin: text)
    return String(result.stdout.prefix(64))
}

/// A small Ollama model as `ollama pull` leaves it, under `dir/ollama`: a config blob, the
/// `weights` blob, and the v2 manifest of `tiny:TAG` naming both.
public struct OllamaTestModel {
    /// The store directory (`OLLAMA_MODELS`).
    public let store: String
    /// The weights blob's path.
    public let weightsPath: String
    /// The weights blob's SHA-256.
    public let weightsDigest: String
    /// The manifest's text.
    public let manifest: String

    public init(in dir: TemporaryDirectory, tag: String = "latest", weights: String) throws {
        let config = #"{"model_format":"gguf"}"#
        let configHex = try sha256sumOf(text: config)
        weightsDigest = try sha256sumOf(text: weights)
        try dir.write("ollama/blobs/sha256-\(configHex)", config)
        weightsPath = try dir.write("ollama/blobs/sha256-\(weightsDigest)", weights)
        manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",\
            "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:\(configHex)","size":\(config.utf8.count)},\
            "layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:\(weightsDigest)","size":\(weights.utf8.count)}]}
            """
        try dir.write("ollama/manifests/registry.ollama.ai/library/tiny/\(tag)", manifest)
        store = dir.file("ollama")
    }
}

/// The built `modelctl` binary: `MODELCTL_TEST_BIN`, else next to the test bundle in the build folder.
public var modelctlBinary: String {
    if let env = ProcessInfo.processInfo.environment["MODELCTL_TEST_BIN"], !env.isEmpty { return env }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("modelctl").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/modelctl").path
}

/// Runs the built `modelctl` with `arguments`.
@discardableResult
public func modelctl(_ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil) throws -> ProcessResult {
    try runProcess(modelctlBinary, arguments, environment: environment, currentDirectory: currentDirectory)
}

/// The repository root (for fixtures).
public var repositoryRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
