internal import EthPrimitives
internal import EthCrypto
internal import EthRLP
internal import EthTrie

/// The dev chain's world state: every account in a state trie and each contract's storage in a trie of its own, as
/// Ethereum keeps them (Yellow Paper §4.1), so its headers carry real `stateRoot`s and `eth_getProof` has real
/// answers. Copies share their tries' nodes: a copy is a snapshot of the state after one block.
///
/// The contracts store their tokens where a real compiler puts them (`DevContractLayout`), each in a different
/// scheme, so that slot discovery meets all three. Balances of ether stay as in genesis: the chain has no EVM and
/// charges no fees.
struct WorldState: Sendable {
    private(set) var accounts = TrieMap()
    private var storage: [Address: TrieMap] = [:]
    private var nonces: [Address: UInt64] = [:]

    /// Each dev account's ether at genesis.
    static let accountBalance = UInt256(1_000) * UInt256(1_000_000_000_000_000_000)

    /// The state at genesis: the accounts funded, the contracts deployed (nonce 1, per EIP-161) with their names.
    static func genesis(accounts: [Address]) -> WorldState {
        var state = WorldState()
        for account in accounts { state.nonces[account] = 0 }
        for contract in DevChain.Contract.allCases { state.nonces[contract.address] = 1 }
        for (slot, value) in DevContractLayout.genesisStorage { state.store(DevChain.Contract.visions.address, slot: slot, value: value) }
        for address in accounts + DevChain.Contract.allCases.map(\.address) { state.commit(address) }
        return state
    }

    var root: Hash32 { accounts.rootHash }

    /// Sets one storage slot (zero clears it, as SSTORE does).
    mutating func store(_ contract: Address, slot: UInt256, value: UInt256) {
        storage[contract, default: TrieMap()][keccak256(slot.bigEndianBytes).bytes] = value == UInt256(0) ? nil : value.rlp
    }

    /// Counts a transaction of `sender`'s.
    mutating func incrementNonce(of sender: Address) { nonces[sender, default: 0] += 1 }

    /// Writes `address`'s account leaf from its nonce, balance, storage root and code.
    mutating func commit(_ address: Address) {
        let code = DevChain.Contract.allCases.first { $0.address == address }.map { keccak256(Array("provenant-dev:\($0.name) runtime".utf8)) }
        var encoder = RLPEncoder()
        encoder.appendList { e in
            e.append(nonces[address] ?? 0)
            e.append(code == nil ? Self.accountBalance : UInt256(0))
            e.append(storage[address]?.rootHash ?? MerklePatriciaTrie.emptyRoot)
            e.append(code ?? keccak256([UInt8]()))
        }
        accounts[keccak256(address.bytes).bytes] = encoder.bytes
    }

    /// The account at this state as `eth_getProof` answers: its proof, fields and the given slots' values and proofs.
    func proof(of address: Address, slots: [UInt256]) -> DevChain.AccountProofData {
        let leaf = accounts[keccak256(address.bytes).bytes]
        let trie = storage[address] ?? TrieMap()
        return DevChain.AccountProofData(
            accountProof: accounts.proof(of: keccak256(address.bytes).bytes),
            nonce: leaf == nil ? 0 : (nonces[address] ?? 0),
            balance: leaf == nil || DevChain.Contract.allCases.contains(where: { $0.address == address }) ? UInt256(0) : Self.accountBalance,
            storageHash: trie.rootHash,
            codeHash: DevChain.Contract.allCases.first { $0.address == address }.map { keccak256(Array("provenant-dev:\($0.name) runtime".utf8)) }
                ?? keccak256([UInt8]()),
            storage: slots.map { slot in
                let key = keccak256(slot.bigEndianBytes).bytes
                let value = trie[key].flatMap { bytes -> UInt256? in
                    var reader = RLPReader(bytes[...])
                    return try? reader.readUInt256()
                } ?? UInt256(0)
                return (slot, value, trie.proof(of: key))
            })
    }
}

/// Where the dev contracts keep their token state, each as a real compiler lays it out.
///
/// - `prompted-visions`: Solidity, OpenZeppelin 5's `ERC721` (`_name` 0, `_symbol` 1, `_owners` 2, `_balances` 3,
///   `_tokenApprovals` 4, `_operatorApprovals` 5) followed by the ERC-4907 reference implementation's
///   `mapping(uint256 => UserInfo) _users` at slot 6, `UserInfo { address user; uint64 expires; }` packed in one word.
/// - `visions-editions`: OpenZeppelin 5's upgradeable `ERC1155`, in ERC-7201 namespaced storage: `_balances` is the
///   first member of the struct at `ERC1155StorageLocation`.
/// - `vision-shares`: Vyper, `balanceOf: HashMap[address, uint256]` declared at slot 5, `totalSupply` at 7.
enum DevContractLayout {
    static let visionsOwners: UInt64 = 2
    static let visionsBalances: UInt64 = 3
    static let visionsUsers: UInt64 = 6
    /// `keccak256(abi.encode(uint256(keccak256("openzeppelin.storage.ERC1155")) - 1)) & ~bytes32(uint256(0xff))`, as
    /// OpenZeppelin's source states it.
    static let editionsStorage: [UInt8] = (try? Hex.decode("0x88be536d5240c274a3b1d3a1be54482fd9caa294f08c62a7cde569f49a3c4500"))!
    static let sharesBalanceOf: UInt64 = 5
    static let sharesTotalSupply: UInt64 = 7

    /// Solidity's short-string encoding of `_name` and `_symbol`: the bytes left-aligned, twice the length last.
    static let genesisStorage: [(UInt256, UInt256)] = [("Prompted Visions", 0), ("PVIS", 1)].map { text, slot in
        var word = Array(text.utf8) + [UInt8](repeating: 0, count: 32 - text.utf8.count)
        word[31] = UInt8(text.utf8.count * 2)
        return (UInt256(UInt64(slot)), UInt256(bigEndian: word)!)
    }

    /// Solidity: `keccak256(pad32(key) . pad32(slot))`.
    static func solidity(_ key: UInt256, _ slot: [UInt8]) -> UInt256 { UInt256(bigEndian: keccak256(key.bigEndianBytes + slot).bytes)! }
    /// Vyper: `keccak256(pad32(slot) . pad32(key))`.
    static func vyper(_ slot: UInt64, _ key: UInt256) -> UInt256 { UInt256(bigEndian: keccak256(UInt256(slot).bigEndianBytes + key.bigEndianBytes).bytes)! }

    static func owner(_ id: UInt64) -> UInt256 { solidity(UInt256(id), UInt256(visionsOwners).bigEndianBytes) }
    static func tokenCount(_ holder: Address) -> UInt256 { solidity(UInt256(holder), UInt256(visionsBalances).bigEndianBytes) }
    static func user(_ id: UInt64) -> UInt256 { solidity(UInt256(id), UInt256(visionsUsers).bigEndianBytes) }
    static func edition(_ id: UInt64, _ holder: Address) -> UInt256 {
        solidity(UInt256(holder), solidity(UInt256(id), editionsStorage).bigEndianBytes)
    }
    static func shares(_ holder: Address) -> UInt256 { vyper(sharesBalanceOf, UInt256(holder)) }
}
