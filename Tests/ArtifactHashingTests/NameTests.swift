import ArtifactHashing
import Foundation
import Testing
import TestSupport
import ErrorSupport

/// Creates a file whose name is given as bytes (which need not be UTF-8) in `directory`.
@discardableResult
func writeFile(in directory: String, nameBytes: [UInt8], contents: String) throws -> [UInt8] {
    let path = Array(directory.utf8) + [0x2F] + nameBytes + [0]
    let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY | O_TRUNC, 0o644) } }
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    let bytes = Array(contents.utf8)
    #expect(write(fd, bytes, bytes.count) == bytes.count)
    return nameBytes
}

struct NameTests {
    static let nfc = "caf\u{E9}"          // é as one scalar
    static let nfd = "cafe\u{301}"        // e + combining acute

    @Test("NFC and NFD spellings of a name are two files, sorted and compared by bytes")
    func normalizationForms() async throws {
        let dir = TemporaryDirectory()
        try dir.write(Self.nfc, "composed")
        try dir.write(Self.nfd, "decomposed")
        let manifest = try await ArtifactHasher(jobs: 2).hash(dir.path)
        #expect(manifest.files.count == 2)
        #expect(manifest.files.map(\.pathBytes) == [Array(Self.nfd.utf8), Array(Self.nfc.utf8)])  // "e" < "\u{E9}" as bytes
        #expect(ArtifactFile(path: Self.nfc, sha256: "00") != ArtifactFile(path: Self.nfd, sha256: "00"))
        #expect(manifest.aggregate == (try independentAggregate(root: dir.path, paths: [Self.nfc, Self.nfd])))
    }

    @Test("after one of two normalization twins changes, the diff names exactly that one")
    func diffKeysByBytes() async throws {
        let dir = TemporaryDirectory()
        try dir.write(Self.nfc, "composed")
        try dir.write(Self.nfd, "decomposed")
        let before = try await ArtifactHasher().hash(dir.path)
        try dir.write(Self.nfd, "changed")
        let after = try await ArtifactHasher().hash(dir.path)
        let diff = ManifestDiff(expected: before.files, actual: after.files)
        #expect(diff.changed.count == 1)
        #expect(diff.changed.first?.pathBytes == Array(Self.nfd.utf8))
        #expect(diff.missing.isEmpty && diff.added.isEmpty && diff.moved.isEmpty)
    }

    @Test("a file renamed from its NFC to its NFD spelling is a move, with both spellings exact")
    func normalizationMove() {
        let diff = ManifestDiff(expected: [ArtifactFile(path: Self.nfc, sha256: "aa")],
                                actual: [ArtifactFile(path: Self.nfd, sha256: "aa")])
        #expect(!diff.isEmpty)
        #expect(diff.moved.count == 1)
        #expect(diff.moved.first?.fromBytes == Array(Self.nfc.utf8))
        #expect(diff.moved.first?.toBytes == Array(Self.nfd.utf8))
    }

    @Test("a name that is not UTF-8 is hashed; its raw bytes enter the aggregate line")
    func nonUTF8Name() async throws {
        let dir = TemporaryDirectory()
        let name: [UInt8] = Array("weights-".utf8) + [0xFF, 0xFE] + Array(".bin".utf8)
        try writeFile(in: dir.path, nameBytes: name, contents: "raw")
        try dir.write("ok.txt", "ok")
        let manifest = try await ArtifactHasher().hash(dir.path)
        let file = try #require(manifest.files.first { !$0.isPathUTF8 })
        #expect(file.pathBytes == name)
        #expect(file.path == "weights-\u{FFFD}\u{FFFD}.bin")
        #expect(file.displayPath == "weights-\\xff\\xfe.bin")
        let digest = try sha256sumOf(text: "raw")
        #expect(file.sha256 == digest)
        #expect(file.lineBytes == Array("\(digest)  ".utf8) + name)
        var text: [UInt8] = []
        let okLine = Array("\(try sha256sumOf(text: "ok"))  ok.txt".utf8)
        for line in [file.lineBytes, okLine].sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            if !text.isEmpty { text.append(0x0A) }
            text += line
        }
        #expect(manifest.aggregate == SHA256Digest.hex(of: text))
    }

    @Test("ArtifactFile keeps path bytes exactly and stays equal through path and pathBytes")
    func artifactFileBytes() {
        var file = ArtifactFile(pathBytes: [0x61, 0x80], sha256: "ab")
        #expect(!file.isPathUTF8)
        #expect(file.sha256 == "ab")
        #expect(file != ArtifactFile(pathBytes: [0x61, 0x81], sha256: "ab"))
        file.path = "plain"
        #expect(file.isPathUTF8 && file.pathBytes == Array("plain".utf8))
        #expect(file == ArtifactFile(path: "plain", sha256: "ab"))
        let hex = String(repeating: "0f", count: 32)
        #expect(ArtifactFile(path: "x", sha256: hex).sha256 == hex)
        #expect(ArtifactFile(path: "x", sha256: hex.uppercased()).sha256 == hex.uppercased())
    }

    @Test("displayEscaped escapes control, C1 and bidi characters and backslashes, and keeps the rest",
          arguments: [
              ("plain name.bin", "plain name.bin"),
              ("ünïcødé-名前", "ünïcødé-名前"),
              ("clear\u{1B}[2J", "clear\\x1b[2J"),
              ("title\u{1B}]0;pwned\u{07}", "title\\x1b]0;pwned\\x07"),
              ("line\nforged\r", "line\\nforged\\r"),
              ("tab\there", "tab\\there"),
              ("back\\slash", "back\\\\slash"),
              ("del\u{7F}c1\u{9B}", "del\\x7fc1\\u{9b}"),
              ("evil\u{202E}txt.exe", "evil\\u{202e}txt.exe"),
          ])
    func escaping(input: String, expected: String) {
        #expect(displayEscaped(input) == expected)
    }

    @Test("displayEscaped(bytes:) writes bytes that are not UTF-8 as \\xHH")
    func escapingBytes() {
        #expect(displayEscaped(bytes: [0x61, 0xFF, 0xC3, 0xA9, 0xC3]) == "a\\xffé\\xc3")
        #expect(displayEscaped(bytes: Array("ok".utf8)) == "ok")
        #expect(displayEscaped(bytes: [0xED, 0xA0, 0x80]) == "\\xed\\xa0\\x80")  // a UTF-16 surrogate
    }

    @Test("error messages escape control characters in names")
    func errorsEscapeNames() async throws {
        let dir = TemporaryDirectory()
        let evil = "evil\u{1B}]0;title\u{07}\u{1B}[2J"
        try FileManager.default.createSymbolicLink(atPath: dir.file(evil), withDestinationPath: "nowhere")
        let error = await #expect(throws: HashingError.self) { try await ArtifactHasher().hash(dir.path) }
        #expect(error?.code == .danglingSymlink)
        #expect(error?.path == dir.file(evil))
        let text = error?.description ?? ""
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 })
        #expect(text.contains("evil\\x1b]0;title\\x07\\x1b[2J"))
    }

    @Test("errors compare by code")
    func errorEquality() {
        #expect(HashingError(.notFound, path: "a", reason: "x") == HashingError(.notFound, path: "b", reason: "y"))
        #expect(HashingError(.notFound, path: "a", reason: "x") != HashingError(.symlinkLoop, path: "a", reason: "x"))
    }
}
