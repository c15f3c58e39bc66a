#if canImport(Glibc)
import SystemSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArtifactHashing

/// Hashes a model directory without reading the top-level entries that will be left out.
///
/// A `git clone` of a Hugging Face model keeps a second copy of every weight file under
/// `.git/lfs/objects`; hashing the whole tree and dropping `.git` afterwards would read the
/// weights twice. When an ignored top-level entry is a directory, the other top-level entries
/// are hashed one by one instead: files several at once, directories each with the full
/// concurrent hasher. The listing follows the walk's rules (see ``ArtifactHasher``): a
/// symlink to a file is followed and listed under its own name, a symlinked directory is not
/// descended, a dangling symlink and a name with a newline are errors, other file types are skipped.
/// `progress` is reported only when nothing is skipped (the whole tree is one hashing run).
func hashLeavingOut(root: String, ignoredTopLevel: Set<String>, jobs: Int?,
                    progress: (@Sendable (HashProgress) -> Void)?) async throws -> Manifest {
    let base = PathText.trimTrailingSlashes(root)
    let skipsDirectory = ignoredTopLevel.contains { nodeKind(base + "/" + $0, followLinks: false) == .directory }
    guard skipsDirectory else { return try await ArtifactHasher(jobs: jobs, exclusions: .none).hash(root, progress: progress) }

    var fileNames: [String] = []
    var directoryNames: [String] = []
    for name in try topLevelNames(base) where !ignoredTopLevel.contains(name) {
        let path = base + "/" + name
        switch nodeKind(path, followLinks: false) {
        case .file: fileNames.append(name)
        case .directory: directoryNames.append(name)
        case .symlink:
            switch nodeKind(path, followLinks: true) {
            case .file: fileNames.append(name)
            case .missing: throw HashingError(.danglingSymlink, path: path, reason: "dangling symbolic link (its target does not exist)")
            default: continue  // a symlinked directory is not descended, as the walk does
            }
        default: continue
        }
    }

    // model_signing leaves out only its top-level names: a nested .git is signed.
    let hasher = ArtifactHasher(jobs: jobs, exclusions: .none)
    var files: [ArtifactFile] = []
    // Top-level files, at most `jobs` at once.
    try await withThrowingTaskGroup(of: ArtifactFile.self) { group in
        var next = 0
        func add() {
            guard next < fileNames.count else { return }
            let name = fileNames[next]
            next += 1
            group.addTask {
                try Task.checkCancellation()
                return ArtifactFile(path: name, sha256: try hasher.hashFile(atPath: base + "/" + name))
            }
        }
        for _ in 0..<hasher.jobs { add() }
        while let file = try await group.next() {
            files.append(file)
            add()
        }
    }
    // No progress here: each directory's hashing would count from 0% again.
    for name in directoryNames {
        let manifest = try await hasher.hash(base + "/" + name)
        files += manifest.files.map { ArtifactFile(path: name + "/" + $0.path, sha256: $0.sha256, size: $0.size) }
    }
    return Manifest(root: root, files: files)
}

/// The names in directory `path`, with the walk's checks (UTF-8, no newline).
private func topLevelNames(_ path: String) throws -> [String] {
    guard let stream = opendir(path) else {
        let err = errno
        throw HashingError(.io(errno: err), path: path, reason: "cannot list directory: \(String(cString: strerror(err)))")
    }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name: String? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            let bytes = Array(raw.prefix(while: { $0 != 0 }))
            return String(validating: bytes, as: UTF8.self)
        }
        guard let name else {
            throw HashingError(.invalidName, path: path + "/?", reason: "file name is not valid UTF-8")
        }
        if name == "." || name == ".." { continue }
        if name.utf8.contains(0x0A) {
            throw HashingError(.newlineInName, path: path + "/" + name, reason: "file name contains a newline, which no manifest line can hold")
        }
        names.append(name)
    }
    return names
}
