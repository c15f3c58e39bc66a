import ErrorSupport
import ModelRegistry
import ModelRuntime
import ModelStores
import VersionLock

/// The one table from modelctl's errors to exit status and message: every ``CodedError``
/// exits by its severity (1 an error: the thing could not be checked or done; 2 an integrity
/// failure: it was checked and does not match). Errors that are not modelctl's
/// (argument-parser's usage errors) return `nil` and keep argument-parser's own status.
struct ExitStatus {
    let code: Int32
    let message: String

    init?(_ error: any Error) {
        switch error {
        case let e as any CodedError: (code, message) = (Self.code(for: e.severity), Self.message(e))
        case is CancellationError: (code, message) = (1, "cancelled")
        default: return nil
        }
    }

    /// `error`'s message, and, when the fix is a setting the command line reads, that setting
    /// (libraries say what is wrong; only the command line knows its options' and variables' names).
    static func message(_ error: any CodedError) -> String {
        let setting: String? = switch error {
        case let e as RegistryError where e.code == .directoryNotFound: "set --registry-dir or MODELCTL_REGISTRY_DIR"
        case let e as VersionLockError where e.registryError?.code == .directoryNotFound: "set --registry-dir or MODELCTL_REGISTRY_DIR"
        case let e as RuntimeError where e.code == .orchestratorDisabled: "set MODELCTL_ORCHESTRATOR=1"
        case let e as RuntimeError where e.code == .portInUse: "MODELCTL_VLLM_PORT sets the port"
        case let e as StoreError where e.code == .storeNotFound || e.code == .modelNotFound: "OLLAMA_MODELS names the store"
        case let e as VersionLockError where e.code == .ollamaStoreMissing: "OLLAMA_MODELS names the store"
        case let e as VersionLockError where e.code == .cache: "MODELCTL_STATE_DIR sets the state directory"
        default: nil
        }
        return setting.map { "\(error.message) (\($0))" } ?? error.message
    }

    static func code(for severity: Severity) -> Int32 {
        switch severity {
        case .error: 1
        case .integrityFailure: 2
        }
    }

    /// The message of any error that ends a command, for a report file: the table's message,
    /// else the error's own description.
    static func message(of error: any Error) -> String {
        let message = ExitStatus(error)?.message ?? ""
        return message.isEmpty ? String(describing: error) : message
    }
}
