// Transitional: the runtime's last caller moves to ArtifactLocation, then this goes.
extension RegistryStore {
    /// Where an entry's artifacts are (old shape).
    public enum ModelLocation: Sendable, Hashable {
        case local(String)
        case remote(String)
        case none
    }

    /// The old-shape location, derived from ``RegistryEntry/artifactLocation(registryDirectory:context:)``.
    public func location(of entry: RegistryEntry) -> ModelLocation {
        let context = LocationContext(home: nil, workingDirectory: RegistryPlatform.workingDirectory())
        switch entry.artifactLocation(registryDirectory: directory, context: context) {
        case .local(let path): return .local(path)
        case .none: return .none
        case .ollama(let reference): return .remote("ollama:" + reference)
        case .remote(let text): return .remote(text)
        case .invalid(let reason): return .remote(reason)
        }
    }
}
