import ArgumentParser
import Foundation
import ModelCatalog
import ModelRegistry

/// The catalog options shared by `select`, `activate-model` and `models`: `--mode`,
/// `--allow-unknown-model` and `--catalog`, over MODELCTL_CATALOG_MODE / _PATH / _SERVER,
/// declared and explained once.
struct CatalogCheckOptions: ParsableArguments {
    @Option(name: .customLong("mode"),
            help: ArgumentHelp("Unknown-model mode: off, warn or enforce (default: $MODELCTL_CATALOG_MODE, else off).", valueName: "mode"))
    var mode: CatalogModeOption?

    @Flag(name: .customLong("allow-unknown-model"), help: "Let a model the catalog does not know through with a warning, even with --mode enforce.")
    var allowUnknownModel = false

    @Option(name: .customLong("catalog"), help: ArgumentHelp("A catalog file: a JSON array of model specs (default: $MODELCTL_CATALOG_PATH).", valueName: "file"))
    var catalogFile: String?

    /// Checks the entry's served model id (else its name) against the catalog. Off mode does
    /// nothing; warn mode warns once; enforce mode exits 1 naming the model and how to allow it.
    func check(_ entry: RegistryEntry) async throws {
        let environment = Settings.environment
        let resolved = UnknownModelMode.resolve(option: mode?.mode, environment: environment)
        guard resolved != .off else { return }
        let configuration = CatalogConfiguration.resolve(server: nil, catalogFile: catalogFile, environment: environment)
        do {
            _ = try await Catalog.checkModel(entry.servedModelID ?? entry.name, mode: resolved,
                                             allowUnknown: allowUnknownModel, configuration: configuration)
        } catch {
            throw CommandFailure.error("\(entry.name): \(error)")
        }
    }
}
