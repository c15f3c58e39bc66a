public import SystemSupport
public import OrderedJSON
public import ErrorSupport

/// A registry directory: the curated layer, the discovered layer and the merged snapshot.
///
/// Reads take no lock (files are only ever replaced by rename, so a reader never sees a torn
/// file). ``update(_:)`` holds an exclusive `flock` for the whole read-modify-write.
public struct RegistryStore: Sendable {
    /// `model_registry.curated.json`, written by people; modelctl never writes it.
    public static let curatedFileName = "model_registry.curated.json"
    /// `model_registry.discovered.json`, written by modelctl.
    public static let discoveredFileName = "model_registry.discovered.json"
    /// `model_registry.json`, the merged snapshot for scripts.
    public static let snapshotFileName = "model_registry.json"
    /// The advisory lock file.
    public static let lockFileName = ".model_registry.lock"
    /// The largest registry file read (64 MiB: about 100,000 entries).
    public static let fileSizeLimit = 64 << 20

    /// The registry directory.
    public let directory: String
    /// How long a save waits for another writer's lock (`nil`: for ever).
    public var lockTimeout: Duration?
    /// Told, once, when a save has waited a second for the lock (with the message to show).
    public var onLockWait: (@Sendable (String) -> Void)?

    public init(directory: String, lockTimeout: Duration? = .seconds(60), onLockWait: (@Sendable (String) -> Void)? = nil) {
        var dir = directory
        while dir.count > 1, dir.hasSuffix("/") { dir.removeLast() }
        self.directory = dir
        self.lockTimeout = lockTimeout
        self.onLockWait = onLockWait
    }

    /// Path of a file inside the registry directory.
    public func path(_ fileName: String) -> String { directory + "/" + fileName }

    /// Reads both layers, and adopts entries that only the merged snapshot holds.
    ///
    /// An entry found only in `model_registry.json` (another tool's write, or the legacy
    /// single-file registry, which has no layer files at all) is adopted into the discovered
    /// layer, as ImageWorks does, so that the next save keeps it instead of deleting it.
    ///
    /// - Throws: ``RegistryError`` naming the file (and line, column, entry or field): the
    ///   directory is missing, a file is not a regular file or is too large, JSON is
    ///   malformed, the top level is not an array of objects, two entries share a name, or a
    ///   known field has the wrong type. A missing file is an empty layer.
    public func load() throws(RegistryError) -> RegistrySnapshot {
        guard RegistryPlatform.isDirectory(directory) else {
            throw RegistryError(.directoryNotFound, "\(directory): registry directory not found")
        }
        let stamps = stampsNow()
        // The snapshot is only needed for entries no layer holds: its other entries are not read.
        let curated = try loadLayer(Self.curatedFileName)
        var discovered = try loadLayer(Self.discoveredFileName)
        let merged = try loadSnapshotEntries { curated[$0] == nil && discovered[$0] == nil }
        discovered.entries.append(contentsOf: merged)
        var snapshot = RegistrySnapshot(curated: curated, discovered: discovered)
        // Taken before reading: if anyone replaced a file meanwhile, a later comparison fails.
        snapshot.stamps = stamps
        return snapshot
    }

    private func stampsNow() -> [[Int64]] {
        [Self.curatedFileName, Self.discoveredFileName, Self.snapshotFileName].map { RegistryPlatform.stamp(path($0)) }
    }

    /// The snapshot's entries for which `isNew` holds. When every item is an object with a
    /// distinct string `name`, only those entries are read (a broken copy of an entry a layer
    /// holds does not matter); otherwise the whole file is read, which says what is wrong.
    private func loadSnapshotEntries(_ isNew: (String) -> Bool) throws(RegistryError) -> [RegistryEntry] {
        let file = path(Self.snapshotFileName)
        guard let bytes = try readFile(Self.snapshotFileName) else { return [] }
        let items = try parseItems(bytes, file: file)
        let names = items.compactMap { $0["name"]?.stringValue }
        guard names.count == items.count, Set(names).count == names.count else {
            return try parseLayer(bytes, file: file).entries.filter { isNew($0.name) }
        }
        var entries: [RegistryEntry] = []
        for (item, name) in zip(items, names) where isNew(name) {
            guard let object = item.objectValue else { continue }
            entries.append(try RegistryEntry(object, source: file))
        }
        return entries
    }

    private func readFile(_ fileName: String) throws(RegistryError) -> [UInt8]? {
        do { return try AtomicFile.read(path(fileName), limit: Self.fileSizeLimit) } catch {
            throw RegistryError(.io, error.message)
        }
    }

    private func loadLayer(_ fileName: String) throws(RegistryError) -> RegistryLayer {
        guard let bytes = try readFile(fileName) else { return RegistryLayer() }
        return try parseLayer(bytes, file: path(fileName))
    }

    /// The items of a layer file's top-level array.
    private func parseItems(_ bytes: [UInt8], file: String) throws(RegistryError) -> [JSONValue] {
        let value: JSONValue
        do {
            value = try JSON.parse(bytes, source: file)
        } catch {
            throw RegistryError(.syntax, error.description)
        }
        guard let items = value.arrayValue else {
            throw RegistryError(.notAnArray, "\(file): the top level must be an array of entries, found \(value.typeDescription)")
        }
        return items
    }

    private func parseLayer(_ bytes: [UInt8], file: String) throws(RegistryError) -> RegistryLayer {
        var entries: [RegistryEntry] = []
        var seen = [String: String]()  // a name as String's == sees it -> its first spelling
        for (index, item) in try parseItems(bytes, file: file).enumerated() {
            guard let object = item.objectValue else {
                throw RegistryError(.notAnArray, "\(file): item \(index) must be an entry object, found \(item.typeDescription)")
            }
            let entry = try RegistryEntry(object, source: file)
            if let first = seen.updateValue(entry.name, forKey: entry.name) {
                // Swift's == equates canonically equivalent names: two different byte strings
                // there are one name in two Unicode forms (NFC and NFD), which looks like no duplicate.
                let forms = first.utf8.elementsEqual(entry.name.utf8) ? ""
                    : " (the same name in two Unicode forms, composed and decomposed; write both alike)"
                throw RegistryError(.duplicateName, "\(file): duplicate entry name \"\(entry.name)\" (item \(entries.count))\(forms)")
            }
            entries.append(entry)
        }
        return RegistryLayer(entries: entries)
    }

    /// Runs a read-modify-write of the discovered layer under the registry's exclusive lock.
    ///
    /// `change` receives the discovered layer and the snapshot as read under the lock. When it
    /// returns, the discovered layer and the merged snapshot are written together (only when
    /// they changed): both are staged and fsynced before either is renamed into place, so a
    /// full disk or a crash leaves both old files or both new ones. The curated file is never
    /// written. When `change` throws, nothing is written.
    ///
    /// - Throws: ``RegistryError`` `io` (cannot lock, lock timeout, cannot write), or what `change` throws.
    ///
    /// - Parameter basis: a snapshot this process read earlier; when no file changed since
    ///   (same device, inode, size and times), it is used instead of reading the files again.
    public func update<T>(basedOn basis: RegistrySnapshot? = nil, _ change: (inout RegistryLayer, RegistrySnapshot) throws -> T) throws -> T {
        let lockPath = path(Self.lockFileName)
        let notify = onLockWait
        let lock: FileLock
        do {
            lock = try FileLock(path: lockPath, timeout: lockTimeout) { holder in
                notify?("waiting for \(lockPath)" + (holder.map { " held by pid \($0)" } ?? "") + " ...")
            }
        } catch {
            throw RegistryError(.io, error.message)
        }
        defer { lock.unlock() }
        AtomicFile.removeAbandonedTemporaryFiles(in: directory, prefix: "model_registry")
        let before: RegistrySnapshot
        if let basis, let stamps = basis.stamps, stamps == stampsNow() {
            before = basis
        } else {
            before = try load()
        }
        var discovered = before.discovered
        let result = try change(&discovered, before)
        if discovered != before.discovered {
            do {
                let (layer, snapshot) = RegistrySnapshot(curated: before.curated, discovered: discovered).savedFiles
                try AtomicFile.write([(path(Self.discoveredFileName), layer), (path(Self.snapshotFileName), snapshot)])
            } catch {
                throw RegistryError(.io, error.message)
            }
        }
        return result
    }
}
