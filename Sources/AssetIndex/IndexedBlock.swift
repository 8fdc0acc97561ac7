public import EthPrimitives
public import EthTypes

/// What the indexer takes from a verified block: its identity and time, the logs of watched contracts in block
/// order, and the transactions those logs came from (a minter's sender recovered and checked by the verifier).
public struct IndexedBlock: Sendable {
    public var number: UInt64
    public var hash: Hash32
    public var timestamp: UInt64
    public var transactions: [IndexedTransaction]
    public var logs: [IndexedLog]

    public init(number: UInt64, hash: Hash32, timestamp: UInt64, transactions: [IndexedTransaction], logs: [IndexedLog]) {
        (self.number, self.hash, self.timestamp, self.transactions, self.logs) = (number, hash, timestamp, transactions, logs)
    }
}

/// A transaction that emitted a watched log.
public struct IndexedTransaction: Sendable {
    public var hash: Hash32
    public var index: UInt32
    /// The secp256k1-recovered sender, where it is used: a transaction with a log that may mint (`TokenEvent.mayMint`)
    /// has it, for the minter; others may not.
    public var sender: Address?
    public var to: Address?
    public var input: [UInt8]

    public init(hash: Hash32, index: UInt32, sender: Address?, to: Address?, input: [UInt8]) {
        (self.hash, self.index, self.sender, self.to, self.input) = (hash, index, sender, to, input)
    }
}

/// A log with its position in the block.
public struct IndexedLog: Sendable {
    public var log: Log
    public var transactionIndex: UInt32
    /// Position among all logs of the block, as `eth_getLogs` numbers them.
    public var logIndex: UInt32

    public init(log: Log, transactionIndex: UInt32, logIndex: UInt32) {
        (self.log, self.transactionIndex, self.logIndex) = (log, transactionIndex, logIndex)
    }
}
