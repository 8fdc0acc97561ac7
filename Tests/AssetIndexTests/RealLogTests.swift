import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import Store
import Testing
import TokenEvents
import TestSupport

@testable import AssetIndex

/// Every log of the real blocks, indexed with every contract watched: the ERC-20 / ERC-721 / ERC-1155 transfer
/// counts equal each fixture's `logStats`.
@Suite("Real logs", .needsVectors)
struct RealLogTests {
    static func receipts(_ json: [String: Any]) throws -> [Receipt]? {
        if let rpc = json["receipts"] as? [Any] ?? json["consensusReceipts"] as? [Any] {
            return try readJSON([RPCReceipt].self, from: rpc).map(\.receipt)
        }
        if let raw = (json["raw"] as? [String: Any])?["receipts"] as? [String] {
            return try raw.map { try Receipt(encoded: bytes(fromHex: $0)) }
        }
        return nil
    }

    @Test func transferCountsMatchLogStats() throws {
        var checked = 0, totalEvents = 0
        for file in try Vectors.files(in: "blocks") {
            let json = try Vectors.json(file) as! [String: Any]
            guard let receipts = try Self.receipts(json) else { continue }
            var logs: [IndexedLog] = []
            var logIndex: UInt32 = 0
            for (txIndex, receipt) in receipts.enumerated() {
                for log in receipt.logs {
                    logs.append(IndexedLog(log: log, transactionIndex: UInt32(txIndex), logIndex: logIndex))
                    logIndex += 1
                }
            }
            var counts: [String: Int] = ["erc20Transfer": 0, "erc721Transfer": 0, "erc1155TransferSingle": 0, "erc1155TransferBatch": 0]
            for indexed in logs {
                switch try? TokenEvent(log: indexed.log) {
                case .erc20Transfer?: counts["erc20Transfer"]! += 1
                case .erc721Transfer?: counts["erc721Transfer"]! += 1
                case .transferSingle?: counts["erc1155TransferSingle"]! += 1
                case .transferBatch?: counts["erc1155TransferBatch"]! += 1
                default: break
                }
            }
            let stats = json["logStats"] as! [String: Int]
            #expect(logs.count == stats["logs"], "\(file)")
            for (name, count) in counts { #expect(count == stats[name], "\(file): \(name)") }
            // The same logs through the index: nothing crashes, every decodable event is applied.
            let index = AssetIndex(store: MemoryStore())
            let number = UInt64((json["number"] as! NSNumber).uint64Value)
            let applied = try index.apply(IndexedBlock(number: number, hash: try Hash32(hex: json["hash"] as! String), timestamp: 0, transactions: [], logs: logs))
            #expect(applied.events >= counts.values.reduce(0, +), "\(file)")
            totalEvents += applied.events
            checked += 1
        }
        #expect(checked >= 45)
        #expect(totalEvents > 100)
    }
}
