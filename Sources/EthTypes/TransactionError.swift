public import EthRLP
public import EthCrypto

/// Why a transaction was refused: malformed encoding, a bad signature, or a rule of the fork it is checked under.
public enum TransactionError: Error, Equatable, Sendable {
    /// Not canonical RLP, or a field of the wrong shape or size.
    case rlp(RLPError)
    /// The input is empty.
    case empty
    /// The leading byte names no transaction type Provenant knows (EIP-2718 types 0x01…0x04, the OP Stack deposit 0x7e; ≥ 0xc0 is legacy).
    case unknownType(UInt8)
    /// The transaction type is not active in the fork it is checked under.
    case typeNotActive(TransactionType, Fork)
    /// A legacy `v` that is neither 27/28 nor a valid EIP-155 value (EIP-155 values only from Spurious Dragon),
    /// or a typed y parity that is not 0 or 1.
    case invalidV
    /// An EIP-155 chain id other than the chain's.
    case wrongChainId
    /// An OP Stack deposit has no signature (its sender is a field of its encoding).
    case unsignedDeposit
    /// r, s or the recovery failed (see `SignatureError`).
    case signature(SignatureError)
    /// EIP-2681: the nonce must be below 2^64 − 1.
    case nonceTooBig
    /// EIP-7825 (Osaka): a gas limit above 2^24.
    case gasLimitAboveCap(UInt64)
    /// gasLimit × (max) gas price does not fit in 256 bits.
    case gasPriceProductOverflow
    /// EIP-1559: maxPriorityFeePerGas above maxFeePerGas.
    case priorityFeeAboveMaxFee
    /// The gas limit is below the intrinsic gas of the transaction.
    case intrinsicGasTooLow(required: UInt64, limit: UInt64)
    /// EIP-3860: contract-creation code longer than 49,152 bytes.
    case initcodeTooLarge(Int)
    /// Blob (type 3) and set-code (type 4) transactions cannot create contracts.
    case missingRecipient
    /// EIP-4844: a blob transaction with no blobs, or a versioned hash whose first byte is not 0x01.
    case invalidBlobHashes
    /// EIP-7702: a set-code transaction with an empty authorization list.
    case emptyAuthorizationList
}
