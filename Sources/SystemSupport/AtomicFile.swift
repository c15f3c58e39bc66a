/// Bounded whole-file reads and crash-safe whole-file writes.
public enum AtomicFile {
    /// The default read limit: 256 MiB, far beyond any registry or state file.
    public static let defaultReadLimit = 256 << 20

    /// Reads a regular file, or returns `nil` when it does not exist.
    ///
    /// The file is opened without blocking, so a FIFO in its place cannot hang the caller, and
    /// anything that is not a regular file (FIFO, device, directory, socket) is refused before a
    /// byte is read. At most `limit` bytes are accepted, so a link to `/dev/zero` or a runaway
    /// file cannot exhaust memory. With `followLinks` false, a link as the last component is
    /// refused (`io`) instead of followed.
    ///
    /// - Throws: ``FileError`` naming the file: `notRegularFile`, `tooLarge`, or `io`.
    public static func read(_ path: String, limit: Int = defaultReadLimit, followLinks: Bool = true) throws(FileError) -> [UInt8]? {
        let fd = Sys.openForReading(path, followLinks: followLinks)
        if fd < 0 {
            if Sys.lastError == Sys.noSuchFile { return nil }
            throw FileError.system("cannot read", path)
        }
        defer { Sys.closeFile(fd) }
        guard let info = Sys.fileType(fd) else { throw FileError.system("cannot stat", path) }
        guard info.type == .regular else {
            let what = info.type == .directory ? "a directory" : "not a regular file (a FIFO, device or socket)"
            throw FileError(.notRegularFile, path: path, message: "\(path): is \(what); replace it with a regular file")
        }
        guard info.size <= limit else { throw tooLarge(path, limit) }
        // Read straight into the result, sized by fstat with a byte to spare so that a file
        // that grew since is noticed; it then grows by doubling, up to one byte past the limit.
        let ceiling = limit < Int.max ? limit + 1 : limit
        var out = [UInt8](repeating: 0, count: Int(info.size) + 1)
        var filled = 0
        while true {
            if filled == out.count {
                guard out.count < ceiling else { throw tooLarge(path, limit) }
                out.append(contentsOf: repeatElement(0, count: min(ceiling, max(out.count + (1 << 16), out.count * 2)) - out.count))
            }
            let n = out.withUnsafeMutableBytes { Sys.readSome(fd, UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n < 0 {
                if Sys.lastError == Sys.interrupted { continue }
                throw FileError.system("cannot read", path)
            }
            if n == 0 { break }
            filled += n
        }
        out.removeSubrange(filled...)
        return out
    }

    private static func tooLarge(_ path: String, _ limit: Int) -> FileError {
        let size = limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit) bytes"
        return FileError(.tooLarge, path: path, message: "\(path): larger than \(size); this is not a file modelctl reads")
    }

    /// Replaces `path` with `bytes`; see ``write(_:)``.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        try write([(path, bytes)])
    }

    /// Replaces several files so that each reader sees the old or the new file, never a mix,
    /// even if the process is killed, and so that a failure changes nothing.
    ///
    /// Every new file is first written in full to a temporary file beside its target, given the
    /// target's permissions and fsynced; only when all of them are on disk are they renamed over
    /// their targets, in order, and the directories fsynced. A full disk or any other failure
    /// while staging leaves every target as it was. A target that is a symbolic link is written
    /// through: its final target is replaced and the link kept.
    ///
    /// - Throws: ``FileError`` naming the file.
    public static func write(_ files: [(path: String, bytes: [UInt8])]) throws(FileError) {
        var staged: [(temporary: String, target: String)] = []
        var renamed = 0
        defer {
            for item in staged.dropFirst(renamed) { Sys.remove(item.temporary) }
        }
        for file in files {
            let target = try resolveTarget(file.path)
            staged.append((try stage(file.bytes, for: target), target))
        }
        for item in staged {
            guard Sys.replace(item.temporary, item.target) == 0 else { throw FileError.system("cannot replace", item.target) }
            renamed += 1
        }
        for directory in Set(staged.map { PathText.parent($0.target) }) { Directory.sync(directory) }
    }

    /// The file a write to `path` must replace: `path` itself, or the final target of a link.
    private static func resolveTarget(_ path: String) throws(FileError) -> String {
        guard Sys.isSymbolicLink(path) else { return path }
        guard let target = Sys.realPath(path) else {
            throw FileError(.io, path: path, message: "\(path): is a symbolic link whose target does not exist; point it at a file or replace it with one")
        }
        return target
    }

    /// Writes `bytes` to a new temporary file beside `target`, fsynced; returns its path.
    private static func stage(_ bytes: [UInt8], for target: String) throws(FileError) -> String {
        let mode = Sys.permissions(target) ?? 0o644
        guard let (fd, temporary) = Sys.makeTemporary(PathText.parent(target) + "/." + PathText.base(target) + ".tmp-XXXXXX") else {
            throw FileError.system("cannot create a temporary file next to", target)
        }
        var failure: FileError?
        let written: Bool = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Sys.writeSome(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
                if n < 0 {
                    if Sys.lastError == Sys.interrupted { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        if !written || Sys.setPermissions(fd, mode) != 0 || Sys.flushToDisk(fd) != 0 {
            failure = FileError.system("cannot write", target)
        }
        Sys.closeFile(fd)
        if let failure {
            Sys.remove(temporary)
            throw failure
        }
        return temporary
    }

    /// Deletes the temporary files a killed writer left in `directory` for files whose names
    /// start with `prefix`. Call it only while holding the lock that serialises the writers.
    public static func removeAbandonedTemporaryFiles(in directory: String, prefix: String) {
        for name in Sys.directoryNames(directory) ?? [] where name.hasPrefix("." + prefix) && name.contains(".tmp-") {
            Sys.remove(directory + "/" + name)
        }
    }
}
