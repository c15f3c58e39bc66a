import SystemSupport
import OrderedJSON
import ErrorSupport

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
        // The discovered layer is read here while a pool thread reads the curated layer and
        // parses the snapshot: for 1,000 entries the discovered layer and the snapshot are 1 MB
        // each, and the two sides take about as long. Errors are thrown in file order.
        let (found, (people, merged)) = BlockingExecutor.shared.together({
            Result { () throws(RegistryError) in try loadLayer(Self.discoveredFileName) }
        }, {
            (Result { () throws(RegistryError) in try loadLayer(Self.curatedFileName) },
             Result { () throws(RegistryError) in
                 try readFile(Self.snapshotFileName).map { bytes throws(RegistryError) in (bytes, try parseItems(bytes, file: path(Self.snapshotFileName))) }
             })
        })
        let curated = try people.get(), layer = try found.get()
        var discovered = layer
        if let (bytes, items) = try merged.get() {
            let adopted = try snapshotEntries(bytes, items: items) { curated[$0] == nil && layer[$0] == nil }
            if !adopted.isEmpty { discovered.entries += adopted }
        }
        var snapshot = RegistrySnapshot(curated: curated, discovered: discovered)
        // Taken before reading: if anyone replaced a file meanwhile, a later comparison fails.
        snapshot.stamps = stamps
        return snapshot
    }

    /// The registry's files as a command that needs entries expects them, looked at without
    /// reading any: a wrong `--registry-dir` or an unmounted volume must fail, not pass as an
    /// empty registry.
    ///
    /// - Returns: warnings: the curated layer is missing, or a symbolic link to nothing, while
    ///   the discovered layer or the snapshot is there (the people's entries and pins are then
    ///   not loaded: the volume holding them may be unmounted).
    /// - Throws: ``RegistryError`` `io` when the directory is missing, `noRegistry` when it
    ///   holds none of the three files; both name the directory, and nothing is written there.
    public func checkFiles() throws(RegistryError) -> [String] {
        guard RegistryPlatform.isDirectory(directory) else {
            throw RegistryError(.io, "\(directory): registry directory not found (set --registry-dir or MODELCTL_REGISTRY_DIR)")
        }
        let names = [Self.curatedFileName, Self.discoveredFileName, Self.snapshotFileName]
        let present = stampsNow().map { !$0.isEmpty }
        let curated = path(Self.curatedFileName)
        let dangling = present[0] ? nil : RegistryPlatform.linkTarget(curated)
        let curatedState = dangling.map { "is a symbolic link to \($0), which does not exist" } ?? "is missing"
        guard present.contains(true) else {
            let link = dangling.map { "; \(curated) is a symbolic link to \($0), which does not exist" } ?? ""
            throw RegistryError(.noRegistry, "\(directory): no registry files here (looked for \(names.joined(separator: ", ")))\(link); "
                + "check --registry-dir or MODELCTL_REGISTRY_DIR and that the volume is mounted; to start an empty registry there: "
                + "echo '[]' > " + curated.shellQuoted)
        }
        guard !present[0] else { return [] }
        return ["\(curated) \(curatedState), but \(present[1] ? Self.discoveredFileName : Self.snapshotFileName) is there: "
            + "the curated entries and their pins are not loaded (is the volume holding it mounted?); "
            + "if this registry has no curated entries: echo '[]' > " + curated.shellQuoted]
    }

    private func stampsNow() -> [[Int64]] {
        [Self.curatedFileName, Self.discoveredFileName, Self.snapshotFileName].map { RegistryPlatform.stamp(path($0)) }
    }

    /// The entries of the snapshot (`bytes`, parsed into `items`) for which `isNew` holds: only
    /// the entries no layer holds are needed. When every item is an object with a distinct
    /// string `name`, only those entries are read (a broken copy of an entry a layer holds does
    /// not matter); otherwise the whole file is read, which says what is wrong.
    private func snapshotEntries(_ bytes: [UInt8], items: [JSONValue], _ isNew: (String) -> Bool) throws(RegistryError) -> [RegistryEntry] {
        let file = path(Self.snapshotFileName)
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
        let lock = try takeLock()
        defer { lock.unlock() }
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

    /// Takes the registry's exclusive lock (waiting up to ``lockTimeout``) and clears the
    /// temporary files a killed writer left.
    private func takeLock() throws(RegistryError) -> FileLock {
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
        AtomicFile.removeAbandonedTemporaryFiles(in: directory, prefix: "model_registry")
        return lock
    }

    /// Starts a registry in ``directory`` (which must exist): an empty curated layer and
    /// nothing else.
    ///
    /// - Throws: ``RegistryError`` `io` when the curated file already exists (it is never
    ///   replaced) or cannot be written.
    public func initialize() throws(RegistryError) {
        let lock = try takeLock()
        defer { lock.unlock() }
        let curated = path(Self.curatedFileName)
        guard RegistryPlatform.stamp(curated).isEmpty else {
            throw RegistryError(.io, "\(curated) already exists; modelctl init never replaces a registry (add entries with modelctl add)")
        }
        do { try AtomicFile.write(Array("[]\n".utf8), to: curated) } catch { throw RegistryError(.io, error.message) }
    }

    /// Adds `entry` to the curated layer: the one write of that file modelctl makes, on a
    /// person's explicit command (`modelctl add`).
    ///
    /// Under the registry's lock, the curated file gets the entry's text appended as the last
    /// element of its array; every byte of the entries already there is kept as it was (only
    /// the whitespace before the closing bracket changes). The curated file and the merged
    /// snapshot are replaced together, atomically.
    ///
    /// - Throws: ``RegistryError`` `duplicateName` when any layer already has an entry of that
    ///   name, the load errors of ``load()``, or `io`.
    public func addCurated(_ entry: RegistryEntry) throws(RegistryError) {
        let lock = try takeLock()
        defer { lock.unlock() }
        let before = try load()
        if before[entry.name] != nil {
            throw RegistryError(.duplicateName, "\(directory): an entry named \"\(entry.name)\" already exists; pick another name, or edit \(Self.curatedFileName) to change it")
        }
        // The entry as an element of a layer file: its text in a one-entry layer, without the brackets.
        let text = Array(RegistryLayer(entries: [entry]).fileBytes.dropFirst(Self.open.count).dropLast(Self.close.count))
        var curated = before.curated
        curated.entries.append(entry)
        let snapshot = RegistrySnapshot(curated: curated, discovered: before.discovered).snapshotBytes
        let bytes = Self.appending(text, to: try readFile(Self.curatedFileName))
        do {
            try AtomicFile.write([(path(Self.curatedFileName), bytes), (path(Self.snapshotFileName), snapshot)])
        } catch {
            throw RegistryError(.io, error.message)
        }
    }

    /// How a layer file of one entry starts and ends around the entry's text (2-space indent).
    static let open = Array("[\n  ".utf8), close = Array("\n]\n".utf8)

    /// A layer file's bytes with one more element (`element`, written at indent level 1) at the
    /// end of its array; the text before the last element's end is kept byte for byte. `file`
    /// must hold a JSON array (``load()`` has checked it); `nil` or blank is an empty layer.
    static func appending(_ element: [UInt8], to file: [UInt8]?) -> [UInt8] {
        let file = file ?? []
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        guard let close = file.lastIndex(where: { !isSpace($0) }), file[close] == UInt8(ascii: "]") else {
            return Self.open + element + Self.close
        }
        let last = file[..<close].lastIndex(where: { !isSpace($0) }) ?? 0
        let separator: [UInt8] = file[last] == UInt8(ascii: "[") ? [0x0A, 0x20, 0x20] : Array(",\n  ".utf8)
        return Array(file[...last]) + separator + element + [0x0A] + Array(file[close...])
    }
}
