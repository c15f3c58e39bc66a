import SystemSupport
public import ArtifactHashing

/// An Ollama model store: the directory Ollama keeps pulled models in.
///
/// Layout, as Ollama's `manifest/` package defines it:
///
/// - `blobs/sha256-<hex>`: content-addressed files (weights, template, params, projector,
///   config, and in the newer layout the manifests themselves), each named by the SHA-256
///   of its bytes. An interrupted pull leaves `sha256-<hex>-partial` (and `-partial-N`).
/// - `manifests/<host>/<namespace>/<model>/<tag>`: the legacy layout; a JSON manifest per tag.
/// - `manifests-v2/<host>/<namespace>/<model>/<tag>`: the newer layout; a link into
///   `blobs/sha256-<hex>` (or a hard link or copy where links are not supported). The public
///   registry's models sit under host `ollama.com` there, under `registry.ollama.ai` in
///   `manifests/`; a host with a port is written with `%3A` for the `:`. A manifest may be a
///   manifest list (`application/vnd.ollama.manifest.list.v2+json`) whose entries are
///   inline manifests or references to manifest blobs.
///
/// ```swift
/// let store = OllamaStore(root: "/usr/share/ollama/.ollama/models")
/// let model = try store.resolve("ollama:/llama3.1:8b")
/// let result = try await model.verify(ArtifactHasher(jobs: 4))
/// print(result.aggregate, result.problems)
/// ```
public struct OllamaStore: Sendable, Hashable {
    /// The store directory (the one holding `blobs/` and `manifests/`).
    public let root: String

    /// The largest manifest accepted (16 MiB: a model stored as one layer per tensor has
    /// thousands of layers, about 200 bytes each).
    public static let maxManifestBytes = 16 << 20
    /// The most layers (over a manifest and its children) accepted.
    public static let maxLayers = 100_000
    /// The most entries a manifest list may have.
    public static let maxListEntries = 256

    /// A store at `root` (nothing is read until a model is resolved).
    public init(root: String) {
        self.root = PathText.trimTrailingSlashes(root)
    }

    /// The first of `roots` that is a directory, or `nil` when none is.
    public static func firstExisting(_ roots: [String]) -> OllamaStore? {
        roots.first(where: FS.isDirectory).map(OllamaStore.init(root:))
    }

    /// Whether `path` looks like an Ollama store (it has `manifests/`, `manifests-v2/` or `blobs/`
    /// holding `sha256-` files).
    public static func looksLikeStore(_ path: String) -> Bool {
        FS.isDirectory(PathText.join(path, "manifests")) || FS.isDirectory(PathText.join(path, "manifests-v2"))
            || ((try? FS.list(PathText.join(path, "blobs")))?.contains { $0.hasPrefix("sha256-") } ?? false)
    }

    // MARK: Resolving a name

    /// Resolves a model reference text (see ``OllamaReference/init(parsing:)``).
    public func resolve(_ reference: String) throws(StoreError) -> OllamaModel {
        try resolve(OllamaReference(parsing: reference))
    }

    /// Finds the model's manifest the way Ollama does (the `manifests-v2/` path first, then the
    /// legacy `manifests/` path, the public registry under both of its host names), reads it and
    /// lists its artifacts. Nothing is hashed here except the manifests themselves.
    ///
    /// - Throws: ``StoreError`` with `.storeNotFound` (no store at ``root``), `.modelNotFound`
    ///   (no manifest for the name), `.malformedManifest`, `.tooLarge` or `.io`.
    public func resolve(_ reference: OllamaReference) throws(StoreError) -> OllamaModel {
        try requireStore()
        for path in manifestCandidates(reference) where try FS.status(path) != nil {
            return try load(reference: reference, manifestPath: path)
        }
        throw StoreError(.modelNotFound, """
            Ollama model \(reference.shortName) is not in the store \(root) (no \
            \(PathText.join(root, "manifests/" + legacyRelativePath(reference)))); \
            pull it with `ollama pull \(reference.shortName)` or use the store that has it
            """)
    }

    /// Every named manifest in the store (`manifests-v2/` first, then `manifests/`), with the
    /// path it was found at. Paths that are not a valid Ollama name are left out.
    public func manifests() throws(StoreError) -> [(reference: OllamaReference, path: String)] {
        try requireStore()
        var found: [(OllamaReference, String)] = []
        for (tree, isV2) in [("manifests-v2", true), ("manifests", false)] {
            let base = PathText.join(root, tree)
            guard FS.isDirectory(base) else { continue }
            for host in try FS.list(base) {
                let hostDir = PathText.join(base, host)
                guard FS.isDirectory(hostDir) else { continue }
                for namespace in try FS.list(hostDir) {
                    let nsDir = PathText.join(hostDir, namespace)
                    guard FS.isDirectory(nsDir) else { continue }
                    for model in try FS.list(nsDir) {
                        let modelDir = PathText.join(nsDir, model)
                        guard FS.isDirectory(modelDir) else { continue }
                        for tag in try FS.list(modelDir) {
                            let path = PathText.join(modelDir, tag)
                            guard let st = try FS.status(path), !st.isDirectory else { continue }
                            let hostName = isV2 ? host.replacingPercentColon() : host
                            guard let ref = try? OllamaReference(host: hostName, namespace: namespace, model: model, tag: tag) else { continue }
                            found.append((ref, path))
                        }
                    }
                }
            }
        }
        return found
    }

    /// Interrupted pulls: every `blobs/*-partial` and `blobs/*-partial-N` file.
    public func partialDownloads() throws(StoreError) -> [String] {
        let blobs = PathText.join(root, "blobs")
        guard FS.isDirectory(blobs) else { return [] }
        return try FS.list(blobs).filter { $0.contains("-partial") }.map { PathText.join(blobs, $0) }
    }

    /// Reads the manifest at `manifestPath` (a file or a link into `blobs/`) as `reference`.
    /// - Throws: as ``resolve(_:)-(OllamaReference)``.
    public func load(reference: OllamaReference, manifestPath: String) throws(StoreError) -> OllamaModel {
        var builder = ModelBuilder(store: self, reference: reference, manifestPath: manifestPath)
        try builder.build()
        return builder.model
    }

    func requireStore() throws(StoreError) {
        guard FS.isDirectory(root) else {
            throw StoreError(.storeNotFound, "Ollama store \(root) does not exist or is not a directory; use the store Ollama uses")
        }
    }

    func blobPath(_ digest: OllamaDigest) -> String {
        PathText.join(root, "blobs/" + digest.blobFileName)
    }

    private func legacyRelativePath(_ r: OllamaReference) -> String {
        "\(r.host)/\(r.namespace)/\(r.model)/\(r.tag)"
    }

    /// The paths Ollama would look at for `reference`, in its order.
    func manifestCandidates(_ r: OllamaReference) -> [String] {
        let v2Host = r.isPublicHost ? OllamaReference.v2CanonicalHost : r.host
        var v2Hosts = [v2Host.replacingOccurrencesOfColon()]
        if v2Host.contains(":") { v2Hosts.append(v2Host) }
        var paths = v2Hosts.map { PathText.join(root, "manifests-v2/\($0)/\(r.namespace)/\(r.model)/\(r.tag)") }
        var legacyHosts = [r.host]
        if r.isPublicHost {
            legacyHosts.append(r.host.caseInsensitiveEquals(OllamaReference.defaultHost) ? OllamaReference.v2CanonicalHost : OllamaReference.defaultHost)
        }
        paths += legacyHosts.map { PathText.join(root, "manifests/\($0)/\(r.namespace)/\(r.model)/\(r.tag)") }
        return paths
    }
}

extension String {
    /// `host:port` as the v2 tree writes it on disk (`host%3Aport`).
    func replacingOccurrencesOfColon() -> String {
        split(separator: ":", omittingEmptySubsequences: false).joined(separator: "%3A")
    }

    /// The reverse of ``replacingOccurrencesOfColon()``.
    func replacingPercentColon() -> String {
        var out: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "3"),
               bytes[i + 2] == UInt8(ascii: "A") || bytes[i + 2] == UInt8(ascii: "a") {
                out.append(UInt8(ascii: ":"))
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One file a model consists of.
public struct OllamaArtifactFile: Sendable, Hashable {
    /// The file's line name in the model's aggregate: `manifest`, or `blobs/sha256-<hex>`.
    public var relativePath: String
    /// Where the bytes are.
    public var absolutePath: String
    /// The SHA-256 the file must have (its blob name), or `nil` for a manifest that is a
    /// plain file (legacy layout), which has no name to check against.
    public var expectedSHA256: String?
    /// The size the manifest records for the blob, or `nil` for manifests.
    public var size: Int64?
    /// The layer's media type (`application/vnd.ollama.image.model`, ...), or the manifest's.
    public var mediaType: String
    /// The short name of the media type: `model`, `template`, `params`, `projector`,
    /// `adapter`, `config`, `manifest`, `child-manifest`, ...
    public var role: String

    /// A file of a model; see the properties for what each argument means.
    public init(relativePath: String, absolutePath: String, expectedSHA256: String?, size: Int64?, mediaType: String, role: String) {
        self.relativePath = relativePath
        self.absolutePath = absolutePath
        self.expectedSHA256 = expectedSHA256
        self.size = size
        self.mediaType = mediaType
        self.role = role
    }
}

/// A model found in an Ollama store: its manifest and every blob it needs.
public struct OllamaModel: Sendable, Hashable {
    /// How the named manifest is stored.
    public enum Layout: String, Sendable, Hashable {
        /// `manifests/...`: a JSON file.
        case legacy
        /// `manifests-v2/...` (or `manifests/...`) as a link to `blobs/sha256-<hex>`.
        case link
        /// `manifests-v2/...` as a plain file (a hard link or copy of the manifest blob).
        case v2File
    }

    /// The model's name.
    public var reference: OllamaReference
    /// The store it was found in.
    public var store: String
    /// The named manifest: the file (or link) under `manifests/` or `manifests-v2/`.
    public var manifestPath: String
    /// How the named manifest is stored.
    public var layout: Layout
    /// The SHA-256 of the manifest's bytes: Ollama's digest of the model (`ollama list`'s ID
    /// is its first 12 digits; `/api/tags` reports it whole).
    public var manifestDigest: String
    /// Whether the manifest is a manifest list.
    public var isManifestList: Bool
    /// The manifest, then every distinct blob (config, layers; for a list, child manifests
    /// and their blobs), each once, in manifest order.
    public var artifactFiles: [OllamaArtifactFile]
    /// Child manifests a list names that are not in the store (Ollama pulls only the ones its
    /// runner needs, so an absent child is not by itself a fault).
    public var absentChildManifests: [String]
    /// Problems found while reading the manifest (a link that leaves `blobs/`).
    public var problems: [StoreProblem]

    /// Bytes of all blobs, as the manifest records them.
    public var recordedSize: Int64 { artifactFiles.reduce(0) { $0 + ($1.size ?? 0) } }

    /// Hashes every artifact (at most `hasher.jobs` at once) and checks each blob: it must
    /// exist, be a regular file of the recorded size and hash to its name.
    ///
    /// - Returns: the per-file results, the problems, and the model's manifest and aggregate:
    ///   the standard aggregate (``ArtifactHashing/Manifest/aggregate(of:)``) over the lines
    ///   `<sha256>  manifest` and `<sha256>  blobs/sha256-<hex>`, one per file that could be
    ///   hashed, with the digest of the bytes found (so any change shows in it).
    /// - Throws: `CancellationError` only; unreadable files are problems in the result.
    public func verify(_ hasher: ArtifactHasher = ArtifactHasher()) async throws -> OllamaVerification {
        let paths = artifactFiles.filter { (try? FS.status($0.absolutePath))??.isRegular ?? false }.map(\.absolutePath)
        let hashes = try await runBounded(paths, jobs: hasher.jobs) { path in
            do { return .digest(try hasher.hashFile(atPath: path)) } catch { return .failed(hashFailure(error)) }
        }
        return evaluate(hashes: hashes)
    }

    /// Builds the verification from digests computed elsewhere (the scanner hashes each blob of
    /// a store once for all its models).
    func evaluate(hashes: [String: HashOutcome]) -> OllamaVerification {
        var results: [OllamaFileResult] = []
        var problems = self.problems
        var hashed: [ArtifactFile] = []
        for file in artifactFiles {
            let result = OllamaModel.check(file, hashes: hashes)
            if let hex = result.actualSHA256 {
                hashed.append(ArtifactFile(path: file.relativePath, sha256: hex, size: result.actualSize))
            }
            results.append(result)
            problems += result.problems
        }
        return OllamaVerification(model: self, manifest: Manifest(root: store, files: hashed), files: results, problems: dedupe(problems))
    }

    /// Checks one file against what its manifest says, with its digest from `hashes`.
    private static func check(_ file: OllamaArtifactFile, hashes: [String: HashOutcome]) -> OllamaFileResult {
        var result = OllamaFileResult(file: file, actualSHA256: nil, actualSize: nil, problems: [])
        func report(_ kind: StoreProblem.Kind) {
            result.problems.append(StoreProblem(kind, path: file.absolutePath, role: file.role))
        }
        let found: FileStatus?
        do { found = try FS.status(file.absolutePath) } catch {
            report(.unreadable(reason: error.message))
            return result
        }
        guard let status = found else {
            let partial = file.absolutePath + "-partial"
            report(FS.exists(partial) ? .partialDownload(partialPath: partial) : .missing)
            return result
        }
        guard status.isRegular else {
            report(.notRegularFile)
            return result
        }
        result.actualSize = status.size
        if let expected = file.size, expected != status.size {
            report(.sizeMismatch(expected: expected, actual: status.size))
        }
        switch hashes[file.absolutePath] {
        case .digest(let hex)?:
            result.actualSHA256 = hex
            if let expected = file.expectedSHA256?.lowercased(), expected != hex {
                report(.digestMismatch(algorithm: "sha256", expected: expected, actual: hex))
            }
        case .failed(let reason)?:
            report(.unreadable(reason: reason))
        case nil:
            report(.unreadable(reason: "it was not hashed"))
        }
        return result
    }

    private func dedupe(_ problems: [StoreProblem]) -> [StoreProblem] {
        var seen = Set<StoreProblem>()
        return problems.filter { seen.insert($0).inserted }
    }
}

/// The result of checking one file of a model.
public struct OllamaFileResult: Sendable, Hashable {
    /// The file and what it should be.
    public var file: OllamaArtifactFile
    /// The SHA-256 of the bytes found, when the file could be hashed.
    public var actualSHA256: String?
    /// The size found, when the file exists.
    public var actualSize: Int64?
    /// What is wrong with it (empty when it is intact).
    public var problems: [StoreProblem]
}

/// The result of ``OllamaModel/verify(_:)``.
public struct OllamaVerification: Sendable, Hashable {
    /// The model checked.
    public var model: OllamaModel
    /// The files that could be hashed: `manifest` and `blobs/sha256-<hex>`, rooted at the store.
    public var manifest: Manifest
    /// One result per artifact file, in ``OllamaModel/artifactFiles`` order.
    public var files: [OllamaFileResult]
    /// Everything wrong, over all files.
    public var problems: [StoreProblem]

    /// The model's aggregate digest (see ``OllamaModel/verify(_:)``).
    public var aggregate: String { manifest.aggregate }
    /// Whether every file is present, of its size and hashes to its name.
    public var isIntact: Bool { problems.isEmpty }
    /// Whether some problem shows that stored bytes differ from their names (exit 2), as
    /// opposed to files that could not be read at all.
    public var hasIntegrityFailure: Bool { problems.contains { $0.isIntegrityFailure } }
}

/// A file's digest, or why it could not be computed.
enum HashOutcome: Sendable, Hashable {
    case digest(String)
    case failed(String)
}

/// Reads one named manifest and the manifests it refers to, collecting artifacts.
private struct ModelBuilder {
    let store: OllamaStore
    let reference: OllamaReference
    let manifestPath: String
    var model: OllamaModel
    /// The blobs named so far: lowercase hex to the hex as written (the blob file's name).
    private var seenBlobs: [String: String] = [:]
    private var layerCount = 0

    init(store: OllamaStore, reference: OllamaReference, manifestPath: String) {
        self.store = store
        self.reference = reference
        self.manifestPath = manifestPath
        model = OllamaModel(reference: reference, store: store.root, manifestPath: manifestPath, layout: .legacy,
                            manifestDigest: "", isManifestList: false, artifactFiles: [], absentChildManifests: [], problems: [])
    }

    mutating func build() throws(StoreError) {
        guard let status = try FS.status(manifestPath) else {
            throw StoreError(.modelNotFound, "Ollama model \(reference.shortName): manifest \(manifestPath) does not exist")
        }
        var bytesPath = manifestPath
        var expected: String?
        if status.isSymlink {
            model.layout = .link
            let target = PathText.resolveLink(at: manifestPath, target: try FS.readLink(manifestPath))
            bytesPath = target
            let digest = OllamaDigest(blobFileName: PathText.base(target))
            expected = digest?.hex
            if digest == nil || !isInBlobs(target) {
                model.problems.append(StoreProblem(.linkOutsideBlobs(target: target), path: manifestPath, role: "manifest"))
            }
            guard FS.existsFollowingLinks(target) else {
                // The manifest blob is gone: the model is only its (missing) manifest.
                model.artifactFiles.append(manifestFile(at: target, expected: expected))
                return
            }
        } else if status.isRegular {
            model.layout = manifestPath.hasPrefix(PathText.join(store.root, "manifests-v2/")) ? .v2File : .legacy
        } else {
            throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): manifest \(manifestPath) is not a file")
        }
        model.artifactFiles.append(manifestFile(at: bytesPath, expected: expected))
        let bytes = try FS.read(bytesPath, limit: OllamaStore.maxManifestBytes)
        let actual = SHA256Digest.hex(of: bytes)
        model.manifestDigest = actual
        let document: OllamaManifestDocument
        do { document = try OllamaManifestDocument.decode(bytes) } catch {
            // Bytes that do not match their name are reported as such by verify; a manifest
            // that matches its name but does not parse is malformed.
            if let expected, expected != actual { return }
            throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): manifest \(bytesPath) is \(OllamaManifestDocument.reason(error)); pull the model again")
        }
        try add(document, from: bytesPath, allowList: true)
    }

    private func manifestFile(at path: String, expected: String?) -> OllamaArtifactFile {
        OllamaArtifactFile(relativePath: "manifest", absolutePath: path, expectedSHA256: expected, size: nil,
                           mediaType: OllamaManifestDocument.imageManifestType, role: "manifest")
    }

    private func isInBlobs(_ path: String) -> Bool {
        isDirectlyInside(path, PathText.join(store.root, "blobs"))
    }

    private mutating func add(_ document: OllamaManifestDocument, from path: String, allowList: Bool) throws(StoreError) {
        if document.isList {
            guard allowList else {
                throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): \(path) nests a manifest list in a manifest list, which Ollama does not accept")
            }
            model.isManifestList = true
            let entries = document.manifests ?? []
            guard entries.count <= OllamaStore.maxListEntries else {
                throw StoreError(.tooLarge, "Ollama model \(reference.shortName): manifest list \(path) has \(entries.count) entries, more than \(OllamaStore.maxListEntries)")
            }
            for entry in entries {
                if entry.isList {
                    throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): \(path) nests a manifest list in a manifest list, which Ollama does not accept")
                }
                if entry.isReference {
                    try addChild(entry, from: path)
                } else {
                    try addLayers(of: entry, from: path)
                }
            }
        } else {
            try addLayers(of: document, from: path)
        }
    }

    /// A list entry naming a child manifest blob: the blob is an artifact, and its layers too.
    private mutating func addChild(_ entry: OllamaManifestDocument, from path: String) throws(StoreError) {
        let text = entry.digest ?? ""
        guard let digest = OllamaDigest(text) else {
            throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): manifest list \(path) names child '\(text)', not a sha256 digest")
        }
        let blob = store.blobPath(digest)
        guard try isNew(digest, in: path) else { return }
        guard FS.existsFollowingLinks(blob) else {
            model.absentChildManifests.append(blob)
            return
        }
        model.artifactFiles.append(OllamaArtifactFile(
            relativePath: "blobs/" + digest.blobFileName, absolutePath: blob, expectedSHA256: digest.hex, size: nil,
            mediaType: entry.mediaType ?? OllamaManifestDocument.imageManifestType, role: "child-manifest"))
        let bytes = try FS.read(blob, limit: OllamaStore.maxManifestBytes)
        // A child whose bytes do not match its name is reported by verify; its layers are unknown.
        guard SHA256Digest.hex(of: bytes) == digest.hex else { return }
        let child: OllamaManifestDocument
        do { child = try OllamaManifestDocument.decode(bytes) } catch {
            throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): child manifest \(blob) is \(OllamaManifestDocument.reason(error))")
        }
        try add(child, from: blob, allowList: false)
    }

    /// Whether `digest` is named for the first time. The same digest in other letter case is
    /// refused: Ollama names a blob file with the hex as written, so the two spellings are two
    /// files, and only one of them would be checked against the digest while both are served.
    private mutating func isNew(_ digest: OllamaDigest, in path: String) throws(StoreError) -> Bool {
        guard let seen = seenBlobs[digest.hex] else {
            seenBlobs[digest.hex] = digest.hexAsWritten
            return true
        }
        guard seen == digest.hexAsWritten else {
            throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): \(path) names digest sha256:\(seen) also as sha256:\(digest.hexAsWritten), two blob files of which only one can match; pull the model again")
        }
        return false
    }

    private mutating func addLayers(of document: OllamaManifestDocument, from path: String) throws(StoreError) {
        let layers = (document.config.map { [$0] } ?? []) + (document.layers ?? [])
        layerCount += layers.count
        guard layerCount <= OllamaStore.maxLayers else {
            throw StoreError(.tooLarge, "Ollama model \(reference.shortName): \(path) has more than \(OllamaStore.maxLayers) layers")
        }
        for (i, layer) in layers.enumerated() {
            let text = layer.digest ?? ""
            if text.isEmpty { continue }  // Ollama skips layers without a digest too.
            guard let digest = OllamaDigest(text) else {
                throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): \(path) has layer digest '\(text.prefix(80))', not sha256:<64 hex>")
            }
            guard let size = layer.size, size >= 0 else {
                throw StoreError(.malformedManifest, "Ollama model \(reference.shortName): \(path) has no valid size for layer \(digest.blobFileName)")
            }
            guard try isNew(digest, in: path) else { continue }
            let isConfig = i == 0 && document.config != nil
            let mediaType = layer.mediaType ?? ""
            model.artifactFiles.append(OllamaArtifactFile(
                relativePath: "blobs/" + digest.blobFileName, absolutePath: store.blobPath(digest),
                expectedSHA256: digest.hex, size: size, mediaType: mediaType,
                role: isConfig && mediaType.isEmpty ? "config" : ollamaRole(mediaType: mediaType)))
        }
    }
}
