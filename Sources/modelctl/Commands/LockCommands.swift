import ArgumentParser
import ArtifactHashing
import ModelRegistry
import VersionLock

struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Lock an entry, so that verify fails (exit 2) when its artifacts change.",
        discussion: """
            Without --set-expected and with no expected aggregate stored, the next verify sets \
            it. With --set-expected, the artifacts are hashed now and their aggregate stored as \
            expected (an expected aggregate already stored is kept).
            """
    )

    @Argument(help: "The entry's name.")
    var name: String

    @Flag(name: .customLong("set-expected"), help: "Hash now and store the aggregate as expected, when none is stored.")
    var setExpected = false

    @Option(name: .customLong("jobs"), help: "Files hashed at once (default: the number of processors).")
    var jobs: Int?

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let locker = VersionLocker(store: registry.store(), hasher: ArtifactHasher(jobs: jobs))
        let state = try await runReportingErrors {
            try await locker.lock(name, setExpected: setExpected, progress: Format.progressHandler(label: name))
        }
        Terminal.clearProgress()
        if let expected = state.expectedAggregateSHA256 {
            print("locked \(name) (expected aggregate \(expected))")
        } else {
            print("locked \(name) (no expected aggregate yet: the next verify sets it)")
        }
    }
}

struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock an entry; its expected aggregate is kept."
    )

    @Argument(help: "The entry's name.")
    var name: String

    @OptionGroup var registry: RegistryOptions

    func run() throws {
        let locker = VersionLocker(store: registry.store())
        let state = try runReportingErrors { try locker.unlock(name) }
        print("unlocked \(name) (expected aggregate kept: \(state.expectedAggregateSHA256 ?? "none"))")
    }
}

/// Runs `body`, turning library errors into exit 1 with their message.
func runReportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let failure as CommandFailure {
        throw failure
    } catch {
        throw CommandFailure.error(String(describing: error))
    }
}
