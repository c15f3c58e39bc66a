public import ErrorSupport
/// Why a model could not be signed, or why a signature could not be checked.
///
/// Every message names the file it is about and says what to do next. Two codes are
/// integrity failures (exit status 2 in the CLI): ``Code/signatureInvalid`` and
/// ``Code/digestMismatch``. Every other code is an error (exit status 1).
public struct SigningError: CodedError {
    /// What kind of failure this is; tests and callers compare on it.
    public enum Code: Hashable, Sendable {
        /// A key file is missing, unreadable, too large or not a PEM key.
        case keyUnreadable
        /// A key that is not an EC key on P-256, P-384 or P-521, or an encrypted private key.
        case keyUnsupported
        /// A certificate file is missing, unreadable, too large or holds no PEM certificate.
        case certificateUnreadable
        /// The bundle needs other trust material than was given: a certificate bundle checked
        /// with a public key, a key bundle checked with certificates, a keyless bundle checked
        /// without a signer identity, or a signer identity given for another kind of bundle
        /// (a usage error).
        case verificationMaterialMismatch
        /// A Sigstore trusted root (`--trusted-root`) is missing, unreadable, too large or not
        /// the JSON Sigstore publishes.
        case trustedRootUnreadable
        /// The signature bundle is missing, unreadable or too large.
        case bundleUnreadable
        /// The bundle or its DSSE payload is not the JSON model_signing writes.
        case bundleMalformed
        /// A well-formed bundle that uses a model_signing feature modelctl does not check
        /// (shard serialization, another hash).
        case bundleUnsupported
        /// The DSSE signature does not verify with the public key, the bundle names another key,
        /// the signing certificate does not chain to the given CAs, is not valid now or may
        /// not sign code, or a keyless bundle's Sigstore evidence (Rekor entry, SCT, Fulcio
        /// chain, identity) does not hold. An integrity failure.
        case signatureInvalid
        /// The signature verifies but the files do not match the signed digests (a file changed,
        /// went missing or was added). An integrity failure.
        case digestMismatch
        /// The artifact root could not be hashed (missing root, dangling symlink, I/O error).
        case hashingFailed
        /// The bundle could not be written.
        case writeFailed
        /// The operating system refused a cryptographic operation (libcrypto failed).
        case cryptoFailed
    }

    /// The kind of failure.
    public let code: Code
    /// A sentence naming the file, for people.
    public let message: String

    /// For `hashingFailed`: the tree holds a FIFO, device or linked directory (a verifier
    /// reports that as a mismatch, a signer as an error).
    let specialFile: Bool

    /// An error of kind `code`; `message` names the file and says what to do next.
    public init(_ code: Code, _ message: String) {
        self.init(code, message, specialFile: false)
    }

    init(_ code: Code, _ message: String, specialFile: Bool) {
        self.code = code
        self.message = message
        self.specialFile = specialFile
    }

    /// ``Severity/integrityFailure`` for a signature or digest that does not match, else ``Severity/error``.
    public var severity: Severity { code == .signatureInvalid || code == .digestMismatch ? .integrityFailure : .error }
}
