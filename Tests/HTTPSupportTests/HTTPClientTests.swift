import Foundation
import HTTPSupport
import SystemSupport
import TestSupport
import Testing

/// The one HTTP client: typed errors naming the URL, bounded bodies, one deadline, redirects.
@Suite("HTTP client")
struct HTTPClientTests {
    let client = HTTPClient()

    @Test func refusedConnectionIsUnreachableAndNamesTheURL() async throws {
        let down = try RefusingLoopbackPort()
        defer { down.close() }
        let url = down.url("/v1/models")
        let error = await #expect(throws: HTTPError(.unreachable)) { try await client.send(url: url, timeout: .seconds(5)) }
        #expect(error?.message.hasPrefix(url.absoluteString) == true)
        #expect(error?.message.contains("connection refused") == true)
    }

    @Test func statusOutside2xxIsTypedByGet() async throws {
        let server = try LoopbackHTTPServer { _ in .text("overloaded\u{1B}[2J now", status: 503) }
        defer { server.stop() }
        let error = await #expect(throws: HTTPError(.status)) { try await client.get(server.url("/x"), timeout: .seconds(5)) }
        #expect(error?.message == "\(server.url("/x").absoluteString): HTTP 503: overloaded [2J now")
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let server = try LoopbackHTTPServer { _ in .init(status: 200, body: [UInt8](repeating: 0x41, count: 8 << 20)) }
        defer { server.stop() }
        let error = await #expect(throws: HTTPError(.tooLarge)) {
            try await client.send(url: server.url("/big"), timeout: .seconds(20), maxBodyBytes: 1 << 20)
        }
        #expect(error?.message.contains("larger than the limit of 1048576 bytes") == true)
        // Within the limit it is read whole.
        let ok = try await client.send(url: server.url("/big"), timeout: .seconds(20), maxBodyBytes: 8 << 20)
        #expect(ok.body.count == 8 << 20)
    }

    @Test func aCompressedBombStopsAtTheLimitAndTheDeadline() async throws {
        // 256 MiB of zeros, gzip-compressed to about 256 KiB, sent although identity was asked for.
        let dir = TemporaryDirectory("gzip-bomb")
        let made = try shell("head -c 268435456 /dev/zero | gzip -1 > \"$0\"", arguments: [dir.file("bomb.gz")])
        #expect(made.status == 0)
        let bomb = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("bomb.gz"))))
        let server = try LoopbackHTTPServer { _ in
            .init(status: 200, headers: [.init("Content-Encoding", "gzip"), .init("Content-Type", "application/json")], body: bomb)
        }
        defer { server.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await client.send(url: server.url("/bomb"), timeout: .seconds(10), maxBodyBytes: 4 << 20)
            Issue.record("a \(response.body.count)-byte inflated body was accepted")
        } catch {
            #expect(error.code == .tooLarge || error.code == .malformed, "\(error)")
        }
        #expect(clock.now - start < .seconds(10), "took \(clock.now - start)")
    }

    @Test func aRedirectToFileStopsAtTheFirstRefusal() async throws {
        let server = try LoopbackHTTPServer { _ in
            .init(status: 302, headers: [.init("Location", "file:///etc/passwd")])
        }
        defer { server.stop() }
        let error = await #expect(throws: HTTPError(.redirectRefused)) { try await client.send(url: server.url("/r"), timeout: .seconds(5)) }
        #expect(error?.message.contains("file:///etc/passwd") == true)
        #expect(error?.message.contains("only http and https redirects are followed") == true, "\(error?.message ?? "")")
        #expect(server.requests.count == 1)
    }

    @Test func httpRedirectsAreFollowedAndTheKeyIsNotCarriedElsewhere() async throws {
        let target = try LoopbackHTTPServer { _ in .json("{}") }
        defer { target.stop() }
        let server = try LoopbackHTTPServer { _ in .init(status: 302, headers: [.init("Location", target.url("/there").absoluteString)]) }
        defer { server.stop() }
        let response = try await client.send(url: server.url("/here"), headers: ["X-API-Key": "k-123"], timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(target.requests.count == 1)
        #expect(server.requests.first?.header("X-API-Key") == "k-123")
        #expect(target.requests.first?.header("X-API-Key") == nil, "the key followed a redirect to another origin")
    }

    @Test func aTrickledBodyIsCutAtTheDeadline() async throws {
        for ipv6 in [false, true] {
            let server = try RawLoopbackServer(ipv6: ipv6) { connection in
                connection.readHead()
                guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n") else { return }
                for _ in 0..<100 {
                    usleep(100_000)
                    guard connection.write("x") else { return }
                }
            }
            defer { server.stop() }
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: HTTPError(.timeout)) { try await client.send(url: server.url("/slow"), timeout: .seconds(1)) }
            #expect(clock.now - start < .seconds(4), "ipv6 \(ipv6): took \(clock.now - start)")
        }
    }

    @Test func ipv6LiteralsAreReachedWithTheSameRules() async throws {
        let server = try RawLoopbackServer(ipv6: true) { connection in
            let head = connection.readHead()
            if head.hasPrefix("GET /chunked ") {
                connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            } else if head.hasPrefix("GET /big ") {
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n")
            } else {
                connection.write("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope")
            }
        }
        defer { server.stop() }
        let chunked = try await client.get(server.url("/chunked"), timeout: .seconds(5))
        #expect(chunked.bodyText == "hello world")
        await #expect(throws: HTTPError(.tooLarge)) { try await client.get(server.url("/big"), timeout: .seconds(5), maxBodyBytes: 1024) }
        let missing = await #expect(throws: HTTPError(.status)) { try await client.get(server.url("/missing"), timeout: .seconds(5)) }
        #expect(missing?.message == "http://[::1]:\(server.port)/missing: HTTP 404: nope")
    }

    @Test func anIPv6ChunkedAnswerEndsAtItsLastChunkEvenWhenTheServerKeepsTheConnection() async throws {
        let server = try RawLoopbackServer(ipv6: true) { connection in
            _ = connection.readHead()
            connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            Thread.sleep(forTimeInterval: 15)  // keep-alive: the server does not close
        }
        defer { server.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        let answer = try await client.get(server.url("/keep"), timeout: .seconds(20))
        #expect(answer.bodyText == "hello")
        #expect(clock.now - start < .seconds(8), "took \(clock.now - start)")
    }

    @Test func anIPv6InterimAnswerIsSkipped() async throws {
        let server = try RawLoopbackServer(ipv6: true) { connection in
            _ = connection.readHead()
            connection.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
            connection.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        }
        defer { server.stop() }
        let answer = try await client.get(server.url("/hints"), timeout: .seconds(5))
        #expect(answer.status == 200)
        #expect(answer.bodyText == "ok")
    }

    @Test func credentialsInAURLAreNeverPrinted() async throws {
        let server = try LoopbackHTTPServer { _ in .text("nope", status: 503) }
        defer { server.stop() }
        let withUser = URL(string: "http://me:s3cret@127.0.0.1:\(server.port)/x")!
        let status = await #expect(throws: HTTPError(.status)) { try await client.get(withUser, timeout: .seconds(5)) }
        #expect(status?.message == "http://***@127.0.0.1:\(server.port)/x: HTTP 503: nope")
        let refused = await #expect(throws: HTTPError(.unreachable)) {
            try await client.get(URL(string: "http://me:s3cret@127.0.0.1:1/y")!, timeout: .seconds(5))
        }
        #expect(refused?.message.contains("s3cret") == false)
        #expect(refused?.message.hasPrefix("http://***@127.0.0.1:1/y") == true)
        #expect(URL(string: "https://a@b@host:1/p?q=x@y#f@g")!.redactedText == "https://***@host:1/p?q=x@y#f@g")
        #expect(URL(string: "http://host/p@q")!.redactedText == "http://host/p@q")
    }

    @Test func aLargeBodyIsCollectedInLinearTime() async throws {
        // 16 MiB arrive in many chunks; collecting them must not copy the body for each chunk
        // (it did: 32 MiB took 41 s).
        let server = try RawLoopbackServer(ipv6: false) { connection in
            _ = connection.readHead()
            guard connection.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n") else { return }
            let chunk = [UInt8](repeating: 0x20, count: 64 << 10)
            while connection.write(chunk) {}
        }
        defer { server.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: HTTPError(.tooLarge)) {
            try await client.get(server.url("/endless"), timeout: .seconds(60), maxBodyBytes: 16 << 20)
        }
        #expect(clock.now - start < .seconds(8), "took \(clock.now - start)")
    }

    @Test func slowServersDoNotHoldUpOtherExchanges() async throws {
        // Many more slow exchanges than this host has processors: every one is under way at
        // once (none waits for a thread), and a fast one answers meanwhile.
        let slow = try LoopbackHTTPServer { _ in .json("{}", delay: .seconds(4)) }
        defer { slow.stop() }
        let fast = try LoopbackHTTPServer { _ in .json("{\"ok\": true}") }
        defer { fast.stop() }
        let client = self.client
        let count = max(6, ProcessInfo.processInfo.activeProcessorCount * 3)
        let waiting = (0..<count).map { i in
            Task { try? await client.send(url: slow.url("/slow/\(i)"), timeout: .seconds(3)) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let answer = try await client.get(fast.url("/fast"), timeout: .seconds(2))
        #expect(answer.bodyText.contains("ok"))
        #expect(clock.now - start < .milliseconds(500), "the fast answer waited \(clock.now - start) behind the slow ones")
        try await Task.sleep(for: .milliseconds(700))
        #expect(slow.requests.count == count, "only \(slow.requests.count) of \(count) slow requests were sent within a second")
        for task in waiting { _ = await task.value }
    }

    @Test func answersWithoutABodyEndAtTheirHeadersWhateverTheirLength() async throws {
        // A 204 or 304, or any answer to HEAD, has no body: a Content-Length on it counts for
        // nothing, and a server that keeps the connection open must not run into the deadline.
        let server = try RawLoopbackServer(ipv6: false) { connection in
            let head = connection.readHead()
            let status = head.hasPrefix("GET /not-modified ") ? "304 Not Modified" : head.hasPrefix("HEAD ") ? "200 OK" : "204 No Content"
            guard connection.write("HTTP/1.1 \(status)\r\nContent-Length: 10\r\n\r\n") else { return }
            usleep(3_000_000)
        }
        defer { server.stop() }
        let clock = ContinuousClock()
        for (method, path, status) in [("GET", "/empty", 204), ("GET", "/not-modified", 304), ("HEAD", "/model", 200)] {
            let start = clock.now
            let answer = try await client.send(method: method, url: server.url(path), timeout: .seconds(2))
            #expect(answer.status == status && answer.body.isEmpty, "\(method) \(path)")
            #expect(clock.now - start < .seconds(1), "\(method) \(path) took \(clock.now - start)")
        }
    }

    @Test func durationsConvertOnce() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.milliseconds(500).secondsText == "0.5 s")
        #expect(Duration.seconds(180).secondsText == "180 s")
        #expect(Duration.validSeconds(2.5, maximum: .seconds(10)) == .milliseconds(2500))
        for bad in [0, -1, 11, .nan, .infinity, 1e20] as [Double] {
            #expect(Duration.validSeconds(bad, maximum: .seconds(10)) == nil, "\(bad)")
        }
    }
}
