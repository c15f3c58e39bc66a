import ArgumentParser
import ErrorSupport
import ModelSigning
import ModelStores
import Testing
import VersionLock
@testable import modelctl

/// Every error decides its own exit status through its severity; the table knows no error type.
struct ExitStatusTests {
    /// An error type the table has never heard of.
    struct Foreign: CodedError {
        let code: Int
        let message: String
        var severity: Severity { code == 2 ? .integrityFailure : .error }
    }

    @Test func theSeverityDecidesTheStatus() {
        #expect(ExitStatus(Foreign(code: 2, message: "tampered"))?.code == 2)
        #expect(ExitStatus(Foreign(code: 1, message: "unreadable"))?.code == 1)
        #expect(ExitStatus(SigningError(.digestMismatch, "m"))?.code == 2)
        #expect(ExitStatus(SigningError(.signatureInvalid, "m"))?.code == 2)
        #expect(ExitStatus(SigningError(.keyUnreadable, "m"))?.code == 1)
        #expect(ExitStatus(VersionLockError(.storeCorrupt, "m"))?.code == 2)
        #expect(ExitStatus(VersionLockError(.hashing, "m"))?.code == 1)
        #expect(ExitStatus(CommandFailure.violation(""))?.code == 2)
        #expect(ExitStatus(CommandFailure.error("x"))?.message == "x")
        #expect(ExitStatus(CancellationError())?.code == 1)
        #expect(ExitStatus(ValidationError("usage")) == nil, "argument-parser's errors keep argument-parser's status")
    }

    @Test func aFixThatIsASettingIsNamed() {
        let message = ExitStatus(StoreError(.storeNotFound, "Ollama store /x does not exist or is not a directory; use the store Ollama uses"))?.message
        #expect(message?.hasSuffix("(OLLAMA_MODELS names the store)") == true)
        #expect(ExitStatus(StoreError(.io(errno: 5), "read failed"))?.message == "read failed")
    }
}
