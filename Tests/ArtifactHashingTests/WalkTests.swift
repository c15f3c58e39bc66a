@testable import ArtifactHashing
import Foundation
import Testing
import TestSupport
import ErrorSupport

/// The walk on its own, driven one file at a time, so a test can change the tree at an exact
/// point of the listing.
struct WalkTests {
    @Test("renames in a directory between two turns of its listing fail the walk instead of listing old and new names")
    func renamesBetweenTurns() throws {
        let dir = TemporaryDirectory()
        for i in 0..<100 { try dir.write("f\(i)", "file \(i)") }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var names: [String] = []
        // The first turn lists 32 names; then every file is renamed (each exists under one
        // name or the other at every instant) and the listing goes on.
        names.append(try #require(try walk.next()).relativePath.string)
        for i in 0..<100 { #expect(rename(dir.file("f\(i)"), dir.file("g\(i)")) == 0) }
        let error = #expect(throws: HashingError.self) {
            while let file = try walk.next() { names.append(file.relativePath.string) }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.path == dir.path)
        #expect(error?.description.contains("renamed or removed") == true)
    }

    @Test("a directory that keeps changing is listed twice, then the walk fails")
    func changesTwice() throws {
        let dir = TemporaryDirectory()
        for i in 0..<100 { try dir.write("f\(i)", "file \(i)") }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var count = 0
        let error = #expect(throws: HashingError.self) {
            while try walk.next() != nil {
                count += 1
                // A new file with every name from the 50th on: the first listing sees changes,
                // and so does the second, which hands out the new files it finds.
                if count >= 50 { try dir.write("new\(count)", "new") }
            }
        }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.description.contains("twice") == true)
    }

    @Test("a directory swapped for a link while it waits its turn is not descended")
    func swappedDirectoryNotDescended() throws {
        let dir = TemporaryDirectory()
        let away = TemporaryDirectory()
        for d in ["d1", "d2"] {
            for i in 0..<40 { try dir.write("\(d)/f\(i)", "\(d) \(i)") }
            try away.write("outside-\(d)/secret", "not part of the root")
        }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var names = [try #require(try walk.next()).relativePath.string]
        for d in ["d1", "d2"] {
            #expect(rename(dir.file(d), away.file("moved-\(d)")) == 0)
            #expect(symlink(away.file("outside-\(d)"), dir.file(d)) == 0)
        }
        while let file = try walk.next() { names.append(file.relativePath.string) }
        #expect(!names.contains { $0.hasSuffix("secret") }, "descended a link out of the root")
        #expect(names.count == 40 && Set(names.map { $0.prefix(3) }).count == 1)
        // The root changed after it was listed.
        let error = #expect(throws: HashingError.self) { try walk.verifyUnchanged() }
        #expect(error?.path == dir.path)
    }

    @Test("a file moved from a directory already listed into one listed later fails the walk at its end")
    func movedAcrossDirectories() throws {
        let dir = TemporaryDirectory()
        for d in ["x", "y"] {
            for i in 0..<5 { try dir.write("\(d)/\(d)\(i)", "\(d) \(i)") }
        }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var names: [String] = []
        var moved = false
        while let file = try walk.next() {
            let name = file.relativePath.string
            if !moved, let first = names.first, name.prefix(1) != first.prefix(1) {
                // The first directory is listed to its end; the second is being listed. Move a
                // file of the first, which the walk already handed out, into the second.
                let (from, to) = (String(first.prefix(1)), String(name.prefix(1)))
                #expect(rename(dir.file("\(from)/\(from)0"), dir.file("\(to)/moved")) == 0)
                moved = true
            }
            names.append(name)
        }
        #expect(moved)
        let error = #expect(throws: HashingError.self) { try walk.verifyUnchanged() }
        #expect(error?.code == .changedWhileHashing)
        #expect(error?.description.contains("added, removed or moved") == true)
    }

    @Test("a directory that is stable during its listing is listed once")
    func stableListedOnce() throws {
        let dir = TemporaryDirectory()
        for i in 0..<100 { try dir.write("f\(i)", "file \(i)") }
        let walk = try ArtifactWalk(root: PathName(dir.path))
        var names: [String] = []
        while let file = try walk.next() { names.append(file.relativePath.string) }
        #expect(names.count == 100 && Set(names).count == 100)
    }

    @Test("a file swapped for a link to a FIFO after it was listed is not opened through the link")
    func swappedForLinkNotOpened() throws {
        let dir = TemporaryDirectory()
        try dir.write("f", "regular when listed")
        #expect(mkfifo(dir.file("pipe"), 0o644) == 0)
        let walk = try ArtifactWalk(root: PathName(dir.path), exclusions: PathExclusions.none.adding(["pipe"]))
        var listed: [ListedFile] = []
        while let file = try walk.next() { listed.append(file) }
        let f = try #require(listed.first { $0.relativePath.string == "f" })
        #expect(!f.isLink)
        #expect(unlink(dir.file("f")) == 0)
        #expect(symlink("pipe", dir.file("f")) == 0)
        // A writer blocks in open() until some reader opens the FIFO: it tells whether we did.
        let writer = FIFOWriter(path: dir.file("pipe"))
        writer.start()
        #expect(throws: HashingError(.specialFile, path: "", reason: "")) { try f.open() }
        usleep(200_000)
        #expect(!writer.opened, "the FIFO was opened through the swapped-in link")
        // Release the writer.
        let reader = open(dir.file("pipe"), O_RDONLY | O_NONBLOCK)
        writer.wait()
        close(reader)
    }
}

/// Opens a FIFO for writing on a thread of its own (blocking until a reader opens it).
final class FIFOWriter: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var done = false
    private var thread: Thread?
    init(path: String) { self.path = path }
    var opened: Bool { lock.withLock { done } }
    func start() {
        let thread = Thread { [self] in
            let fd = open(path, O_WRONLY)
            lock.withLock { done = true }
            if fd >= 0 { close(fd) }
        }
        self.thread = thread
        thread.start()
        usleep(50_000)
    }
    func wait() { while thread?.isFinished == false { usleep(1000) } }
}
