public import EthPrimitives
internal import EthCrypto
public import EthRLP

/// The fields of a block header of any fork up to Prague, as JSON-RPC names them except where noted.
public struct HeaderFields: Hashable, Sendable {
    public var parentHash: Hash32 = .zero
    /// `sha3Uncles` in JSON-RPC: keccak256 of the RLP list of ommer headers.
    public var ommersHash: Hash32 = .zero
    /// `miner` in JSON-RPC.
    public var beneficiary: Address = .zero
    public var stateRoot: Hash32 = .zero
    public var transactionsRoot: Hash32 = .zero
    public var receiptsRoot: Hash32 = .zero
    public var logsBloom = Bloom()
    public var difficulty: UInt256 = .zero
    public var number: UInt64 = 0
    public var gasLimit: UInt64 = 0
    public var gasUsed: UInt64 = 0
    public var timestamp: UInt64 = 0
    public var extraData: [UInt8] = []
    /// `mixHash`; after the merge it carries `prevRandao`.
    public var mixHash: Hash32 = .zero
    /// The 8-byte proof-of-work nonce (zero after the merge).
    public var nonce: [UInt8] = [UInt8](repeating: 0, count: 8)
    /// London (EIP-1559).
    public var baseFeePerGas: UInt256?
    /// Shanghai (EIP-4895).
    public var withdrawalsRoot: Hash32?
    /// Cancun (EIP-4844).
    public var blobGasUsed: UInt64?
    /// Cancun (EIP-4844).
    public var excessBlobGas: UInt64?
    /// Cancun (EIP-4788).
    public var parentBeaconBlockRoot: Hash32?
    /// Prague (EIP-7685).
    public var requestsHash: Hash32?

    public init() {}

    /// The optional trailing fields, in encoding order.
    public enum OptionalField: Int, CaseIterable, Sendable {
        case baseFeePerGas, withdrawalsRoot, blobGasUsed, excessBlobGas, parentBeaconBlockRoot, requestsHash
    }

    /// Which optional fields are present, in encoding order.
    public var presentOptionalFields: [OptionalField] {
        let present: [Bool] = [
            baseFeePerGas != nil, withdrawalsRoot != nil, blobGasUsed != nil, excessBlobGas != nil,
            parentBeaconBlockRoot != nil, requestsHash != nil,
        ]
        return OptionalField.allCases.filter { present[$0.rawValue] }
    }
}

/// A block header: its fields and the RLP encoding its hash is computed from. Built from fields it is encoded once;
/// decoded from RLP it keeps the received bytes and hashes those. Fields read directly (`header.number`).
@dynamicMemberLookup
public struct Header: Hashable, Sendable {
    public let fields: HeaderFields
    /// The RLP encoding that `hash` is computed from.
    public let encoded: [UInt8]
    /// keccak256(`encoded`): the block hash.
    public let hash: Hash32

    public subscript<T>(dynamicMember keyPath: KeyPath<HeaderFields, T>) -> T { fields[keyPath: keyPath] }

    /// Encodes `fields` once and hashes the encoding.
    /// - Throws: `HeaderError.optionalFieldGap` when an optional field is absent but a later one is present (the
    ///   encoding could not say which is missing); `wrongNonceLength` unless the nonce is 8 bytes.
    public init(_ fields: HeaderFields) throws(HeaderError) {
        guard fields.nonce.count == 8 else { throw .wrongNonceLength(fields.nonce.count) }
        let present = fields.presentOptionalFields
        if present.count != (present.last.map { $0.rawValue + 1 } ?? 0) {
            let gap = HeaderFields.OptionalField.allCases.first { !present.contains($0) }!
            throw .optionalFieldGap(gap)
        }
        self.fields = fields
        encoded = fields.rlp
        hash = keccak256(encoded)
    }

    /// EIP-7685's requests hash of a block with no requests: sha256 of the empty string (every OP Stack block's
    /// from Isthmus on).
    public static let emptyRequestsHash = Hash32(bytes: [
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    ] as [UInt8])!

    init(fields: HeaderFields, encoded: [UInt8]) {
        self.fields = fields
        self.encoded = encoded
        hash = keccak256(encoded)
    }
}

/// Why a header could not be built or decoded.
public enum HeaderError: Error, Equatable, Sendable {
    case rlp(RLPError)
    /// An optional field is absent while a later one is present.
    case optionalFieldGap(HeaderFields.OptionalField)
    /// The nonce is not 8 bytes.
    case wrongNonceLength(Int)
    /// Fewer than the 15 fields every header has, or more than Prague defines.
    case wrongFieldCount(Int)
}
