import Foundation
import HTTPSupport
import ModelRegistry
import OrderedJSON

/// What one source contributed: its specs in the order it named them, and what went wrong.
struct SourceLayer: Sendable {
    /// The precedence tier of the source.
    var tier: SpecSource
    /// The source's URL or path, for messages.
    var origin: String
    /// The specs, in the order the source named them.
    var specs: [ModelSpec] = []
    /// Whether a server-tier source answered with a usable list (availability then applies).
    var answered = false
    /// Whether the source is a backend's model list (models only backends list are reported).
    var isBackend = false
    /// The whole source failed: one warning, summary and detail together.
    var failure: String?
    /// Entries the source skipped or could not read fully, one warning each, after `failure`.
    var problems: [String] = []
}

/// One catalog source. Sources are listed in precedence order
/// (``CatalogConfiguration/sources``), fetched concurrently and applied one after another:
/// a later layer overrides the non-null fields of earlier ones.
protocol CatalogSource: Sendable {
    /// Produces the source's layer; never fails (a failure is part of the layer).
    func layer(observedAt: String) async -> SourceLayer
}

/// The list shipped inside modelctl.
struct BuiltinSource: CatalogSource {
    func layer(observedAt: String) async -> SourceLayer {
        SourceLayer(tier: .builtin, origin: "built-in catalog", specs: BuiltinCatalog.specs)
    }
}

/// `GET {base}/api/v1/get_server_capabilities`, with `X-API-Key` when a key is configured.
struct CapabilitiesServerSource: CatalogSource {
    var baseURL: URL
    var apiKey: String?
    var timeout: Duration
    var limit: Int

    /// `{base}/api/v1/get_server_capabilities`.
    var url: URL {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/api/v1/get_server_capabilities") ?? baseURL
    }

    func layer(observedAt: String) async -> SourceLayer {
        let origin = url.redactedText
        var layer = SourceLayer(tier: .server, origin: origin)
        var problems: [String] = []
        // The key goes over https, or over plain http on a connection that reached a loopback
        // address: the HTTP client decides by the address connected to, not by the name.
        switch await fetchJSON(url, secretHeaders: apiKey.map { ["X-API-Key": $0] } ?? [:], timeout: timeout, limit: limit) {
        case .failure(let reason):
            layer.failure = "catalog server \(reason); using the other catalog sources"
        case .success(let got):
            let json = got.json
            if got.withheld {
                problems.append("\(origin): the API key is not sent over plain http to an address other than the loopback (the connection did not reach 127.0.0.0/8 or ::1); use https")
            }
            if let specs = SourceParsers.capabilities(json, origin: origin, observedAt: observedAt, problem: { problems.append($0) }) {
                layer.specs = specs
                layer.answered = true
            } else {
                layer.failure = "catalog server \(origin): unexpected answer: \(problems.removeLast()); using the other catalog sources"
            }
        }
        layer.problems = problems
        return layer
    }
}

/// A backend's model list: OpenAI-compatible `/v1/models` or Ollama `/api/tags`.
struct BackendSource: CatalogSource {
    var backend: BackendEndpoint
    var timeout: Duration
    var limit: Int

    func layer(observedAt: String) async -> SourceLayer {
        let origin = backend.modelsURL.redactedText
        var layer = SourceLayer(tier: .server, origin: origin, isBackend: true)
        var problems: [String] = []
        let what = "backend '\(backend.name)'"
        switch await fetchJSON(backend.modelsURL, timeout: timeout, limit: limit) {
        case .failure(let reason):
            layer.failure = "\(what) \(reason); using the other catalog sources"
        case .success(let got):
            let json = got.json
            let specs: [ModelSpec]? = switch backend.kind {
            case .openAI:
                SourceParsers.openAIModels(json, origin: origin, backend: backend.name, observedAt: observedAt, problem: { problems.append($0) })
            case .ollama:
                SourceParsers.ollamaTags(json, origin: origin, backend: backend.name, problem: { problems.append($0) })
            }
            if let specs {
                layer.specs = specs
                layer.answered = true
            } else {
                layer.failure = "\(what) \(origin): unexpected answer: \(problems.removeLast()); using the other catalog sources"
            }
        }
        layer.problems = problems
        return layer
    }
}

/// The user's catalog file: a JSON array of specs.
struct CatalogFileSource: CatalogSource {
    var path: String
    var limit: Int

    func layer(observedAt: String) async -> SourceLayer {
        var layer = SourceLayer(tier: .file, origin: path)
        var problems: [String] = []
        switch readJSONFile(path, limit: limit) {
        case .failure(let reason):
            layer.failure = "catalog file \(reason); using the other catalog sources"
        case .success(let json):
            if let specs = SourceParsers.specArray(json, origin: path, problem: { problems.append($0) }) {
                layer.specs = specs
            } else {
                layer.failure = "catalog file \(path) skipped: \(problems.removeLast()); using the other catalog sources"
            }
        }
        layer.problems = problems
        return layer
    }
}

/// Per-call overrides, already parsed.
struct OverrideSource: CatalogSource {
    var specs: [ModelSpec]

    func layer(observedAt: String) async -> SourceLayer {
        SourceLayer(tier: .override, origin: "override", specs: specs)
    }
}

/// GETs `url` and parses the body as JSON; the failure is `URL: reason`.
private func fetchJSON(_ url: URL, secretHeaders: [String: String] = [:], timeout: Duration, limit: Int) async
    -> Result<(json: JSONValue, withheld: Bool), SourceFailure> {
    let response: HTTPResponse
    do {
        response = try await HTTPClient.shared.get(url, headers: ["Accept": "application/json"], secretHeaders: secretHeaders,
                                                   timeout: timeout, maxBodyBytes: limit)
    } catch {
        return .failure(SourceFailure(error.message))
    }
    do {
        return .success((try JSON.parse(response.body, source: url.redactedText), !response.withheldHeaders.isEmpty))
    } catch {
        return .failure(SourceFailure("\(url.redactedText): malformed JSON: \(error)"))
    }
}

/// Reads a JSON file: a regular file (links followed) of at most `limit` bytes.
private func readJSONFile(_ path: String, limit: Int) -> Result<JSONValue, SourceFailure> {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: path) else { return .failure(SourceFailure("\(path): does not exist")) }
    let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
    guard values?.isRegularFile == true else {
        return .failure(SourceFailure("\(path): not a regular file (a catalog file must be one)"))
    }
    guard let handle = try? FileHandle(forReadingFrom: url) else { return .failure(SourceFailure("\(path): cannot be read")) }
    defer { try? handle.close() }
    guard let data = try? handle.read(upToCount: limit + 1) ?? Data() else { return .failure(SourceFailure("\(path): cannot be read")) }
    guard data.count <= limit else {
        return .failure(SourceFailure("\(path): larger than \(limit) bytes; not read"))
    }
    do {
        return .success(try JSON.parse(data, source: path))
    } catch {
        return .failure(SourceFailure("\(path): malformed JSON: \(error)"))
    }
}

/// Why a source could not be used, starting with its URL or path.
struct SourceFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
