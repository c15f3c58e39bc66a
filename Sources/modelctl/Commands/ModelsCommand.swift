import ArgumentParser
import Foundation
import ModelCatalog
import ModelRegistry
import ModelRuntime
import OrderedJSON
import ErrorSupport

/// `modelctl models`: the model catalog with availability and context limits.
///
/// Sources, in precedence order: the built-in list, the capabilities server
/// (`--server` / `MODELCTL_CATALOG_SERVER` / `TINKER_BASE_URL`, with `X-API-Key` from
/// `MODELCTL_CATALOG_API_KEY` or `TINKER_API_KEY`), on `--refresh` every backend in the
/// registry, the catalog file (`--catalog` / `MODELCTL_CATALOG_PATH`), then `--override`
/// specs. A failing source is reported on stderr and the others still apply.
///
/// With `--mode warn` or `--mode enforce` (or `MODELCTL_CATALOG_MODE`), the models that only a
/// backend lists (no other source knows them) get the unknown-model treatment: one warning
/// each, or exit 1 after the listing (unless `--allow-unknown-model`).
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Show the model catalog: traits, availability and context limits.",
        discussion: """
            Context limits are advisory. KIND says whether a limit is the context the model was \
            trained for (model card) or the one a running server accepts; LIMIT SOURCE says \
            where the number came from (docs, server, probe, manual). TRAINABLE and SAMPLEABLE \
            are the capabilities server's flags; a model it lists with both false is not available.

            The capabilities server is --server, else $MODELCTL_CATALOG_SERVER, else \
            $TINKER_BASE_URL; its API key ($MODELCTL_CATALOG_API_KEY, else $TINKER_API_KEY) is \
            sent as X-API-Key and never printed.
            """)

    @Flag(help: "Ask the catalog server and every backend in the registry now.")
    var refresh = false

    @Flag(help: "Print a JSON array of model specs instead of the table.")
    var json = false

    @OptionGroup var catalogOptions: CatalogCheckOptions

    @Option(help: ArgumentHelp("Base URL of the capabilities server (default: MODELCTL_CATALOG_SERVER, else TINKER_BASE_URL).", valueName: "url"))
    var server: String?

    @Option(name: .customLong("override"), help: ArgumentHelp("A model spec as a JSON object, applied last; repeatable.", valueName: "json"))
    var overrides: [String] = []

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var table: TableOptions

    func validate() throws { try Settings.requireValue(server, "--server") }

    func run() async throws {
        let warnings = CatalogWarnings.shared
        let mode = catalogOptions.resolvedMode
        var configuration = Settings.current.catalogConfiguration(server: server, catalogFile: catalogOptions.catalogFile, warnings: warnings)
        do {
            configuration.overrides = try Catalog.parseOverrides(overrides)
        } catch {
            throw CommandFailure.error(error.description)
        }
        if refresh {
            do {
                configuration.backends = try registryBackends(registry.load())
            } catch {
                // The registry is one more source: its failure never fails the catalog.
                let reason = (error as? CommandFailure)?.message ?? String(describing: error)
                warnings.warn("registry \(registry.directory): \(reason); backends not asked")
            }
        }

        let catalog = await Catalog.load(configuration, warnings: warnings)
        if json {
            print(JSON.serialize(.array(catalog.specs.map(\.json))))
        } else {
            print(table.render(CatalogTable.headers, CatalogTable.rows(catalog.specs)))
        }

        let refused = catalog.checkBackendOnlyModels(mode: mode.value, modeOrigin: mode.origin,
                                                     allowUnknown: catalogOptions.allowUnknownModel, warnings: warnings)
        if !refused.isEmpty {
            for error in refused { Terminal.error(CatalogCheckOptions.explain(error)) }
            throw CommandFailure.error("")
        }
    }
}

/// `--mode off|warn|enforce`. A wrapper rather than a conformance of `UnknownModelMode`, so
/// every command can use it without a public import of ArgumentParser.
struct CatalogModeOption: ExpressibleByArgument {
    var mode: UnknownModelMode

    init?(argument: String) {
        guard let mode = UnknownModelMode(rawValue: argument.lowercased()) else { return nil }
        self.mode = mode
    }

    static var allValueStrings: [String] { UnknownModelMode.allCases.map(\.rawValue) }
}

// MARK: - Registry backends

/// The backends of the registry's entries, for `--refresh`, addressed exactly as `select`
/// resolves them (``EndpointResolver``); several entries behind the same address give one
/// backend (the first entry's name). `kind` is `.ollama` for an Ollama entry
/// (``RegistryEntry/isOllama``) and `.openAI` for every other backend (vLLM, LMDeploy, LM Studio, OpenAI-compatible servers).
func registryBackends(_ snapshot: RegistrySnapshot) -> [BackendEndpoint] {
    let resolver = Settings.current.endpoints
    var backends: [BackendEndpoint] = []
    var seen = Set<String>()
    for entry in snapshot.entries {
        let endpoint: String
        do {
            endpoint = try resolver.endpoint(for: entry)
        } catch {
            CatalogWarnings.shared.warn("\(error.message); backend not asked")
            continue
        }
        guard let url = URL(string: endpoint), url.host != nil else { continue }
        let backend = BackendEndpoint(name: entry.name, kind: entry.isOllama ? .ollama : .openAI, baseURL: url)
        if seen.insert(backend.modelsURL.absoluteString).inserted { backends.append(backend) }
    }
    return backends
}
