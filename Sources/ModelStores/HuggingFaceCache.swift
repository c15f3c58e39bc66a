import SystemSupport
public import ArtifactHashing

/// The Hugging Face hub cache, as `huggingface_hub` lays it out:
///
/// ```
/// <cache>/models--ORG--NAME/            (also datasets--..., spaces--...)
///     blobs/<etag>                      the bytes; <etag> is the file's SHA-256 (64 hex, LFS
///                                       files) or its git blob SHA-1 (40 hex, other files)
///     refs/main                         a commit hash, no newline (also refs/pr/1, tags, ...)
///     snapshots/<commit>/<path>         relative links to ../../blobs/<etag>
/// <cache>/blobs/.huggingface-shared-blobs, <cache>/blobs/<xx>/<xet hash>
///                                       the cache-wide shared store: a repo blob may itself be
///                                       a link there, named by a Xet hash (not a SHA-256)
/// ```
///
/// A snapshot file's first link hop names what the Hub promised (its etag); later hops name
/// only where the bytes happen to be, so only the first hop is checked against the content.
public enum HuggingFaceCache {
    /// The repository kinds a cache directory name may start with.
    public static let repoTypes = ["models", "datasets", "spaces"]
    /// The largest ref file read (a commit hash is 40 bytes).
    static let maxRefBytes = 4096
    /// The most files one snapshot may hold before a scan refuses it.
    static let maxSnapshotFiles = 1_000_000

    /// Whether a directory name is a cache repository's (`models--ORG--NAME`, ...).
    public static func isRepoDirectoryName(_ name: String) -> Bool {
        repoTypes.contains { type in name.hasPrefix(type + "--") && name.utf8.count > type.utf8.count + 2 }
    }

    /// Whether `path` has "--" in it, as every cache repository directory's name does.
    private static func hasDoubleDash(_ path: String) -> Bool {
        var previous: UInt8 = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "-") && previous == byte { return true }
            previous = byte
        }
        return false
    }

    /// Where `root` sits in a cache, or `nil` when it is not inside a cache repository.
    ///
    /// `root` may be a snapshot (`.../models--ORG--NAME/snapshots/<commit>`), a directory inside
    /// one, or a whole repository directory; a repository is resolved to the snapshot of
    /// `revision` (a commit hash, or a ref under `refs/`, default `main`). Links on the way
    /// to `root` are resolved first.
    ///
    /// - Throws: ``StoreError`` `.revisionNotFound` when a repository has no such ref or
    ///   snapshot, `.storeNotFound` when `root` does not exist.
    public static func locate(_ root: String, revision: String? = nil) throws(StoreError) -> HFLocation? {
        guard let real = PathText.realPath(root) else {
            throw StoreError(.storeNotFound, "\(root) does not exist")
        }
        return try locate(resolved: real, revision: revision)
    }

    /// ``locate(_:revision:)`` for a path whose links, `.` and `..` are already resolved
    /// (`realpath`), for a caller that needs the resolved path itself as well.
    public static func locate(resolved real: String, revision: String? = nil) throws(StoreError) -> HFLocation? {
        // Every cache repository directory is named TYPE--...: a path without "--" is in none
        // (the common case, decided without splitting the path).
        guard hasDoubleDash(real) else { return nil }
        let parts = real.split(separator: "/").map(String.init)
        if let last = parts.last, isRepoDirectoryName(last), FS.isDirectory(PathText.join(real, "snapshots")) {
            let commit = try resolveRevision(repoDir: real, revision: revision ?? "main")
            return HFLocation(repoDir: real, commit: commit, subpath: "")
        }
        guard parts.count >= 3 else { return nil }
        for i in stride(from: parts.count - 2, through: 1, by: -1)
        where parts[i] == "snapshots" && isRepoDirectoryName(parts[i - 1]) {
            let repoDir = "/" + parts[..<i].joined(separator: "/")
            let subpath = parts[(i + 2)...].joined(separator: "/")
            return HFLocation(repoDir: repoDir, commit: parts[i + 1], subpath: subpath)
        }
        return nil
    }

    /// The commit a revision names in a repository: the revision itself when it is a commit
    /// with a snapshot, else the contents of `refs/<revision>`.
    static func resolveRevision(repoDir: String, revision: String) throws(StoreError) -> String {
        let snapshots = PathText.join(repoDir, "snapshots")
        if PathText.isHex(revision, count: 40), FS.isDirectory(PathText.join(snapshots, revision)) {
            return revision
        }
        let components = revision.split(separator: "/", omittingEmptySubsequences: false)
        guard !revision.isEmpty, revision.utf8.count <= 256,
              components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw StoreError(.revisionNotFound, "\(repoDir): '\(revision)' is not a revision name")
        }
        let refPath = PathText.join(repoDir, "refs/" + revision)
        guard let st = try FS.status(refPath), st.isRegular else {
            throw StoreError(.revisionNotFound, "\(repoDir) has no ref '\(revision)' (no \(refPath)); pass a commit hash from snapshots/ or download the revision")
        }
        let commit = String(decoding: try FS.read(refPath, limit: maxRefBytes, followLinks: false), as: UTF8.self)
            .trimmingWhitespace()
        guard !commit.isEmpty, !commit.contains("/"), commit != ".", commit != "..",
              FS.isDirectory(PathText.join(snapshots, commit)) else {
            throw StoreError(.revisionNotFound, "\(refPath) names commit '\(commit.prefix(80))', which has no snapshot in \(snapshots); download the revision again")
        }
        return commit
    }

    /// Checks every file of `manifest` (hashed from `root`, or from the snapshot when `root` is
    /// a repository directory) against its cache link: the first link hop must land in the
    /// repository's `blobs/`; a 64-hex blob name must equal the file's SHA-256 in `manifest`
    /// (no extra hashing); a 40-hex name must equal the git blob SHA-1 of the file (computed
    /// here: such files are small). Other names, and files that are not links, have no
    /// expected digest.
    ///
    /// - Returns: the repository, commit, the blob name of every linked file (for a lock to
    ///   record, so a link re-pointed to another valid blob is caught), and the problems.
    /// - Throws: ``StoreError`` `.notInCache` when `root` is not inside a cache repository,
    ///   `.revisionNotFound`, `.storeNotFound`.
    /// - Throws: also `.notInCache` when `manifest` was not hashed from the directory the check
    ///   reads (``HFLocation/rootPath``: for a repository directory, its snapshot).
    public static func check(root: String, manifest: Manifest, revision: String? = nil) throws(StoreError) -> HFCheckResult {
        guard let location = try locate(root, revision: revision) else {
            throw StoreError(.notInCache, "\(root) is not inside a Hugging Face cache repository (models--ORG--NAME/snapshots/<commit>)")
        }
        let base = location.rootPath
        // The manifest's paths are relative to the directory it was hashed from; read against
        // another one (a repository directory hashed whole, then checked as its snapshot) every
        // file would look missing. Refuse instead of reporting false corruption.
        if let hashed = PathText.realPath(manifest.root), let expected = PathText.realPath(base), hashed != expected {
            throw StoreError(.notInCache, "\(manifest.root) was hashed, but its cache files are checked against \(base); hash \(base) itself to check its links")
        }
        let blobsDir = PathText.join(location.repoDir, "blobs")
        var files: [String: String] = [:]
        var problems: [StoreProblem] = []
        for file in manifest.files {
            let path = PathText.join(base, file.path)
            let link = LinkCheck(path: path, blobsDir: blobsDir, role: file.path)
            let outcome = link.run { name in
                if PathText.isHex(name, count: 64) { return .digest(file.sha256.lowercased()) }
                if PathText.isHex(name, count: 40) {
                    do throws(StoreError) { return .digest(try GitBlobSHA1.hex(ofFileAt: path)) } catch { return .failed(error.message) }
                }
                return nil
            }
            if let name = outcome.blobName { files[file.path] = name }
            problems += outcome.problems
        }
        return HFCheckResult(location: location, files: files, problems: problems)
    }
}

/// Where a path sits in a Hugging Face cache.
public struct HFLocation: Sendable, Hashable {
    /// The repository directory (`.../models--ORG--NAME`), links resolved.
    public var repoDir: String
    /// The snapshot's commit (its directory name under `snapshots/`).
    public var commit: String
    /// The path below the snapshot that was asked about (empty for the whole snapshot).
    public var subpath: String

    /// `snapshots/<commit>` inside ``repoDir``.
    public var snapshotPath: String { PathText.join(repoDir, "snapshots/" + commit) }
    /// The directory whose files a manifest lists: the snapshot, or the part of it asked about.
    public var rootPath: String { subpath.isEmpty ? snapshotPath : PathText.join(snapshotPath, subpath) }
    /// `models`, `datasets` or `spaces`.
    public var repoType: String {
        HuggingFaceCache.repoTypes.first { PathText.base(repoDir).hasPrefix($0 + "--") } ?? ""
    }
    /// `ORG/NAME` (the directory name without its type, `--` read as `/`).
    public var repoID: String {
        let name = PathText.base(repoDir)
        let rest = name.dropFirst(repoType.utf8.count + 2)
        return rest.split(separator: "--", omittingEmptySubsequences: false).joined(separator: "/")
    }
}

/// The result of ``HuggingFaceCache/check(root:manifest:revision:)``.
public struct HFCheckResult: Sendable, Hashable {
    /// Where the root sits.
    public var location: HFLocation
    /// The repository directory.
    public var repoDir: String { location.repoDir }
    /// The snapshot's commit.
    public var revision: String { location.commit }
    /// Manifest path -> blob name (the first link hop's name), for every file that is a link.
    public var files: [String: String]
    /// Everything wrong (empty when every link and name checks out).
    public var problems: [StoreProblem]

    /// Whether no file has a problem.
    public var isIntact: Bool { problems.isEmpty }
}

/// Checks one snapshot path's first link hop and the blob it names.
struct LinkCheck {
    let path: String
    let blobsDir: String
    let role: String

    struct Outcome {
        var blobName: String?
        var problems: [StoreProblem] = []
    }

    /// `digestFor(name)` returns the digest to compare with `name` (computed or looked up),
    /// or `nil` when the name carries no checkable digest.
    func run(digestFor: (String) -> HashOutcome?) -> Outcome {
        var outcome = Outcome()
        func report(_ kind: StoreProblem.Kind) { outcome.problems.append(StoreProblem(kind, path: path, role: role)) }
        let status: FileStatus?
        do { status = try FS.status(path) } catch {
            report(.unreadable(reason: error.message))
            return outcome
        }
        guard let status else {
            report(.missing)
            return outcome
        }
        guard status.isSymlink else { return outcome }  // a copied file has no expected digest
        let stored: String
        do { stored = try FS.readLink(path) } catch {
            report(.unreadable(reason: error.message))
            return outcome
        }
        let target = PathText.resolveLink(at: path, target: stored)
        guard isDirectlyInside(target, blobsDir) else {
            report(.linkOutsideBlobs(target: stored))
            return outcome
        }
        let name = PathText.base(target)
        outcome.blobName = name
        guard FS.existsFollowingLinks(target) else {
            report(.danglingLink(target: stored))
            return outcome
        }
        switch digestFor(name) {
        case .digest(let actual)?:
            let algorithm = name.utf8.count == 40 ? "git-sha1" : "sha256"
            if actual != name.lowercased() {
                report(.digestMismatch(algorithm: algorithm, expected: name.lowercased(), actual: actual))
            }
        case .failed(let reason)?:
            report(.unreadable(reason: reason))
        case nil:
            break
        }
        return outcome
    }
}

/// Whether `path` is an entry directly in `directory` (lexically, or once links in the
/// directories are resolved).
func isDirectlyInside(_ path: String, _ directory: String) -> Bool {
    let parent = PathText.parent(path)
    if parent == PathText.normalize(directory) { return true }
    guard let real = PathText.realPath(parent), let realDir = PathText.realPath(directory) else { return false }
    return real == realDir
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        var s = Substring(self)
        while let f = s.first, isSpace(f) { s = s.dropFirst() }
        while let l = s.last, isSpace(l) { s = s.dropLast() }
        return String(s)
    }
}
