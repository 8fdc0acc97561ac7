import AssetIndex
import DevChain
import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import Ingest
import Store
import Testing
import TokenEvents
import TestSupport

@testable import Server

/// The JSON-RPC surface over an index of the dev chain, called with raw request bodies as a client sends them.
@Suite("JSON-RPC methods")
struct ServerTests {
    struct Fixture {
        let chain: DevChain
        let index: AssetIndex
        let dispatcher: Dispatcher
    }

    static let fixture: Fixture = {
        var chain = DevChain(seed: 9)
        chain.grow(to: 150)
        let index: AssetIndex
        do { index = try chain.index() } catch { fatalError("the dev chain does not index: \(error)") }
        return Fixture(chain: chain, index: index, dispatcher: AssetMethods(index: index, chainId: DevChain.chainId, watched: DevChain.allContracts).dispatcher())
    }()

    static func call(_ body: String) throws -> JSONValue? {
        guard let response = fixture.dispatcher.handle(Data(body.utf8)) else { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: response)
    }

    static func request(_ method: String, _ params: String, id: String = "1") -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#
    }

    static let visions = DevChain.Contract.visions.address.hex

    @Test func standardMethods() throws {
        #expect(try Self.call(Self.request("eth_chainId", "[]"))?["result"] == .string(Hex.quantity(DevChain.chainId)))
        #expect(try Self.call(Self.request("eth_blockNumber", "[]"))?["result"] == .string("0x96"))
        #expect(try Self.call(Self.request("net_version", "[]"))?["result"] == .string(String(DevChain.chainId)))
        #expect(try Self.call(Self.request("web3_clientVersion", "[]"))?["result"] == .string("provenant/0.1"))
        let status = try #require(try Self.call(Self.request("asset_status", "[]"))?["result"])
        #expect(status["indexed"]?["number"] == "0x96")
        #expect(status["indexed"]?["hash"] == .string(Self.fixture.chain.blocks[150].header.hash.hex))
        #expect(status["contracts"] == .array(DevChain.Contract.allCases.map(\.address).sorted().map { .string($0.hex) }))
        let events = Self.fixture.chain.blocks.reduce(0) { $0 + $1.receipts.reduce(0) { $0 + $1.logs.count } }
        #expect(status["events"] == .string(Hex.quantity(UInt64(events))))
    }

    @Test func ownerAndProvenanceMatchTheIndex() throws {
        let response = try #require(try Self.call(Self.request("asset_ownerOf", #"["\#(Self.visions.uppercased().replacingOccurrences(of: "0X", with: "0x"))", "0x1"]"#)))
        let expected = try Self.fixture.index.ownerOf(contract: DevChain.Contract.visions.address, tokenId: UInt256(1))
        if case .owned(let owner, _)? = expected {
            #expect(response["result"]?["owner"] == .string(owner.hex))
        } else {
            #expect(response["result"]?["owner"] == .null)
        }
        #expect(response["result"]?["block"] == .string("0x96"))
        #expect(response["result"]?["blockHash"] == .string(Self.fixture.chain.blocks[150].header.hash.hex))
        let provenance = try #require(try Self.call(Self.request("asset_provenance", #"["\#(Self.visions)", "0x1"]"#))?["result"])
        let mint = try #require(try Self.fixture.index.provenance(contract: DevChain.Contract.visions.address, tokenId: UInt256(1))?.mint)
        #expect(provenance["minter"]?["address"] == .string(mint.minter.hex))
        guard case .array(let aigc)? = provenance["aigc"], case .string(let prompt)? = aigc.first?["prompt"] else {
            Issue.record("no recovered prompt in \(provenance)")
            return
        }
        #expect(String(decoding: try Hex.decode(prompt), as: UTF8.self).hasPrefix("a lighthouse"))
        #expect(aigc.first?["promptText"] == .string(String(decoding: try Hex.decode(prompt), as: UTF8.self)), "the prompt as text beside its hex")
    }

    @Test func pagedMethodsWalkEveryPage() throws {
        // Every holder of the shares contract, two per page, equals one page of 1000.
        let shares = DevChain.Contract.shares.address.hex
        var cursor: JSONValue = .null
        var holders: [JSONValue] = []
        repeat {
            let options = cursor == .null ? #"{"limit": 2}"# : #"{"limit": "0x2", "cursor": \#(String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self))}"#
            let result = try #require(try Self.call(Self.request("asset_holdersOf", #"["\#(shares)", null, \#(options)]"#))?["result"])
            guard case .array(let page)? = result["holders"] else { Issue.record("no holders in \(result)"); return }
            holders += page
            cursor = result["next"] ?? .null
        } while cursor != .null
        let all = try #require(try Self.call(Self.request("asset_holdersOf", #"["\#(shares)", null, {"limit": 1000}]"#))?["result"]?["holders"])
        #expect(.array(holders) == all)
        #expect(holders.count >= 3)
        // History of token 1, and tokens of a holder.
        let history = try #require(try Self.call(Self.request("asset_history", #"["\#(Self.visions)", "0x1", {"fromBlock": "0x0", "toBlock": "latest"}]"#))?["result"]?["events"])
        guard case .array(let events) = history, case .string("mint")? = events.first?["kind"] else { Issue.record("history: \(history)"); return }
        let holder = Self.fixture.chain.accounts[0].address.hex
        let tokens = try #require(try Self.call(Self.request("asset_tokensOf", #"["\#(holder)", {"limit": 1000}]"#))?["result"]?["tokens"])
        guard case .array(let list) = tokens else { Issue.record("tokens: \(tokens)"); return }
        #expect(list.count == (try Self.fixture.index.tokensOf(holder: Self.fixture.chain.accounts[0].address, limit: 1000).items.count))
    }

    /// eth_getLogs from the stored verified blocks equals the logs the dev chain emitted, filtered the same way.
    @Test func getLogsMatchesTheChain() throws {
        let transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        let result = try #require(try Self.call(Self.request("eth_getLogs", #"[{"fromBlock":"earliest","toBlock":"latest","address":"\#(Self.visions)","topics":["\#(transfer)"]}]"#))?["result"])
        guard case .array(let logs) = result else { Issue.record("eth_getLogs: \(result)"); return }
        var expected: [(UInt64, String)] = []
        for block in Self.fixture.chain.blocks {
            for receipt in block.receipts {
                for log in receipt.logs where log.address.hex == Self.visions && log.topics.first?.hex == transfer {
                    expected.append((block.header.number, Hex.encode(log.topics[3].bytes)))
                }
            }
        }
        #expect(logs.count == expected.count && !expected.isEmpty)
        #expect(logs.map { $0["blockNumber"] } == expected.map { .string(Hex.quantity($0.0)) })
        let tokenTopics: [JSONValue] = logs.compactMap { if case .array(let t)? = $0["topics"] { return t[3] } else { return nil } }
        #expect(tokenTopics == expected.map { JSONValue.string($0.1) })
        // A single block by hash.
        let hash = Self.fixture.chain.blocks[7].header.hash.hex
        let one = try #require(try Self.call(Self.request("eth_getLogs", #"[{"blockHash":"\#(hash)","address":"\#(Self.visions)","topics":["\#(transfer)"]}]"#))?["result"])
        if case .array(let list) = one { #expect(list.allSatisfy { $0["blockHash"] == .string(hash) }) }
    }

    /// eth_getLogs answers only what it can prove complete: the indexed events of watched contracts from their start
    /// blocks. Every other filter is refused, naming the member and why, instead of a silently partial list.
    @Test func getLogsRefusesWhatItCannotProveComplete() throws {
        let transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        let other = "0x" + String(repeating: "ab", count: 32), stranger = "0x" + String(repeating: "12", count: 20)
        let visions = DevChain.Contract.visions.address
        let starts = AssetMethods(
            index: Self.fixture.index, chainId: DevChain.chainId, watched: DevChain.allContracts, startBlocks: [visions: 40]).dispatcher()
        let cases: [(String, String, String)] = [
            (#"{"fromBlock":"0x0","toBlock":"0x10"}"#, "filter.address", "required"),
            (#"{"address":"\#(stranger)","topics":["\#(transfer)"]}"#, "filter.address", "not watched"),
            (#"{"address":["\#(Self.visions)","\#(stranger)"],"topics":["\#(transfer)"]}"#, "filter.address", "not watched"),
            (#"{"address":"\#(Self.visions)"}"#, "filter.topics[0]", "required"),
            (#"{"address":"\#(Self.visions)","topics":[null,"\#(transfer)"]}"#, "filter.topics[0]", "required"),
            (#"{"address":"\#(Self.visions)","topics":[["\#(transfer)","\#(other)"]]}"#, "filter.topics[0]", "not an indexed event"),
            (#"{"fromBlock":"0x27","address":"\#(Self.visions)","topics":["\#(transfer)"]}"#, "filter.fromBlock", "before block 40"),
        ]
        for (filter, member, why) in cases {
            let answer = try JSONDecoder().decode(JSONValue.self, from: try #require(starts.handle(Data(Self.request("eth_getLogs", "[\(filter)]").utf8))))
            guard case .string(let message)? = answer["error"]?["message"], answer["error"]?["code"] == .int(-32602) else {
                Issue.record("\(filter): \(answer)")
                continue
            }
            #expect(message.contains(member) && message.contains(why), "\(filter): \(message)")
        }
        let fine = try JSONDecoder().decode(JSONValue.self, from: try #require(starts.handle(Data(Self.request(
            "eth_getLogs", #"[{"fromBlock":"0x28","address":"\#(Self.visions)","topics":["\#(transfer)"]}]"#).utf8))))
        guard case .array(let logs)? = fine["result"] else { Issue.record("\(fine)"); return }
        #expect(!logs.isEmpty)
    }

    /// A node watching one contract keeps partial bodies where that is smaller: its eth_getLogs answers equal those
    /// of the node that kept every body whole, field for field (log index, transaction hash and index included); a
    /// block it kept partly is served without a `transactions` member, a block kept whole with all of them.
    @Test func partialBodiesServeTheSameLogs() throws {
        let visions = DevChain.Contract.visions.address
        let index = try Self.fixture.chain.index(watched: [visions])
        let blocks = BlockStore(store: index.store)
        let narrow = AssetMethods(index: index, chainId: DevChain.chainId, watched: [visions]).dispatcher()
        func call(_ d: Dispatcher, _ method: String, _ params: String) throws -> JSONValue? {
            try JSONDecoder().decode(JSONValue.self, from: try #require(d.handle(Data(Self.request(method, params).utf8))))["result"]
        }
        let events = TokenEvent.Topic.all.map { "\"\($0.hex)\"" }.joined(separator: ",")
        let filter = #"[{"fromBlock":"earliest","toBlock":"latest","address":"\#(Self.visions)","topics":[[\#(events)]]}]"#
        let ours = try #require(try call(narrow, "eth_getLogs", filter))
        #expect(ours == (try call(Self.fixture.dispatcher, "eth_getLogs", filter)))
        if case .array(let logs) = ours { #expect(logs.count > 50) } else { Issue.record("eth_getLogs: \(ours)") }

        var partial = 0, whole = 0
        for number in try blocks.numbersWithBodies() {
            let header = Self.fixture.chain.blocks[Int(number)].header
            let body = try #require(try blocks.body(number: number, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot))
            let served = try #require(try call(narrow, "eth_getBlockByNumber", #"["\#(Hex.quantity(number))",true]"#))
            if body.isWhole {
                whole += 1
                #expect(served == (try call(Self.fixture.dispatcher, "eth_getBlockByNumber", #"["\#(Hex.quantity(number))",true]"#)))
            } else {
                partial += 1
                guard case .object(let object) = served else { Issue.record("block \(number): \(served)"); continue }
                #expect(object["transactions"] == nil && object["hash"] == .string(header.hash.hex), "block \(number)")
            }
        }
        #expect(partial >= 5 && whole >= 5, "\(partial) partial, \(whole) whole")
    }

    /// Malformed requests: each gets the right code and a message naming what was wrong; the server keeps
    /// answering correctly afterwards.
    static let malformed: [(name: String, body: String, code: Int, says: String)] = [
        ("invalid JSON", #"{"jsonrpc":"2.0","id":1,"method":"#, -32700, "parse error"),
        ("not JSON at all", "hello", -32700, "parse error"),
        ("empty body", "", -32700, "parse error"),
        ("wrong jsonrpc version", #"{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}"#, -32600, "jsonrpc"),
        ("missing jsonrpc", #"{"id":1,"method":"eth_chainId"}"#, -32600, "jsonrpc"),
        ("method not a string", #"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600, "method"),
        ("params a string", #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":"x"}"#, -32600, "params"),
        ("id an object", #"{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}"#, -32600, "id"),
        ("request a number", "42", -32600, "expected an object"),
        ("empty batch", "[]", -32600, "empty batch"),
        ("unknown method", request("asset_burnAll", "[]"), -32601, "asset_burnAll"),
        ("params an object", request("asset_ownerOf", #"{"contract":"0x00"}"#), -32602, "params"),
        ("too few params", request("asset_ownerOf", #"["\#(visions)"]"#), -32602, "tokenId"),
        ("too many params", request("asset_ownerOf", #"["\#(visions)","0x1","latest","x"]"#), -32602, "at most 3"),
        ("address of 19 bytes", request("asset_ownerOf", #"["0x\#(String(repeating: "ab", count: 19))","0x1"]"#), -32602, "contract: expected 20 bytes, got 19"),
        ("address without 0x", request("asset_ownerOf", #"["\#(visions.dropFirst(2))","0x1"]"#), -32602, "contract: missing 0x"),
        ("address bad hex", request("asset_ownerOf", #"["0x\#(String(repeating: "zz", count: 20))","0x1"]"#), -32602, "contract: invalid hex digit"),
        ("address bad checksum", request("asset_ownerOf", #"["0xDe0B295669a9FD93d5F28D9Ec85E40f4cb697BAe","0x1"]"#), -32602, "checksum"),
        ("address a number", request("asset_ownerOf", #"[5,"0x1"]"#), -32602, "contract: expected a string, got number"),
        ("tokenId leading zeros", request("asset_ownerOf", #"["\#(visions)","0x01"]"#), -32602, "tokenId: leading zeros"),
        ("tokenId empty quantity", request("asset_ownerOf", #"["\#(visions)","0x"]"#), -32602, "tokenId: empty quantity"),
        ("tokenId above 256 bits", request("asset_ownerOf", #"["\#(visions)","0x1\#(String(repeating: "0", count: 64))"]"#), -32602, "tokenId: value too large"),
        ("tokenId decimal number", request("asset_ownerOf", #"["\#(visions)",1]"#), -32602, "tokenId: expected a string"),
        ("block not a quantity", request("asset_ownerOf", #"["\#(visions)","0x1","pending"]"#), -32602, "block: missing 0x"),
        ("block beyond the head", request("asset_ownerOf", #"["\#(visions)","0x1","0x1000"]"#), -32001, "beyond the indexed head"),
        ("token never minted", request("asset_ownerOf", #"["\#(visions)","0xfffff"]"#), -32001, "did not exist"),
        ("page limit of 5000", request("asset_tokensOf", #"["\#(visions)",{"limit":5000}]"#), -32005, "above 1000"),
        ("page limit of 0", request("asset_tokensOf", #"["\#(visions)",{"limit":0}]"#), -32602, "options.limit: must be at least 1"),
        ("unknown option", request("asset_tokensOf", #"["\#(visions)",{"limt":5}]"#), -32602, "options.limt: unknown option"),
        ("options not an object", request("asset_tokensOf", #"["\#(visions)",[1]]"#), -32602, "options: expected an object"),
        ("cursor odd hex", request("asset_tokensOf", #"["\#(visions)",{"cursor":"0xabc"}]"#), -32602, "options.cursor: odd number"),
        ("history window reversed", request("asset_history", #"["\#(visions)","0x1",{"fromBlock":"0x9","toBlock":"0x2"}]"#), -32602, "fromBlock"),
        ("historical balance", request("asset_balanceOf", #"["\#(visions)","\#(visions)",null,"0x5"]"#), -32001, "at the head"),
        ("provenance of nothing", request("asset_provenance", #"["0x\#(String(repeating: "00", count: 20))","0x1"]"#), -32001, "nothing is indexed"),
        ("proof of nothing", request("asset_proof", #"["0x\#(String(repeating: "00", count: 20))","0x1"]"#), -32001, "nothing is indexed"),
        ("proof anchor beyond the head", request("asset_proof", #"["\#(visions)","0x1",{"anchor":"0xffffff"}]"#), -32001, "beyond the indexed head"),
        ("proof anchor of a wrong type", request("asset_proof", #"["\#(visions)","0x1",{"anchor":true}]"#), -32602, "options.anchor"),
        ("proof unknown option", request("asset_proof", #"["\#(visions)","0x1",{"at":"0x1"}]"#), -32602, "options.at: unknown option"),
        ("params on eth_chainId", request("eth_chainId", #"[1]"#), -32602, "at most 0"),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedRequestsGetTheRightError(_ i: Int) throws {
        let (name, body, code, says) = Self.malformed[i]
        let response = try #require(try Self.call(body), "\(name): no response")
        guard case .object(let error)? = response["error"], case .int(let got)? = error["code"], case .string(let message)? = error["message"] else {
            Issue.record("\(name): not an error response: \(response)")
            return
        }
        #expect(Int(got) == code, "\(name): \(message)")
        #expect(message.contains(says), "\(name): \(message)")
        #expect(response["jsonrpc"] == "2.0")
        // And the server still answers a good request correctly.
        #expect(try Self.call(Self.request("eth_blockNumber", "[]"))?["result"] == .string("0x96"))
    }

    @Test func envelopeRules() throws {
        // ids are echoed exactly: number, string, null, and a large integer.
        for id in ["7", #""abc""#, "null", "9007199254740993"] {
            let response = try #require(try Self.call(Self.request("eth_chainId", "[]", id: id)))
            #expect(response["id"] == (try JSONDecoder().decode(JSONValue.self, from: Data(id.utf8))))
        }
        // A notification gets no response; a batch answers its calls in order and skips its notifications.
        #expect(try Self.call(#"{"jsonrpc":"2.0","method":"eth_chainId"}"#) == nil)
        let batch = try #require(try Self.call("[\(Self.request("eth_blockNumber", "[]", id: "1")),{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\"},\(Self.request("nope", "[]", id: "2"))]"))
        guard case .array(let responses) = batch else { Issue.record("batch: \(batch)"); return }
        #expect(responses.count == 2)
        #expect(responses.first?["id"] == 1 && responses.first?["result"] == "0x96")
        #expect(responses.last?["error"]?["code"] == .int(-32601))
        // Batch of 1001, and a body above 5 MiB.
        let big = "[" + Array(repeating: Self.request("eth_chainId", "[]"), count: 1001).joined(separator: ",") + "]"
        #expect(try Self.call(big)?["error"]?["code"] == .int(-32600))
        let huge = Self.request("eth_chainId", #"["\#(String(repeating: "a", count: 6 << 20))"]"#)
        #expect(try Self.call(huge)?["error"]?["code"] == .int(-32600))
        #expect(try Self.call("[\(Self.request("eth_chainId", "[]"))]").map { if case .array(let a) = $0 { return a.count } else { return 0 } } == 1)
    }
}
