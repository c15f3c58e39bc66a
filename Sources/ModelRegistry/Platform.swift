// Every platform call ModelRegistry makes, behind Swift-shaped functions.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum RegistryPlatform {
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

extension RegistryPlatform {
    /// Device, inode, size, modification and change time (ns) of `path`, or `[]` when it does
    /// not exist: what a rename or a write by anyone changes.
    static func stamp(_ path: String) -> [Int64] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        #if canImport(Darwin)
        let (m, c) = (st.st_mtimespec, st.st_ctimespec)
        #else
        let (m, c) = (st.st_mtim, st.st_ctim)
        #endif
        return [Int64(st.st_dev), Int64(st.st_ino), Int64(st.st_size),
                Int64(m.tv_sec) &* 1_000_000_000 &+ Int64(m.tv_nsec), Int64(c.tv_sec) &* 1_000_000_000 &+ Int64(c.tv_nsec)]
    }
}

extension RegistryPlatform {
    /// Where the symbolic link `path` points, or `nil` when `path` is no symbolic link.
    static func linkTarget(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return nil }
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n >= 0 else { return "" }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
