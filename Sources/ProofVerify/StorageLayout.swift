public import EthPrimitives
internal import EthCrypto

/// Where a contract keeps one mapping, as its compiler laid it out: the storage slot of any entry follows from the
/// layout and the entry's keys, so a bundle names the layout and the verifier derives the slot itself.
///
/// - Solidity (https://docs.soliditylang.org/en/latest/internals/layout_in_storage.html): entry `k` of a mapping
///   declared at slot `p` is at `keccak256(pad32(k) . p)`; a nested mapping applies the rule once per key.
/// - Vyper: the same two words hashed in the other order, `keccak256(p . pad32(k))`.
/// - ERC-7201 namespaced storage (https://eips.ethereum.org/EIPS/eip-7201, OpenZeppelin 5's upgradeable contracts):
///   a struct at `keccak256(keccak256(id) - 1) & ~0xff`; the mapping is its member at `offset` and hashes its keys
///   as Solidity does.
public enum StorageLayout: Hashable, Sendable, CustomStringConvertible {
    case solidity(slot: UInt64)
    case vyper(slot: UInt64)
    case namespaced(id: String, offset: UInt64)

    /// The slot the mapping itself occupies.
    public var base: UInt256 {
        switch self {
        case .solidity(let slot), .vyper(let slot): return UInt256(slot)
        case .namespaced(let id, let offset): return Self.namespaceLocation(id) &+ UInt256(offset)
        }
    }

    /// The slot of the entry reached by `keys`, outermost first (`balances[id][account]` is `[id, account]`).
    public func slot(keys: [UInt256]) -> UInt256 {
        var slot = base
        for key in keys {
            let hashed: [UInt8]
            switch self {
            case .solidity, .namespaced: hashed = key.bigEndianBytes + slot.bigEndianBytes
            case .vyper: hashed = slot.bigEndianBytes + key.bigEndianBytes
            }
            slot = UInt256(bigEndian: keccak256(hashed).bytes)!
        }
        return slot
    }

    /// ERC-7201's formula: `keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff))`.
    public static func namespaceLocation(_ id: String) -> UInt256 {
        let inner = UInt256(bigEndian: keccak256(Array(id.utf8)).bytes)! - UInt256(1)
        var bytes = keccak256(inner.bigEndianBytes).bytes
        bytes[31] = 0
        return UInt256(bigEndian: bytes)!
    }

    public var description: String {
        switch self {
        case .solidity(let slot): return "Solidity mapping at slot \(slot)"
        case .vyper(let slot): return "Vyper HashMap at slot \(slot)"
        case .namespaced(let id, let offset): return "ERC-7201 namespace \"\(id)\", member \(offset)"
        }
    }

    /// The namespaces of OpenZeppelin 5's upgradeable token contracts, each with the offsets of the mappings a
    /// present-state proof reads (ERC721Storage: `_owners` 2; ERC1155Storage: `_balances` 0; ERC20Storage:
    /// `_balances` 0).
    public static let knownNamespaces: [(id: String, offsets: [UInt64])] = [
        ("openzeppelin.storage.ERC721", [2]), ("openzeppelin.storage.ERC1155", [0]), ("openzeppelin.storage.ERC20", [0]),
    ]

    /// How many declared slots discovery tries under each compiler's rule: the first few dozen cover the contracts
    /// that inherit a standard implementation and add a little state of their own.
    public static let discoverySlots: UInt64 = 48

    /// Every layout discovery tries for a mapping: Solidity's and Vyper's rule at each of the first
    /// `discoverySlots` slots, and each known namespace's members.
    public static var candidates: [StorageLayout] {
        (0..<discoverySlots).flatMap { [StorageLayout.solidity(slot: $0), .vyper(slot: $0)] }
            + knownNamespaces.flatMap { ns in ns.offsets.map { StorageLayout.namespaced(id: ns.id, offset: $0) } }
    }
}

/// What a storage proof can prove of a token contract, and how each value sits in its slot.
public enum StateFact: String, Sendable, CaseIterable {
    /// ERC-721 `ownerOf(id)`: `mapping(uint256 => address)`, the address in the low 20 bytes.
    case owner
    /// ERC-4907 `userOf(id)` and `userExpires(id)`: `mapping(uint256 => UserInfo)`, with `UserInfo { address user;
    /// uint64 expires; }` packed in one slot, the user in the low 20 bytes and the expiry in the 8 above.
    case user
    /// ERC-1155 `balanceOf(account, id)`: `mapping(uint256 => mapping(address => uint256))`.
    case multiTokenBalance
    /// ERC-20 `balanceOf(account)`: `mapping(address => uint256)`.
    case shareBalance
}

extension UInt256 {
    /// An address as a storage word or mapping key: its 20 bytes in the low end.
    public init(address: Address) { self = UInt256(bigEndian: address.bytes)! }

    /// The word's low 20 bytes as an address (the caller checks the bytes above them).
    var lowAddress: Address { Address(bytes: bigEndianBytes[12...])! }
}
