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
    case transactionHash(index: Int)
    case sender(index: Int)
    case receiptsRoot
    case receiptCount
    case receiptBloom(index: Int)
    case logsBloom
    case gasUsed
    case withdrawalsRoot
    case ommersHash

    public var description: String {
        switch self {
        case .blockHash: return "hash"
        case .parentHash: return "parentHash"
        case .number: return "number"
        case .headerFields: return "header fields"
        case .difficulty: return "difficulty"
        case .nonce: return "nonce"
        case .transactionsRoot: return "transactionsRoot"
        case .transactionHash(let i): return "transactions[\(i)].hash"
        case .sender(let i): return "transactions[\(i)].from"
        case .receiptsRoot: return "receiptsRoot"
        case .receiptCount: return "receipt count"
        case .receiptBloom(let i): return "receipts[\(i)].logsBloom"
        case .logsBloom: return "logsBloom"
        case .gasUsed: return "gasUsed"
        case .withdrawalsRoot: return "withdrawalsRoot"
        case .ommersHash: return "sha3Uncles"
        }
    }
}

/// A failed check: which block, which field, what the verified data requires and what the payload claimed.
public struct VerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let block: UInt64
    public let field: VerifiedField
    public let expected: String
    public let actual: String

    public init(block: UInt64, field: VerifiedField, expected: String, actual: String) {
        self.block = block
        self.field = field
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "block \(block): \(field) is \(actual), expected \(expected)" }
}
