import ArgumentParser
import Foundation
import ModelRegistry
import Synchronization
import VersionLock

/// `--lock-timeout`: how long a command waits for another modelctl holding a lock it needs
/// (the registry's, or a store's for `scan --quarantine`).
struct LockTimeoutOption: ParsableArguments {
    @Option(name: .customLong("lock-timeout"), parsing: .unconditional,
            help: ArgumentHelp("Seconds to wait for another modelctl holding the registry's or a store's lock (default 60, at most 86400).", valueName: "seconds"))
    var seconds: Double = 60

    func validate() throws {
        guard seconds.isFinite, seconds >= 0, seconds <= 86_400 else {
            throw ValidationError("--lock-timeout must be between 0 and 86400 seconds")
        }
    }

    var duration: Duration { .milliseconds(Int(seconds * 1000)) }
}

/// `--registry-dir` and `--lock-timeout`, shared by every command that reads the registry.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("registry-dir"),
            help: ArgumentHelp("Registry directory (default: $MODELCTL_REGISTRY_DIR, else ./configs).", valueName: "dir"))
    var registryDir: String?

    @OptionGroup var lockTimeout: LockTimeoutOption

    func validate() throws {
        try Settings.requireValue(registryDir, "--registry-dir")
    }

    /// The directory in force: the option (after the subcommand, else before it), else
    /// `MODELCTL_REGISTRY_DIR`, else `configs`.
    var directory: String {
        Settings.current.registryDirectory(option: registryDir ?? Settings.globalRegistryDirectory)
    }

    /// The registry store for ``directory``; a save that has to wait says so on stderr.
    ///
    /// - Parameter warn: say on stderr (once per run) what ``RegistryStore/checkFiles()`` warns of.
    /// - Throws: ``RegistryError`` when the directory is missing or holds no registry file, so
    ///   that no command takes a wrong path for an empty registry, or writes there.
    func store(warn: Bool = true) throws -> RegistryStore {
        let (store, warnings) = try checkedStore()
        if warn { Self.told.withLock { told in for w in warnings where told.insert(w).inserted { Terminal.warning(w) } } }
        return store
    }

    /// The store for ``directory`` and what ``RegistryStore/checkFiles()`` warns of (`check`
    /// reports those as problems); throws as ``store(warn:)`` does.
    func checkedStore() throws -> (store: RegistryStore, warnings: [String]) {
        let store = RegistryStore(directory: directory, lockTimeout: lockTimeout.duration) { Terminal.note("modelctl: " + $0) }
        return (store, try store.checkFiles())
    }

    /// The warnings already told in this run.
    private static let told = Mutex(Set<String>())

    /// Loads the registry.
    func load() throws -> RegistrySnapshot { try store().load() }

    /// The artifact source for this registry: where entries' artifacts are.
    func source(mapPaths: [String] = []) throws -> ArtifactSource {
        ArtifactSource(registryDirectory: directory, context: try Settings.current.locationContext(mapPaths: mapPaths))
    }
}

/// `--map-path OLD=NEW` (repeatable), over `MODELCTL_MAP_PATH`.
struct LocationOptions: ParsableArguments {
    @Option(name: .customLong("map-path"), parsing: .singleValue,
            help: ArgumentHelp("Rewrite a model path prefix, e.g. /srv/models=/mnt/cache/models (repeatable; default: $MODELCTL_MAP_PATH, ';'-separated).", valueName: "old=new"))
    var mapPaths: [String] = []

    func validate() throws {
        for text in mapPaths {
            do { _ = try PathMapping(parsing: text) } catch { throw ValidationError(error.message) }
        }
    }
}

/// `--skip-backend NAME` (repeatable): leave a backend's entries to the host that holds their
/// artifacts (CI without the Ollama store: `--skip-backend ollama`). `verify --all` names each
/// one skipped; `check --strict` does not require them to be locked.
struct BackendSkipOptions: ParsableArguments {
    @Option(name: .customLong("skip-backend"), parsing: .singleValue,
            help: ArgumentHelp("Leave this backend's entries to the host that holds their artifacts (repeatable; e.g. ollama): verify --all skips them, locked or not, naming each; check --strict does not require them locked.", valueName: "backend"))
    var backends: [String] = []
}

/// `--jobs N`, declared and validated once for every command that hashes.
struct HashingOptions: ParsableArguments {
    /// The most files hashed at once: more than this only costs memory and descriptors.
    static let maximumJobs = 256

    @Option(name: [.customShort("j"), .customLong("jobs")], parsing: .unconditional,
            help: ArgumentHelp("Files hashed at once (default: the number of processors; more than 256 is capped at 256).", valueName: "n"))
    var requestedJobs: Int?

    func validate() throws {
        if let requestedJobs, requestedJobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(requestedJobs))") }
    }

    /// The jobs in force: the option capped at ``maximumJobs`` (saying so), else the default.
    var jobs: Int? {
        guard let requestedJobs else { return nil }
        if requestedJobs > Self.maximumJobs {
            Terminal.warning("--jobs \(requestedJobs) is more than modelctl uses; hashing \(Self.maximumJobs) files at once")
            return Self.maximumJobs
        }
        return requestedJobs
    }
}
