public import EthPrimitives
internal import EthRLP
internal import Store

/// What kind of change a history entry records (ARCHITECTURE.md §5 `asset_history`).
public enum EventKind: UInt8, Sendable, CaseIterable {
    case mint = 0, transfer, burn, rental, approval, metadata, aigc

    public var name: String {
        switch self {
        case .mint: return "mint"
        case .transfer: return "transfer"
        case .burn: return "burn"
        case .rental: return "rental"
        case .approval: return "approval"
        case .metadata: return "metadata"
        case .aigc: return "aigc"
        }
    }
}

/// A record the index stores under a fresh key, encoded by the block writer straight into its batch's buffer.
protocol IndexRecord {
    func encode(to encoder: inout RLPEncoder)
}

extension HistoryRecord: IndexRecord {}
extension AigcRecord: IndexRecord {}

/// One entry of a token's (or a contract's) history. Stored as
/// `rlp([kind, from, to, operator, user, [expires], [value], timestamp, transactionHash, transactionIndex, sender])`:
/// an absent address is the empty string, an absent number the empty list (a present one is a one-item list, so
/// a zero value differs from none).
public struct HistoryRecord: Hashable, Sendable {
    public var kind: EventKind
    public var from: Address?
    public var to: Address?
    public var `operator`: Address?
    public var user: Address?
    public var expires: UInt64?
    public var value: UInt256?
    public var timestamp: UInt64
    public var transactionHash: Hash32
    public var transactionIndex: UInt32
    /// On mint records, the recovered sender of the minting transaction (the minter), when the block supplied it.
    public var sender: Address?

    public init(kind: EventKind, from: Address? = nil, to: Address? = nil, operator: Address? = nil, user: Address? = nil,
                expires: UInt64? = nil, value: UInt256? = nil, timestamp: UInt64, transactionHash: Hash32, transactionIndex: UInt32,
                sender: Address? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.operator = `operator`
        self.user = user
        self.expires = expires
        self.value = value
        self.timestamp = timestamp
        self.transactionHash = transactionHash
        self.transactionIndex = transactionIndex
        self.sender = sender
    }

    var encoded: [UInt8] {
        var e = RLPEncoder(capacity: 192)
        encode(to: &e)
        return e.bytes
    }

    func encode(to e: inout RLPEncoder) {
        func address(_ a: Address?, _ e: inout RLPEncoder) {
            if let a { e.append(a) } else { e.append(bytes: EmptyCollection()) }
        }
        e.appendList { e in
            e.append(UInt64(kind.rawValue))
            address(from, &e)
            address(to, &e)
            address(`operator`, &e)
            address(user, &e)
            e.appendList { e in if let expires { e.append(expires) } }
            e.appendList { e in if let value { StateValue(minimal: value).withUnsafeBytes { e.append(bytes: $0) } } }
            e.append(timestamp)
            e.append(transactionHash)
            e.append(UInt64(transactionIndex))
            address(sender, &e)
        }
    }

    init(encoded: [UInt8]) throws(RLPError) {
        var reader = RLPReader(encoded)
        var list = try reader.readList()
        try reader.finish()
        guard let kind = EventKind(rawValue: UInt8(truncatingIfNeeded: try list.readUInt64())) else { throw .integerOverflow }
        // Empty for none; anything else must be a whole address (a damaged record is an error, never "no one").
        func optionalAddress(_ r: inout RLPReader) throws(RLPError) -> Address? {
            let bytes = try r.readBytes()
            if bytes.isEmpty { return nil }
            guard let address = Address(bytes: bytes) else { throw .wrongLength(expected: 20, actual: bytes.count) }
            return address
        }
        self.kind = kind
        from = try optionalAddress(&list)
        to = try optionalAddress(&list)
        `operator` = try optionalAddress(&list)
        user = try optionalAddress(&list)
        var e = try list.readList()
        expires = e.isAtEnd ? nil : try e.readUInt64()
        try e.finish()
        var v = try list.readList()
        if v.isAtEnd {
            value = nil
        } else {
            guard let word = UInt256(bigEndian: try v.readBytes()) else { throw .integerOverflow }
            value = word
        }
        try v.finish()
        timestamp = try list.readUInt64()
        transactionHash = try list.readHash()
        transactionIndex = UInt32(truncatingIfNeeded: try list.readUInt64())
        sender = try optionalAddress(&list)
        try list.finish()
    }
}

/// An ERC-7007 record: the hashes the log carries, the proof, and the raw prompt and output when the verified
/// calldata of the emitting transaction held bytes with those hashes.
/// Stored as `rlp([promptHash, aigcDataHash, proof, prompt, aigcData, transactionHash, isUpdate])`.
public struct AigcRecord: Hashable, Sendable {
    public var promptHash: Hash32
    public var aigcDataHash: Hash32
    public var proof: [UInt8]
    public var prompt: [UInt8]?
    public var aigcData: [UInt8]?
    public var transactionHash: Hash32
    /// `Update` (the updatable extension) rather than `AigcData`.
    public var isUpdate: Bool

    var encoded: [UInt8] {
        var e = RLPEncoder(capacity: 128 + proof.count + (prompt?.count ?? 0) + (aigcData?.count ?? 0))
        encode(to: &e)
        return e.bytes
    }

    func encode(to e: inout RLPEncoder) {
        e.appendList { e in
            e.append(promptHash)
            e.append(aigcDataHash)
            e.append(bytes: proof)
            // A recovered value is wrapped in a list so that an empty prompt differs from an unknown one.
            e.appendList { e in if let prompt { e.append(bytes: prompt) } }
            e.appendList { e in if let aigcData { e.append(bytes: aigcData) } }
            e.append(transactionHash)
            e.append(isUpdate ? 1 : 0 as UInt64)
        }
    }

    init(promptHash: Hash32, aigcDataHash: Hash32, proof: [UInt8], prompt: [UInt8]?, aigcData: [UInt8]?, transactionHash: Hash32, isUpdate: Bool) {
        self.promptHash = promptHash
        self.aigcDataHash = aigcDataHash
        self.proof = proof
        self.prompt = prompt
        self.aigcData = aigcData
        self.transactionHash = transactionHash
        self.isUpdate = isUpdate
    }

    init(encoded: [UInt8]) throws(RLPError) {
        var reader = RLPReader(encoded)
        var list = try reader.readList()
        try reader.finish()
        promptHash = try list.readHash()
        aigcDataHash = try list.readHash()
        proof = Array(try list.readBytes())
        var p = try list.readList()
        prompt = p.isAtEnd ? nil : Array(try p.readBytes())
        var a = try list.readList()
        aigcData = a.isAtEnd ? nil : Array(try a.readBytes())
        transactionHash = try list.readHash()
        isUpdate = try list.readUInt64() == 1
        try list.finish()
    }
}

/// Who minted a token: the recovered sender of its first mint transaction (from the token's first mint record).
public struct MintRecord: Hashable, Sendable {
    public var minter: Address
    public var transactionHash: Hash32
    public var block: UInt64
    public var timestamp: UInt64

    init(minter: Address, transactionHash: Hash32, block: UInt64, timestamp: UInt64) {
        self.minter = minter
        self.transactionHash = transactionHash
        self.block = block
        self.timestamp = timestamp
    }
}
