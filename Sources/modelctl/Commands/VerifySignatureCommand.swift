import ArgumentParser
import Foundation
import ModelSigning

/// `modelctl verify-signature PATH --signature F --public-key P`: checks a model_signing bundle.
/// (To be folded into `modelctl verify --signature`.)
struct VerifySignatureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-signature",
        abstract: "Check a model against a model_signing bundle and an EC public key.",
        discussion: """
            Verifies the bundle's DSSE signature with the public key, then hashes PATH and \
            compares every file with its signed digest: a changed, missing or added file fails. \
            Paths the signature lists as ignored, model_signing's git paths and the bundle itself \
            are left out.

            Exit status: 0 verified; 2 the signature does not verify or the files do not match; \
            1 an unreadable key, a malformed bundle or an unreadable tree.
            """
    )

    @Argument(help: "The model directory or file to check.")
    var path: String

    @Option(name: .customLong("signature"), help: "The bundle (model.sig) to check against.")
    var signature: String

    @Option(name: .customLong("public-key"), help: "PEM EC public key (default: MODELCTL_PUBLIC_KEY).")
    var publicKey: String?

    @Option(name: .customLong("jobs"), help: "Files hashed at once (default: the number of processors).")
    var jobs: Int?

    @Flag(name: .customLong("json"), help: "Print the outcome as JSON.")
    var json = false

    /// The option, else `MODELCTL_PUBLIC_KEY`; an empty value counts as unset.
    private var resolvedPublicKey: String? {
        if let publicKey, !publicKey.isEmpty { return publicKey }
        if let env = ProcessInfo.processInfo.environment["MODELCTL_PUBLIC_KEY"], !env.isEmpty { return env }
        return nil
    }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if resolvedPublicKey == nil { throw ValidationError("give --public-key PUBLIC.pem (or set MODELCTL_PUBLIC_KEY)") }
    }

    func run() async throws {
        try await SignatureVerifyReport.run(path: path, signature: signature, publicKey: resolvedPublicKey ?? "", jobs: jobs, json: json)
    }
}
