import Foundation
import SystemSupport
import Testing
import TestSupport
@testable import VersionLock

struct RootResolverTests {
    @Test("roots resolved with their parent taken once per batch equal realpath: links as parent or root, dot-dot, trailing slash, missing")
    func sameAsRealpath() throws {
        let dir = TemporaryDirectory("roots")
        try dir.write("real/models/a/weights.bin", "w")
        try dir.write("real/models/b/weights.bin", "w")
        try dir.write("real/models/file.bin", "f")
        try FileManager.default.createSymbolicLink(atPath: dir.file("models"), withDestinationPath: dir.file("real/models"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("real/models/alias"), withDestinationPath: "b")
        try FileManager.default.createSymbolicLink(atPath: dir.file("real/models/dangling"), withDestinationPath: "gone")
        let paths = ["models/a", "models/b", "models/alias", "models/dangling", "models/missing", "models/a/", "models/a/.",
                     "models/a/..", "models/file.bin", "real/models/a", "models/../models/b", "real"].map(dir.file)
        let resolver = VersionLocker.RootResolver()
        // Twice: the second round takes every parent from what the first resolved.
        for path in paths + paths {
            #expect(resolver.realPath(path) == PathText.realPath(path), "\(path)")
        }
        #expect(resolver.realPath(dir.file("models/a")) == PathText.realPath(dir.file("real/models/a")))
    }
}
