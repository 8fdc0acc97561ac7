public import EthPrimitives
public import EthRLP

// Consensus encodings:
//   log          [address, [topic, …], data]
//   receipt      [postStateRoot | status, cumulativeGasUsed, logsBloom, [log, …]]
//                status is 1 → 0x01, 0 → the empty string (EIP-658); typed receipts are `type ‖ rlp(receipt)`
//                (EIP-2718)
//   OP deposit   0x7e ‖ rlp([status, cumulativeGasUsed, logsBloom, [log, …], depositNonce?, depositReceiptVersion?])
//                the last two from Canyon on (https://specs.optimism.io/protocol/deposits.html#deposit-receipt)
//   withdrawal   [index, validatorIndex, address, amount]   https://eips.ethereum.org/EIPS/eip-4895

extension Log: RLPEncodable {
    public func encode(to e: inout RLPEncoder) {
        e.appendList { e in
            e.append(address)
            e.appendList { e in for topic in topics { e.append(topic) } }
            e.append(bytes: data)
        }
    }

    init(reading reader: inout RLPReader) throws(RLPError) {
        var list = try reader.readList()
        address = try list.readAddress()
        var topicList = try list.readList()
        topics = try topicList.readAll { (r: inout RLPReader) throws(RLPError) in try r.readHash() }
        data = Array(try list.readBytes())
        try list.finish()
    }
}

extension Receipt {
    /// The consensus encoding the receipts trie stores.
    public var encoded: [UInt8] {
        var e = RLPEncoder(capacity: 300 + logs.count * 200)
        if type != .legacy { e.append(raw: [type.rawValue]) }
        e.appendList { e in
            switch outcome {
            case .postState(let root): e.append(root)
            case .status(let ok): e.append(ok ? 1 : 0 as UInt64)
            }
            e.append(cumulativeGasUsed)
            e.append(logsBloom)
            e.appendList { e in for log in logs { e.append(log) } }
            if type == .deposit, let depositNonce {
                e.append(depositNonce)
                if let depositReceiptVersion { e.append(depositReceiptVersion) }
            }
        }
        return e.bytes
    }

    /// The type of a consensus receipt encoding and a reader of its field list: EIP-2718 typed receipts start with
    /// their type (a byte below 0xc0), legacy ones with the list itself.
    static func envelope(_ bytes: [UInt8]) throws(RLPError) -> (type: TransactionType, fields: RLPReader) {
        var type = TransactionType.legacy
        var body = bytes[...]
        if let first = bytes.first, first < 0xc0 {
            guard let known = TransactionType(rawValue: first), known != .legacy else { throw .unexpectedString }
            type = known
            body = bytes.dropFirst()
        }
        var reader = RLPReader(body)
        let list = try reader.readList()
        try reader.finish()
        return (type, list)
    }

    /// The number of logs in a consensus receipt encoding, without decoding them.
    public static func logCount(encoded bytes: [UInt8]) throws(RLPError) -> Int {
        var (type, list) = try envelope(bytes)
        for _ in 0..<3 { _ = try list.readRaw() }
        var logs = try list.readList()
        if type == .deposit { while !list.isAtEnd { _ = try list.readRaw() } }
        try list.finish()
        var count = 0
        while !logs.isAtEnd {
            _ = try logs.readRaw()
            count += 1
        }
        return count
    }

    /// Decodes a consensus receipt encoding.
    public init(encoded bytes: [UInt8]) throws(RLPError) {
        var (type, list) = try Self.envelope(bytes)
        let first = try list.readBytes()
        let outcome: Outcome
        switch first.count {
        case 32: outcome = .postState(Hash32(bytes: first)!)
        case 0: outcome = .status(false)
        case 1 where first.first == 1: outcome = .status(true)
        default: throw .wrongLength(expected: 32, actual: first.count)
        }
        let cumulativeGasUsed = try list.readUInt64()
        let bloom = try list.readBloom()
        var logList = try list.readList()
        let logs = try logList.readAll { (r: inout RLPReader) throws(RLPError) in try Log(reading: &r) }
        var depositNonce: UInt64?
        var version: UInt64?
        if type == .deposit && !list.isAtEnd {
            depositNonce = try list.readUInt64()
            if !list.isAtEnd { version = try list.readUInt64() }
        }
        try list.finish()
        self.init(
            type: type, outcome: outcome, cumulativeGasUsed: cumulativeGasUsed, logsBloom: bloom, logs: logs,
            depositNonce: depositNonce, depositReceiptVersion: version)
    }
}

extension Withdrawal: RLPEncodable {
    public func encode(to e: inout RLPEncoder) {
        e.appendList { e in
            e.append(index)
            e.append(validatorIndex)
            e.append(address)
            e.append(amount)
        }
    }

    public init(encoded bytes: [UInt8]) throws(RLPError) {
        var reader = RLPReader(bytes)
        var list = try reader.readList()
        try reader.finish()
        self.init(index: try list.readUInt64(), validatorIndex: try list.readUInt64(), address: try list.readAddress(), amount: try list.readUInt64())
        try list.finish()
    }
}
