import SystemSupport
public import ArtifactHashing

/// A tree made by `hf download REPO --local-dir DIR`: the files themselves, and for each one
/// `DIR/.cache/huggingface/download/<path>.metadata`, three lines as huggingface_hub's
/// `write_download_metadata` writes them: the commit hash, the etag, and the Unix time the
/// metadata was written (`time.time()`, a decimal fraction). The etag of an LFS file is the
/// SHA-256 of its bytes (64 hex); that of any other file its git blob SHA-1 (40 hex).
///
/// huggingface_hub trusts a file's metadata while the file's modification time is at most one
/// second past that timestamp; a later one means the file changed after the download.
public enum LocalDirDownload {
    /// Where the metadata lives, relative to the tree.
    static let metadataDirectory = ".cache/huggingface/download"
    /// The largest metadata file read (three short lines).
    static let maxMetadataBytes = 4096

    /// One file's download metadata.
    public struct Metadata: Sendable, Hashable {
        /// The commit the file was downloaded at.
        public var commit: String
        /// The etag the Hub served, lowercased.
        public var etag: String
        /// When the download finished (Unix time).
        public var timestamp: Double

        /// `sha256` for a 64-hex etag, `git-sha1` for a 40-hex one, `nil` for anything else.
        public var algorithm: String? {
            PathText.isHex(etag, count: 64) ? "sha256" : PathText.isHex(etag, count: 40) ? "git-sha1" : nil
        }

        /// Reads the three lines; `nil` when they are not commit, etag and a time.
        init?(_ bytes: [UInt8]) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.count >= 3, let time = Double(String(lines[2]).trimmingWhitespace()), time.isFinite else { return nil }
            commit = String(lines[0]).trimmingWhitespace()
            etag = String(lines[1]).trimmingWhitespace().lowercased()
            timestamp = time
            guard !commit.isEmpty, !etag.isEmpty else { return nil }
        }
    }

    /// Whether `path` is a `--local-dir` download (it has `.cache/huggingface/download/`).
    public static func isLocalDir(_ path: String) -> Bool {
        FS.isDirectory(PathText.join(path, metadataDirectory))
    }

    /// The metadata of every file, by its path in the tree, and remarks about metadata that
    /// could not be read and interrupted downloads.
    /// - Throws: ``StoreError`` when the metadata directory cannot be listed or holds too many files.
    public static func metadata(of root: String) throws(StoreError) -> (files: [String: Metadata], notes: [String]) {
        var files: [String: Metadata] = [:]
        var notes: [String] = []
        let base = PathText.join(root, metadataDirectory)
        try StoreScanner.forEachFile(under: base) { rel, name, path, entry throws(StoreError) in
            if name.hasSuffix(".incomplete") { notes.append("interrupted download \(path)"); return }
            guard name.hasSuffix(".metadata"), entry.isRegular else { return }
            guard let metadata = Metadata(try FS.read(path, limit: maxMetadataBytes, followLinks: false)) else {
                notes.append("\(path): not commit, etag and time on three lines; its file is not checked")
                return
            }
            files[String(rel.dropLast(".metadata".utf8.count))] = metadata
        }
        return (files, notes)
    }

    /// Whether the file at `path` was modified after its metadata was written (huggingface_hub's
    /// rule: more than one second after the timestamp).
    static func modifiedAfterDownload(_ path: String, _ metadata: Metadata) -> Bool {
        guard let st = (try? FS.status(path, followLinks: true)) ?? nil else { return false }
        return st.modified - 1 > metadata.timestamp
    }

    /// Checks every file of `manifest` (hashed from the tree at `root`) against its metadata:
    /// a SHA-256 etag against the manifest's digest, a git SHA-1 etag against the file's git
    /// blob id (computed here). Files without metadata, and metadata whose file is gone, are
    /// reported; nothing is fetched.
    ///
    /// - Returns: the problems (integrity failures, exit 2), the files that have no metadata,
    ///   and remarks (files changed after the download, etags that are no digest).
    public static func check(_ manifest: Manifest, root: String, metadata: [String: Metadata])
        -> (problems: [StoreProblem], withoutMetadata: [String], notes: [String])
    {
        var problems: [StoreProblem] = []
        var withoutMetadata: [String] = []
        var notes: [String] = []
        var seen = Set<String>()
        for file in manifest.files {
            let path = PathText.join(root, file.path)
            guard let meta = metadata[file.path] else {
                withoutMetadata.append(file.path)
                continue
            }
            seen.insert(file.path)
            let actual: String
            switch meta.algorithm {
            case "sha256": actual = file.sha256.lowercased()
            case "git-sha1":
                do throws(StoreError) { actual = try GitBlobSHA1.hex(ofFileAt: path) } catch {
                    problems.append(StoreProblem(.unreadable(reason: error.message), path: path, role: file.path))
                    continue
                }
            default:
                notes.append("\(file.path): etag \(meta.etag.prefix(80)) is not a SHA-256 or git blob id; not checked")
                continue
            }
            if actual != meta.etag {
                problems.append(StoreProblem(.digestMismatch(algorithm: meta.algorithm!, expected: meta.etag, actual: actual), path: path, role: file.path))
                if modifiedAfterDownload(path, meta) {
                    notes.append("\(file.path): changed since the download of commit \(meta.commit.prefix(12)) (modified after its metadata was written)")
                }
            }
        }
        for (path, _) in metadata where !seen.contains(path) && !FS.exists(PathText.join(root, path)) {
            problems.append(StoreProblem(.missing, path: PathText.join(root, path), role: path))
        }
        problems.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return (problems, withoutMetadata, notes)
    }

    /// Scans one tree offline: hashes every file (as `hash` would, `.cache/huggingface/` left
    /// out) and checks each against its download metadata.
    /// - Throws: `CancellationError` only; failures are in the item.
    public static func scan(_ root: String, hasher: ArtifactHasher) async throws -> ScanItem {
        let name = PathText.base(root)
        let manifest: Manifest
        let metadata: (files: [String: Metadata], notes: [String])
        do {
            metadata = try self.metadata(of: root)
            manifest = try await hasher.hash(root)
        } catch let error as StoreError {
            return .failure(.huggingFaceLocalDir, name: name, path: root, error.message)
        } catch let error as HashingError {
            return .failure(.huggingFaceLocalDir, name: name, path: root, hashFailure(error))
        }
        let checked = check(manifest, root: root, metadata: metadata.files)
        var notes = metadata.notes + checked.notes
        if !checked.withoutMetadata.isEmpty {
            notes.append("\(checked.withoutMetadata.count) files have no download metadata, so nothing says what the Hub served: "
                + checked.withoutMetadata.prefix(20).joined(separator: ", ") + (checked.withoutMetadata.count > 20 ? ", ..." : ""))
        }
        return ScanItem(store: .huggingFaceLocalDir, name: name, path: root, problems: checked.problems, notes: notes,
                        blobs: manifest.files.count, bytes: manifest.totalBytes)
    }

    /// What the metadata says each file's SHA-256 is, as a stat cache for the hasher to reuse
    /// (``ArtifactHasher/hash(_:reusing:progress:)``): one record per file with a SHA-256 etag
    /// that was not modified after its download, and those files' paths. Every other file is hashed.
    public static func expectedDigests(_ root: String, metadata: [String: Metadata]) -> (cache: StatCache, paths: Set<String>) {
        var cache = StatCache()
        var paths = Set<String>()
        for (path, meta) in metadata where meta.algorithm == "sha256" {
            let full = PathText.join(root, path)
            guard let stamp = FileStamp.of(path: full), !modifiedAfterDownload(full, meta) else { continue }
            cache.insert(pathBytes: Array(path.utf8), stamp: stamp, sha256: meta.etag)
            paths.insert(path)
        }
        return (cache, paths)
    }
}
