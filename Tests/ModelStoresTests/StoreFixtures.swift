import Foundation
import TestSupport

/// The SHA-256 of `bytes` from `sha256sum`: an oracle independent of the code under test.
func sha256(_ bytes: [UInt8]) throws -> String {
    let dir = TemporaryDirectory("sha")
    let path = try dir.write("x", Data(bytes))
    return try sha256sumOf(path)
}

/// The git blob id of `bytes` from `git hash-object`: an independent oracle.
func gitBlobID(_ bytes: [UInt8]) throws -> String {
    let dir = TemporaryDirectory("git")
    let path = try dir.write("x", Data(bytes))
    let result = try runProcess("/usr/bin/git", ["hash-object", "--no-filters", "--", path])
    precondition(result.status == 0, result.stderr)
    return String(result.stdout.prefix(40))
}

func link(_ path: String, to target: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
}

func replaceLink(_ path: String, to target: String) throws {
    try FileManager.default.removeItem(atPath: path)
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
}

/// Flips the low bit of byte `offset` of a file.
func flipByte(_ path: String, at offset: Int = 0) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    data[offset] ^= 0x01
    try data.write(to: URL(fileURLWithPath: path))
}

func truncateFile(_ path: String, to size: Int) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(size))
    try handle.close()
}

/// An Ollama store built byte for byte as Ollama writes it.
struct OllamaFixture {
    struct Layer {
        var mediaType: String
        var bytes: [UInt8]
        var digest: String
        var size: Int { bytes.count }
    }

    let dir: TemporaryDirectory
    var root: String { dir.file("models") }

    init() { dir = TemporaryDirectory("ollama") }

    /// Writes a blob and returns it as a layer.
    func blob(_ mediaType: String, _ text: String) throws -> Layer {
        try blob(mediaType, Array(text.utf8))
    }

    func blob(_ mediaType: String, _ bytes: [UInt8]) throws -> Layer {
        let digest = try sha256(bytes)
        try dir.write("models/blobs/sha256-\(digest)", Data(bytes))
        return Layer(mediaType: mediaType, bytes: bytes, digest: digest)
    }

    func blobPath(_ digest: String) -> String { dir.file("models/blobs/sha256-\(digest)") }

    /// A manifest as Go's `json.Encoder` writes Ollama's `Manifest` (with the trailing newline).
    static func manifestJSON(config: Layer, layers: [Layer]) -> String {
        func layer(_ l: Layer) -> String { #"{"mediaType":"\#(l.mediaType)","digest":"sha256:\#(l.digest)","size":\#(l.size)}"# }
        return #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":\#(layer(config)),"layers":[\#(layers.map(layer).joined(separator: ","))]}"# + "\n"
    }

    /// A typical model: config, weights, template, params, license.
    func standardLayers(weights: String = "GGUF weights \u{01}\u{02}") throws -> (config: Layer, layers: [Layer]) {
        let config = try blob("application/vnd.docker.container.image.v1+json", #"{"model_format":"gguf","model_family":"llama"}"#)
        let layers = [
            try blob("application/vnd.ollama.image.model", weights),
            try blob("application/vnd.ollama.image.template", "{{ .Prompt }}"),
            try blob("application/vnd.ollama.image.params", #"{"stop":["<|eot_id|>"]}"#),
            try blob("application/vnd.ollama.image.license", "LICENSE TEXT"),
        ]
        return (config, layers)
    }

    /// `manifests/<host>/<ns>/<model>/<tag>` holding the JSON.
    @discardableResult
    func writeLegacy(_ name: String, config: Layer, layers: [Layer]) throws -> String {
        let json = OllamaFixture.manifestJSON(config: config, layers: layers)
        return try dir.write("models/manifests/\(name)", json)
    }

    /// The manifest stored as a blob, `manifests-v2/<host>/<ns>/<model>/<tag>` a relative link to it.
    @discardableResult
    func writeV2(_ name: String, json: String) throws -> (link: String, digest: String) {
        let manifest = try blob("manifest", json)
        let path = dir.file("models/manifests-v2/\(name)")
        try link(path, to: "../../../../blobs/sha256-\(manifest.digest)")
        return (path, manifest.digest)
    }

    /// Lines `<sha256>  <path>` sorted by bytes, joined by newlines: the aggregate's text.
    static func aggregate(_ lines: [String]) throws -> String {
        try sha256sumOf(text: lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: "\n"))
    }
}

/// A Hugging Face cache built as huggingface_hub writes it.
struct HFFixture {
    let dir: TemporaryDirectory
    var cache: String { dir.file("hub") }
    let commit = "0123456789abcdef0123456789abcdef01234567"

    init() { dir = TemporaryDirectory("hf") }

    var repoDir: String { dir.file("hub/models--acme--tiny") }
    var snapshot: String { "\(repoDir)/snapshots/\(commit)" }

    /// The bytes of each file in the fixture repo, and whether it is an LFS file.
    static let files: [(path: String, text: String, lfs: Bool)] = [
        ("config.json", #"{"architectures":["TinyModel"]}"#, false),
        ("model.safetensors", "SAFETENSORS\u{00}\u{01}\u{02} weights", true),
        ("tokenizer/tokenizer.json", #"{"version":"1.0"}"#, false),
    ]

    /// Builds `models--acme--tiny` with blobs, `refs/main` and one snapshot; returns the blob
    /// name of each path.
    @discardableResult
    func build(repo: String = "models--acme--tiny") throws -> [String: String] {
        var names: [String: String] = [:]
        for file in HFFixture.files {
            let bytes = Array(file.text.utf8)
            let name = file.lfs ? try sha256(bytes) : try gitBlobID(bytes)
            try dir.write("hub/\(repo)/blobs/\(name)", Data(bytes))
            let depth = file.path.split(separator: "/").count
            let up = String(repeating: "../", count: depth + 1)
            try link(dir.file("hub/\(repo)/snapshots/\(commit)/\(file.path)"), to: "\(up)blobs/\(name)")
            names[file.path] = name
        }
        try dir.write("hub/\(repo)/refs/main", commit)
        return names
    }
}
