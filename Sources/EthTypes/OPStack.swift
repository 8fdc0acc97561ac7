public import EthPrimitives

/// The OP Stack's network upgrades, in activation order (https://specs.optimism.io/protocol/superchain-upgrades.html).
/// Each adopts an L1 fork's execution rules and header layout where it says so; the comparison order is the
/// activation order.
public enum OPFork: Int, Comparable, CaseIterable, Sendable {
    /// The OP Stack's first block format: London with proof-of-stake headers, deposits (type 0x7e) first in a block.
    case bedrock
    /// Deposits' gas is metered; deposit receipts in JSON-RPC carry `depositNonce` (not yet in the trie).
    case regolith
    /// Shanghai: `withdrawalsRoot` (the empty root); deposit receipts commit `depositNonce` and a version.
    case canyon
    /// Span batches: nothing a block shows.
    case delta
    /// Cancun: blob gas fields (zero) and `parentBeaconBlockRoot`.
    case ecotone
    case fjord
    case granite
    /// EIP-1559 parameters in `extraData`: 9 bytes, version 0, denominator and elasticity.
    case holocene
    /// Prague: `requestsHash` (sha256 of nothing); `withdrawalsRoot` becomes the L2ToL1MessagePasser's storage
    /// root, which the block's body cannot show.
    case isthmus
    /// `extraData` version 1 (17 bytes, a minimum base fee); `blobGasUsed` becomes the data-availability footprint.
    case jovian

    public static func < (a: OPFork, b: OPFork) -> Bool { a.rawValue < b.rawValue }

    /// The L1 fork whose header layout and transaction types this upgrade has.
    public var l1Fork: Fork {
        switch self {
        case .bedrock, .regolith: return .paris
        case .canyon, .delta: return .shanghai
        case .ecotone, .fjord, .granite, .holocene: return .cancun
        case .isthmus, .jovian: return .prague
        }
    }

    /// The names chainspec files use (the superchain registry's, without `_time`).
    public static let names: [String: OPFork] = [
        "bedrock": .bedrock, "regolith": .regolith, "canyon": .canyon, "delta": .delta, "ecotone": .ecotone,
        "fjord": .fjord, "granite": .granite, "holocene": .holocene, "isthmus": .isthmus, "jovian": .jovian,
    ]
}

/// Constants of the OP Stack's block format.
public enum OPStack {
    /// The sender of the L1 attributes deposit, the first transaction of every block.
    public static let l1AttributesDepositor = Address(bytes: Array([[UInt8]](repeating: [0xde, 0xad], count: 9).joined()) + [0x00, 0x01])!
    /// The L1Block predeploy the L1 attributes deposit calls.
    public static let l1BlockPredeploy = Address(bytes: [0x42] + [UInt8](repeating: 0, count: 18) + [0x15])!
    /// The L2ToL1MessagePasser predeploy, whose storage root is an Isthmus header's `withdrawalsRoot`.
    public static let l2ToL1MessagePasser = Address(bytes: [0x42] + [UInt8](repeating: 0, count: 18) + [0x16])!
    /// The length and version byte of `extraData` from Holocene (denominator, elasticity) and from Jovian (and a
    /// minimum base fee).
    public static let holoceneExtraData = (count: 9, version: UInt8(0))
    public static let jovianExtraData = (count: 17, version: UInt8(1))

    /// A receipt as the receipts trie of a block under `fork` holds it: before Canyon a deposit receipt commits no
    /// `depositNonce` (JSON-RPC shows one from Regolith on) and no version; from Canyon on it commits both.
    public static func consensusReceipt(_ receipt: Receipt, fork: OPFork) -> Receipt {
        guard receipt.type == .deposit, fork < .canyon,
            receipt.depositNonce != nil || receipt.depositReceiptVersion != nil
        else { return receipt }
        var trimmed = receipt
        trimmed.depositNonce = nil
        trimmed.depositReceiptVersion = nil
        return trimmed
    }
}

extension Chainspec {
    /// `receipts` as the receipts trie of a block with this number and timestamp holds them: unchanged on Ethereum;
    /// on an OP Stack chain, deposit receipts as the block's upgrade commits them (`OPStack.consensusReceipt`).
    public func consensusReceipts(_ receipts: [Receipt], number: UInt64, timestamp: UInt64) -> [Receipt] {
        guard let upgrade = opFork(number: number, timestamp: timestamp) else { return receipts }
        return receipts.map { OPStack.consensusReceipt($0, fork: upgrade) }
    }
}
