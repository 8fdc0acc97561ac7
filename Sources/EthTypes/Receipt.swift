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
    /// An OP Stack deposit's receipt from Regolith on: the sender's nonce before the deposit. In the receipts trie
    /// only from Canyon on (`OPStack.consensusReceipt`); JSON-RPC shows it from Regolith.
    public var depositNonce: UInt64?
    /// An OP Stack deposit's receipt from Canyon on: 1.
    public var depositReceiptVersion: UInt64?

    public init(
        type: TransactionType, outcome: Outcome, cumulativeGasUsed: UInt64, logsBloom: Bloom, logs: [Log],
        depositNonce: UInt64? = nil, depositReceiptVersion: UInt64? = nil
    ) {
        self.type = type
        self.outcome = outcome
        self.cumulativeGasUsed = cumulativeGasUsed
        self.logsBloom = logsBloom
        self.logs = logs
        self.depositNonce = depositNonce
        self.depositReceiptVersion = depositReceiptVersion
    }
}

extension Bloom {
    /// The bloom of a list of logs: each log's address and each of its topics, hashed with keccak256.
    public init(logs: [Log]) {
        var hashes = LogHashes()
        self.init(logs: logs, hashes: &hashes)
    }

    /// The bloom of a list of logs, with the hashes of addresses and topics seen before taken from `hashes`.
    public init(logs: [Log], hashes: inout LogHashes) {
        self.init()
        for log in logs {
            insert(hashed: hashes.hash(log.address))
            for topic in log.topics { insert(hashed: hashes.hash(topic)) }
        }
    }
}

/// Keccak-256 of the addresses and topics of a block's logs, each computed once. A block's logs repeat a few
/// contracts and event signatures (every ERC-20 `Transfer` has one topic0), and a keccak256 costs a permutation
/// where a lookup costs a hash of four words: checking a mainnet block's blooms hashed the same values hundreds of
/// times.
public struct LogHashes: Sendable {
    private var addresses: [Address: Hash32] = [:]
    private var topics: [Hash32: Hash32] = [:]

    public init() {}

    public mutating func hash(_ address: Address) -> Hash32 {
        if let known = addresses[address] { return known }
        let hash = address.withUnsafeBytes { keccak256($0) }
        addresses[address] = hash
        return hash
    }

    public mutating func hash(_ topic: Hash32) -> Hash32 {
        if let known = topics[topic] { return known }
        let hash = topic.withUnsafeBytes { keccak256($0) }
        topics[topic] = hash
        return hash
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
