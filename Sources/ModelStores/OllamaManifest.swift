import SystemSupport
import Foundation

/// An Ollama manifest as stored: an image manifest (`config` + `layers`) or a manifest list
/// (`manifests`, each inline or a reference to a manifest blob by `digest`). Fields that
/// modelctl does not need are ignored; every field is optional so that a missing one is
/// reported by the checks below rather than as a decoding error.
struct OllamaManifestDocument: Decodable {
    struct Layer: Decodable {
        var mediaType: String?
        var digest: String?
        var size: Int64?
        var name: String?
    }

    var schemaVersion: Int?
    var mediaType: String?
    var config: Layer?
    var layers: [Layer]?
    var manifests: [OllamaManifestDocument]?
    var digest: String?
    var runner: String?
    var format: String?

    /// Ollama's media types for the two kinds of manifest.
    static let imageManifestType = "application/vnd.docker.distribution.manifest.v2+json"
    static let listType = "application/vnd.ollama.manifest.list.v2+json"

    var isList: Bool { mediaType == OllamaManifestDocument.listType }

    /// A manifest-list entry that only names a child manifest blob (Ollama's `isReference`).
    var isReference: Bool {
        !isList && (digest ?? "").isEmpty == false && (config?.digest ?? "").isEmpty && (layers ?? []).isEmpty
    }

    static func decode(_ bytes: [UInt8]) throws -> OllamaManifestDocument {
        try JSONDecoder().decode(OllamaManifestDocument.self, from: Data(bytes))
    }

    /// The error text of a decoding failure, without Foundation's long debug description.
    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): "not valid JSON (\(context.debugDescription))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "unexpected value at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}

/// A digest as Ollama writes it in a manifest (`sha256:<64 hex>`, or `sha256-<64 hex>`).
struct OllamaDigest: Hashable {
    /// The hex as written (Ollama names the blob file with it unchanged).
    var hexAsWritten: String

    init?(_ text: String) {
        guard text.utf8.count == 71, text.hasPrefix("sha256:") || text.hasPrefix("sha256-") else { return nil }
        let hex = text.dropFirst(7)
        guard PathText.isHex(hex, count: 64) else { return nil }
        hexAsWritten = String(hex)
    }

    init?(blobFileName name: String) {
        self.init(name)
    }

    /// Lowercase hex, as a computed SHA-256 is printed.
    var hex: String { hexAsWritten.lowercased() }
    /// `sha256-<hex>`: the blob's file name in `blobs/`.
    var blobFileName: String { "sha256-" + hexAsWritten }
}

/// The short name of a layer's media type: `model` for `application/vnd.ollama.image.model`,
/// `config` for the image config, otherwise the media type itself.
func ollamaRole(mediaType: String) -> String {
    let prefix = "application/vnd.ollama.image."
    if mediaType.hasPrefix(prefix), mediaType.utf8.count > prefix.utf8.count {
        return String(mediaType.dropFirst(prefix.count))
    }
    switch mediaType {
    case "application/vnd.docker.container.image.v1+json": return "config"
    case OllamaManifestDocument.imageManifestType, "application/vnd.oci.image.manifest.v1+json": return "child-manifest"
    case "": return "layer"
    default: return mediaType
    }
}
