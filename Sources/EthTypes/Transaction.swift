public import EthPrimitives
internal import EthCrypto

/// The EIP-2718 transaction type.
public enum TransactionType: UInt8, Sendable, CaseIterable {
    /// The untyped RLP list (with or without EIP-155 replay protection).
    case legacy = 0
    /// EIP-2930: access lists.
    case accessList = 1
    /// EIP-1559: priority and max fees.
    case dynamicFee = 2
    /// EIP-4844: blob-carrying.
    case blob = 3
    /// EIP-7702: set-code authorizations.
    case setCode = 4
    /// OP Stack deposits: a transaction derived from L1, not signed (https://specs.optimism.io/protocol/deposits.html).
    case deposit = 0x7e
}

/// What only an OP Stack deposit carries. The deposit contract on L1 authenticated the sender, so `from` is a field
/// of the deposit's hashed encoding rather than a signature to recover.
public struct DepositFields: Hashable, Sendable {
    /// Unique per deposit: derived from the L1 block and log that made it (or the L1 attributes' sequence number).
    public var sourceHash: Hash32
    public var from: Address
    /// ETH minted on L2 for the deposit (wei).
    public var mint: UInt256
    /// Regolith removed system transactions' special gas treatment; the flag stays in the encoding.
    public var isSystemTransaction: Bool

    public init(sourceHash: Hash32, from: Address, mint: UInt256 = .zero, isSystemTransaction: Bool = false) {
        self.sourceHash = sourceHash
        self.from = from
        self.mint = mint
        self.isSystemTransaction = isSystemTransaction
    }
}

/// One EIP-2930 access-list entry: `[address, [storageKey, …]]`.
public struct AccessListEntry: Hashable, Sendable {
    public var address: Address
    public var storageKeys: [Hash32]

    public init(address: Address, storageKeys: [Hash32]) {
        self.address = address
        self.storageKeys = storageKeys
    }
}

/// One EIP-7702 authorization tuple: `[chain_id, address, nonce, y_parity, r, s]`.
public struct Authorization: Hashable, Sendable {
    public var chainId: UInt256
    public var address: Address
    public var nonce: UInt64
    public var yParity: UInt8
    public var r: UInt256
    public var s: UInt256

    public init(chainId: UInt256, address: Address, nonce: UInt64, yParity: UInt8, r: UInt256, s: UInt256) {
        self.chainId = chainId
        self.address = address
        self.nonce = nonce
        self.yParity = yParity
        self.r = r
        self.s = s
    }
}

/// The fields a sender signs, for every type 0-4, and a deposit's. Fields a type does not have stay zero or empty
/// (`gasPrice` is the legacy/type-1 price; `maxFeePerGas` and `maxPriorityFeePerGas` belong to types 2-4; a deposit
/// has `gasLimit`, `to`, `value`, `data` and its `deposit` fields, and no chain id or nonce).
public struct TransactionFields: Hashable, Sendable {
    public var type: TransactionType
    /// The chain id of a typed transaction, or of an EIP-155 legacy one; `nil` for pre-EIP-155 legacy.
    public var chainId: UInt256?
    public var nonce: UInt64 = 0
    public var gasPrice: UInt256 = .zero
    public var maxPriorityFeePerGas: UInt256 = .zero
    public var maxFeePerGas: UInt256 = .zero
    public var gasLimit: UInt64 = 0
    /// The recipient; `nil` creates a contract.
    public var to: Address?
    public var value: UInt256 = .zero
    public var data: [UInt8] = []
    public var accessList: [AccessListEntry] = []
    public var maxFeePerBlobGas: UInt256 = .zero
    public var blobVersionedHashes: [Hash32] = []
    public var authorizationList: [Authorization] = []
    /// A deposit's own fields; nil for every other type.
    public var deposit: DepositFields?

    public init(type: TransactionType, chainId: UInt256?) {
        self.type = type
        self.chainId = chainId
    }

    /// The fields of a deposit.
    public init(deposit: DepositFields) {
        type = .deposit
        self.deposit = deposit
    }
}

/// A signed transaction of any type 0-4, or an OP Stack deposit, decoded from its canonical encoding, which it keeps:
/// the hash is keccak256 of exactly the bytes that were decoded, and the signing payload is cut from them, not
/// re-encoded.
/// Its fields read directly (`tx.nonce`, `tx.to`).
@dynamicMemberLookup
public struct Transaction: Hashable, Sendable {
    public let fields: TransactionFields
    /// The legacy `v` as signed (27/28 or EIP-155 `chainId × 2 + 35/36`); for typed transactions the y parity; zero,
    /// as are `r` and `s`, for a deposit.
    public let v: UInt256
    public let r: UInt256
    public let s: UInt256
    /// The canonical encoding this value was decoded from (legacy: the RLP list; typed: `type ‖ rlp(fields)`).
    public let encoded: [UInt8]
    /// Where the unsigned fields (every list item before v/yParity) lie in `encoded`.
    let unsignedFields: Range<Int>

    public subscript<T>(dynamicMember keyPath: KeyPath<TransactionFields, T>) -> T { fields[keyPath: keyPath] }

    /// keccak256 of the canonical encoding.
    public var hash: Hash32 { keccak256(encoded) }
}
