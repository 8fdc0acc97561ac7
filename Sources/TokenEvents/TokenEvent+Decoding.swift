public import EthPrimitives
public import EthTypes

/// Why a log with a known topic0 could not be decoded: a non-standard contract. Such logs are skipped and counted.
public enum EventDecodingError: Error, Equatable, Sendable {
    /// Topic count not what the event's grammar says.
    case topicCount(Int)
    /// Data too short, an address word with non-zero high bytes, an out-of-range offset or length.
    case malformedData
}

extension TokenEvent {
    /// Decodes `log` if its topic0 is one of the indexed events. Returns `nil` for any other topic0.
    ///
    /// `Transfer` and `Approval` have one signature in ERC-20 and ERC-721, so `standards`, what the contract is known
    /// to be (declared in the config, or detected from its earlier events and kept), decides how they are read: a
    /// contract known as ERC-721 alone has an ERC-721 `Transfer` however many of its three arguments it indexes (none
    /// in CryptoKitties), one known as ERC-20 alone an ERC-20 `Transfer` (some index the value). Otherwise the topic
    /// count decides, as the EIPs write them: four topics ERC-721, three ERC-20.
    public init?(log: Log, standards: Standards = []) throws(EventDecodingError) {
        guard let topic0 = log.topics.first else { return nil }
        let topics = log.topics
        let abi = ABIReader(log.data)
        switch topic0 {
        case Topic.transfer:
            let (from, to, word) = try Self.threeArguments(topics, abi)
            switch try Self.reading(topics.count, standards) {
            case .erc721: self = .erc721Transfer(from: from, to: to, tokenId: word)
            default: self = .erc20Transfer(from: from, to: to, value: word)
            }
        case Topic.approval:
            let (owner, other, word) = try Self.threeArguments(topics, abi)
            switch try Self.reading(topics.count, standards) {
            case .erc721: self = .erc721Approval(owner: owner, approved: other, tokenId: word)
            default: self = .erc20Approval(owner: owner, spender: other, value: word)
            }
        case Topic.transferSingle:
            guard topics.count == 4 else { throw .topicCount(topics.count) }
            self = .transferSingle(
                operator: try Self.address(topics[1]), from: try Self.address(topics[2]), to: try Self.address(topics[3]),
                id: try abi.word(0), value: try abi.word(1))
        case Topic.transferBatch:
            guard topics.count == 4 else { throw .topicCount(topics.count) }
            let ids = try abi.uintArray(at: 0)
            let values = try abi.uintArray(at: 1)
            guard ids.count == values.count else { throw .malformedData }
            self = .transferBatch(
                operator: try Self.address(topics[1]), from: try Self.address(topics[2]), to: try Self.address(topics[3]),
                ids: ids, values: values)
        case Topic.approvalForAll:
            guard topics.count == 3 else { throw .topicCount(topics.count) }
            let approved = try abi.word(0)
            guard approved <= UInt256(1) else { throw .malformedData }
            self = .approvalForAll(owner: try Self.address(topics[1]), operator: try Self.address(topics[2]), approved: approved == UInt256(1))
        case Topic.uri:
            guard topics.count == 2 else { throw .topicCount(topics.count) }
            self = .uri(value: String(decoding: try abi.bytes(at: 0), as: UTF8.self), id: Self.uint(topics[1]))
        case Topic.updateUser:
            guard topics.count == 3 else { throw .topicCount(topics.count) }
            let expires = try abi.word(0)
            guard let expires64 = expires.uint64 else { throw .malformedData }
            self = .updateUser(tokenId: Self.uint(topics[1]), user: try Self.address(topics[2]), expires: expires64)
        case Topic.aigcData:
            guard topics.count == 4 else { throw .topicCount(topics.count) }
            self = .aigcData(tokenId: Self.uint(topics[1]), promptHash: topics[2], aigcDataHash: topics[3], proof: try abi.bytes(at: 0))
        case Topic.aigcUpdate:
            guard topics.count == 4 else { throw .topicCount(topics.count) }
            self = .aigcUpdate(tokenId: Self.uint(topics[1]), promptHash: topics[2], aigcDataHash: topics[3])
        case Topic.aigcDraftMint:
            guard topics.count == 4 else { throw .topicCount(topics.count) }
            self = .aigcDraftMint(
                to: try Self.address(topics[1]), tokenId: Self.uint(topics[2]), promptHash: topics[3], aigcData: try abi.bytes(at: 0),
                uri: String(decoding: try abi.bytes(at: 1), as: UTF8.self), proof: try abi.bytes(at: 2))
        case Topic.metadataUpdate:
            guard topics.count == 1 else { throw .topicCount(topics.count) }
            self = .metadataUpdate(tokenId: try abi.word(0))
        case Topic.batchMetadataUpdate:
            guard topics.count == 1 else { throw .topicCount(topics.count) }
            self = .batchMetadataUpdate(fromTokenId: try abi.word(0), toTokenId: try abi.word(1))
        default:
            return nil
        }
    }

    static func uint(_ topic: Hash32) -> UInt256 { topic.withUnsafeBytes { UInt256(bigEndian: $0)! } }

    /// Which standard's `Transfer` or `Approval` a log of `topicCount` topics is: the contract's one holder standard
    /// of ERC-20 and ERC-721 when it has exactly one, else four topics ERC-721 and three ERC-20.
    static func reading(_ topicCount: Int, _ standards: Standards) throws(EventDecodingError) -> Standards {
        let known = standards.intersection([.erc20, .erc721])
        if known == .erc721 || known == .erc20 { return known }
        switch topicCount {
        case 4: return .erc721
        case 3: return .erc20
        default: throw .topicCount(topicCount)
        }
    }

    /// The three arguments of `Transfer` and `Approval` (two addresses and a number), the first `topics.count - 1`
    /// of them indexed and the rest data words, with nothing after them.
    /// Whether `log` may record a mint, read without knowing its contract's standard: a `Transfer` (ERC-20 or
    /// ERC-721; `from` comes first, in a topic or in the data) or an ERC-1155 `TransferSingle`/`TransferBatch` whose
    /// `from` is the zero address. Sync recovers a transaction's sender only when one of its watched logs may mint,
    /// because a mint's record is the only place the index keeps a sender (the minter). It never says no for a log
    /// that decodes as a mint; it may say yes for one that then does not decode.
    public static func mayMint(_ log: Log) -> Bool {
        let topics = log.topics
        switch topics.first {
        case Topic.transfer?:
            guard let (from, _, _) = try? threeArguments(topics, ABIReader(log.data)) else { return false }
            return from == .zero
        case Topic.transferSingle?, Topic.transferBatch?:
            return topics.count == 4 && topics[2] == .zero
        default:
            return false
        }
    }

    static func threeArguments(_ topics: [Hash32], _ abi: ABIReader) throws(EventDecodingError) -> (Address, Address, UInt256) {
        let indexed = topics.count - 1
        guard indexed <= 3 else { throw .topicCount(topics.count) }
        try abi.requireLength((3 - indexed) * 32)
        func word(_ i: Int) throws(EventDecodingError) -> UInt256 { i < indexed ? uint(topics[i + 1]) : try abi.word(i - indexed) }
        return (try address(word(0)), try address(word(1)), try word(2))
    }

    /// An address in a word: the high 12 bytes must be zero.
    static func address(_ word: UInt256) throws(EventDecodingError) -> Address {
        guard word.leadingZeroBitCount >= 96, let address = Address(bytes: word.bigEndianBytes[12...]) else { throw .malformedData }
        return address
    }

    /// An address in a 32-byte word: the high 12 bytes must be zero.
    static func address(_ topic: Hash32) throws(EventDecodingError) -> Address {
        let address = topic.withUnsafeBytes { word in word.prefix(12).allSatisfy { $0 == 0 } ? Address(bytes: word[12...]) : nil }
        guard let address else { throw .malformedData }
        return address
    }
}

/// Reads Solidity ABI-encoded values from log data or calldata: 32-byte words, and dynamic `bytes` / `uint256[]`
/// through their offsets, with every offset and length checked against the data's size.
public struct ABIReader: Sendable {
    public let data: [UInt8]

    public init(_ data: [UInt8]) { self.data = data }

    /// Word `index` of the head.
    public func word(_ index: Int) throws(EventDecodingError) -> UInt256 {
        try word(atByte: index * 32)
    }

    /// The word that starts `offset` bytes into the data.
    public func word(atByte offset: Int) throws(EventDecodingError) -> UInt256 {
        guard offset >= 0, offset <= data.count - 32 else { throw .malformedData }
        return UInt256(bigEndian: data[offset..<offset + 32])!
    }

    /// A word used as an offset or length: it must fit the data.
    public func small(atByte offset: Int) throws(EventDecodingError) -> Int {
        guard let value = try word(atByte: offset).uint64, value <= UInt64(data.count) else { throw .malformedData }
        return Int(value)
    }

    /// The data must be exactly `count` bytes: a static tuple of that size and nothing after it.
    public func requireLength(_ count: Int) throws(EventDecodingError) {
        guard data.count == count else { throw .malformedData }
    }

    /// The dynamic `bytes` (or `string`) whose offset is head word `index`.
    public func bytes(at index: Int) throws(EventDecodingError) -> [UInt8] {
        let offset = try small(atByte: index * 32)
        let length = try small(atByte: offset)
        guard offset + 32 + length <= data.count else { throw .malformedData }
        return Array(data[offset + 32..<offset + 32 + length])
    }

    /// The dynamic `uint256[]` whose offset is head word `index`.
    public func uintArray(at index: Int) throws(EventDecodingError) -> [UInt256] {
        let offset = try small(atByte: index * 32)
        let count = try small(atByte: offset)
        guard count <= (data.count - offset - 32) / 32 else { throw .malformedData }
        return try (0..<count).map { (i: Int) throws(EventDecodingError) -> UInt256 in try word(atByte: offset + 32 + i * 32) }
    }
}
