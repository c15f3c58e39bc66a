import Foundation
import HTTPSupport
import Synchronization
import TestSupport
import Testing

/// Requests through HTTP proxies, as curl reads them from the environment: plain HTTP
/// forwarded to a stand-in proxy on loopback, https through a `CONNECT` tunnel to a real
/// `openssl s_server`.
@Suite("HTTP proxies", .serialized)
struct HTTPProxyTests {
    @Test func plainHTTPIsForwardedWithTheWholeURLAndTheProxyCredentials() async throws {
        let proxy = try LoopbackHTTPServer { _ in .json("{\"data\": []}") }
        defer { proxy.stop() }
        let client = HTTPClient(proxies: ProxySettings(http: "http://team:s3cret@127.0.0.1:\(proxy.port)"))
        let url = URL(string: "http://models.example.invalid:8000/v1/models?limit=5")!
        let answer = try await client.get(url, headers: ["X-API-Key": "k"], timeout: .seconds(5))
        #expect(answer.bodyText.contains("data"))
        let request = try #require(proxy.requests.first)
        #expect(request.target == "http://models.example.invalid:8000/v1/models?limit=5")
        #expect(request.header("Host") == "models.example.invalid:8000")
        #expect(request.header("Proxy-Authorization") == "Basic " + Data("team:s3cret".utf8).base64EncodedString())
        #expect(request.header("X-API-Key") == "k")
    }

    @Test func noProxyHostsAndLoopbackAreReachedDirectly() async throws {
        let proxy = try LoopbackHTTPServer { _ in .json("{}") }
        defer { proxy.stop() }
        let server = try LoopbackHTTPServer { _ in .json("{\"direct\": true}") }
        defer { server.stop() }
        let client = HTTPClient(proxies: ProxySettings(http: "127.0.0.1:\(proxy.port)", noProxy: ["example.invalid"]))
        // Loopback: never through a proxy.
        let direct = try await client.get(server.url("/v1/models"), timeout: .seconds(5))
        #expect(direct.bodyText.contains("direct"))
        // A no_proxy domain covers its subdomains: tried directly, and the name does not resolve.
        let error = await #expect(throws: HTTPError(.unreachable)) {
            try await client.get(URL(string: "http://api.models.example.invalid/v1/models")!, timeout: .seconds(5))
        }
        #expect(error?.message.contains("cannot resolve the host name 'api.models.example.invalid'") == true, "\(error?.message ?? "")")
        #expect(proxy.requests.isEmpty)
    }

    @Test func noProxyMatchesAsCurlDoes() async throws {
        let proxy = try LoopbackHTTPServer { _ in .json("{\"via\": \"proxy\"}") }
        defer { proxy.stop() }
        let settings = ProxySettings(http: "127.0.0.1:\(proxy.port)", noProxy: ["10.0.0.0/8", "fd00::/8", "corp.example.", "192.168.1.7"])
        let client = HTTPClient(proxies: settings)
        func viaProxy(_ url: String) async -> Bool {
            let before = proxy.requests.count
            _ = try? await client.send(url: URL(string: url)!, timeout: .milliseconds(300))
            return proxy.requests.count > before
        }
        // Reached directly: inside a CIDR block, a listed address, a listed domain (trailing dots aside).
        #expect(await !viaProxy("http://10.1.2.3:8000/v1/models"))
        #expect(await !viaProxy("http://[fd00::5]:8000/v1/models"))
        #expect(await !viaProxy("http://192.168.1.7/v1/models"))
        #expect(await !viaProxy("http://api.corp.example./v1/models"))
        // Through the proxy: outside the block, a name that merely starts with "127.", an
        // address whose text ends like a listed one, a domain that only ends in the same letters.
        #expect(await viaProxy("http://11.1.2.3:8000/v1/models"))
        #expect(await viaProxy("http://127.build.example.invalid/v1/models"))
        #expect(await viaProxy("http://10.192.168.1.7.example.invalid/v1/models"))
        #expect(await viaProxy("http://notcorp.example/v1/models"))
    }

    @Test func httpsGoesThroughATunnelAndTheCertificateIsStillChecked() async throws {
        let server = try TLSServer(subjectAltNames: "DNS:tls.example.invalid", connections: 1)
        defer { server.stop() }
        let asked = Mutex<[String]>([])
        let serverPort = UInt16(server.port)
        let tunnel = try RawLoopbackServer(ipv6: false) { connection in
            let head = connection.readHead()
            asked.withLock { $0.append(head) }
            connection.relay(toLoopbackPort: serverPort) {
                connection.write("HTTP/1.1 200 Connection established\r\n\r\n")
            }
        }
        defer { tunnel.stop() }
        let client = HTTPClient(caFile: server.certificate, proxies: ProxySettings(https: "http://u:p@127.0.0.1:\(tunnel.port)"))
        let answer = try await client.get(URL(string: "https://tls.example.invalid:\(server.port)/")!, timeout: .seconds(10))
        #expect(answer.bodyText.contains("s_server"))
        let head = try #require(asked.withLock { $0.first })
        #expect(head.hasPrefix("CONNECT tls.example.invalid:\(server.port) HTTP/1.1\r\n"), "\(head)")
        #expect(head.contains("Proxy-Authorization: Basic " + Data("u:p".utf8).base64EncodedString()))
    }

    @Test func aProxyThatRefusesTheTunnelIsNamed() async throws {
        let tunnel = try RawLoopbackServer(ipv6: false) { connection in
            connection.readHead()
            connection.write("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        }
        defer { tunnel.stop() }
        let client = HTTPClient(proxies: ProxySettings(https: "127.0.0.1:\(tunnel.port)"))
        let error = await #expect(throws: HTTPError(.unreachable)) {
            try await client.get(URL(string: "https://capabilities.example.invalid/api/v1/get_server_capabilities")!, timeout: .seconds(5))
        }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("https://capabilities.example.invalid/api/v1/get_server_capabilities: the proxy 127.0.0.1:\(tunnel.port) refused the tunnel: HTTP/1.1 407"), "\(message)")
        #expect(message.contains("http://user:password@host:port"))
    }

    @Test func aProxyOfAnotherKindIsRefusedByName() async throws {
        let client = HTTPClient(proxies: ProxySettings(https: "socks5://user:pw@10.0.0.1:1080"))
        let error = await #expect(throws: HTTPError(.invalidURL)) {
            try await client.get(URL(string: "https://capabilities.example.invalid/")!, timeout: .seconds(5))
        }
        #expect(error?.message.contains("is a socks5:// proxy") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("pw") == false, "the proxy's password was printed")
        #expect(error?.message.contains("10.0.0.1") == false)
    }

    @Test func anUnreachableProxyIsNamed() async throws {
        let down = try RefusingLoopbackPort()
        defer { down.close() }
        let client = HTTPClient(proxies: ProxySettings(http: "127.0.0.1:\(down.port)"))
        let error = await #expect(throws: HTTPError(.unreachable)) {
            try await client.get(URL(string: "http://gpu-box.example.invalid:24001/v1/models")!, timeout: .seconds(5))
        }
        #expect(error?.message.contains("the proxy 127.0.0.1:\(down.port) refused the connection") == true, "\(error?.message ?? "")")
    }

    @Test func secretHeadersGoOverPlainHTTPOnlyOnAConnectionThatReachedALoopbackAddress() async throws {
        let proxy = try LoopbackHTTPServer { _ in .json("{\"via\": \"proxy\"}") }
        defer { proxy.stop() }
        let server = try LoopbackHTTPServer { _ in .json("{\"direct\": true}") }
        defer { server.stop() }
        let client = HTTPClient(proxies: ProxySettings(http: "127.0.0.1:\(proxy.port)"))
        // A name under .localhost is not loopback by its spelling: it goes through the proxy as
        // any name that does not resolve to the loopback, and the secret is left out.
        let named = try await client.get(URL(string: "http://models.localhost:\(server.port)/v1/models")!,
                                         secretHeaders: ["X-API-Key": "k-1"], timeout: .seconds(5))
        #expect(named.bodyText.contains("proxy"))
        #expect(named.withheldHeaders == ["x-api-key"])
        #expect(proxy.requests.count == 1 && proxy.requests.first?.header("X-API-Key") == nil)
        // localhost resolves to the loopback, and 127.0.0.1 is it: reached directly, with the secret.
        for host in ["127.0.0.1", "localhost"] {
            let direct = try await client.get(URL(string: "http://\(host):\(server.port)/v1/models")!,
                                              secretHeaders: ["X-API-Key": "k-2"], timeout: .seconds(5))
            #expect(direct.bodyText.contains("direct") && direct.withheldHeaders.isEmpty, "\(host)")
        }
        #expect(server.requests.count == 2 && server.requests.allSatisfy { $0.header("X-API-Key") == "k-2" })
    }
}
