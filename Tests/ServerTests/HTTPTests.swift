import DevChain
import EthRPC
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TokenEvents
#if canImport(Glibc)
import Glibc
#endif

@testable import Server

/// The server over real HTTP on loopback: a JSON-RPC body in, the dispatcher's answer out, with the HTTP statuses
/// a client expects.
@Suite("JSON-RPC over HTTP on loopback")
struct HTTPTests {
    actor Port {
        var value: Int?
        func set(_ port: Int) { value = port }
    }

    static func post(_ body: Data, port: Int, path: String = "/") async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, data)
    }

    /// Starts `server` on its own task; returns the task (cancel it to stop) and the bound port.
    static func start(_ server: HTTPServer) async throws -> (Task<Void, Error>, Int) {
        let port = Port()
        let task = Task { try await server.run { await port.set($0) } }
        for _ in 0..<200 {
            if let bound = await port.value { return (task, bound) }
            try await Task.sleep(for: .milliseconds(25))
        }
        task.cancel()
        throw CancellationError()
    }

    @Test func requestsOverLoopback() async throws {
        let dispatcher = ServerTests.fixture.dispatcher
        let index = ServerTests.fixture.index
        let (server, p) = try await Self.start(HTTPServer(dispatcher: dispatcher, host: "127.0.0.1", port: 0, metrics: {
            [
                .gauge("provenant_indexed_block", "Number of the last indexed block.", Double((try? index.cursor())?.number ?? 0)),
                MetricFamily(name: "provenant_upstream_errors_total", help: "Upstream failures.", type: .counter, samples: [
                    ([("upstream", #"http://a/"q""#), ("kind", "timeout")], 2),
                ]),
            ]
        }, health: { ["sync": ["phase": "following", "current": true]] }))
        defer { server.cancel() }

        let call = Data(ServerTests.request("asset_ownerOf", #"["\#(ServerTests.visions)", "0x1"]"#).utf8)
        let (status, body) = try await Self.post(call, port: p)
        #expect(status == 200)
        #expect(body == dispatcher.handle(call))

        let (notificationStatus, empty) = try await Self.post(Data(#"{"jsonrpc":"2.0","method":"eth_chainId"}"#.utf8), port: p)
        #expect(notificationStatus == 204 && empty.isEmpty)

        let (badStatus, bad) = try await Self.post(Data("{".utf8), port: p)
        #expect(badStatus == 200)
        #expect(String(decoding: bad, as: UTF8.self).contains("-32700"))

        let (bigStatus, big) = try await Self.post(Data(count: RPCLimits.maxBodyBytes + 100), port: p)
        #expect(bigStatus == 413)
        #expect(String(decoding: big, as: UTF8.self).contains("-32600"))

        var health = URLRequest(url: URL(string: "http://127.0.0.1:\(p)/health")!)
        health.httpMethod = "GET"
        let (healthBody, response) = try await URLSession.shared.data(for: health)
        #expect((response as! HTTPURLResponse).statusCode == 200)
        #expect(String(decoding: healthBody, as: UTF8.self) == #"{"status":"ok","sync":{"current":true,"phase":"following"}}"#)

        // Every method, over HTTP, answers as the dispatcher does in process, with a result.
        let fixture = ServerTests.fixture
        let holder = fixture.chain.accounts[0].address.hex, shares = DevChain.Contract.shares.address.hex
        let valid: [String: String] = [
            "asset_ownerOf": #"["\#(ServerTests.visions)","0x1"]"#, "asset_balanceOf": #"["\#(shares)","\#(holder)"]"#,
            "asset_tokensOf": #"["\#(holder)",{"limit":5}]"#, "asset_holdersOf": #"["\#(shares)",null,{"limit":5}]"#,
            "asset_userOf": #"["\#(ServerTests.visions)","0x1"]"#, "asset_history": #"["\#(ServerTests.visions)","0x1"]"#,
            "asset_provenance": #"["\#(ServerTests.visions)","0x1"]"#, "asset_proof": #"["\#(ServerTests.visions)","0x1"]"#,
            "asset_status": "[]", "eth_chainId": "[]",
            "eth_blockNumber": "[]", "net_version": "[]", "web3_clientVersion": "[]",
            "eth_getLogs": #"[{"fromBlock":"0x0","toBlock":"0x10","address":"\#(ServerTests.visions)","topics":["\#(TokenEvent.Topic.transfer.hex)"]}]"#, "eth_getBlockByNumber": #"["0x5",true]"#,
            "eth_getBlockByHash": #"["\#(fixture.chain.blocks[5].header.hash.hex)",false]"#,
        ]
        #expect(Set(valid.keys) == Set(dispatcher.methods), "a method without an HTTP test, or a test without a method")
        for (method, params) in valid.sorted(by: { $0.key < $1.key }) {
            let body = Data(ServerTests.request(method, params).utf8)
            let (status, answer) = try await Self.post(body, port: p)
            #expect(status == 200, "\(method)")
            #expect(answer == dispatcher.handle(body), "\(method)")
            let decoded = try JSONDecoder().decode(JSONValue.self, from: answer)
            #expect(decoded["result"] != nil && decoded["result"] != .null && decoded["error"] == nil, "\(method): \(String(decoding: answer, as: UTF8.self).prefix(300))")
        }

        // Still answering after all that.
        let (againStatus, again) = try await Self.post(call, port: p)
        #expect(againStatus == 200 && again == body)

        // Metrics count what was served, by method and outcome.
        let (metricsData, metricsResponse) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(p)/metrics")!)
        #expect((metricsResponse as! HTTPURLResponse).statusCode == 200)
        let text = String(decoding: metricsData, as: UTF8.self)
        #expect(text.contains(#"provenant_rpc_requests_total{method="asset_ownerOf",code="0"} 3"#), "\(text)")
        #expect(text.contains(#"provenant_rpc_requests_total{method="eth_chainId",code="0"} 2"#))
        #expect(text.contains("provenant_rpc_request_seconds_count \(3 + valid.count)"))
        #expect(text.contains("# TYPE provenant_indexed_block gauge\nprovenant_indexed_block 150.0"))
        #expect(text.contains(#"provenant_upstream_errors_total{upstream="http://a/\"q\"",kind="timeout"} 2.0"#), "\(text)")
    }

    /// Connects to the port, sends `bytes`, then waits for the server to close the connection; returns how long
    /// that took, or nil if it was still open after `limit` seconds.
    static func secondsUntilClosed(port: Int, sending bytes: String, limit: Int) -> Double? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
        let start = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }  // closed by the server
            if n < 0 { return nil }  // still open when the receive timeout ran out
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func idleAndStalledConnectionsAreClosed() async throws {
        let (server, p) = try await Self.start(HTTPServer(dispatcher: ServerTests.fixture.dispatcher, host: "127.0.0.1", port: 0, idleTimeout: .seconds(1)))
        defer { server.cancel() }
        // Connected and silent; stalled halfway through the headers; stalled halfway through a declared body.
        let stalled = [
            "",
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"",
        ]
        for request in stalled {
            let closedAfter = try #require(Self.secondsUntilClosed(port: p, sending: request, limit: 10), "still open: \(request.debugDescription)")
            #expect(closedAfter < 5, "\(request.debugDescription) closed after \(closedAfter) s")
        }
        // Meanwhile, and afterwards, others are served.
        let call = Data(ServerTests.request("eth_chainId", "[]").utf8)
        let (status, _) = try await Self.post(call, port: p)
        #expect(status == 200)
    }
}
