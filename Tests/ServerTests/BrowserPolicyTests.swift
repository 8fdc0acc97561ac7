import Foundation
import Testing
import TestSupport

@testable import HTTPTransport
@testable import Server

/// What a web page in the user's browser can do to a node on 127.0.0.1, over a raw socket as the browser would send
/// it: a "simple" `text/plain` POST (no preflight), a DNS-rebinding page's foreign `Host`, another site's `Origin`.
@Suite("Browser-safe by default")
struct BrowserPolicyTests {
    static func request(host: String? = "127.0.0.1:8547", contentType: String? = "application/json", origin: String? = nil, method: String = "POST") -> String {
        let body = ServerTests.request("eth_chainId", "[]")
        var head = "\(method) / HTTP/1.1\r\n"
        if let host { head += "Host: \(host)\r\n" }
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if let origin { head += "Origin: \(origin)\r\n" }
        return method == "POST" ? head + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" : head + "\r\n"
    }

    /// Each request, the status the default policy answers, and whether CORS headers come back.
    static let cases: [(String, String, Int)] = [
        ("JSON from a local client", request(), 200),
        ("JSON with a charset", request(contentType: "application/json; charset=utf-8"), 200),
        ("localhost by name", request(host: "localhost:8547"), 200),
        ("IPv6 loopback", request(host: "[::1]:8547"), 200),
        ("HTTP/1.0 without Host", request(host: nil), 200),
        ("a simple text/plain POST, as a page sends without a preflight", request(contentType: "text/plain"), 415),
        ("a form POST", request(contentType: "application/x-www-form-urlencoded"), 415),
        ("no content type", request(contentType: nil), 415),
        ("a rebinding page's name", request(host: "evil.example"), 403),
        ("a rebinding page's name with the node's port", request(host: "evil.example:8547"), 403),
        ("another site's page", request(origin: "https://evil.example"), 403),
        ("another site's preflight", request(contentType: nil, origin: "https://evil.example", method: "OPTIONS"), 403),
    ]

    @Test func theDefaultPolicyRefusesPagesAndForeignHosts() async throws {
        let (server, port) = try await HTTPTests.start(HTTPServer(dispatcher: ServerTests.fixture.dispatcher, host: "127.0.0.1", port: 0))
        defer { server.cancel() }
        for (name, request, status) in Self.cases {
            let connection = try #require(RawHTTPConnection(port: port))
            connection.send(request)
            let answer = try #require(connection.readResponse(), "\(name)")
            #expect(answer.status == status, "\(name): \(String(decoding: answer.body, as: UTF8.self))")
            #expect(answer.headers["access-control-allow-origin"] == nil, "\(name)")
        }
    }

    /// A listed origin gets its CORS headers on the answer and on its preflight; the node's config names it.
    @Test func aListedOriginIsAnswered() async throws {
        let policy = BrowserPolicy(hosts: BrowserPolicy.defaultHosts + ["node.lan"], corsOrigins: ["https://app.example"])
        let (server, port) = try await HTTPTests.start(HTTPServer(dispatcher: ServerTests.fixture.dispatcher, host: "127.0.0.1", port: 0, browsers: policy))
        defer { server.cancel() }
        let connection = try #require(RawHTTPConnection(port: port))
        connection.send(Self.request(host: "node.lan:8547", origin: "https://app.example"))
        let answer = try #require(connection.readResponse())
        #expect(answer.status == 200 && answer.headers["access-control-allow-origin"] == "https://app.example" && answer.headers["vary"] == "Origin")
        connection.send(Self.request(contentType: nil, origin: "https://app.example", method: "OPTIONS"))
        let preflight = try #require(connection.readResponse())
        #expect(preflight.status == 204 && preflight.headers["access-control-allow-origin"] == "https://app.example")
        #expect(preflight.headers["access-control-allow-headers"] == "Content-Type")
        connection.send(Self.request(origin: "https://other.example"))
        #expect(connection.readResponse()?.status == 403)
    }
}
