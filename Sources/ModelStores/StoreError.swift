public import ErrorSupport
/// Why a model store, a model in it or a cache location could not be read.
///
/// An error means the check could not be made (exit 1); a blob that does not match its name
/// is not an error but a ``StoreProblem`` in the result (exit 2). Two errors are equal when
/// their codes are, so tests compare codes.
public struct StoreError: CodedError {
    /// What kind of failure this is.
    public enum Code: Hashable, Sendable {
        /// A model reference that is not a valid Ollama name (`ollama:NAME[:TAG]`).
        case invalidReference
        /// The store or cache directory does not exist or is not a directory.
        case storeNotFound
        /// The store has no manifest for the model (it was never pulled, or was removed).
        case modelNotFound
        /// A manifest that is not valid JSON, has an invalid digest, or is shaped unlike any
        /// manifest Ollama writes.
        case malformedManifest
        /// A manifest, ref or listing larger than the bounds this module accepts.
        case tooLarge
        /// The path is not inside a Hugging Face cache repository (`models--ORG--NAME`).
        case notInCache
        /// A revision (branch, tag or ref) that the cache repository does not hold.
        case revisionNotFound
        /// A quarantine or restore that would reach outside the store, or a quarantine
        /// directory inside the store scanned.
        case quarantineRefused
        /// A `--local-dir` download whose metadata cannot give what was asked (files without
        /// metadata, files that no longer match it).
        case downloadMetadata
        /// A system call failed; `errno` is kept.
        case io(errno: Int32)
    }

    /// The kind of failure.
    public let code: Code
    /// A sentence naming the model, file or directory, and what to do next.
    public let message: String

    /// An error of kind `code`; `message` names the model, file or directory and what to do next.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// One thing wrong with one file of a model or cache repository.
///
/// Every kind except ``Kind/unreadable`` is an integrity failure: the bytes on disk are not
/// the ones the store's own names and manifests promise (exit 2). ``Kind/unreadable`` means
/// the file could not be checked (exit 1).
public struct StoreProblem: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Sendable, Hashable {
        /// The file (blob) does not exist.
        case missing
        /// The blob does not exist, but an interrupted download of it does (`-partial`,
        /// `.incomplete`): the pull or download never finished.
        case partialDownload(partialPath: String)
        /// The path exists but is not a regular file (a directory, a link where a file belongs, a device).
        case notRegularFile
        /// The file's size differs from the size its manifest records.
        case sizeMismatch(expected: Int64, actual: Int64)
        /// The file's digest differs from its name (or from the digest its manifest records).
        /// `algorithm` is `sha256` or `git-sha1`.
        case digestMismatch(algorithm: String, expected: String, actual: String)
        /// A cache link whose first hop does not land in its repository's `blobs/`.
        case linkOutsideBlobs(target: String)
        /// A link whose target does not exist.
        case danglingLink(target: String)
        /// A ref (`refs/main`) naming a snapshot the repository does not hold.
        case danglingRef(commit: String)
        /// The file could not be read; not an integrity failure by itself.
        case unreadable(reason: String)
    }

    /// What is wrong.
    public var kind: Kind
    /// The file, as an absolute (or store-rooted) path.
    public var path: String
    /// What the file is: an Ollama layer's short media type (`model`, `template`, `params`,
    /// `projector`, `adapter`, `config`, `manifest`, ...) or a cache file's path in its snapshot.
    public var role: String

    /// A problem of kind `kind` with the file at `path`, which is a `role` (see ``role``).
    public init(_ kind: Kind, path: String, role: String) {
        self.kind = kind
        self.path = path
        self.role = role
    }

    /// Whether the problem shows that the stored bytes are not the promised ones.
    public var isIntegrityFailure: Bool {
        if case .unreadable = kind { return false }
        return true
    }

    /// A short sentence about the problem, without the path.
    public var summary: String {
        switch kind {
        case .missing: "missing"
        case .partialDownload(let partial): "missing; only an interrupted download is there (\(baseName(partial))): pull or download it again"
        case .notRegularFile: "not a regular file"
        case .sizeMismatch(let expected, let actual): "size \(actual) bytes, expected \(expected)"
        case .digestMismatch(let algorithm, let expected, let actual): "\(algorithm) \(actual) does not match \(expected)"
        case .linkOutsideBlobs(let target): "link points outside the repository's blobs/ (\(target))"
        case .danglingLink(let target): "dangling link (\(target) does not exist)"
        case .danglingRef(let commit): "ref names snapshot \(commit), which is not in snapshots/"
        case .unreadable(let reason): "cannot be checked: \(reason)"
        }
    }

    /// `role path: summary`.
    public var description: String { "\(role) \(path): \(summary)" }
}

func baseName(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
}
