public import EthPrimitives
internal import EthCrypto

/// One log entry: the emitting contract, up to four topics, and the unindexed data.
public struct Log: Hashable, Sendable {
    public var address: Address
    public var topics: [Hash32]
    public var data: [UInt8]

    public init(address: Address, topics: [Hash32], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }
}

/// A transaction receipt in its consensus form: what the receipts root commits to.
public struct Receipt: Hashable, Sendable {
    /// Before Byzantium a receipt carries the post-transaction state root; from Byzantium (EIP-658) a status.
    public enum Outcome: Hashable, Sendable {
        case postState(Hash32)
        case status(Bool)
    }

    /// The transaction's EIP-2718 type (legacy receipts are untyped).
    public var type: TransactionType
    public var outcome: Outcome
    public var cumulativeGasUsed: UInt64
    public var logsBloom: Bloom
    public var logs: [Log]

    public init(type: TransactionType, outcome: Outcome, cumulativeGasUsed: UInt64, logsBloom: Bloom, logs: [Log]) {
        self.type = type
        self.outcome = outcome
        self.cumulativeGasUsed = cumulativeGasUsed
        self.logsBloom = logsBloom
        self.logs = logs
    }
}

extension Bloom {
    /// The bloom of a list of logs: each log's address and each of its topics, hashed with keccak256.
    public init(logs: [Log]) {
        self.init()
        for log in logs {
            log.address.withUnsafeBytes { insert(hashed: keccak256($0)) }
            for topic in log.topics { topic.withUnsafeBytes { insert(hashed: keccak256($0)) } }
        }
    }
}

/// An EIP-4895 withdrawal from the beacon chain (amount in gwei).
public struct Withdrawal: Hashable, Sendable {
    public var index: UInt64
    public var validatorIndex: UInt64
    public var address: Address
    public var amount: UInt64

    public init(index: UInt64, validatorIndex: UInt64, address: Address, amount: UInt64) {
        self.index = index
        self.validatorIndex = validatorIndex
        self.address = address
        self.amount = amount
    }
}
