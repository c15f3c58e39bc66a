/// An exclusive advisory lock (`flock`) on a file, held until ``unlock()`` or deinit.
///
/// The lock file is created when missing and never deleted (deleting it would let two
/// processes lock two different files of the same name). The holder writes its process id into
/// it, so a process that has to wait can say who it is waiting for.
public final class FileLock {
    private var fd: Int32

    /// Waits for the lock on `path`.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait at most (`nil`: for ever).
    ///   - onWait: called once, after about a second of waiting, with the holder's process id
    ///     when the lock file names one; the caller tells the user what it is waiting for.
    /// - Throws: ``FileError``: `lockTimeout` naming the file and the holder, or `io`.
    public init(path: String, timeout: Duration? = nil, onWait: ((_ holder: Int32?) -> Void)? = nil) throws(FileError) {
        fd = Sys.openLockFile(path)
        guard fd >= 0 else { throw FileError.system("cannot open lock file", path) }
        let start = Sys.monotonicNanoseconds()
        let limit = timeout.map { UInt64(max(0, min($0.inSeconds, 1e9)) * 1e9) }
        var told = false
        while !Sys.tryLockExclusive(fd) {
            guard Sys.lastError == Sys.wouldBlock || Sys.lastError == Sys.interrupted else {
                let error = FileError.system("cannot lock", path)
                Sys.closeFile(fd)
                throw error
            }
            let waited = Sys.monotonicNanoseconds() &- start
            if !told, waited >= 1_000_000_000 {
                told = true
                onWait?(holder())
            }
            if let limit, waited >= limit {
                let who = holder().map { " (held by pid \($0))" } ?? ""
                Sys.closeFile(fd)
                fd = -1
                throw FileError(.lockTimeout, path: path,
                                message: "\(path): still locked\(who) after \(limit / 1_000_000_000) s; try again later, or raise --lock-timeout")
            }
            Sys.sleep(milliseconds: 50)
        }
        let pid = Array("\(Sys.processID)\n".utf8)
        _ = Sys.truncate(fd, 0)
        _ = pid.withUnsafeBytes { Sys.writeSome(fd, $0, at: 0) }
    }

    /// The process id written in the lock file by its current holder, if any.
    private func holder() -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { raw in
            let whole = UnsafeMutableRawBufferPointer(rebasing: raw[...])
            return Sys.readFromStart(fd, whole)
        }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first ?? ""
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Releases the lock (also done on deinit).
    public func unlock() {
        guard fd >= 0 else { return }
        Sys.unlockFile(fd)
        Sys.closeFile(fd)
        fd = -1
    }

    deinit { unlock() }
}
