/// Directories as crash-safe writers need them.
public enum Directory {
    /// Creates `path` and its missing parents, new ones with mode 0700 (what lives under
    /// modelctl's own directories, caches and quarantine records, says which files exist).
    ///
    /// - Throws: ``FileError`` `.io` naming the directory that could not be made, or `path`
    ///   when something other than a directory is there.
    public static func make(_ path: String) throws(FileError) {
        if Sys.isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if !Sys.makeDirectory(prefix) && Sys.lastError != Sys.alreadyExists {
                throw FileError.system("cannot create directory", prefix)
            }
            prefix += "/"
        }
        guard Sys.isDirectory(path) else {
            throw FileError(.io, path: path, message: "\(path): exists and is not a directory; move it away or choose another directory")
        }
    }

    /// fsyncs the directory `path`, so that a rename or link in it survives a crash. Best
    /// effort: a directory that cannot be opened is left alone (the rename itself succeeded).
    public static func sync(_ path: String) {
        let fd = Sys.openDirectory(path)
        guard fd >= 0 else { return }
        _ = Sys.flushToDisk(fd)
        Sys.closeFile(fd)
    }
}
