import Foundation
import Testing
import TestSupport

/// Bounded work per request and backpressure (issue 17), against a real `provenant serve` process over a LevelDB
/// directory of 3,000 dev-chain blocks: three clients attack at once while a fourth makes cheap calls. The server's
/// peak resident memory is its own (`VmHWM` of its process), not this test process's.
@Suite("Hostile clients against provenant serve", .serialized)
struct HostileClientTests {
    /// The stated bound on the server's peak resident memory through the attack.
    static let memoryBound = 512 << 20
    /// How long a cheap call may wait while the attack runs.
    static let cheapBound: Duration = .milliseconds(50)
    static let visions = "0xf5204bf75282e13daf88ab5ac961be1592217e68"
    /// `URI(string,uint256)`: an indexed event the ERC-721 contract never logs, so a full-range query matches nothing.
    static let uriTopic = "0x6bb7ff708619ba0610cba295a58592e0451dee2622938c8755667688daf3529b"
    static let transferTopic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

    /// A running `provenant serve` and its port.
    final class Server {
        let process = Process()
        let port: Int

        init(dataDir: String) throws {
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--data-dir", dataDir, "--rpc-addr", "127.0.0.1:0"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // "serving provenant-dev from … on http://127.0.0.1:PORT/"
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let more = out.fileHandleForReading.availableData
                guard !more.isEmpty else { break }
                line.append(more)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression),
                let port = Int(text[range].dropFirst("127.0.0.1:".count).dropLast())
            else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSDebugDescriptionErrorKey: "serve printed: \(text)"]) }
            self.port = port
        }

        /// The process's peak resident memory so far, in bytes.
        var peakResident: Int {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func post(_ body: String) -> String {
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func call(_ method: String, _ params: String, id: Int = 1) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#
    }

    static func json(_ response: RawHTTPConnection.Response?) -> Any? {
        response.flatMap { try? JSONSerialization.jsonObject(with: $0.body) }
    }

    /// A reply that is a result, or the -32005 of a ceiling.
    static func answeredOrLimited(_ reply: Any?) -> Bool {
        guard let object = reply as? [String: Any] else { return false }
        if object["result"] != nil { return true }
        return ((object["error"] as? [String: Any])?["code"] as? Int) == -32005
    }

    /// How many `asset_proof` calls the server has run, from its `/metrics`.
    static func proofsRun(_ connection: RawHTTPConnection) -> Int {
        connection.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let text = String(decoding: connection.readResponse()?.body ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix(#"provenant_rpc_requests_total{method="asset_proof""#) }
            .reduce(0) { $0 + (Int($1.split(separator: " ").last ?? "") ?? 0) }
    }

    /// Runs `body` on a thread of its own (blocking socket calls stay off the test's executor).
    static func thread(_ body: @escaping @Sendable () -> Void) -> DispatchGroup {
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            body()
            group.leave()
        }
        return group
    }

    final class Box<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
    }

    @Test func heavyRequestsNeitherStarveCheapOnesNorGrowMemory() throws {
        let dataDir = temporaryPath("hostile", extension: "leveldb")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let imported = try CLI.run(["import-devchain", "--blocks", "3000", "--data-dir", dataDir])
        try #require(imported.status == 0, "\(imported.stderr)")
        let server = try Server(dataDir: dataDir)
        let setup = try #require(RawHTTPConnection(port: server.port))

        // The token with the longest history among the first ones minted.
        var longest = (id: 1, events: 0)
        for id in 1...40 {
            setup.send(Self.post(Self.call("asset_provenance", #"["\#(Self.visions)","0x\#(String(id, radix: 16))"]"#)))
            guard let result = (Self.json(setup.readResponse()) as? [String: Any])?["result"] as? [String: Any] else { continue }
            let events = Int((result["transfers"] as? String)?.dropFirst(2) ?? "", radix: 16) ?? 0
            if events > longest.events { longest = (id, events) }
        }
        let token = "0x" + String(longest.id, radix: 16), port = server.port
        let before = server.peakResident

        // 1. A client that pipelines 10,000 proofs and never reads (its send blocks once the server stops reading).
        let pipeliner = try #require(RawHTTPConnection(port: server.port, timeout: 20))
        let proof = Self.post(Self.call("asset_proof", #"["\#(Self.visions)","\#(token)"]"#))
        let pipelined = Self.thread { pipeliner.send(String(repeating: proof, count: 10_000)) }

        // 2. One request: a batch of 1000 proofs of that token.
        let batchReply = Box<Any?>(nil)
        let batch = Self.thread {
            guard let connection = RawHTTPConnection(port: port, timeout: 60) else { return }
            let calls = (0..<1000).map { Self.call("asset_proof", #"["\#(Self.visions)","\#(token)"]"#, id: $0) }
            connection.send(Self.post("[\(calls.joined(separator: ","))]"))
            batchReply.value = Self.json(connection.readResponse())
        }

        // 3. Full-range log queries: an event the contract never logs, and transfers to nobody.
        let logReplies = Box<[Any?]>([])
        let logs = Self.thread {
            guard let connection = RawHTTPConnection(port: port, timeout: 60) else { return }
            let nobody = "0x" + String(repeating: "0", count: 24) + String(repeating: "ee", count: 20)
            for topics in [#"["\#(Self.uriTopic)"]"#, #"["\#(Self.transferTopic)",null,"\#(nobody)"]"#] {
                connection.send(Self.post(Self.call("eth_getLogs", #"[{"fromBlock":"0x0","toBlock":"latest","address":"\#(Self.visions)","topics":\#(topics)}]"#)))
                logReplies.value.append(Self.json(connection.readResponse()))
            }
        }

        // 4. Meanwhile, cheap calls from another connection, until the heavy ones are answered and a second more.
        let cheap = try #require(RawHTTPConnection(port: server.port))
        var waits: [Duration] = []
        var unanswered = 0
        let clock = ContinuousClock()
        var settled: ContinuousClock.Instant?
        while settled.map({ clock.now - $0 < .seconds(1) }) ?? true {
            let start = clock.now
            cheap.send(Self.post(Self.call("asset_ownerOf", #"["\#(Self.visions)","0x1"]"#)))
            if (Self.json(cheap.readResponse()) as? [String: Any])?["result"] == nil { unanswered += 1 }
            waits.append(clock.now - start)
            Thread.sleep(forTimeInterval: 0.01)
            if settled == nil && batch.wait(timeout: .now()) == .success && logs.wait(timeout: .now()) == .success { settled = clock.now }
            if clock.now - start > .seconds(120) { break }
        }

        let replies = try #require(batchReply.value as? [Any], "the batch was answered")
        #expect(replies.count == 1000 && replies.allSatisfy(Self.answeredOrLimited), "each call of the batch: a proof or -32005")
        #expect(replies.contains { ($0 as? [String: Any])?["result"] != nil }, "the batch's first proofs are answered")
        #expect(logReplies.value.count == 2 && logReplies.value.allSatisfy(Self.answeredOrLimited), "\(logReplies.value)")
        #expect(((logReplies.value.first as? [String: Any])?["result"] as? [Any])?.isEmpty == true, "no URI event was ever logged")

        // The pipeliner is not read from while its answers wait: the server runs none of its proofs meanwhile.
        let proofs = Self.proofsRun(setup)
        Thread.sleep(forTimeInterval: 2)
        #expect(Self.proofsRun(setup) == proofs, "proofs were made for a client that reads nothing")

        // The pipeliner's first answers are there for it when it reads at last.
        for _ in 0..<3 { #expect(Self.answeredOrLimited(Self.json(pipeliner.readResponse())), "a pipelined proof: answered") }
        pipeliner.shutdown()
        pipelined.wait()

        let peak = server.peakResident
        print("hostile clients: server peak resident \(peak >> 20) MiB (\(before >> 20) MiB before the attack); \(waits.count) cheap calls, slowest \(waits.max() ?? .zero), \(unanswered) unanswered")
        #expect(peak < Self.memoryBound, "peak resident \(peak >> 20) MiB")
        #expect(unanswered == 0)
        #expect(waits.count >= 20 && waits.allSatisfy { $0 < Self.cheapBound }, "cheap calls waited up to \(waits.max() ?? .zero)")
        setup.send(Self.post(Self.call("eth_blockNumber", "[]")))
        #expect((Self.json(setup.readResponse()) as? [String: Any])?["result"] as? String == "0xbb8", "the server still answers")
    }
}
