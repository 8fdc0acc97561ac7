public import EthPrimitives

// The JSON-RPC results the verifier takes, as geth and other clients return them: `eth_getBlockByNumber` /
// `eth_getBlockByHash` (full transactions or hashes only), `eth_getBlockReceipts` and `eth_getTransactionReceipt`.
// Everything an upstream claims besides the data itself (a block's `hash`, a transaction's `hash` and `from`) is
// kept apart, as a claim for the verifier to check. EthRPC reads them from JSON (`RPCBlock+JSON.swift`).

/// A transaction object from JSON-RPC: the transaction re-encoded from its fields, and the upstream's claims.
public struct RPCTransaction: Sendable {
    public let transaction: Transaction
    /// The hash the upstream reports.
    public let claimedHash: Hash32
    /// The sender the upstream reports.
    public let claimedFrom: Address

    public init(transaction: Transaction, claimedHash: Hash32, claimedFrom: Address) {
        (self.transaction, self.claimedHash, self.claimedFrom) = (transaction, claimedHash, claimedFrom)
    }
}

/// The transactions of a JSON-RPC block: full objects, or only their hashes (`eth_getBlockByNumber(n, false)`).
public enum RPCBlockTransactions: Sendable {
    case full([RPCTransaction])
    case hashes([Hash32])

    public var count: Int {
        switch self {
        case .full(let txs): return txs.count
        case .hashes(let hashes): return hashes.count
        }
    }
}

/// An `eth_getBlockByNumber` / `eth_getBlockByHash` result.
public struct RPCBlock: Sendable {
    public let header: Header
    /// The block hash the upstream reports.
    public let claimedHash: Hash32
    public let transactions: RPCBlockTransactions
    /// Hashes of the ommer headers (the headers themselves are not in the result).
    public let uncles: [Hash32]
    public let withdrawals: [Withdrawal]?

    public init(header: Header, claimedHash: Hash32, transactions: RPCBlockTransactions, uncles: [Hash32], withdrawals: [Withdrawal]?) {
        (self.header, self.claimedHash, self.transactions, self.uncles, self.withdrawals) = (header, claimedHash, transactions, uncles, withdrawals)
    }
}

/// An `eth_getTransactionReceipt` result, or one element of `eth_getBlockReceipts`. RPC-only fields (`gasUsed`,
/// `logIndex`, …) are not part of the consensus receipt and are not kept, except the transaction hash.
public struct RPCReceipt: Sendable {
    public let receipt: Receipt
    public let transactionHash: Hash32?

    public init(receipt: Receipt, transactionHash: Hash32?) { (self.receipt, self.transactionHash) = (receipt, transactionHash) }
}
