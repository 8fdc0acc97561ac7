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

/// An OP Stack block of `opstack/` with its chainspec: a JSON-RPC block (with receipt files where the folder has
/// them), or a Base `l2.json` (header, raw transactions, consensus receipts) with its `expected.json` hash.
struct OPStackFixture {
    let name: String
    let block: RPCBlock
    let receipts: [Receipt]?
    let spec: Chainspec

    /// OP Goerli is gone from the registry; its Bedrock blocks here predate Regolith, so Bedrock alone describes them.
    static let opGoerli = Chainspec(name: "op-goerli", chainId: 420, opForks: [.bedrock: .block(0)], checkpoints: [])

    /// A folder's `block.json` and its `receipt_<i>.json` files (all of them, or none).
    init(rpcBlock folder: String, spec: Chainspec) throws {
        name = folder
        self.spec = spec
        block = try readJSON(RPCBlock.self, from: try Vectors.json("\(folder)/block.json"))
        let files = (0..<block.transactions.count).map { "\(folder)/receipt_\($0).json" }
        if files.allSatisfy({ FileManager.default.fileExists(atPath: Vectors.url($0).path) }) {
            receipts = try files.map { try readJSON(RPCReceipt.self, from: try Vectors.json($0)).receipt }
        } else {
            receipts = nil
        }
    }

    /// A full JSON-RPC block file without receipts.
    init(fullBlock file: String, spec: Chainspec) throws {
        name = file
        self.spec = spec
        block = try readJSON(RPCBlock.self, from: try Vectors.json(file))
        receipts = nil
    }

    /// A Base derivation fixture: `l2.json` has the header without its hash, the transactions as EIP-2718 bytes and
    /// the receipts as status, cumulative gas and logs; `expected.json` the block hash.
    init(baseL2 folder: String) throws {
        name = folder
        spec = try BlockFixture.spec("base")
        let l2 = (try Vectors.json("\(folder)/l2.json") as! [[String: Any]])[0]
        let expected = try Vectors.json("\(folder)/expected.json") as! [String: Any]
        var headerJSON = l2["header"] as! [String: Any]
        headerJSON["hash"] = (expected["safeHead"] as! [String: Any])["hash"]
        headerJSON["transactions"] = [Any]()
        let shell = try readJSON(RPCBlock.self, from: headerJSON)
        let transactions = try (l2["transactions"] as! [String]).map { try Transaction(encoded: bytes(fromHex: $0)) }
        block = RPCBlock(
            header: shell.header, claimedHash: shell.claimedHash,
            transactions: .full(try transactions.map { RPCTransaction(transaction: $0, claimedHash: $0.hash, claimedFrom: try $0.recoverSender()) }),
            uncles: [], withdrawals: nil)
        receipts = try zip(transactions, l2["receipts"] as! [[String: Any]]).map { tx, r in
            let logs = try logs(fromJSON: r["logs"]!)
            return Receipt(
                type: tx.type, outcome: .status(r["status"] as! String == "0x1"),
                cumulativeGasUsed: UInt64((r["cumulativeGasUsed"] as! String).dropFirst(2), radix: 16)!, logsBloom: Bloom(logs: logs), logs: logs)
        }
    }

    /// Every OP Stack block of the vectors that has its transactions.
    static func all() throws -> [OPStackFixture] {
        let opMainnet = try BlockFixture.spec("op-mainnet"), opSepolia = try BlockFixture.spec("op-sepolia")
        return [
            try OPStackFixture(rpcBlock: "opstack/op-goerli-420/bedrock-5003318", spec: opGoerli),
            try OPStackFixture(rpcBlock: "opstack/op-goerli-420/bedrock-5003322", spec: opGoerli),
            try OPStackFixture(rpcBlock: "opstack/op-sepolia-11155420/canyon-4089330", spec: opSepolia),
            try OPStackFixture(fullBlock: "opstack/op-mainnet-10/zeth/full-107728767.json", spec: opMainnet),
            try OPStackFixture(fullBlock: "opstack/op-mainnet-10/zeth/full-109194691.json", spec: opMainnet),
            try OPStackFixture(baseL2: "opstack/base-mainnet-8453/block-1"),
            try OPStackFixture(baseL2: "opstack/base-mainnet-8453/block-4999983"),
        ]
    }
}
