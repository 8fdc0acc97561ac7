public import EthPrimitives
internal import EthCrypto

/// The token standards Provenant indexes, as a bitmask of what a contract's events show it to be.
public struct Standards: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let erc20 = Standards(rawValue: 1 << 0)
    public static let erc721 = Standards(rawValue: 1 << 1)
    public static let erc1155 = Standards(rawValue: 1 << 2)
    public static let erc4907 = Standards(rawValue: 1 << 3)
    public static let erc7007 = Standards(rawValue: 1 << 4)
    public static let erc4906 = Standards(rawValue: 1 << 5)

    /// The standards with per-holder balances and holder entries.
    package static let holderStandards: Standards = [.erc20, .erc721, .erc1155]
    /// Every standard this build knows: a stored bitmask with another bit is damaged.
    package static let all: Standards = [.erc20, .erc721, .erc1155, .erc4907, .erc7007, .erc4906]

    /// The standards of these names (`erc20`, `erc721`, `erc1155`, `erc4907`, `erc7007`, `erc4906`, as a config
    /// declares them); nil if one is not a known name.
    public init?(names: [String]) {
        let known: [String: Standards] = ["erc20": .erc20, "erc721": .erc721, "erc1155": .erc1155, "erc4907": .erc4907, "erc7007": .erc7007, "erc4906": .erc4906]
        var standards: Standards = []
        for name in names {
            guard let one = known[name.lowercased()] else { return nil }
            standards.formUnion(one)
        }
        self = standards
    }
}

/// A token event decoded from a log of a watched contract (ARCHITECTURE.md §4). Grammar of each, with its EIP:
///
///     ERC-721  Transfer(address indexed from, address indexed to, uint256 indexed tokenId)      4 topics
///              Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)
///              https://eips.ethereum.org/EIPS/eip-721
///     ERC-20   Transfer(address indexed from, address indexed to, uint256 value)               3 topics
///              Approval(address indexed owner, address indexed spender, uint256 value)
///              https://eips.ethereum.org/EIPS/eip-20
///     ERC-1155 TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id,
///              uint256 value)
///              TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids,
///              uint256[] values)
///              ApprovalForAll(address indexed owner, address indexed operator, bool approved)  (also ERC-721)
///              URI(string value, uint256 indexed id)
///              https://eips.ethereum.org/EIPS/eip-1155
///     ERC-4907 UpdateUser(uint256 indexed tokenId, address indexed user, uint64 expires)
///              https://eips.ethereum.org/EIPS/eip-4907
///     ERC-7007 AigcData(uint256 indexed tokenId, bytes indexed prompt, bytes indexed aigcData, bytes proof)
///              Update(uint256 indexed tokenId, bytes indexed prompt, bytes indexed aigcData)
///              https://eips.ethereum.org/EIPS/eip-7007
///              and the earlier draft's (contracts deployed before the final text still emit it):
///              Mint(address indexed to, uint256 indexed tokenId, bytes indexed prompt, bytes aigcData, string uri,
///              bytes proof)
///              https://github.com/AIGC-NFT/ERCs/blob/94562e878a5450da33b8184f1ad24d24f8223a14/ERCS/erc-7007.md
///     ERC-4906 MetadataUpdate(uint256 _tokenId), BatchMetadataUpdate(uint256 _fromTokenId, uint256 _toTokenId)
///              https://eips.ethereum.org/EIPS/eip-4906
///
/// An indexed `bytes` parameter is logged as its keccak256, so ERC-7007 logs carry hashes of the prompt and output.
public enum TokenEvent: Hashable, Sendable {
    case erc721Transfer(from: Address, to: Address, tokenId: UInt256)
    case erc721Approval(owner: Address, approved: Address, tokenId: UInt256)
    case erc20Transfer(from: Address, to: Address, value: UInt256)
    case erc20Approval(owner: Address, spender: Address, value: UInt256)
    case transferSingle(operator: Address, from: Address, to: Address, id: UInt256, value: UInt256)
    case transferBatch(operator: Address, from: Address, to: Address, ids: [UInt256], values: [UInt256])
    case approvalForAll(owner: Address, operator: Address, approved: Bool)
    case uri(value: String, id: UInt256)
    case updateUser(tokenId: UInt256, user: Address, expires: UInt64)
    case aigcData(tokenId: UInt256, promptHash: Hash32, aigcDataHash: Hash32, proof: [UInt8])
    case aigcUpdate(tokenId: UInt256, promptHash: Hash32, aigcDataHash: Hash32)
    /// The draft ERC-7007 `Mint`: the output itself is in the log, the prompt only as its hash.
    case aigcDraftMint(to: Address, tokenId: UInt256, promptHash: Hash32, aigcData: [UInt8], uri: String, proof: [UInt8])
    case metadataUpdate(tokenId: UInt256)
    case batchMetadataUpdate(fromTokenId: UInt256, toTokenId: UInt256)

    /// topic0 of each event: keccak256 of its canonical signature.
    public enum Topic {
        public static let transfer = keccak256(Array("Transfer(address,address,uint256)".utf8))
        public static let approval = keccak256(Array("Approval(address,address,uint256)".utf8))
        public static let transferSingle = keccak256(Array("TransferSingle(address,address,address,uint256,uint256)".utf8))
        public static let transferBatch = keccak256(Array("TransferBatch(address,address,address,uint256[],uint256[])".utf8))
        public static let approvalForAll = keccak256(Array("ApprovalForAll(address,address,bool)".utf8))
        public static let uri = keccak256(Array("URI(string,uint256)".utf8))
        public static let updateUser = keccak256(Array("UpdateUser(uint256,address,uint64)".utf8))
        public static let aigcData = keccak256(Array("AigcData(uint256,bytes,bytes,bytes)".utf8))
        public static let aigcUpdate = keccak256(Array("Update(uint256,bytes,bytes)".utf8))
        public static let aigcDraftMint = keccak256(Array("Mint(address,uint256,bytes,bytes,string,bytes)".utf8))
        public static let metadataUpdate = keccak256(Array("MetadataUpdate(uint256)".utf8))
        public static let batchMetadataUpdate = keccak256(Array("BatchMetadataUpdate(uint256,uint256)".utf8))

        /// Every topic0 the index decodes: what the bloom filter is tested against.
        public static let all: [Hash32] = [
            transfer, approval, transferSingle, transferBatch, approvalForAll, uri, updateUser, aigcData, aigcUpdate, aigcDraftMint,
            metadataUpdate, batchMetadataUpdate,
        ]

        /// The topic0s of the records a proof bundle claims as a token's latest (its ERC-721 owner, ERC-4907 user,
        /// ERC-7007 output): a block whose bloom may hold one of them, for a watched contract, keeps every receipt,
        /// so that a bundle can show it holds no later record.
        public static let latestRecords: [Hash32] = [transfer, updateUser, aigcData, aigcUpdate, aigcDraftMint]
    }

    /// The standard the event shows its contract implements.
    public var standard: Standards {
        switch self {
        case .erc721Transfer, .erc721Approval: return .erc721
        case .erc20Transfer, .erc20Approval: return .erc20
        case .transferSingle, .transferBatch, .uri: return .erc1155
        case .approvalForAll: return []
        case .updateUser: return .erc4907
        case .aigcData, .aigcUpdate, .aigcDraftMint: return .erc7007
        case .metadataUpdate, .batchMetadataUpdate: return .erc4906
        }
    }
}

extension TokenEvent {
    /// A `TransferBatch`'s (id, value) pairs with repeated ids merged: first-seen order, values summed (saturating
    /// at 2^256 - 1, as balances do).
    public static func mergedBatch(ids: [UInt256], values: [UInt256]) -> [(id: UInt256, value: UInt256)] {
        var merged: [(id: UInt256, value: UInt256)] = []
        var slots: [UInt256: Int] = [:]
        for (id, value) in zip(ids, values) {
            if let slot = slots[id] {
                let (sum, overflow) = merged[slot].value.addingReportingOverflow(value)
                merged[slot].value = overflow ? .max : sum
            } else {
                slots[id] = merged.count
                merged.append((id, value))
            }
        }
        return merged
    }
}

extension TokenEvent {
    /// Whether the event mints `tokenId` (ERC-721 or ERC-1155, from the zero address).
    public func mints(_ tokenId: UInt256) -> Bool {
        switch self {
        case .erc721Transfer(let from, _, let id): return from == .zero && id == tokenId
        case .transferSingle(_, let from, _, let id, _): return from == .zero && id == tokenId
        case .transferBatch(_, let from, _, let ids, _): return from == .zero && ids.contains(tokenId)
        default: return false
        }
    }

    /// The prompt and output hashes an ERC-7007 event records for `tokenId`.
    public func aigcHashes(of tokenId: UInt256) -> (prompt: Hash32, output: Hash32)? {
        switch self {
        case .aigcData(let id, let prompt, let output, _) where id == tokenId: return (prompt, output)
        case .aigcUpdate(let id, let prompt, let output) where id == tokenId: return (prompt, output)
        case .aigcDraftMint(_, let id, let prompt, let output, _, _) where id == tokenId: return (prompt, keccak256(output))
        default: return nil
        }
    }
}
