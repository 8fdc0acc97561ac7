import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import TestSupport

/// One `blocks/*.json` fixture, decoded into what the verifier takes.
struct BlockFixture {
    let file: String
    let json: [String: Any]
    let number: UInt64
    let hash: Hash32
    let network: String
    /// The JSON-RPC block, when the fixture has one.
    let block: RPCBlock?
    /// The consensus receipts, from whichever form the fixture holds.
    let receipts: [Receipt]?
    let raw: [String: Any]?

    static func decode<T: JSONReadable>(_ type: T.Type, _ value: Any) throws -> T { try readJSON(type, from: value) }

    init(file: String) throws {
        self.file = file
        json = try Vectors.json(file) as! [String: Any]
        number = UInt64((json["number"] as! NSNumber).uint64Value)
        hash = try Hash32(hex: json["hash"] as! String)
        network = json["network"] as! String
        raw = json["raw"] as? [String: Any]
        block = try (json["block"] as? [String: Any]).map { try Self.decode(RPCBlock.self, $0) }
        if let rpc = json["receipts"] as? [Any] {
            receipts = try Self.decode([RPCReceipt].self, rpc).map(\.receipt)
        } else if let consensus = json["consensusReceipts"] as? [Any] {
            receipts = try Self.decode([RPCReceipt].self, consensus).map(\.receipt)
        } else {
            receipts = nil
        }
    }

    /// The header: from the JSON block, or decoded from the raw RLP.
    func header() throws -> Header {
        if let block { return block.header }
        return try Header(rlp: bytes(fromHex: raw!["header"] as! String))
    }

    static func all() throws -> [BlockFixture] {
        try Vectors.files(in: "blocks").map { try BlockFixture(file: $0) }
    }

    static func spec(_ network: String) throws -> Chainspec {
        try Chainspec.decode(Array(Repository.chainspecJSON(network)))
    }
}
