import ArgumentParser
import Foundation
import ModelRegistry
import VersionLock

/// `--registry-dir` and `--lock-timeout`, shared by every command that reads the registry.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("registry-dir"),
            help: ArgumentHelp("Registry directory (default: $MODELCTL_REGISTRY_DIR, else ./configs).", valueName: "dir"))
    var registryDir: String?

    @Option(name: .customLong("lock-timeout"), parsing: .unconditional,
            help: ArgumentHelp("Seconds a save waits for another modelctl holding the registry lock (default 60, at most 86400).", valueName: "seconds"))
    var lockTimeout: Double = 60

    func validate() throws {
        try Settings.requireValue(registryDir, "--registry-dir")
        guard lockTimeout.isFinite, lockTimeout >= 0, lockTimeout <= 86_400 else {
            throw ValidationError("--lock-timeout must be between 0 and 86400 seconds")
        }
    }

    /// The directory in force: the option (after the subcommand, else before it), else
    /// `MODELCTL_REGISTRY_DIR`, else `configs`.
    var directory: String {
        Settings.current.registryDirectory(option: registryDir ?? Settings.globalRegistryDirectory)
    }

    /// The registry store for ``directory``; a save that has to wait says so on stderr.
    func store() -> RegistryStore {
        RegistryStore(directory: directory, lockTimeout: .milliseconds(Int(lockTimeout * 1000))) { Terminal.note("modelctl: " + $0) }
    }

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
