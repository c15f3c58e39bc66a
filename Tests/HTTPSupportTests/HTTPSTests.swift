import Foundation
import HTTPSupport
import TestSupport
import Testing

/// https against a real TLS server on loopback: `openssl s_server -www`, with a certificate
/// made for each test by `openssl req`.
@Suite("HTTPS", .serialized)
struct HTTPSTests {
    @Test func aTrustedCertificateIsAcceptedByAddressAndByName() async throws {
        let server = try TLSServer(subjectAltNames: "DNS:localhost,IP:127.0.0.1", connections: 2)
        defer { server.stop() }
        let client = HTTPClient(caFile: server.certificate)
        let byAddress = try await client.get(URL(string: "https://127.0.0.1:\(server.port)/")!, timeout: .seconds(10))
        #expect(byAddress.status == 200)
        #expect(byAddress.bodyText.contains("s_server"), "\(byAddress.bodyText.prefix(200))")
        // `localhost` may resolve to ::1 first, where nothing listens: the next address answers.
        let byName = try await client.get(URL(string: "https://localhost:\(server.port)/")!, timeout: .seconds(10))
        #expect(byName.bodyText.contains("s_server"))
    }

    @Test func aCertificateNoTrustedAuthoritySignedIsRefused() async throws {
        let server = try TLSServer(subjectAltNames: "IP:127.0.0.1", connections: 1)
        defer { server.stop() }
        let url = URL(string: "https://127.0.0.1:\(server.port)/v1/models")!
        let error = await #expect(throws: HTTPError(.unreachable)) { try await HTTPClient().get(url, timeout: .seconds(10)) }
        #expect(error?.message.hasPrefix(url.absoluteString + ": the server's TLS certificate was refused: ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("self-signed") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("SSL_CERT_FILE") == true)
    }

    @Test func aCertificateForAnotherHostIsRefused() async throws {
        let server = try TLSServer(subjectAltNames: "DNS:other.example", connections: 1)
        defer { server.stop() }
        let url = URL(string: "https://127.0.0.1:\(server.port)/")!
        let error = await #expect(throws: HTTPError(.unreachable)) {
            try await HTTPClient(caFile: server.certificate).get(url, timeout: .seconds(10))
        }
        #expect(error?.message.contains("mismatch") == true, "\(error?.message ?? "")")
    }

    @Test func httpsToAPlainHTTPServerFailsQuicklyWithAReason() async throws {
        let server = try RawLoopbackServer(ipv6: false) { connection in
            connection.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        defer { server.stop() }
        let url = URL(string: "https://127.0.0.1:\(server.port)/")!
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: HTTPError(.unreachable)) { try await HTTPClient().get(url, timeout: .seconds(10)) }
        #expect(error?.message.contains("TLS") == true, "\(error?.message ?? "")")
        #expect(clock.now - start < .seconds(5))
    }

    @Test func aMissingTrustFileIsNamed() async throws {
        let server = try TLSServer(subjectAltNames: "IP:127.0.0.1", connections: 1)
        defer { server.stop() }
        let error = await #expect(throws: HTTPError(.unreachable)) {
            try await HTTPClient(caFile: "/nonexistent/ca.pem").get(URL(string: "https://127.0.0.1:\(server.port)/")!, timeout: .seconds(10))
        }
        #expect(error?.message.contains("'/nonexistent/ca.pem'") == true, "\(error?.message ?? "")")
    }
}

/// `openssl s_server -www` on 127.0.0.1 with a fresh self-signed certificate; it answers
/// `GET /` with a page that names itself, then exits after `connections` connections.
final class TLSServer {
    let directory = TemporaryDirectory("tls-server")
    let process = Process()
    let port: Int
    var certificate: String { directory.file("cert.pem") }

    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    init(subjectAltNames: String, connections: Int) throws {
        let made = try runProcess("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem"), "-days", "2",
            "-subj", "/CN=modelctl test", "-addext", "subjectAltName=\(subjectAltNames)",
        ])
        guard made.status == 0 else { throw StartError(description: "openssl req failed: \(made.stderr)") }
        let log = directory.file("server.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", directory.file("cert.pem"), "-key", directory.file("key.pem"),
                             "-www", "-naccept", String(connections)]
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // It prints `ACCEPT 127.0.0.1:PORT` once it listens.
        let clock = ContinuousClock()
        let give = clock.now + .seconds(10)
        var found: Int?
        while found == nil && clock.now < give {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }), let colon = line.lastIndex(of: ":") {
                found = Int(line[line.index(after: colon)...])
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            process.terminate()
            throw StartError(description: "openssl s_server did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
