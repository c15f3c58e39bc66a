import ArgumentParser
import Foundation
import ModelRegistry

/// `--registry-dir`, shared by every command that reads the registry.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("registry-dir"),
            help: ArgumentHelp("Registry directory (default: $MODELCTL_REGISTRY_DIR, else ./configs).", valueName: "dir"))
    var registryDir: String?

    /// The directory in force: the option, else `MODELCTL_REGISTRY_DIR`, else `configs`.
    var directory: String {
        if let registryDir, !registryDir.isEmpty { return registryDir }
        if let env = ProcessInfo.processInfo.environment["MODELCTL_REGISTRY_DIR"], !env.isEmpty { return env }
        return "configs"
    }

    /// The registry store for ``directory``.
    func store() -> RegistryStore { RegistryStore(directory: directory) }

    /// Loads the registry, turning a registry error into exit 1 with its message.
    func load() throws -> RegistrySnapshot {
        do { return try store().load() } catch { throw CommandFailure.error(error.description) }
    }
}
