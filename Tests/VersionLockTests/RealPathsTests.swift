import Foundation
import Testing
import TestSupport
@testable import VersionLock

/// The batch's memoised `realpath` must resolve every spelling as `realpath(3)` does.
struct RealPathsTests {
    func realpath3(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    @Test("links in the last component or a parent, dots, missing paths and files resolve as realpath does")
    func sameAsRealpath() throws {
        let dir = TemporaryDirectory()
        try dir.write("models/a/config.json", "{}")
        try dir.write("models/b/config.json", "{}")
        try dir.write("plain-file", "x")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir.file("link-to-a"), withDestinationPath: dir.file("models/a"))
        try fm.createSymbolicLink(atPath: dir.file("models-link"), withDestinationPath: "models")
        try fm.createSymbolicLink(atPath: dir.file("dangling"), withDestinationPath: dir.file("nowhere"))
        let spellings = [
            "models/a", "models/b", "link-to-a", "models-link/a", "models-link/b", "models/../models/a",
            "models/a/.", "models/a/..", "models/./a", "models//a", "models/a/", "plain-file", "plain-file/",
            "dangling", "missing", "models/missing", "models-link/missing", "models/a/config.json",
        ].map(dir.file)
        let paths = RealPaths()
        // Twice: the second round answers from the remembered parents.
        for _ in 0..<2 {
            for path in spellings {
                #expect(paths.resolve(path) == realpath3(path), "\(path)")
            }
        }
        #expect(paths.resolve("/") == "/")
        #expect(RealPaths.split("/a/b") ?? ("", "") == ("/a", "b"))
        #expect(RealPaths.split("/a") ?? ("", "") == ("/", "a"))
        #expect(RealPaths.split("relative/a") == nil && RealPaths.split("/a/..") == nil && RealPaths.split("/a/") == nil)
    }

    @Test("a parent replaced by a link is seen by the next batch")
    func nextBatchSeesChange() throws {
        let dir = TemporaryDirectory()
        try dir.write("one/m/config.json", "{}")
        try dir.write("two/m/config.json", "{}")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir.file("current"), withDestinationPath: dir.file("one"))
        #expect(RealPaths().resolve(dir.file("current/m")) == realpath3(dir.file("one/m")))
        try fm.removeItem(atPath: dir.file("current"))
        try fm.createSymbolicLink(atPath: dir.file("current"), withDestinationPath: dir.file("two"))
        #expect(RealPaths().resolve(dir.file("current/m")) == realpath3(dir.file("two/m")))
    }
}
