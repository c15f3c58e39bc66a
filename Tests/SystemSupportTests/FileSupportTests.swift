import SystemSupport
import Foundation
import Testing
import TestSupport

struct AtomicFileTests {
    @Test("a FIFO in place of a file is refused at once, never waited on")
    func fifo() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("layer.json")
        #expect(mkfifo(path, 0o644) == 0)
        #expect(throws: FileError(.notRegularFile)) { try AtomicFile.read(path) }
    }

    @Test("a link to /dev/zero is refused, not read until memory runs out")
    func deviceLink() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("layer.json")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
        let error = #expect(throws: FileError(.notRegularFile)) { try AtomicFile.read(path) }
        #expect(error?.message.hasPrefix(path) == true)
    }

    @Test("a file above the limit is refused; a missing file is nil")
    func limits() throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("big", String(repeating: "x", count: 5000))
        #expect(throws: FileError(.tooLarge)) { try AtomicFile.read(path, limit: 4096) }
        #expect(try AtomicFile.read(path, limit: 5000)?.count == 5000)
        #expect(try AtomicFile.read(dir.file("absent")) == nil)
    }

    @Test("writing through a symbolic link replaces its target and keeps the link")
    func symlinkWriteThrough() throws {
        let dir = TemporaryDirectory()
        let target = try dir.write("shared/real.json", "old")
        let link = dir.file("layer.json")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "shared/real.json")
        try AtomicFile.write(Array("new".utf8), to: link)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "shared/real.json")
        try AtomicFile.write(Array("newer".utf8), to: link)
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "newer")
    }

    @Test("when one file of a save cannot be staged, no file changes")
    func allOrNothing() throws {
        let dir = TemporaryDirectory()
        let first = try dir.write("a.json", "A0")
        let second = dir.file("missing-dir/b.json")
        #expect(throws: FileError(.io)) {
            try AtomicFile.write([(first, Array("A1".utf8)), (second, Array("B1".utf8))])
        }
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "A0")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("a save on a full file system changes no file and leaves no temporary file")
    func fullDisk() throws {
        let dir = TemporaryDirectory()
        let mountPoint = dir.file("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard (try? runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]))?.status == 0 else {
            return  // no privilege to mount here; the staging test above covers the same path
        }
        defer { _ = try? runProcess("/bin/umount", [mountPoint]) }
        let first = mountPoint + "/discovered.json"
        let second = mountPoint + "/snapshot.json"
        try AtomicFile.write([(first, Array("D0".utf8)), (second, Array("S0".utf8))])
        let big = [UInt8](repeating: 0x41, count: 48 << 10)
        #expect(throws: FileError(.io)) { try AtomicFile.write([(first, big), (second, big)]) }
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "D0")
        #expect(try String(contentsOfFile: second, encoding: .utf8) == "S0")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).sorted() == ["discovered.json", "snapshot.json"])
    }
}

struct FileLockTests {
    @Test("a held lock makes the second taker say who holds it, then give up at the timeout")
    func timeout() throws {
        let dir = TemporaryDirectory()
        let path = dir.file(".lock")
        let held = try FileLock(path: path)
        var told: Int32?? = nil
        let start = Date()
        let error = #expect(throws: FileError(.lockTimeout)) {
            _ = try FileLock(path: path, timeout: .milliseconds(1500), onWait: { told = .some($0) })
        }
        #expect(told == .some(getpid()))
        #expect(Date().timeIntervalSince(start) >= 1.4)
        #expect(error?.message.contains("held by pid \(getpid())") == true)
        held.unlock()
        let again = try FileLock(path: path, timeout: .seconds(1))
        again.unlock()
    }
}

struct AtomicWriteTests {
    @Test("a write of several files that fails while staging changes none of them and leaves no temporary file")
    func failedStagingChangesNothing() throws {
        let dir = TemporaryDirectory()
        let first = dir.file("discovered.json"), second = dir.file("snapshot.json")
        try AtomicFile.write([(first, Array("D1".utf8)), (second, Array(repeating: 0x53, count: 3 << 20))])
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "D1")
        #expect(try AtomicFile.read(second)?.count == 3 << 20)
        #expect(throws: FileError(.io)) {
            try AtomicFile.write([(first, Array("D2".utf8)), (dir.file("missing/snapshot.json"), Array("S2".utf8))])
        }
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "D1")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }.isEmpty)
    }
}

struct DirectoryTests {
    @Test("make creates missing parents with mode 0700, accepts an existing directory, and names a file in the way")
    func make() throws {
        let dir = TemporaryDirectory()
        let deep = dir.file("a/b/c")
        try Directory.make(deep)
        try Directory.make(deep)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.file("a/b"))
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        _ = try dir.write("file", "x")
        let inTheWay = #expect(throws: FileError(.io)) { try Directory.make(dir.file("file/sub")) }
        #expect(inTheWay?.message.contains(dir.file("file/sub")) == true, "\(inTheWay?.message ?? "")")
        let notADirectory = #expect(throws: FileError(.io)) { try Directory.make(dir.file("file")) }
        #expect(notADirectory?.message.contains("not a directory") == true)
    }
}
