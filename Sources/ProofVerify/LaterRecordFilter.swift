public import EthPrimitives
internal import EthCrypto
public import EthTypes
internal import TokenEvents

/// Which logs would replace a token's latest record of a kind, and which blocks may hold one: the rule a proof of
/// absence rests on, shared by the builder (which blocks' receipts to carry) and the verifier (which to demand).
///
/// A later record of a role is a log of the token's contract with the role's topic0 and the token id in the
/// topic where the event indexes it:
///
///     ownership  Transfer(address indexed from, address indexed to, uint256 indexed tokenId)   id in topic 3
///     user       UpdateUser(uint256 indexed tokenId, address indexed user, uint64 expires)     id in topic 1
///     aigc       AigcData(uint256 indexed tokenId, …), Update(uint256 indexed tokenId, …)     id in topic 1
///                Mint(address indexed to, uint256 indexed tokenId, …) (the draft's)            id in topic 2
///
/// A block's logs bloom has every log's address and topics, so a block whose bloom lacks the contract, the id, or
/// all of a role's topic0s holds no such log; any other block must be read receipt by receipt.
public struct LaterRecordFilter: Sendable {
    public let contract: Address
    public let tokenId: UInt256
    let idTopic: Hash32
    let hashedContract: Hash32
    let hashedId: Hash32

    /// The topic0s of each role's records with the topic that holds the token id.
    static let families: [ProofBundle.Role: [(topic0: Hash32, idTopic: Int)]] = [
        .ownership: [(TokenEvent.Topic.transfer, 3)],
        .user: [(TokenEvent.Topic.updateUser, 1)],
        .aigc: [(TokenEvent.Topic.aigcData, 1), (TokenEvent.Topic.aigcUpdate, 1), (TokenEvent.Topic.aigcDraftMint, 2)],
    ]
    static let hashedTopics: [Hash32: Hash32] = Dictionary(
        uniqueKeysWithValues: families.values.joined().map { ($0.topic0, keccak256($0.topic0.bytes)) })

    public init(contract: Address, tokenId: UInt256) {
        self.contract = contract
        self.tokenId = tokenId
        idTopic = Hash32(bytes: tokenId.bigEndianBytes)!
        hashedContract = keccak256(contract.bytes)
        hashedId = keccak256(idTopic.bytes)
    }

    /// The roles among `roles` of which a block with this bloom may hold a record of the token, in a fixed order.
    public func roles(mayBeIn bloom: Bloom, among roles: Set<ProofBundle.Role>) -> [ProofBundle.Role] {
        guard !roles.isEmpty, bloom.mayContain(hashed: hashedContract), bloom.mayContain(hashed: hashedId) else { return [] }
        return ProofBundle.Role.allCases.filter { role in
            roles.contains(role) && Self.families[role, default: []].contains { bloom.mayContain(hashed: Self.hashedTopics[$0.topic0]!) }
        }
    }

    /// Whether the log is a record of the token of this role.
    public func isRecord(_ log: Log, of role: ProofBundle.Role) -> Bool {
        log.address == contract && Self.families[role, default: []].contains { family in
            log.topics.count > family.idTopic && log.topics[0] == family.topic0 && log.topics[family.idTopic] == idTopic
        }
    }
}
