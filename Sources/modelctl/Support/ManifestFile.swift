import ArtifactHashing
import ErrorSupport
import Foundation
import OrderedJSON
import SystemSupport

/// A file list written by `modelctl hash` (or `sha256sum`), read back for
/// `verify DIR --manifest FILE`: sha256sum lines, or the `hash --json` object.
enum ManifestFile {
    /// The largest manifest read (about a million files).
    static let sizeLimit = 256 << 20

    /// The files `path` lists. The format is told by the first byte that is not white space:
    /// `{` is `hash --json` output, anything else sha256sum lines (`<hex>  <path>`, `<hex> *<path>`,
    /// and the escaped `\<hex>  <path>` form for names with `\`, line feeds or carriage returns).
    ///
    /// - Throws: ``CommandFailure`` (exit 1) naming the file and line: unreadable, too large,
    ///   a malformed line or object, or a path listed twice.
    static func read(_ path: String) throws -> [ArtifactFile] {
        let bytes: [UInt8]
        do {
            guard let read = try AtomicFile.read(path, limit: sizeLimit) else { throw CommandFailure.error("\(path): manifest not found") }
            bytes = read
        } catch let error as FileError {
            throw CommandFailure.error("\(path): cannot read the manifest: \(error.message)")
        }
        let files = bytes.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{")
            ? try parseJSON(bytes, source: path) : try parseLines(bytes, source: path)
        var seen = Set<[UInt8]>()
        for file in files where !seen.insert(file.pathBytes).inserted {
            throw CommandFailure.error("\(path): \(file.displayPath) is listed twice; a manifest lists each file once")
        }
        return files
    }

    static func parseLines(_ bytes: [UInt8], source: String) throws -> [ArtifactFile] {
        var files: [ArtifactFile] = []
        for (number, rawLine) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { continue }
            let escaped = line.first == UInt8(ascii: "\\")
            if escaped { line = line.dropFirst() }
            // <64 hex><space><space or *><path>
            let hexEnd = line.startIndex + 64
            guard line.count > 66, line[line.startIndex..<hexEnd].allSatisfy(isHex), line[hexEnd] == 0x20,
                  line[hexEnd + 1] == 0x20 || line[hexEnd + 1] == UInt8(ascii: "*") else {
                throw CommandFailure.error("\(source):\(number + 1): not a sha256sum line (expected '<64 hex digits>  <path>')")
            }
            var name = Array(line[(hexEnd + 2)...])
            if escaped {
                guard let unescaped = unescape(name) else {
                    throw CommandFailure.error("\(source):\(number + 1): a backslash in an escaped name must be followed by \\, n or r")
                }
                name = unescaped
            }
            let hex = String(decoding: line[line.startIndex..<hexEnd], as: UTF8.self).lowercased()
            files.append(ArtifactFile(pathBytes: name, sha256: hex))
        }
        return files
    }

    static func parseJSON(_ bytes: [UInt8], source: String) throws -> [ArtifactFile] {
        let value: JSONValue
        do { value = try OrderedJSON.JSON.parse(bytes, source: source) } catch { throw CommandFailure.error(error.description) }
        guard let items = value.objectValue?["files"]?.arrayValue else {
            throw CommandFailure.error("\(source): expected the object `modelctl hash --json` prints, with a \"files\" array")
        }
        return try items.enumerated().map { index, item in
            let object = item.objectValue
            let base64 = object?["path_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) }
            guard let sha256 = object?["sha256"]?.stringValue, sha256.utf8.count == 64, sha256.utf8.allSatisfy(isHex),
                  let path = object?["path"]?.stringValue, !path.isEmpty else {
                throw CommandFailure.error("\(source): files[\(index)] must hold a \"path\" and a 64-digit \"sha256\"")
            }
            return ArtifactFile(pathBytes: base64.map(Array.init) ?? Array(path.utf8), sha256: sha256.lowercased())
        }
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte)
    }

    /// sha256sum's escapes undone: `\\`, `\n`, `\r`; `nil` for any other backslash.
    private static func unescape(_ name: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var iterator = name.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            switch iterator.next() {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            default: return nil
            }
        }
        return out
    }
}
