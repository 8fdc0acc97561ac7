import DevChain
import EthPrimitives
import EthRPC
import Foundation
import Testing
import TokenEvents

@testable import Server

/// The ceilings of one call's work (`QueryLimits`): each heavy method, set just below what a request needs, answers
/// -32005 naming the ceiling; set just above, it answers in full. And `eth_getLogs` finds its blocks in the index: a
/// topic that matches nothing is answered with no body read at all.
@Suite("Query limits")
struct QueryLimitsTests {
    static let visions = DevChain.Contract.visions.address
    static let transfer = TokenEvent.Topic.transfer.hex, uri = TokenEvent.Topic.uri.hex

    static func call(_ limits: QueryLimits, _ method: String, _ params: String) throws -> JSONValue {
        let dispatcher = AssetMethods(index: ServerTests.fixture.index, chainId: DevChain.chainId, watched: DevChain.allContracts, limits: limits).dispatcher()
        return try JSONValue(parsing: Array(try #require(dispatcher.handle(Data(ServerTests.request(method, params).utf8)))))
    }

    static func limits(_ change: (inout QueryLimits) -> Void) -> QueryLimits {
        var limits = QueryLimits()
        change(&limits)
        return limits
    }

    /// The blocks of the fixture chain where the ERC-721 contract logged a Transfer.
    static var transferBlocks: [UInt64] {
        ServerTests.fixture.chain.blocks.filter { block in
            block.receipts.contains { $0.logs.contains { $0.address == visions && $0.topics.first == TokenEvent.Topic.transfer } }
        }.map(\.header.number)
    }

    static func logs(_ topic: String, through last: String = "latest") -> String {
        #"[{"fromBlock":"0x0","toBlock":"\#(last)","address":"\#(visions.hex)","topics":["\#(topic)"]}]"#
    }

    @Test func aTopicThatMatchesNothingReadsNoBody() throws {
        #expect(!ServerTests.fixture.chain.blocks.contains { $0.receipts.contains { $0.logs.contains { $0.address == Self.visions && $0.topics.first == TokenEvent.Topic.uri } } })
        let none = try Self.call(Self.limits { $0.logBlocks = 0 }, "eth_getLogs", Self.logs(Self.uri))
        #expect(none["result"] == .array([]), "\(none)")
        let refused = try Self.call(Self.limits { $0.logBlocks = 0 }, "eth_getLogs", Self.logs(Self.transfer))
        #expect(refused["error"]?["code"] == .int(-32005), "a Transfer query needs bodies: \(refused)")
    }

    /// Past the block ceiling the answer names the last block it covered; asking up to it is answered, and those
    /// are the first logs of the full answer.
    @Test func theLogBlockCeilingNamesWhereToStop() throws {
        let blocks = Self.transferBlocks
        try #require(blocks.count > 6)
        let full = try Self.call(QueryLimits(), "eth_getLogs", Self.logs(Self.transfer))
        guard case .array(let all)? = full["result"] else { Issue.record("\(full)"); return }
        let refused = try Self.call(Self.limits { $0.logBlocks = 5 }, "eth_getLogs", Self.logs(Self.transfer))
        #expect(refused["error"]?["code"] == .int(-32005))
        guard case .string(let message)? = refused["error"]?["message"], let covered = message.split(separator: " ").last.flatMap({ UInt64($0) }) else {
            Issue.record("\(refused)")
            return
        }
        #expect(covered == blocks[5] - 1, "\(message)")
        let part = try Self.call(Self.limits { $0.logBlocks = 5 }, "eth_getLogs", Self.logs(Self.transfer, through: Hex.quantity(covered)))
        guard case .array(let first)? = part["result"] else { Issue.record("\(part)"); return }
        #expect(!first.isEmpty && first == Array(all.prefix(first.count)))
        #expect(Set(first.compactMap { $0["blockNumber"] }) == Set(blocks.prefix(5).map { JSONValue.string(Hex.quantity($0)) }))
        // The row ceiling counts every block with any indexed event of the contract.
        let rows = try Self.call(Self.limits { $0.logIndexRows = 3 }, "eth_getLogs", Self.logs(Self.uri))
        #expect(rows["error"]?["code"] == .int(-32005), "\(rows)")
        let logs = try Self.call(Self.limits { $0.logs = all.count - 1 }, "eth_getLogs", Self.logs(Self.transfer))
        #expect(logs["error"]?["code"] == .int(-32005))
        #expect(try Self.call(Self.limits { $0.logs = all.count }, "eth_getLogs", Self.logs(Self.transfer))["result"] == full["result"])
    }

    /// Each ceiling of the token methods, just below and at what token 1 needs.
    @Test func tokenMethodsStopAtTheirCeilings() throws {
        let token = #"["\#(Self.visions.hex)","0x1"]"#
        let proof = try Self.call(QueryLimits(), "asset_proof", token)
        guard case .array(let headers)? = proof["result"]?["headers"], case .array(let history)? = try Self.call(QueryLimits(), "asset_history", token)["result"]?["events"] else {
            Issue.record("\(proof)")
            return
        }
        let cases: [(String, QueryLimits, Bool, String)] = [
            ("asset_proof", Self.limits { $0.proofHeaders = headers.count - 1 }, false, "needs \(headers.count) headers"),
            ("asset_proof", Self.limits { $0.proofHeaders = headers.count }, true, ""),
            ("asset_proof", Self.limits { $0.tokenRecords = history.count - 1 }, false, "more than \(history.count - 1) records"),
            ("asset_proof", Self.limits { $0.tokenRecords = history.count }, true, ""),
            ("asset_provenance", Self.limits { $0.tokenRecords = 0 }, false, "asset_history"),
            ("asset_provenance", Self.limits { $0.tokenRecords = history.count }, true, ""),
        ]
        // A server with no upstream (provenant serve) cannot prove the present by state, and says so.
        let stateProof = try Self.call(QueryLimits(), "asset_proof", #"["\#(Self.visions.hex)","0x1",{"present":"state"}]"#)
        #expect(stateProof["error"]?["code"] == .int(-32004), "\(stateProof)")
        for (method, limits, answered, why) in cases {
            let answer = try Self.call(limits, method, token)
            if answered {
                #expect(answer["result"] != nil, "\(method): \(answer)")
            } else {
                #expect(answer["error"]?["code"] == .int(-32005), "\(method): \(answer)")
                if case .string(let message)? = answer["error"]?["message"] { #expect(message.contains(why), "\(message)") }
            }
        }
    }
}
