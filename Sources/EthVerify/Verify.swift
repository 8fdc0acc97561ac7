public import EthPrimitives
public import EthTypes
internal import EthCrypto
internal import EthRLP
internal import EthTrie

/// The verification rules, as pure functions of a trusted value and an untrusted payload. Each returns normally or
/// throws a `VerificationError` naming the block, the field, the expected and the actual value.
public enum Verify {
    /// keccak256(rlp([])): the ommers hash of a block without ommers.
    public static let emptyOmmersHash = keccak256([0xc0] as [UInt8])

    /// The header hashes to the hash the upstream (or a checkpoint) gives for it.
    public static func hash(of header: Header, equals claimed: Hash32) throws(VerificationError) {
        guard header.hash == claimed else {
            throw VerificationError(block: header.number, field: .blockHash, expected: header.hash.hex, actual: claimed.hex)
        }
    }

    /// `header` is the child of the verified `parent`: it names the parent's hash and the next number.
    public static func link(_ header: Header, toParent parent: Header) throws(VerificationError) {
        guard header.parentHash == parent.hash else {
            throw VerificationError(block: header.number, field: .parentHash, expected: parent.hash.hex, actual: header.parentHash.hex)
        }
        guard header.number == parent.number &+ 1 else {
            throw VerificationError(block: header.number, field: .number, expected: String(parent.number &+ 1), actual: String(header.number))
        }
    }

    /// The optional fields a fork's header carries, in encoding order.
    public static func requiredOptionalFields(_ fork: Fork) -> [HeaderFields.OptionalField] {
        switch fork {
        case .frontier, .homestead, .tangerineWhistle, .spuriousDragon, .byzantium, .constantinople, .petersburg,
            .istanbul, .berlin:
            return []
        case .london, .paris: return [.baseFeePerGas]
        case .shanghai: return [.baseFeePerGas, .withdrawalsRoot]
        case .cancun: return [.baseFeePerGas, .withdrawalsRoot, .blobGasUsed, .excessBlobGas, .parentBeaconBlockRoot]
        case .prague, .osaka: return HeaderFields.OptionalField.allCases
        }
    }

    /// The header carries exactly the fields its fork requires, and a proof-of-stake header has zero difficulty,
    /// a zero nonce and no ommers; on an OP Stack chain, the fields its upgrade fixes too (`Verify+OPStack.swift`).
    public static func forkFields(of header: Header, spec: Chainspec) throws(VerificationError) {
        let fork = spec.fork(number: header.number, timestamp: header.timestamp)
        let upgrade = spec.opFork(number: header.number, timestamp: header.timestamp)
        if spec.family == .opStack && upgrade == nil {
            throw VerificationError(block: header.number, field: .headerFields, expected: "a block from Bedrock on", actual: "a block before \(spec.name)'s Bedrock")
        }
        let required = requiredOptionalFields(fork)
        let present = header.presentOptionalFields
        guard present == required else {
            throw VerificationError(
                block: header.number, field: .headerFields,
                expected: "\(spec.forkName(number: header.number, timestamp: header.timestamp)): [\(required.map { "\($0)" }.joined(separator: ", "))]",
                actual: "[\(present.map { "\($0)" }.joined(separator: ", "))]")
        }
        if let upgrade { try opStackFields(of: header, upgrade: upgrade) }
        if fork >= .paris {
            guard header.difficulty.isZero else {
                throw VerificationError(block: header.number, field: .difficulty, expected: "0x0", actual: header.difficulty.quantity)
            }
            guard header.nonce.allSatisfy({ $0 == 0 }) else {
                throw VerificationError(block: header.number, field: .nonce, expected: "0x0000000000000000", actual: Hex.encode(header.nonce))
            }
            guard header.ommersHash == emptyOmmersHash else {
                throw VerificationError(block: header.number, field: .ommersHash, expected: emptyOmmersHash.hex, actual: header.ommersHash.hex)
            }
        }
    }

    /// The transactions (canonical encodings, in block order) rebuild the header's transactions root.
    public static func transactionsRoot(of header: Header, encodings: [[UInt8]]) throws(VerificationError) {
        let root = OrderedTrie.root(encodings)
        guard root == header.transactionsRoot else {
            throw VerificationError(block: header.number, field: .transactionsRoot, expected: header.transactionsRoot.hex, actual: root.hex)
        }
    }

    /// Each transaction's hash, computed from its encoding, is the one the upstream claims.
    public static func transactionHashes(in header: Header, _ transactions: [RPCTransaction]) throws(VerificationError) {
        for (i, tx) in transactions.enumerated() where tx.transaction.hash != tx.claimedHash {
            throw VerificationError(block: header.number, field: .transactionHash(index: i), expected: tx.transaction.hash.hex, actual: tx.claimedHash.hex)
        }
    }

    /// Each transaction's sender, recovered with secp256k1 (in parallel), is the upstream's `from`; with `only`, the
    /// senders of those transactions (by index) alone. Low s is required from Homestead on (EIP-2).
    public static func senders(in header: Header, _ transactions: [RPCTransaction], fork: Fork, only indices: [Int]? = nil) throws(VerificationError) {
        let checked = indices?.filter { transactions.indices.contains($0) } ?? Array(transactions.indices)
        let recovered = Transaction.recoverSenders(checked.map { transactions[$0].transaction }, requireLowS: fork >= .homestead)
        for (i, result) in zip(checked, recovered) {
            switch result {
            case .success(let sender) where sender == transactions[i].claimedFrom:
                continue
            case .success(let sender):
                throw VerificationError(block: header.number, field: .sender(index: i), expected: sender.hex, actual: transactions[i].claimedFrom.hex)
            case .failure(let error):
                throw VerificationError(block: header.number, field: .sender(index: i), expected: "a recoverable signature (\(error))", actual: transactions[i].claimedFrom.hex)
            }
        }
    }

    /// The receipts rebuild the receipts root; each receipt's bloom is the bloom of its logs; their union is the
    /// header's bloom; the last cumulative gas is the header's `gasUsed`.
    public static func receipts(of header: Header, _ receipts: [Receipt], transactionCount: Int? = nil) throws(VerificationError) {
        if let transactionCount, transactionCount != receipts.count {
            throw VerificationError(block: header.number, field: .receiptCount, expected: String(transactionCount), actual: String(receipts.count))
        }
        var union = Bloom()
        var hashes = LogHashes()
        for (i, receipt) in receipts.enumerated() {
            let computed = Bloom(logs: receipt.logs, hashes: &hashes)
            guard computed == receipt.logsBloom else {
                throw VerificationError(block: header.number, field: .receiptBloom(index: i), expected: computed.hex, actual: receipt.logsBloom.hex)
            }
            union.formUnion(computed)
        }
        guard union == header.logsBloom else {
            throw VerificationError(block: header.number, field: .logsBloom, expected: header.logsBloom.hex, actual: union.hex)
        }
        let root = OrderedTrie.root(receipts.map(\.encoded))
        guard root == header.receiptsRoot else {
            throw VerificationError(block: header.number, field: .receiptsRoot, expected: header.receiptsRoot.hex, actual: root.hex)
        }
        let gas = receipts.last?.cumulativeGasUsed ?? 0
        guard gas == header.gasUsed else {
            throw VerificationError(block: header.number, field: .gasUsed, expected: String(header.gasUsed), actual: String(gas))
        }
    }

    /// The withdrawals rebuild the header's withdrawals root (Shanghai and later).
    public static func withdrawals(of header: Header, _ withdrawals: [Withdrawal]) throws(VerificationError) {
        let root = OrderedTrie.root(withdrawals.map(\.rlp))
        guard root == header.withdrawalsRoot else {
            throw VerificationError(block: header.number, field: .withdrawalsRoot, expected: header.withdrawalsRoot?.hex ?? "none", actual: root.hex)
        }
    }

    /// keccak256 of the RLP list of ommer headers is the header's ommers hash.
    public static func ommers(of header: Header, encodedList: [UInt8]) throws(VerificationError) {
        let hash = keccak256(encodedList)
        guard hash == header.ommersHash else {
            throw VerificationError(block: header.number, field: .ommersHash, expected: header.ommersHash.hex, actual: hash.hex)
        }
    }
}
