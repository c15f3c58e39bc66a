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

    @Test("sha256sum -c accepts the output for any name, and the lines still reproduce the aggregate")
    func awkwardNames() throws {
        let dir = TemporaryDirectory()
        // Names with a backslash, a line feed, a carriage return (also at the end), a tab,
        // an escape sequence and bytes that are not UTF-8.
        let make = try shell(#"""
            cd "$0" && mkdir m && cd m &&
            printf 1 > 'back\slash' && printf 2 > "$(printf 'new\nline')" && printf 3 > "$(printf 'cr\r')" &&
            printf 4 > "$(printf 'mid\rdle')" && printf 5 > "$(printf 'tab\tbed')" && printf 6 > "$(printf 'esc\033[2J')" &&
            printf 7 > "$(printf 'raw\377\376')" && printf 8 > plain
            """#, arguments: [dir.path])
        #expect(make.status == 0, "\(make.stderr)")
        let check = try shell(#"""
            "$0" hash "$1" > "$2/lines" || exit 10
            test "$(wc -l < "$2/lines")" -eq 8 || exit 11
            cd "$1" && sha256sum -c --strict "$2/lines" > /dev/null || exit 12
            head -c -1 "$2/lines" | sha256sum | cut -c1-64 > "$2/formula"
            "$0" hash "$1" --aggregate-only > "$2/aggregate" && cmp -s "$2/formula" "$2/aggregate" || exit 13
            """#, arguments: [modelctlBinary, dir.file("m"), dir.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test("on a terminal, control characters in names are shown escaped, never written raw")
    func terminalEscapes() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/evil\u{1B}]0;owned\u{07}\u{1B}[2J", "x")
        try dir.write("m/plain", "y")
        // `script` gives the command a terminal as stdout and copies what it writes.
        let result = try shell(#"script -qec "'$0' hash '$1'" /dev/null"#, arguments: [modelctlBinary, dir.file("m")])
        #expect(result.status == 0, "\(result.stderr)")
        // (The progress display on the terminal's stderr uses escapes of its own.)
        #expect(!result.stdout.contains("\u{1B}]0;owned"))
        #expect(!result.stdout.contains("\u{07}"))
        #expect(result.stdout.contains("evil\\x1b]0;owned\\x07\\x1b[2J"))
        #expect(result.stdout.contains("  plain"))
    }

    @Test("error messages escape control characters in names")
    func errorEscapes() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/ok", "ok")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/evil\u{1B}[2J"), withDestinationPath: "nowhere")
        let result = try modelctl(["hash", dir.file("m")])
        #expect(result.status == 1)
        #expect(!result.stderr.contains("\u{1B}"))
        #expect(result.stderr.contains("evil\\x1b[2J"))
        #expect(result.stderr.contains("dangling"))
    }

    @Test("a symlink loop is reported as a loop; a link into /proc is refused, naming it")
    func loopAndProc() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/ok", "ok")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/loop"), withDestinationPath: "loop")
        let loop = try modelctl(["hash", dir.file("m")])
        #expect(loop.status == 1)
        #expect(loop.stderr.contains("m/loop: symbolic link loop"), "\(loop.stderr)")
        try FileManager.default.removeItem(atPath: dir.file("m/loop"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/version"), withDestinationPath: "/proc/version")
        let proc = try modelctl(["hash", dir.file("m")])
        #expect(proc.status == 1)
        #expect(proc.stdout.isEmpty)
        #expect(proc.stderr.contains("m/version: file holds more bytes than its size"), "\(proc.stderr)")
    }

    @Test("a root whose name is not UTF-8 is hashed when it exists, and is 'no such file' only when it does not")
    func nonUTF8Root() throws {
        let dir = TemporaryDirectory()
        let result = try shell(#"""
            cd "$1" && mkdir "$(printf 'root\377')" && printf x > "$(printf 'root\377')/f" &&
            "$0" hash "$(printf 'root\377')" && "$0" hash "$(printf 'absent\377')"
            """#, arguments: [modelctlBinary, dir.path])
        #expect(result.status == 1)
        #expect(result.stdout == (try sha256sumOf(text: "x")) + "  f\n")
        #expect(result.stderr.contains("absent\\xff: no such file or directory"), "\(result.stderr)")
    }

    @Test("--jobs -1 is reported as a bad number; --jobs above 256 is capped with a warning")
    func jobsValues() throws {
        let dir = TemporaryDirectory()
        try dir.write("m/x", "x")
        let negative = try modelctl(["hash", dir.file("m"), "--jobs", "-1"])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("--jobs must be at least 1"), "\(negative.stderr)")
        #expect(!negative.stderr.contains("Missing value"))
        let start = Date()
        let huge = try modelctl(["hash", dir.file("m"), "--jobs", "1000000", "--aggregate-only"])
        #expect(huge.status == 0)
        #expect(huge.stderr.contains("hashing 256 files at once"))
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test("a write error on stdout exits 1 with a message; a broken pipe exits 1 quietly")
    func outputErrors() throws {
        let dir = TemporaryDirectory()
        // Enough files that the output (~150 KB) overfills a pipe's buffer.
        for i in 0..<2000 { try dir.write("m/f\(i)", "\(i)") }
        let full = try shell(#""$0" hash "$1" > /dev/full"#, arguments: [modelctlBinary, dir.file("m")])
        #expect(full.status == 1)
        #expect(full.stderr.contains("cannot write to standard output: No space left on device"), "\(full.stderr)")
        let closed = try shell(#""$0" hash "$1" >&-"#, arguments: [modelctlBinary, dir.file("m")])
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("standard output is closed"), "\(closed.stderr)")
        // SIGPIPE ignored: writes fail with EPIPE once `true` has exited without reading.
        let pipe = try shell(#"trap '' PIPE; { "$0" hash "$1"; echo "status $?" >&2; } | true"#,
                             arguments: [modelctlBinary, dir.file("m")])
        #expect(pipe.stderr == "status 1\n", "\(pipe.stderr)")
    }

    @Test("a comb tree 1,500 levels deep hashes under ulimit -n 1024")
    func deepComb() throws {
        let dir = TemporaryDirectory()
        let (s, t) = try spineLast(in: dir.path)
        var spine = "m/" + s
        for level in 0..<1500 {
            try dir.write(spine + "/\(t)/f", "\(level)")
            spine += "/" + s
        }
        let result = try shell(#"ulimit -n 1024 && "$0" hash "$1" | wc -l"#, arguments: [modelctlBinary, dir.file("m")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1500")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }
}

/// Two directory names, the one `readdir` lists last on this file system first: the walk's
/// stack takes it first, so a spine of that name leaves every tooth waiting.
func spineLast(in directory: String) throws -> (String, String) {
    let probe = directory + "/probe"
    for name in ["a", "b"] { try FileManager.default.createDirectory(atPath: probe + "/" + name, withIntermediateDirectories: true) }
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard let stream = opendir(probe) else { throw POSIXError(.EIO) }
    defer { closedir(stream) }
    var order: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != ".", name != ".." { order.append(name) }
    }
    return (order[1], order[0])
}
