import ArtifactHashing
import SystemSupport
import HTTPSupport
import ModelCatalog
import ModelRegistry
import ModelRuntime
import ModelSigning
import ModelStores
import OrderedJSON
import VersionLock
import ErrorSupport

/// The one table from modelctl's errors to exit status and message.
///
/// 1 is an error (the thing could not be checked or done); 2 is an integrity failure (it was
/// checked and does not match). Errors that are not modelctl's (argument-parser's usage errors)
/// return `nil` and keep argument-parser's own status.
struct ExitStatus {
    let code: Int32
    let message: String

    init?(_ error: any Error) {
        switch error {
        case let failure as CommandFailure: (code, message) = (failure.code, failure.message)
        case let e as VersionLockError: (code, message) = (e.code == .storeCorrupt || e.code == .refused ? 2 : 1, e.message)
        case let e as RegistryError: (code, message) = (1, e.message)
        case let e as HashingError: (code, message) = (1, e.description)
        case let e as FileError: (code, message) = (1, e.message)
        case let e as JSONSyntaxError: (code, message) = (1, e.description)
        case let e as RuntimeError: (code, message) = (1, e.message)
        case let e as CatalogError: (code, message) = (1, e.description)
        case let e as StoreError: (code, message) = (1, e.message)
        case let e as SigningError: (code, message) = (e.isIntegrityFailure ? 2 : 1, e.message)
        case let e as HTTPError: (code, message) = (1, e.message)
        case is CancellationError: (code, message) = (1, "cancelled")
        default: return nil
        }
    }

    /// The message of any error that ends a command, for a report file: the table's message,
    /// else the error's own description.
    static func message(of error: any Error) -> String {
        let message = ExitStatus(error)?.message ?? ""
        return message.isEmpty ? String(describing: error) : message
    }
}
