import Foundation
import Testing
import TestSupport

struct HashCommandTests {
    @Test("hash prints sha256sum lines that sha256sum -c accepts, and exits 0")
    func sha256sumAccepts() throws {
        let dir = TemporaryDirectory()
        try dir.write("model/a.bin", "aaa")
        try dir.write("model/sub dir/ü.json", "{}")
        try dir.write("model/empty", "")
        let result = try modelctl(["hash", dir.file("model")])
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").count == 3)
        try dir.write("lines.txt", result.stdout)
        let verified = try runProcess("/usr/bin/sha256sum", ["-c", dir.file("lines.txt")], currentDirectory: dir.file("model"))
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("sub dir/ü.json: OK"))
    }

    @Test("--aggregate-only prints the aggregate, which is the SHA-256 of the lines without the last newline")
    func aggregateOnly() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/x", "x")
        try dir.write("m/y", "y")
        let lines = try modelctl(["hash", dir.file("m")]).stdout
        let aggregate = try modelctl(["hash", dir.file("m"), "--aggregate-only", "--jobs", "1"])
        #expect(aggregate.status == 0)
        #expect(aggregate.stdout == (try sha256sumOf(text: String(lines.dropLast()))) + "\n")
    }

    @Test("a tree of many small directories hashes within a descriptor limit of 32")
    func fewDescriptors() throws {
        // Every listed file keeps its directory open until it is opened itself; the walk lists
        // from a few directories at a time, so descriptors stay few however the tree is shaped.
        let dir = TemporaryDirectory()
        var paths: [String] = []
        for i in 0..<150 {
            try dir.write("m/d\(i)/f", "file \(i)")
            try dir.write("m/d\(i)/sub/g", "nested \(i)")
            paths += ["d\(i)/f", "d\(i)/sub/g"]
        }
        let result = try shell("ulimit -n 32 && exec \"$0\" hash \"$1\" --jobs 4 --aggregate-only", arguments: [modelctlBinary, dir.file("m")])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try paths.map { "\(try sha256sumOf(dir.file("m/" + $0)))  \($0)" }
        let expected = try sha256sumOf(text: lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: "\n"))
        #expect(result.stdout == expected + "\n")
    }

    @Test("--json carries root, files with sizes, aggregate, bytes and seconds")
    func json() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/x", "12345")
        let result = try modelctl(["hash", dir.file("m"), "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["root"] as? String == dir.file("m"))
        #expect(object?["bytes"] as? Int == 5)
        #expect((object?["aggregate_sha256"] as? String)?.count == 64)
        #expect(object?["seconds"] is Double || object?["seconds"] is Int)
        let files = object?["files"] as? [[String: Any]]
        #expect(files?.first?["path"] as? String == "x")
        #expect(files?.first?["size"] as? Int == 5)
        #expect(result.stderr.isEmpty)
    }

    @Test("a missing path exits 1 naming it; a dangling symlink exits 1 naming it")
    func errors() throws {
        let dir = TemporaryDirectory()
        let missing = try modelctl(["hash", dir.file("absent")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(dir.file("absent")))
        #expect(missing.stdout.isEmpty)
        try dir.write("m/ok", "ok")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/broken"), withDestinationPath: "nowhere")
        let dangling = try modelctl(["hash", dir.file("m")])
        #expect(dangling.status == 1)
        #expect(dangling.stderr.contains("m/broken"))
    }

    @Test("usage errors exit 64", arguments: [["hash"], ["hash", "--jobs", "0", "x"], ["hash", "--bogus", "x"], ["no-such-command"]])
    func usage(arguments: [String]) throws {
        let result = try modelctl(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
    }

    @Test("--help exits 0 and explains the output format")
    func help() throws {
        let result = try modelctl(["hash", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("sha256sum"))
    }
}
