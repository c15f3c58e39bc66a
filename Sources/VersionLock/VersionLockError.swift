public import ErrorSupport
public import ModelRegistry
/// Why verify, lock, unlock or sign could not run for an entry. The message names the model
/// and the path, and says what to do next. Errors compare equal by ``code`` alone.
public struct VersionLockError: CodedError {
    /// The kind of failure.
    public enum Code: Hashable, Sendable {
        /// The registry could not be read or written (the message is the registry's).
        case registry
        /// No entry has the name.
        case unknownModel
        /// The entry names no `backend_config.model_path`.
        case noModelPath
        /// The model path is unusable (a NUL byte, `~` without HOME).
        case invalidModelPath
        /// The artifacts live where modelctl cannot read them here (`hf:`, `s3://`, an Ollama
        /// model without its store).
        case notHashableHere
        /// The artifact root does not exist.
        case artifactRootMissing
        /// An `ollama:` model path, and none of the Ollama stores looked in exists.
        case ollamaStoreMissing
        /// The artifact root holds no file: a failed mount must never become a baseline.
        case emptyArtifacts
        /// Hashing failed (the message is the hasher's, naming the file).
        case hashing
        /// The tree holds something that is not a regular file or a link to one (a FIFO, a
        /// device, a linked directory), not excluded by name; for a locked entry a violation.
        case specialFile
        /// A store blob does not hash to its name: the artifacts are corrupt (exit 2).
        case storeCorrupt
        /// A person pinned the lock in the curated file; modelctl never changes it.
        case pinned
        /// The entry's model path changed while its artifacts were hashed.
        case changedDuringVerify
        /// `--strict`: an entry that would otherwise pass with a warning (unlocked, empty, no entries).
        case strict
        /// `--update` needs a reason, or another option is missing or contradictory.
        case invalidRequest
        /// An entry field modelctl reads is malformed (`artifacts.exclude` not a list of strings).
        case invalidField
        /// The quick-verify stat cache could not be written.
        case cache
        /// The entry was left out on purpose (its backend is skipped).
        case excluded
        /// Activation refused: the lock or the signature does not verify (exit 2).
        case refused
    }

    /// The kind of failure; errors compare equal by it.
    public let code: Code
    /// The full message.
    public let message: String
    /// For ``Code/registry``, the registry's own error, so that callers can tell its kinds apart.
    public let registryError: RegistryError?

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
        self.registryError = nil
    }

    /// The registry's `error`, passed on with its message.
    public init(registry error: RegistryError) {
        self.code = .registry
        self.message = error.message
        self.registryError = error
    }

    /// ``Severity/integrityFailure`` for a corrupt store blob or a refused activation, else ``Severity/error``.
    public var severity: Severity { code == .storeCorrupt || code == .refused ? .integrityFailure : .error }
}
