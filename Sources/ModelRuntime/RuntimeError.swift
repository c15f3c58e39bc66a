public import ErrorSupport
/// Why a runtime operation (selection, probe, orchestration) failed.
///
/// Every message names the model, file or URL it is about, so the command line can print it
/// as is. Errors compare equal by ``code`` alone, which keeps tests simple:
///
/// ```swift
/// #expect(throws: RuntimeError(.missingCapability)) { try ModelSelection(entry, requiring: ["vision"]) }
/// ```
public struct RuntimeError: CodedError {
    /// The kind of failure.
    public enum Code: Hashable, Sendable {
        /// The entry lacks a capability the caller required.
        case missingCapability
        /// No entry has the requested role (or none that meets the requirements).
        case noModelForRole
        /// A file could not be read.
        case unreadableFile
        /// A file is not an image of a supported type (PNG, JPEG, GIF, WebP, BMP).
        case notAnImage
        /// The backend could not be reached (connection refused, host not found, ...).
        case backendUnreachable
        /// The backend answered with a status outside 200...299.
        case httpStatus
        /// The backend did not answer within the timeout.
        case timeout
        /// The backend's answer is not the JSON that was expected, is not valid HTTP, is larger
        /// than the limit, or redirects where the client does not follow.
        case malformedResponse
        /// A setting (environment variable or option) has an invalid value.
        case invalidConfiguration
        /// The orchestrator is not enabled (``OrchestratorConfiguration/enabled``).
        case orchestratorDisabled
        /// The entry's backend cannot be orchestrated (only vLLM can).
        case unsupportedBackend
        /// The entry has no `backend_config.model_path`.
        case missingModelPath
        /// The model path handed to the orchestrator is not a resolved local path (`ollama:...`,
        /// a relative path).
        case modelPathNotLocal
        /// The image is larger than the probe's limit.
        case imageTooLarge
        /// The canonical port is taken by a program modelctl did not start.
        case portInUse
        /// The launched backend exited, never turned healthy, or could not be started.
        case activationFailed
        /// The orchestrator's state file or directory could not be read or written.
        case stateIO
    }

    /// The kind of failure; errors compare equal by it.
    public let code: Code
    /// The full message, naming the model, file or URL.
    public let message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }
}

import HTTPSupport

extension RuntimeError {
    /// The runtime's error for an HTTP failure, with `context` (`model 'x'`) before the
    /// message, which names the URL.
    init(_ error: HTTPError, context: String) {
        let code: Code = switch error.code {
        case .unreachable, .redirectRefused: .backendUnreachable
        case .timeout: .timeout
        case .status: .httpStatus
        case .tooLarge, .malformed: .malformedResponse
        case .invalidURL: .invalidConfiguration
        }
        self.init(code, "\(context): \(error.message)")
    }
}
