public import EthPrimitives

/// A field a verification check compares, with the index of the item it belongs to where there is one.
public enum VerifiedField: Hashable, Sendable, CustomStringConvertible {
    /// keccak256 of the header's RLP against the claimed block hash.
    case blockHash
    case parentHash
    case number
    /// Which optional header fields are present, against what the fork requires.
    case headerFields
    /// Proof-of-stake headers carry zero difficulty, a zero nonce and no ommers.
    case difficulty
    case nonce
    case transactionsRoot
    /// A transaction type the chain does not allow there (a deposit on Ethereum, or out of place on an OP Stack L2).
    case transactionType(index: Int)
    case transactionHash(index: Int)
    case sender(index: Int)
    case receiptsRoot
    case receiptCount
    case receiptBloom(index: Int)
    case logsBloom
    case gasUsed
    case withdrawalsRoot
    case ommersHash
    /// OP Stack header fields an upgrade fixes.
    case extraData
    case blobGasUsed
    case excessBlobGas
    case requestsHash

    public var description: String {
        switch self {
        case .blockHash: return "hash"
        case .parentHash: return "parentHash"
        case .number: return "number"
        case .headerFields: return "header fields"
        case .difficulty: return "difficulty"
        case .nonce: return "nonce"
        case .transactionsRoot: return "transactionsRoot"
        case .transactionType(let i): return "transactions[\(i)].type"
        case .transactionHash(let i): return "transactions[\(i)].hash"
        case .sender(let i): return "transactions[\(i)].from"
        case .receiptsRoot: return "receiptsRoot"
        case .receiptCount: return "receipt count"
        case .receiptBloom(let i): return "receipts[\(i)].logsBloom"
        case .logsBloom: return "logsBloom"
        case .gasUsed: return "gasUsed"
        case .withdrawalsRoot: return "withdrawalsRoot"
        case .ommersHash: return "sha3Uncles"
        case .extraData: return "extraData"
        case .blobGasUsed: return "blobGasUsed"
        case .excessBlobGas: return "excessBlobGas"
        case .requestsHash: return "requestsHash"
        }
    }
}

/// A failed check: which block, which field, what the verified data requires and what the payload claimed.
///
/// One meaning at every call site: `expected` is the verified side, `actual` the side under check. `expected` is
/// recomputed from bytes that carry their own proof (a block hash from the header's bytes, a transaction hash from
/// its encoding, a sender from its signature, a receipt's bloom from its logs) or read from what is already
/// verified (the header's roots, bloom and gas for its body; the parent's hash and number for its child).
/// `actual` is what the untrusted payload asserts: a claimed hash or sender, or the value the served items yield.
public struct VerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let block: UInt64
    public let field: VerifiedField
    /// The verified side: recomputed from self-proving bytes, or read from what is already verified.
    public let expected: String
    /// The side under check: what the untrusted payload claims or yields.
    public let actual: String

    public init(block: UInt64, field: VerifiedField, expected: String, actual: String) {
        self.block = block
        self.field = field
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "block \(block): \(field) is \(actual), expected \(expected)" }
}
