import EthPrimitives
import EthRPC
import EthTypes
import EthVerify
import Foundation
import Synchronization
import Testing

@testable import EthUpstream

/// A transport that answers from a script, one step per request, and records what it was sent.
final class ScriptedTransport: RPCTransport {
    enum Step: Sendable {
        case answer(String)
        case fail(TransportError)
    }

    private let steps: Mutex<[Step]>
    let sent = Mutex<[String]>([])

    init(_ steps: [Step]) { self.steps = Mutex(steps) }

    var remaining: Int { steps.withLock { $0.count } }

    func post(_ body: [UInt8], timeout: Duration) async throws(TransportError) -> [UInt8] {
        sent.withLock { $0.append(String(decoding: body, as: UTF8.self)) }
        let step = steps.withLock { $0.isEmpty ? Step.fail(.connection("script ended")) : $0.removeFirst() }
        switch step {
        case .answer(let text): return Array(text.utf8)
        case .fail(let error): throw error
        }
    }
}

/// A transport that takes at most `limit` calls a request and answers each call with its method's name; a larger
/// batch is refused as a whole, with a JSON-RPC error or HTTP 413.
final class SizeLimitedTransport: RPCTransport {
    let limit: Mutex<Int>
    let with413: Bool
    let bodies = Mutex<[String]>([])

    init(limit: Int, with413: Bool) {
        self.limit = Mutex(limit)
        self.with413 = with413
    }

    func post(_ body: [UInt8], timeout: Duration) async throws(TransportError) -> [UInt8] {
        bodies.withLock { $0.append(String(decoding: body, as: UTF8.self)) }
        guard let request = try? JSONValue(parsing: body) else { throw .status(400) }
        let calls: [JSONValue]
        if case .array(let items) = request { calls = items } else { calls = [request] }
        if calls.count > 1 && calls.count > limit.withLock({ $0 }) {
            if with413 { throw .status(413) }
            return Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}"#.utf8)
        }
        let answers: [JSONValue] = calls.map { ["jsonrpc": "2.0", "id": $0["id"] ?? .null, "result": $0["method"] ?? .null] }
        if case .array = request { return JSONValue.array(answers).serialized() }
        return answers[0].serialized()
    }
}

func upstream(_ name: String, _ steps: [ScriptedTransport.Step]) throws -> (Upstream, ScriptedTransport) {
    let transport = ScriptedTransport(steps)
    var policy = RetryPolicy()
    policy.baseDelay = .milliseconds(1)
    policy.maxDelay = .milliseconds(2)
    policy.maxAttempts = 3
    policy.maxRateLimitWaits = 5
    return (Upstream(endpoint: try UpstreamEndpoint("http://\(name).test/"), transport: transport, policy: policy), transport)
}

@Suite("Upstream client")
struct UpstreamTests {
    @Test func batchAnswersAreMatchedByIdWhateverTheirOrder() async throws {
        let (client, transport) = try upstream("a", [
            .answer(#"[{"jsonrpc":"2.0","id":1,"result":"0x2"},{"jsonrpc":"2.0","id":0,"result":"0x1"},{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"no"}}]"#)
        ])
        let answers = try await client.batch([RPCCall("a"), RPCCall("b"), RPCCall("c")], as: String.self)
        #expect(try answers[0].get() == "0x1")
        #expect(try answers[1].get() == "0x2")
        #expect(throws: RPCError(code: -32000, message: "no")) { try answers[2].get() }
        let sent = try JSONDecoder().decode(JSONValue.self, from: Data(transport.sent.withLock { $0[0] }.utf8))
        #expect(sent == [["jsonrpc": "2.0", "id": 0, "method": "a", "params": []], ["jsonrpc": "2.0", "id": 1, "method": "b", "params": []],
                         ["jsonrpc": "2.0", "id": 2, "method": "c", "params": []]])
    }

    @Test func transportFailuresAndGarbageAreRetriedThenReported() async throws {
        let (client, _) = try upstream("a", [.fail(.timeout), .answer("<html>bad gateway</html>"), .answer(#"{"jsonrpc":"2.0","id":0,"result":"0x7"}"#)])
        #expect(try await client.call("eth_blockNumber", as: String.self).get() == "0x7")
        #expect(client.stats.requests == 3)
        #expect(client.stats.errors == ["timeout": 1, "malformed": 1])

        let (failing, transport) = try upstream("b", [.fail(.status(502)), .fail(.connection("reset")), .fail(.timeout), .answer("{}")])
        await #expect(throws: UpstreamError.self) { try await failing.call("x", as: String.self) }
        #expect(transport.remaining == 1, "gives up after maxAttempts")
    }

    @Test func malformedAnswersAreNeverAccepted() async throws {
        let bodies = [
            #"[{"jsonrpc":"2.0","id":0,"result":"0x1"}]"#,  // one of two answers missing
            #"[{"jsonrpc":"2.0","id":0,"result":"0x1"},{"jsonrpc":"2.0","id":0,"result":"0x2"}]"#,  // repeated id
            #"[{"jsonrpc":"2.0","id":0,"result":"0x1"},{"jsonrpc":"2.0","id":7,"result":"0x2"}]"#,  // foreign id
            #"[{"jsonrpc":"2.0","id":0,"result":"0x1"},{"jsonrpc":"2.0","id":1}]"#,  // neither result nor error
            #"[{"jsonrpc":"2.0","id":0,"result":"0x1"},{"jsonrpc":"2.0","id":1,"result":5}]"#,  // wrong result type
            "not json",
        ]
        for body in bodies {
            let (client, _) = try upstream("a", Array(repeating: .answer(body), count: 3))
            await #expect(throws: UpstreamError.self, "\(body)") { try await client.batch([RPCCall("a"), RPCCall("b")], as: String.self) }
            #expect(client.stats.errors["malformed"] == 3, "\(body)")
        }
    }

    /// A result of the wrong shape is reported with the path of the field that broke it, in the answer and the block.
    @Test func aMalformedResultIsNamedByItsPath() {
        let body = Array(#"[{"jsonrpc":"2.0","id":1,"result":"0x2"},{"jsonrpc":"2.0","id":0,"result":{"number":"0x01"}}]"#.utf8)
        guard case .failure(let malformed) = Upstream.decode(body, count: 2, as: String.self) else { Issue.record("accepted"); return }
        #expect(malformed.why == "answer 0: [1].result: an object, not a string", "\(malformed.why)")
        let one = Array(#"{"jsonrpc":"2.0","id":0,"result":{"parentHash":"0x12"}}"#.utf8)
        guard case .failure(let block) = Upstream.decode(one, count: 1, as: RPCBlock.self) else { Issue.record("accepted"); return }
        #expect(block.why.hasPrefix("answer 0: result.parentHash: "), "\(block.why)")
    }

    /// A provider that refuses some items of a batch with -32005 (as hosted providers do per item): the good
    /// answers are kept and only the refused items are asked again, in a batch of their own.
    @Test func rateLimitedItemsAloneAreRetried() async throws {
        let limit = #"{"code":-32005,"message":"rate limit"}"#
        let (client, transport) = try upstream("a", [
            .answer(#"[{"jsonrpc":"2.0","id":0,"result":"0xa"},{"jsonrpc":"2.0","id":1,"error":\#(limit)},"#
                + #"{"jsonrpc":"2.0","id":2,"result":"0xc"},{"jsonrpc":"2.0","id":3,"error":\#(limit)}]"#),
            .answer(#"[{"jsonrpc":"2.0","id":1,"result":"0xd"},{"jsonrpc":"2.0","id":0,"result":"0xb"}]"#),
        ])
        let answers = try await client.batch([RPCCall("a"), RPCCall("b"), RPCCall("c"), RPCCall("d")], as: String.self)
        #expect(try answers.map { try $0.get() } == ["0xa", "0xb", "0xc", "0xd"])
        let retried = try JSONValue(parsing: Array(transport.sent.withLock { $0[1] }.utf8))
        #expect(retried == [["jsonrpc": "2.0", "id": 0, "method": "b", "params": []], ["jsonrpc": "2.0", "id": 1, "method": "d", "params": []]])
        #expect(client.stats.errors == ["rate_limited": 1] && client.stats.requests == 2)
        #expect(client.stats.batchSize == UpstreamLimits.maxBatchItems / 2, "half the items refused: smaller batches")
    }

    /// A -32005 answer that names its wait (`data.retryAfterMs`, or Infura's `data.backoff_seconds`) is waited for,
    /// up to a minute; one that names none, or another error, leaves the backoff to the policy.
    @Test func rateLimitAnswersNameTheirWait() async throws {
        let cases: [(data: JSONValue?, code: Int, wait: Duration?)] = [
            (["retryAfterMs": 250], RPCError.limitExceededCode, .milliseconds(250)),
            (["backoff_seconds": .double(1.5)], RPCError.limitExceededCode, .milliseconds(1500)),
            (["backoff_seconds": "2"], RPCError.limitExceededCode, .seconds(2)),
            (["retryAfterMs": 86_400_000], RPCError.limitExceededCode, .seconds(60)),
            (["retryAfterMs": -5], RPCError.limitExceededCode, nil),
            (["see": "https://example.invalid"], RPCError.limitExceededCode, nil),
            (nil, RPCError.limitExceededCode, nil),
            (["retryAfterMs": 250], -32000, nil),
        ]
        for (data, code, wait) in cases {
            #expect(Upstream.requestedWait(RPCError(code: code, message: "limit", data: data)) == wait, "\(String(describing: data))")
        }
        // The client waits at least what the refusal asked for before asking again.
        let (client, _) = try upstream("a", [
            .answer(#"{"jsonrpc":"2.0","id":0,"error":{"code":-32005,"message":"rate limit","data":{"retryAfterMs":200}}}"#),
            .answer(#"{"jsonrpc":"2.0","id":0,"result":"0x1"}"#),
        ])
        let start = ContinuousClock.now
        #expect(try await client.call("eth_chainId", as: String.self).get() == "0x1")
        #expect(ContinuousClock.now - start >= .milliseconds(200))
    }

    /// An upstream that takes at most `limit` calls a request, refusing larger batches as a whole (with a JSON-RPC
    /// error, as "batch too large" answers come, or with HTTP 413): the client halves its batches until they pass,
    /// sends single calls as plain objects once at 1, answers every call, and grows back slowly once allowed.
    @Test(arguments: [(1, false), (10, false), (30, true)])
    func batchesShrinkToWhatTheUpstreamTakes(limit: Int, with413: Bool) async throws {
        let transport = SizeLimitedTransport(limit: limit, with413: with413)
        var policy = RetryPolicy()
        policy.baseDelay = .milliseconds(1)
        let client = Upstream(endpoint: try UpstreamEndpoint("http://small.test/"), transport: transport, policy: policy)
        // Fewer than 16 requests, so that no growth probe happens yet.
        let calls = (0..<(limit == 1 ? 12 : 40)).map { RPCCall("m\($0)") }
        let answers = try await client.batch(calls, as: String.self)
        #expect(try answers.map { try $0.get() } == calls.map(\.method))
        // 100, 50, 25, 12, 6, 3, 1: the first size at or below the limit.
        let expected = [100, 50, 25, 12, 6, 3, 1].first { $0 <= limit }!
        #expect(client.stats.batchSize == expected)
        #expect(client.stats.errors == [with413 ? "http_status" : "batch_refused": [100, 50, 25, 12, 6, 3, 1].firstIndex(of: expected)!])
        let batches = transport.bodies.withLock { $0.filter { $0.hasPrefix("[") }.count }
        #expect(batches == client.stats.errors.values.reduce(0, +) + (limit == 1 ? 0 : 40 / expected + (40 % expected == 0 ? 0 : 1)))
        // Clean requests grow the size back by a quarter every 16, never past what is refused for long.
        transport.limit.withLock { $0 = 1000 }
        for _ in 0..<16 { _ = try await client.batch([RPCCall("x"), RPCCall("y")], as: String.self) }
        #expect(client.stats.batchSize == expected + max(1, expected / 4))
    }

    /// A server whose answer ran out of size budget (our own answers the first items of a batch and refuses every one
    /// after with -32005): the refused items go again at once in smaller batches, counted as a size limit, not a
    /// rate limit to wait out.
    @Test func itemsRefusedAfterTheAnswersBudgetAreSplitAtOnce() async throws {
        let limit = #"{"code":-32005,"message":"the batch's answers passed 25000000 bytes before this call"}"#
        let (client, transport) = try upstream("a", [
            .answer(#"[{"jsonrpc":"2.0","id":0,"result":"0xa"},{"jsonrpc":"2.0","id":1,"result":"0xb"},"#
                + #"{"jsonrpc":"2.0","id":2,"error":\#(limit)},{"jsonrpc":"2.0","id":3,"error":\#(limit)}]"#),
            .answer(#"[{"jsonrpc":"2.0","id":1,"result":"0xd"},{"jsonrpc":"2.0","id":0,"result":"0xc"}]"#),
        ])
        let answers = try await client.batch([RPCCall("a"), RPCCall("b"), RPCCall("c"), RPCCall("d")], as: String.self)
        #expect(try answers.map { try $0.get() } == ["0xa", "0xb", "0xc", "0xd"])
        let retried = try JSONValue(parsing: Array(transport.sent.withLock { $0[1] }.utf8))
        #expect(retried == [["jsonrpc": "2.0", "id": 0, "method": "c", "params": []], ["jsonrpc": "2.0", "id": 1, "method": "d", "params": []]])
        #expect(client.stats.errors == ["batch_size_limited": 1] && client.stats.requests == 2)
        #expect(client.stats.batchSize == 2, "batches of what fit")
    }

    @Test func rateLimitsSlowDownInsteadOfFailing() async throws {
        let limited = #"{"jsonrpc":"2.0","id":0,"error":{"code":-32005,"message":"rate limit"}}"#
        let (client, _) = try upstream("a", [
            .fail(.rateLimited(retryAfter: .milliseconds(1))), .answer(limited), .fail(.rateLimited(retryAfter: nil)), .answer(limited),
            .answer(#"{"jsonrpc":"2.0","id":0,"result":"0x9"}"#),
        ])
        // Four refusals exceed maxAttempts (3) but not the rate-limit patience (5).
        #expect(try await client.call("eth_chainId", as: String.self).get() == "0x9")
        #expect(client.stats.errors == ["rate_limited": 4])
    }

    @Test func poolFailsOverAndSkipsFaultyUpstreams() async throws {
        let ok = #"{"jsonrpc":"2.0","id":0,"result":"0x1"}"#
        let (down, _) = try upstream("down", Array(repeating: .fail(.connection("refused")), count: 10))
        let (up, upTransport) = try upstream("up", Array(repeating: .answer(ok), count: 10))
        let pool = UpstreamPool(upstreams: [down, up])
        for _ in 0..<4 {
            let (answers, from) = try await pool.batch([RPCCall("eth_chainId")], as: String.self)
            #expect(from === up)
            #expect(try answers[0].get() == "0x1")
        }
        #expect(upTransport.remaining == 6)
        pool.markFaulty(up, evidence: .verification(VerificationError(block: 5, field: .blockHash, expected: "0x2", actual: "0x1")))
        #expect(pool.faults.map(\.upstream) == ["http://up.test/"])
        await #expect(throws: PoolError.self) { try await pool.batch([RPCCall("eth_chainId")], as: String.self) }
        pool.markFaulty(down, evidence: .wrongChain(expected: 1, chainspec: "mainnet", answered: "0x5"))
        await #expect { try await pool.batch([RPCCall("eth_chainId")], as: String.self) } throws: { error in
            if case PoolError.noneLeft = error { return true }
            return false
        }
    }

    @Test func endpointsExpandTheEnvironmentAndNeverShowTheSecret() throws {
        let endpoint = try UpstreamEndpoint("https://eth.example/v2/${KEY}", environment: ["KEY": "s3cret"])
        #expect(endpoint.url == "https://eth.example/v2/s3cret")
        #expect("\(endpoint)" == "https://eth.example/v2/${KEY}")
        #expect(throws: UpstreamEndpoint.Problem.unsetVariable("KEY")) { try UpstreamEndpoint("https://x/${KEY}", environment: [:]) }
        #expect(throws: UpstreamEndpoint.Problem.unterminatedPlaceholder) { try UpstreamEndpoint("https://x/${KEY", environment: [:]) }
        #expect(throws: UpstreamEndpoint.Problem.notHTTP) { try UpstreamEndpoint("ftp://x/", environment: [:]) }
        #expect(throws: UpstreamEndpoint.Problem.notHTTP) { try UpstreamEndpoint("localhost:8545", environment: [:]) }
    }
}

/// The head quorum: k of n upstreams must give the same hash at the same height.
@Suite("Head quorum")
struct QuorumTests {
    /// A header as `eth_getBlockByNumber(n, false)` returns it, with a claimed hash that is right or not.
    static func header(number: UInt64, extra: String, lie: Bool = false) throws -> (String, String) {
        var f = HeaderFields()
        f.number = number
        f.extraData = Array(extra.utf8)
        f.baseFeePerGas = UInt256(7)
        let header = try Header(f)
        var json = RPCEncoding.block(header: header, transactions: [], senders: [], full: false, withdrawals: nil)
        if lie, case .object(var o) = json {
            o["hash"] = .string(Hash32(bytes: [UInt8](repeating: 0xee, count: 32))!.hex)
            json = .object(o)
        }
        let text = String(decoding: try JSONEncoder().encode(json), as: UTF8.self)
        return (#"{"jsonrpc":"2.0","id":0,"result":\#(text)}"#, header.hash.hex)
    }

    @Test func theHighestHeightEnoughUpstreamsShareWins() async throws {
        // a and b are at 12 on the same chain; c is at 13 on another.
        let (a12, hash12) = try Self.header(number: 12, extra: "main")
        let (c13, _) = try Self.header(number: 13, extra: "other")
        let (c12, _) = try Self.header(number: 12, extra: "other")
        let (a, _) = try upstream("a", [.answer(a12), .answer(a12)])
        let (b, _) = try upstream("b", [.answer(a12), .answer(a12)])
        let (c, _) = try upstream("c", [.answer(c13), .answer(c12)])
        let head = try await UpstreamPool(upstreams: [a, b, c], quorum: 2).head()
        #expect(head.number == 12 && head.hash?.hex == hash12)
    }

    @Test func aHeadTheyDisagreeOnHasAHeightButNoHash() async throws {
        let (x, _) = try Self.header(number: 5, extra: "x")
        let (y, _) = try Self.header(number: 5, extra: "y")
        let (a, _) = try upstream("a", [.answer(x), .answer(x)])
        let (b, _) = try upstream("b", [.answer(y), .answer(y)])
        let head = try await UpstreamPool(upstreams: [a, b], quorum: 2).head()
        #expect(head.number == 5 && head.hash == nil)
    }

    @Test func aHeadThatDoesNotHashToItsClaimIsAFault() async throws {
        let (honest, hash) = try Self.header(number: 9, extra: "main")
        let (lie, _) = try Self.header(number: 10, extra: "main", lie: true)
        let (a, _) = try upstream("a", [.answer(honest)])
        let (liar, _) = try upstream("liar", [.answer(lie)])
        let pool = UpstreamPool(upstreams: [liar, a], quorum: 1)
        let head = try await pool.head()
        #expect(head.number == 9 && head.hash?.hex == hash)
        #expect(pool.faults.map(\.upstream) == ["http://liar.test/"])
        // The evidence is the check's own error: the hash recomputed from the header, and the one claimed for it.
        guard case .verification(let error)? = pool.faults.first?.evidence else { Issue.record("evidence: \(pool.faults)"); return }
        #expect(error.block == 10 && error.field == .blockHash && error.actual != error.expected)
    }
}
