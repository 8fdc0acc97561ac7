public import EthPrimitives
public import EthCrypto
internal import EthRLP
internal import Dispatch

extension Transaction {
    /// The bytes the sender signed:
    /// - legacy before EIP-155: `rlp([nonce, gasPrice, gasLimit, to, value, data])`
    /// - legacy with EIP-155: the same list plus `chainId, 0, 0` (https://eips.ethereum.org/EIPS/eip-155)
    /// - typed: `type ‖ rlp([fields without yParity, r, s])`
    /// Cut from the received encoding: the unsigned items are reused byte for byte under a new list header.
    public var signingPayload: [UInt8] {
        var tail = RLPEncoder(capacity: 16)
        if fields.type == .legacy, let chainId = fields.chainId {
            tail.append(chainId)
            tail.append(0 as UInt64)
            tail.append(0 as UInt64)
        }
        var e = RLPEncoder(capacity: unsignedFields.count + tail.bytes.count + 10)
        if fields.type != .legacy { e.append(raw: [fields.type.rawValue]) }
        e.appendList { e in
            e.append(raw: encoded[unsignedFields])
            e.append(raw: tail.bytes)
        }
        return e.bytes
    }

    /// keccak256 of `signingPayload`.
    public var signingHash: Hash32 { keccak256(signingPayload) }

    /// The signature with the y parity taken from `v`.
    public var signature: Signature {
        get throws(TransactionError) {
            guard fields.type != .deposit else { throw .unsignedDeposit }
            let parity: UInt256
            if fields.type != .legacy {
                parity = v
            } else if fields.chainId == nil {
                parity = v - UInt256(27)
            } else {
                parity = (v - UInt256(35)) & UInt256(1)
            }
            guard parity <= UInt256(1) else { throw .invalidV }
            return Signature(r: r, s: s, yParity: UInt8(parity.uint64!))
        }
    }

    /// Recovers the sender with libsecp256k1. `requireLowS` is EIP-2's rule, in force from Homestead on. A deposit
    /// is not signed: its sender is the `from` of its hashed encoding, which the L1 deposit contract set.
    public func recoverSender(requireLowS: Bool = true) throws(TransactionError) -> Address {
        if let deposit = fields.deposit, fields.type == .deposit { return deposit.from }
        let signature = try self.signature
        do throws(SignatureError) {
            return try Secp256k1.recoverAddress(signature, hash: signingHash, requireLowS: requireLowS)
        } catch {
            throw .signature(error)
        }
    }

    /// Signs `fields` with `key` and returns the transaction as its canonical encoding decodes.
    public static func sign(_ fields: TransactionFields, with key: PrivateKey) -> Transaction {
        precondition(fields.type != .deposit, "a deposit is not signed: build it with Transaction.deposit(_:)")
        var e = RLPEncoder()
        if fields.type != .legacy { e.append(raw: [fields.type.rawValue]) }
        e.appendList { e in
            fields.appendItems(to: &e)
            if fields.type == .legacy, let chainId = fields.chainId {
                e.append(chainId)
                e.append(0 as UInt64)
                e.append(0 as UInt64)
            }
        }
        let signature = key.sign(keccak256(e.bytes))
        let parity = UInt256(UInt64(signature.yParity))
        let v: UInt256
        if fields.type != .legacy {
            v = parity
        } else if let chainId = fields.chainId {
            v = chainId * UInt256(2) + UInt256(35) + parity
        } else {
            v = UInt256(27) + parity
        }
        do {
            return try Transaction(fields: fields, v: v, r: signature.r, s: signature.s)
        } catch {
            preconditionFailure("a freshly signed transaction has an invalid v: \(error)")
        }
    }
}

extension Transaction {
    /// A deposit (`fields.type == .deposit`, its `deposit` fields set) as its canonical encoding decodes.
    public static func deposit(_ fields: TransactionFields) -> Transaction {
        precondition(fields.type == .deposit && fields.deposit != nil, "a deposit needs its deposit fields")
        do {
            return try Transaction(fields: fields, v: .zero, r: .zero, s: .zero)
        } catch {
            preconditionFailure("a deposit has no v to be invalid: \(error)")
        }
    }
}

extension Authorization {
    /// What the authority signs (EIP-7702): `keccak256(0x05 ‖ rlp([chainId, address, nonce]))`.
    public var signingHash: Hash32 {
        var e = RLPEncoder()
        e.append(raw: [0x05])
        e.appendList { e in
            e.append(chainId)
            e.append(address)
            e.append(nonce)
        }
        return keccak256(e.bytes)
    }

    /// The EIP-7702 authority: the signer of `signingHash`.
    public func recoverAuthority() throws(SignatureError) -> Address {
        try Secp256k1.recoverAddress(Signature(r: r, s: s, yParity: yParity), hash: signingHash)
    }
}

extension Transaction {
    /// Recovers the senders of many transactions (a block's) on all cores; results are in input order.
    public static func recoverSenders(_ transactions: [Transaction], requireLowS: Bool = true)
        -> [Result<Address, TransactionError>]
    {
        let results = UnsafeMutableBufferPointer<Result<Address, TransactionError>>.allocate(capacity: transactions.count)
        defer { results.deallocate() }
        // Chunks of 16 keep the per-task overhead far below the ~50 µs of one recovery.
        let chunk = 16
        let chunks = (transactions.count + chunk - 1) / chunk
        // Each task writes only its own slots, so the shared buffer needs no lock.
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in c * chunk..<min(transactions.count, (c + 1) * chunk) {
                let result: Result<Address, TransactionError>
                do throws(TransactionError) {
                    result = .success(try transactions[i].recoverSender(requireLowS: requireLowS))
                } catch {
                    result = .failure(error)
                }
                (slots.baseAddress! + i).initialize(to: result)
            }
        }
        return Array(UnsafeBufferPointer(results))
    }
}
