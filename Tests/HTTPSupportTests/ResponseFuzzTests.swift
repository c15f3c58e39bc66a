import Foundation
import HTTPSupport
import TestSupport
import Testing

/// The response reader under hostile bytes: every truncation of a few well-formed answers, a few
/// thousand seeded mutations of them, and random bytes, each sent by a loopback server that then
/// closes. Every exchange must end, well inside its deadline, in a response or a thrown `HTTPError`.
struct ResponseFuzzTests {
    static let seeds: [[UInt8]] = [
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope",
        "HTTP/1.0 204 No Content\r\nX-A: b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"data\": [{\"id\": \"m\", \"max_model_len\": 4096}]}",
    ].map { Array($0.utf8) }

    /// The cases, made from a fixed seed so that a failure can be replayed.
    static func cases() -> [[UInt8]] {
        var random = SplitMix(seed: 0x5EED_F00D)
        var out: [[UInt8]] = []
        for seed in seeds {
            for length in 0..<seed.count { out.append(Array(seed[..<length])) }
        }
        let alphabet = Array("0123456789abcdefABCDEF \t\r\n:;,-/HTTP".utf8)
        for _ in 0..<2_500 {
            var bytes = seeds[random.below(seeds.count)]
            for _ in 0..<(1 + random.below(4)) {
                let at = random.below(bytes.count + 1)
                let byte = random.below(2) == 0 ? alphabet[random.below(alphabet.count)] : UInt8(truncatingIfNeeded: random.next())
                switch random.below(4) {
                case 0 where at < bytes.count: bytes[at] = byte
                case 1 where at < bytes.count: bytes.remove(at: at)
                case 2: bytes.insert(byte, at: at)
                default: bytes = Array(bytes[..<at])
                }
            }
            out.append(bytes)
        }
        for _ in 0..<300 {
            out.append((0..<random.below(300)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        return out
    }

    @Test("truncated, mutated and random answers end in a response or an HTTPError, never a hang")
    func hostileAnswers() async throws {
        let cases = Self.cases()
        #expect(cases.count > 3_000)
        let server = try RawLoopbackServer(ipv6: false) { connection in
            let head = connection.readHead()
            let index = head.split(separator: " ").dropFirst().first.flatMap { Int($0.dropFirst()) } ?? -1
            if cases.indices.contains(index) { _ = connection.write(cases[index]) }
        }
        defer { server.stop() }
        let client = HTTPClient()
        var responses = 0, errors = 0, slowest = Duration.zero
        func tally(_ index: Int, _ outcome: Result<HTTPResponse, HTTPError>, _ took: Duration) {
            if case .success(let response) = outcome {
                responses += 1
                #expect((100...999).contains(response.status), "case \(index)")
                #expect(response.body.count <= 1 << 16, "case \(index)")
            } else {
                errors += 1
            }
            slowest = max(slowest, took)
        }
        try await withThrowingTaskGroup(of: (Int, Result<HTTPResponse, HTTPError>, Duration).self) { group in
            for index in cases.indices {
                if index >= 8, let done = try await group.next() { tally(done.0, done.1, done.2) }
                let url = server.url("/\(index)")
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let outcome: Result<HTTPResponse, HTTPError>
                    do throws(HTTPError) { outcome = .success(try await client.send(url: url, timeout: .seconds(10), maxBodyBytes: 1 << 16)) }
                    catch { outcome = .failure(error) }
                    return (index, outcome, clock.now - start)
                }
            }
            for try await done in group { tally(done.0, done.1, done.2) }
        }
        let result = (responses: responses, errors: errors, slowest: slowest)
        #expect(result.responses + result.errors == cases.count)
        #expect(result.responses > 0 && result.errors > 0)
        // The server closes after each answer: no case may wait for its deadline.
        #expect(result.slowest < .seconds(5), "slowest exchange: \(result.slowest)")
    }
}

/// A small seeded generator (SplitMix64), so the cases are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
}
