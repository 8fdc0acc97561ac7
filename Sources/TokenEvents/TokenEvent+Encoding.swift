public import EthPrimitives
public import EthTypes

extension TokenEvent {
    /// The log a standard contract at `contract` emits for this event: topics and ABI-encoded data. The inverse of
    /// `init(log:)`, used by the dev chain, the tests and the benchmarks to produce real logs.
    public func log(contract: Address) -> Log {
        typealias T = Topic
        switch self {
        case .erc721Transfer(let from, let to, let id):
            return Log(address: contract, topics: [T.transfer, Self.topic(from), Self.topic(to), Self.topic(id)], data: [])
        case .erc721Approval(let owner, let approved, let id):
            return Log(address: contract, topics: [T.approval, Self.topic(owner), Self.topic(approved), Self.topic(id)], data: [])
        case .erc20Transfer(let from, let to, let value):
            return Log(address: contract, topics: [T.transfer, Self.topic(from), Self.topic(to)], data: value.bigEndianBytes)
        case .erc20Approval(let owner, let spender, let value):
            return Log(address: contract, topics: [T.approval, Self.topic(owner), Self.topic(spender)], data: value.bigEndianBytes)
        case .transferSingle(let op, let from, let to, let id, let value):
            return Log(address: contract, topics: [T.transferSingle, Self.topic(op), Self.topic(from), Self.topic(to)],
                       data: id.bigEndianBytes + value.bigEndianBytes)
        case .transferBatch(let op, let from, let to, let ids, let values):
            return Log(address: contract, topics: [T.transferBatch, Self.topic(op), Self.topic(from), Self.topic(to)],
                       data: ABIEncoding.dynamic([ABIEncoding.array(ids), ABIEncoding.array(values)]))
        case .approvalForAll(let owner, let op, let approved):
            return Log(address: contract, topics: [T.approvalForAll, Self.topic(owner), Self.topic(op)], data: UInt256(approved ? 1 : 0).bigEndianBytes)
        case .uri(let value, let id):
            return Log(address: contract, topics: [T.uri, Self.topic(id)], data: ABIEncoding.dynamic([ABIEncoding.bytes(Array(value.utf8))]))
        case .updateUser(let id, let user, let expires):
            return Log(address: contract, topics: [T.updateUser, Self.topic(id), Self.topic(user)], data: UInt256(expires).bigEndianBytes)
        case .aigcData(let id, let promptHash, let aigcDataHash, let proof):
            return Log(address: contract, topics: [T.aigcData, Self.topic(id), promptHash, aigcDataHash], data: ABIEncoding.dynamic([ABIEncoding.bytes(proof)]))
        case .aigcUpdate(let id, let promptHash, let aigcDataHash):
            return Log(address: contract, topics: [T.aigcUpdate, Self.topic(id), promptHash, aigcDataHash], data: [])
        case .aigcDraftMint(let to, let id, let promptHash, let aigcData, let uri, let proof):
            return Log(address: contract, topics: [T.aigcDraftMint, Self.topic(to), Self.topic(id), promptHash],
                       data: ABIEncoding.dynamic([ABIEncoding.bytes(aigcData), ABIEncoding.bytes(Array(uri.utf8)), ABIEncoding.bytes(proof)]))
        case .metadataUpdate(let id):
            return Log(address: contract, topics: [T.metadataUpdate], data: id.bigEndianBytes)
        case .batchMetadataUpdate(let from, let to):
            return Log(address: contract, topics: [T.batchMetadataUpdate], data: from.bigEndianBytes + to.bigEndianBytes)
        }
    }

    static func topic(_ address: Address) -> Hash32 { Hash32(bytes: [UInt8](repeating: 0, count: 12) + address.bytes)! }
    static func topic(_ value: UInt256) -> Hash32 { Hash32(bytes: value.bigEndianBytes)! }
}

/// Solidity ABI encoding of the values events and calls carry (https://docs.soliditylang.org/en/latest/abi-spec.html).
public enum ABIEncoding {
    /// A `bytes`/`string` tail: length word, then the bytes padded to a word.
    public static func bytes(_ value: [UInt8]) -> [UInt8] {
        UInt256(UInt64(value.count)).bigEndianBytes + value + [UInt8](repeating: 0, count: (32 - value.count % 32) % 32)
    }

    /// A `uint256[]` tail: count word, then the words.
    public static func array(_ values: [UInt256]) -> [UInt8] {
        UInt256(UInt64(values.count)).bigEndianBytes + values.flatMap(\.bigEndianBytes)
    }

    /// Head-and-tail encoding of `static` words followed by dynamic tails: each dynamic argument's head word is
    /// the offset of its tail from the start of the arguments.
    public static func dynamic(_ tails: [[UInt8]], static words: [UInt256] = []) -> [UInt8] {
        var head = words.flatMap(\.bigEndianBytes)
        var offset = (words.count + tails.count) * 32
        for tail in tails {
            head += UInt256(UInt64(offset)).bigEndianBytes
            offset += tail.count
        }
        return head + tails.flatMap { $0 }
    }

    /// Calldata of `signature(args)`: the 4-byte selector, then the arguments.
    public static func call(_ signature: String, static words: [UInt256] = [], dynamic tails: [[UInt8]] = []) -> [UInt8] {
        Array(keccak256(Array(signature.utf8)).bytes[0..<4]) + dynamic(tails, static: words)
    }
}

internal import EthCrypto
