#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ModelRegistry
import ModelRuntime
import Synchronization
import TestSupport
import OrderedJSON

/// An entry from JSON text.
func entry(_ json: String) throws -> RegistryEntry {
    let value = try JSON.parse(json, source: "test")
    return try RegistryEntry(value.objectValue!, source: "test")
}

/// A registry directory holding `curated` (a JSON array) as its curated layer.
func registry(curated: String, in directory: TemporaryDirectory) throws -> RegistryStore {
    try directory.write(RegistryStore.curatedFileName, curated)
    return RegistryStore(directory: directory.path)
}

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago; never the same one twice
/// in one test run, so tests running in parallel do not share one.
func freePort() -> Int {
    while true {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        if issuedPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
}

private let issuedPorts = Mutex(Set<Int>())

/// A valid PNG of `width` x `height` pixels, all of one RGB colour (stored, uncompressed deflate).
func solidPNG(red: UInt8, green: UInt8, blue: UInt8, width: Int = 8, height: Int = 8) -> [UInt8] {
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }
    var raw: [UInt8] = []
    for _ in 0..<height {
        raw.append(0)  // filter: none
        for _ in 0..<width { raw += [red, green, blue] }
    }
    precondition(raw.count < 65536)
    let length = UInt16(raw.count)
    var zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
    zlib += raw
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw {
        a = (a + UInt32(byte)) % 65521
        b = (b + a) % 65521
    }
    zlib += be32(b << 16 | a)
    let header = be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// `fixtures/standin/fake_vllm.py` of this package.
let fakeVLLMScript = repositoryRoot + "/fixtures/standin/fake_vllm.py"

/// The Python interpreter itself (not a shim that execs it), found once.
let python3: String = {
    let found = try? runProcess("/usr/bin/env", ["python3", "-c", "import sys; print(sys.executable)"])
    let path = found?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    return found?.status == 0 && !path.isEmpty ? path : "python3"
}()

/// Whether a process with `pid` exists and is not a zombie.
func processIsAlive(_ pid: Int32) -> Bool {
    var status: Int32 = 0
    if waitpid(pid, &status, WNOHANG) == pid { return false }
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// A simple GET on 127.0.0.1, for checking what a launched stand-in serves.
func get(port: Int, path: String) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.timeoutInterval = 5
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// The entry's model path as the CLI resolves it for the orchestrator (local paths only).
func localPath(_ store: RegistryStore, _ name: String) throws -> String {
    let context = LocationContext(home: nil, workingDirectory: FileManager.default.currentDirectoryPath)
    guard case .local(let path) = try store.load().entry(named: name).artifactLocation(registryDirectory: store.directory, context: context) else {
        throw RuntimeError(.modelPathNotLocal, "\(name): not a local path")
    }
    return path
}
