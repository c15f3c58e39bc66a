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

    func validate() throws { try Settings.requireValue(catalogFile, "--catalog") }

    /// The mode in force and what set it.
    var resolvedMode: Setting<UnknownModelMode> { Settings.current.catalogMode(option: mode?.mode, warnings: .shared) }

    /// Checks the entry's served model id (else its name) against the catalog. Off mode does
    /// nothing; warn mode warns once; enforce mode exits 1 naming the model and how to allow it.
    func check(_ entry: RegistryEntry) async throws {
        let mode = resolvedMode
        guard mode.value != .off else { return }
        let configuration = Settings.current.catalogConfiguration(server: nil, catalogFile: catalogFile, warnings: .shared)
        do {
            _ = try await Catalog.checkModel(entry.servedModelID ?? entry.name, mode: mode.value, modeOrigin: mode.origin,
                                             allowUnknown: allowUnknownModel, configuration: configuration)
        } catch {
            throw CommandFailure.error("\(entry.name): \(Self.explain(error))")
        }
    }

    /// An unknown-model refusal with the ways out the command line offers.
    static func explain(_ error: CatalogError) -> String {
        guard error.code == .unknownModel else { return error.message }
        return error.message + " (--catalog FILE or MODELCTL_CATALOG_PATH). To use it anyway, pass --allow-unknown-model "
            + "for this call; to stop refusing unknown models, pass --mode warn or --mode off (or set MODELCTL_CATALOG_MODE=warn or off)."
    }
}
