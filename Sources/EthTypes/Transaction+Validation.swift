public import EthPrimitives

/// Gas constants of the intrinsic-gas formula, by the EIP that set them.
public enum IntrinsicGas {
    public static let transaction: UInt64 = 21_000
    /// Homestead (EIP-2): extra cost of a contract-creating transaction.
    public static let contractCreation: UInt64 = 32_000
    public static let zeroDataByte: UInt64 = 4
    public static let nonZeroDataByteFrontier: UInt64 = 68
    /// Istanbul (EIP-2028).
    public static let nonZeroDataByte: UInt64 = 16
    /// Berlin (EIP-2930).
    public static let accessListAddress: UInt64 = 2_400
    public static let accessListStorageKey: UInt64 = 1_900
    /// Shanghai (EIP-3860): per 32-byte word of initcode.
    public static let initcodeWord: UInt64 = 2
    /// Shanghai (EIP-3860): 2 × the EIP-170 code size limit.
    public static let maxInitcodeSize = 49_152
    /// Prague (EIP-7702): per authorization tuple.
    public static let authorization: UInt64 = 25_000
    /// Osaka (EIP-7825, https://eips.ethereum.org/EIPS/eip-7825): the largest gas limit a transaction may set, 2^24.
    public static let maxTransactionGasLimit: UInt64 = 1 << 24
}

extension Transaction {
    /// The gas a transaction costs before any execution, under `fork`'s rules.
    public func intrinsicGas(fork: Fork) -> UInt64 {
        var gas = IntrinsicGas.transaction
        let isCreation = fields.to == nil
        if isCreation && fork >= .homestead { gas += IntrinsicGas.contractCreation }
        let nonZero = UInt64(fields.data.count { $0 != 0 })
        let zero = UInt64(fields.data.count) - nonZero
        let perNonZero = fork >= .istanbul ? IntrinsicGas.nonZeroDataByte : IntrinsicGas.nonZeroDataByteFrontier
        gas += zero * IntrinsicGas.zeroDataByte + nonZero * perNonZero
        if isCreation && fork >= .shanghai {
            gas += UInt64((fields.data.count + 31) / 32) * IntrinsicGas.initcodeWord
        }
        for entry in fields.accessList {
            gas += IntrinsicGas.accessListAddress + UInt64(entry.storageKeys.count) * IntrinsicGas.accessListStorageKey
        }
        gas += UInt64(fields.authorizationList.count) * IntrinsicGas.authorization
        return gas
    }

    /// Checks the rules a valid transaction obeys under `fork` on chain `chainId`, then recovers and returns the
    /// sender (a deposit obeys none of them: it is refused as not active): type activation, chain id, nonce and fee bounds, intrinsic gas, type-specific shape, signature
    /// ranges (low s from Homestead) and recovery.
    public func validate(fork: Fork, chainId expectedChainId: UInt256) throws(TransactionError) -> Address {
        let activation: Fork
        switch fields.type {
        case .legacy: activation = .frontier
        case .accessList: activation = .berlin
        case .dynamicFee: activation = .london
        case .blob: activation = .cancun
        case .setCode: activation = .prague
        // A deposit is derived from L1 by the rollup's rules, never sent to the pool these checks guard.
        case .deposit: throw .typeNotActive(.deposit, fork)
        }
        guard fork >= activation else { throw .typeNotActive(fields.type, fork) }
        if let chainId = fields.chainId {
            // Before Spurious Dragon a legacy v other than 27/28 is simply an invalid v.
            guard fields.type != .legacy || fork >= .spuriousDragon else { throw .invalidV }
            guard chainId == expectedChainId else { throw .wrongChainId }
        }
        guard fields.nonce < UInt64.max else { throw .nonceTooBig }
        if fork >= .osaka && fields.gasLimit > IntrinsicGas.maxTransactionGasLimit {
            throw .gasLimitAboveCap(fields.gasLimit)
        }
        let price = fields.type == .legacy || fields.type == .accessList ? fields.gasPrice : fields.maxFeePerGas
        guard !price.multipliedReportingOverflow(by: UInt256(fields.gasLimit)).overflow else {
            throw .gasPriceProductOverflow
        }
        if fields.type != .legacy && fields.type != .accessList {
            guard fields.maxPriorityFeePerGas <= fields.maxFeePerGas else { throw .priorityFeeAboveMaxFee }
        }
        if fields.to == nil {
            if fields.type == .blob || fields.type == .setCode { throw .missingRecipient }
            if fork >= .shanghai && fields.data.count > IntrinsicGas.maxInitcodeSize {
                throw .initcodeTooLarge(fields.data.count)
            }
        }
        if fields.type == .blob {
            guard !fields.blobVersionedHashes.isEmpty, fields.blobVersionedHashes.allSatisfy({ $0.bytes[0] == 0x01 })
            else { throw .invalidBlobHashes }
        }
        if fields.type == .setCode && fields.authorizationList.isEmpty { throw .emptyAuthorizationList }
        // The signature is checked before gas so a transaction broken in both ways reports its signature, as
        // the reference clients do.
        let sender = try recoverSender(requireLowS: fork >= .homestead)
        let required = intrinsicGas(fork: fork)
        guard fields.gasLimit >= required else { throw .intrinsicGasTooLow(required: required, limit: fields.gasLimit) }
        return sender
    }
}
