import Foundation
import Synchronization
import Testing

@testable import EthRPC

/// The response envelope is written directly, not built as an object; it must be byte for byte what serializing
/// the JSON-RPC response object gives (members sorted), for results, errors, every kind of id, and batches.
@Suite("Dispatcher response envelopes")
struct DispatcherTests {
    static let dispatcher: Dispatcher = {
        var d = Dispatcher()
        d.register("echo") { params throws(RPCError) in params ?? .null }
        d.register("fail") { _ throws(RPCError) in throw RPCError(code: -32001, message: "no \"such\" thing\n", data: ["why": [1, "x"]]) }
        return d
    }()

    static func expected(id: JSONValue, _ outcome: Result<JSONValue, RPCError>) -> JSONValue {
        switch outcome {
        case .success(let result): return ["jsonrpc": "2.0", "id": id, "result": result]
        case .failure(let error): return ["jsonrpc": "2.0", "id": id, "error": error.json]
        }
    }

    @Test func envelopesEqualTheSerializedObject() throws {
        let failure = RPCError(code: -32001, message: "no \"such\" thing\n", data: ["why": [1, "x"]])
        for id in [#"7"#, #""a\"b""#, "null", "-1.5", "9007199254740993"] {
            let idValue = try JSONValue(parsing: Array(id.utf8))
            let echo = #"{"jsonrpc":"2.0","id":\#(id),"method":"echo","params":{"z":[1,{"b":null,"a":"é"}],"a":"\\"}}"#
            let answer = try #require(Self.dispatcher.handle(Data(echo.utf8)))
            let params = try JSONValue(parsing: Array(#"{"z":[1,{"b":null,"a":"é"}],"a":"\\"}"#.utf8))
            #expect(Array(answer) == Self.expected(id: idValue, .success(params)).serialized(), "\(id)")

            let fail = #"{"jsonrpc":"2.0","id":\#(id),"method":"fail","params":[]}"#
            #expect(Array(try #require(Self.dispatcher.handle(Data(fail.utf8)))) == Self.expected(id: idValue, .failure(failure)).serialized())
        }
        // Errors raised before any method runs: bad JSON, an unknown method; and a batch mixing all of them.
        #expect(Array(try #require(Self.dispatcher.handle(Data("{".utf8)))) == Self.expected(id: .null, .failure(.parseError("the body is not valid JSON: \(try Self.parseError("{"))"))).serialized())
        let batch = #"[{"jsonrpc":"2.0","id":1,"method":"echo","params":[true]},{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","id":"n","method":"nope"},5]"#
        let expected: JSONValue = [
            Self.expected(id: 1, .success([true])), Self.expected(id: "n", .failure(.methodNotFound("nope"))),
            Self.expected(id: .null, .failure(.invalidRequest("expected an object, got number"))),
        ]
        #expect(Array(try #require(Self.dispatcher.handle(Data(batch.utf8)))) == expected.serialized())
        #expect(Array(Self.dispatcher.oversizedBody(6 << 20)) == Self.expected(id: .null, .failure(.invalidRequest("body of \(6 << 20) bytes is above \(RPCLimits.maxBodyBytes)"))).serialized())
    }

    /// A batch whose answers would pass `RPCLimits.maxResponseBytes`: the calls up to the one that passes it are
    /// answered, the rest are refused with -32005 without being run, notifications among them skipped, so the
    /// answer (and the work) stays within the limit plus one reply.
    @Test func aBatchsAnswersStopAtTheResponseLimit() throws {
        let runs = Counter()
        var d = Dispatcher()
        let megabyte = JSONValue.string(String(repeating: "a", count: 1 << 20))
        d.register("big") { _ throws(RPCError) in
            runs.add()
            return megabyte
        }
        let calls = (0..<60).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"big"}"# } + [#"{"jsonrpc":"2.0","method":"big"}"#, #"{"jsonrpc":"2.0","id":"last","method":"big"}"#]
        let answer = try #require(d.handle(Data("[\(calls.joined(separator: ","))]".utf8)))
        #expect(answer.count <= RPCLimits.maxResponseBytes + (1 << 20) + 200)
        guard case .array(let replies) = try JSONValue(parsing: Array(answer)) else { Issue.record("not a batch answer"); return }
        let answered = replies.filter { $0["result"] != nil }.count
        #expect(answered == RPCLimits.maxResponseBytes / (1 << 20) + 1, "\(answered)")
        #expect(runs.value == answered, "a refused call is not run")
        #expect(replies.count == 61, "every call with an id is answered; the notification is not")
        let refused = replies.filter { $0["error"]?["code"] == .int(-32005) }
        #expect(refused.count == 61 - answered && refused.last?["id"] == "last")
        if case .string(let message)? = refused.first?["error"]?["message"] { #expect(message.contains("\(RPCLimits.maxResponseBytes) bytes")) }
    }

    /// A single answer above `RPCLimits.maxResponseBytes` is replaced by -32005 naming the limit, with the call's id.
    @Test func aSingleAnswerAboveTheLimitIsRefused() throws {
        var d = Dispatcher()
        d.register("huge") { _ throws(RPCError) in .string(String(repeating: "a", count: RPCLimits.maxResponseBytes)) }
        d.register("small") { _ throws(RPCError) in .string(String(repeating: "a", count: RPCLimits.maxResponseBytes - 100)) }
        let refused = try JSONValue(parsing: Array(try #require(d.handle(Data(#"{"jsonrpc":"2.0","id":7,"method":"huge"}"#.utf8)))))
        #expect(refused["error"]?["code"] == .int(-32005) && refused["id"] == .int(7))
        if case .string(let message)? = refused["error"]?["message"] { #expect(message.contains("above \(RPCLimits.maxResponseBytes)")) }
        let kept = try #require(d.handle(Data(#"{"jsonrpc":"2.0","id":8,"method":"small"}"#.utf8)))
        #expect(try kept.count <= RPCLimits.maxResponseBytes && JSONValue(parsing: Array(kept))["result"] != nil)
    }

    /// A body is heavy when it calls a heavy method, or when it is a batch longer than `RPCLimits.lightBatch`;
    /// what is answered without running (not JSON, an empty batch) is light.
    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"cheap"}"#, false),
        (#"{"jsonrpc":"2.0","id":1,"method":"costly"}"#, true),
        (#"[{"jsonrpc":"2.0","id":1,"method":"cheap"},{"jsonrpc":"2.0","id":2,"method":"costly"}]"#, true),
        ("[" + Array(repeating: #"{"jsonrpc":"2.0","id":1,"method":"cheap"}"#, count: RPCLimits.lightBatch).joined(separator: ",") + "]", false),
        ("[" + Array(repeating: #"{"jsonrpc":"2.0","id":1,"method":"cheap"}"#, count: RPCLimits.lightBatch + 1).joined(separator: ",") + "]", true),
        (#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#, false), ("[]", false), ("{", false), (#"{"method":["costly"]}"#, false),
    ])
    func heavyBodiesAreTold(body: String, heavy: Bool) {
        var d = Dispatcher()
        d.register("cheap") { _ throws(RPCError) in true }
        d.register("costly", cost: .heavy) { _ throws(RPCError) in true }
        #expect(d.parse(bytes: Array(body.utf8)).isHeavy == heavy)
    }

    static func parseError(_ text: String) throws -> JSONParseError {
        do throws(JSONParseError) {
            _ = try JSONValue(parsing: Array(text.utf8))
        } catch {
            return error
        }
        throw CancellationError()
    }
}

/// Counts calls from handlers that run concurrently.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
