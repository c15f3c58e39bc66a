/// Applies source layers to a catalog in precedence order, and keeps what availability and
/// the unknown-model check need to know across layers.
struct CatalogBuilder {
    private(set) var catalog = Catalog(specs: [])
    private let warnings: CatalogWarnings
    /// Whether a server-tier source (capabilities server, backend) answered.
    private var serverTierAnswered = false
    /// Specs a server-tier source listed.
    private var listedByServers = Set<Int>()
    /// Specs a backend created (no earlier source knew them).
    private var createdByBackends: [Int] = []
    /// Specs the file or an override touched (so they are known after all).
    private var touchedLater = Set<Int>()
    private var availabilityMarked = false

    init(warnings: CatalogWarnings) {
        self.warnings = warnings
    }

    /// Applies one source's layer over everything applied before.
    mutating func apply(_ layer: SourceLayer) {
        if let failure = layer.failure { warnings.warn(failure) }
        for problem in layer.problems { warnings.warn(problem) }
        if layer.tier == .file || layer.tier == .override { markAvailability() }
        warnAboutRepeatedNames(in: layer)
        for spec in layer.specs {
            let before = catalog.specs.count
            let index = catalog.apply(spec, from: layer.tier, origin: layer.origin, warnings: warnings)
            switch layer.tier {
            case .server:
                listedByServers.insert(index)
                if layer.isBackend && catalog.specs.count > before { createdByBackends.append(index) }
            case .file, .override:
                touchedLater.insert(index)
            case .builtin:
                break
            }
        }
        if layer.answered { serverTierAnswered = true }
    }

    /// The catalog with availability applied and the backend-only models named.
    mutating func finish() -> Catalog {
        markAvailability()
        catalog.backendOnlyModels = createdByBackends.filter { !touchedLater.contains($0) }.map { catalog.specs[$0].modelName }
        return catalog
    }

    /// Once a server-tier source answered, every model none of them listed is not available
    /// (unless a source said otherwise already). Runs once, between the server tier and the file.
    private mutating func markAvailability() {
        guard !availabilityMarked else { return }
        availabilityMarked = true
        guard serverTierAnswered else { return }
        for i in catalog.specs.indices where !listedByServers.contains(i) && catalog.specs[i].available == nil {
            catalog.specs[i].available = false
        }
    }

    /// One warning per name that a source lists more than once, exactly or in another case;
    /// the later entry's fields win, as for any later layer.
    private func warnAboutRepeatedNames(in layer: SourceLayer) {
        var first: [String: String] = [:]
        for spec in layer.specs {
            let folded = spec.modelName.lowercased()
            guard let earlier = first[folded] else {
                first[folded] = spec.modelName
                continue
            }
            let how = earlier == spec.modelName ? "more than once" : "more than once ('\(earlier)' and '\(spec.modelName)' differ only in case)"
            warnings.warnOnce(
                key: "repeated:\(layer.origin):\(folded)",
                "\(layer.origin): model '\(spec.modelName)' is listed \(how); the later entry's fields win")
        }
    }
}
