public import EthPrimitives
public import EthRPC
internal import EthCrypto
internal import EthRLP
public import EthTrie

/// An account with some of its storage, proven against a block's `stateRoot`: what `eth_getProof` returns
/// (EIP-1186, https://eips.ethereum.org/EIPS/eip-1186), and what a present-state bundle carries.
///
///     { "address": ADDRESS, "accountProof": [DATA], "balance": QUANTITY, "codeHash": HASH, "nonce": QUANTITY,
///       "storageHash": HASH, "storageProof": [ { "key": DATA, "value": QUANTITY, "proof": [DATA] } ] }
///
/// The account proof is the state trie's path to `keccak256(address)`, whose leaf is
/// `rlp([nonce, balance, storageHash, codeHash])`; each storage proof is the path in the account's storage trie to
/// `keccak256(key)`, whose leaf is `rlp(value)` with leading zeros dropped. Nothing here is believed until
/// `verified(stateRoot:)` has checked it.
public struct AccountProof: Equatable, Sendable, JSONReadable {
    public var address: Address
    public var accountProof: [[UInt8]]
    public var nonce: UInt64
    public var balance: UInt256
    public var storageHash: Hash32
    public var codeHash: Hash32
    public var storageProof: [StorageProof]

    /// One storage slot's claimed value and its proof.
    public struct StorageProof: Equatable, Sendable {
        public var key: UInt256
        public var value: UInt256
        public var proof: [[UInt8]]

        public init(key: UInt256, value: UInt256, proof: [[UInt8]]) { (self.key, self.value, self.proof) = (key, value, proof) }
    }

    public init(address: Address, accountProof: [[UInt8]], nonce: UInt64, balance: UInt256, storageHash: Hash32, codeHash: Hash32,
                storageProof: [StorageProof]) {
        (self.address, self.accountProof, self.nonce, self.balance) = (address, accountProof, nonce, balance)
        (self.storageHash, self.codeHash, self.storageProof) = (storageHash, codeHash, storageProof)
    }

    /// keccak256 of the empty code: an account with no code (an EOA, or no account at all).
    public static let emptyCodeHash = keccak256([UInt8]())

    /// Why a proof was refused: which part, and the trie's reason.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The account proof does not walk from the state root to the account.
        case accountProof(TrieError)
        /// The account's leaf is not `rlp([nonce, balance, storageHash, codeHash])`.
        case accountLeaf
        /// The proven account's fields are not the ones claimed beside the proof.
        case accountFields
        /// A storage proof does not walk from the account's storage root to its key.
        case storageProof(key: UInt256, TrieError)
        /// The slot's proven value is not the claimed one.
        case storageValue(key: UInt256, proven: UInt256)
        /// The same slot twice.
        case repeatedKey(UInt256)

        public var description: String {
            switch self {
            case .accountProof(let error): return "the account proof does not lead from the state root to the account: \(error)"
            case .accountLeaf: return "the account proof's leaf is not an account (rlp([nonce, balance, storageHash, codeHash]))"
            case .accountFields: return "the proven account's nonce, balance, storage root or code hash is not the one claimed"
            case .storageProof(let key, let error): return "the storage proof of slot \(key.hex32) does not lead from the storage root to it: \(error)"
            case .storageValue(let key, let proven): return "slot \(key.hex32) is proven to hold \(proven.quantity), not the value claimed"
            case .repeatedKey(let key): return "slot \(key.hex32) is proven twice"
            }
        }
    }

    /// Checks the account against a trusted `stateRoot` and every storage proof against the account's storage root;
    /// returns the proven slots' values. An account the proof shows absent is the empty account (nonce 0, no code,
    /// empty storage), so its every slot is zero.
    public func verified(stateRoot: Hash32) throws(Failure) -> [UInt256: UInt256] {
        let leaf: [UInt8]?
        do throws(TrieError) { leaf = try MerklePatriciaTrie.verify(root: stateRoot, key: keccak256(address.bytes).bytes, proof: accountProof) } catch {
            throw .accountProof(error)
        }
        var proven = (nonce: UInt64(0), balance: UInt256(0), storageHash: MerklePatriciaTrie.emptyRoot, codeHash: Self.emptyCodeHash)
        if let leaf {
            do throws(RLPError) {
                var outer = RLPReader(leaf[...])
                var fields = try outer.readList()
                try outer.finish()
                proven.nonce = try fields.readUInt64()
                proven.balance = try fields.readUInt256()
                proven.storageHash = try fields.readHash()
                proven.codeHash = try fields.readHash()
                try fields.finish()
            } catch { throw .accountLeaf }
        }
        guard proven.nonce == nonce, proven.balance == balance, proven.storageHash == storageHash, proven.codeHash == codeHash else {
            throw .accountFields
        }
        var values: [UInt256: UInt256] = [:]
        for slot in storageProof {
            let raw: [UInt8]?
            do throws(TrieError) { raw = try MerklePatriciaTrie.verify(root: storageHash, key: keccak256(slot.key.bigEndianBytes).bytes, proof: slot.proof) } catch {
                throw .storageProof(key: slot.key, error)
            }
            var value = UInt256(0)
            if let raw {
                // The leaf is rlp(value) without leading zeros: a canonical RLP string of at most 32 bytes.
                do throws(RLPError) {
                    var reader = RLPReader(raw[...])
                    value = try reader.readUInt256()
                    try reader.finish()
                } catch { throw .storageProof(key: slot.key, .malformedNode(proofIndex: slot.proof.count - 1)) }
            }
            guard value == slot.value else { throw .storageValue(key: slot.key, proven: value) }
            guard values.updateValue(value, forKey: slot.key) == nil else { throw .repeatedKey(slot.key) }
        }
        return values
    }
}

// MARK: - JSON

extension AccountProof {
    public init(json: JSONReader) throws(JSONReadError) {
        address = try json.field("address").address()
        accountProof = try json.field("accountProof").array { n throws(JSONReadError) in try n.data() }
        nonce = try json.field("nonce").quantity()
        balance = try json.field("balance").uint256()
        storageHash = try json.field("storageHash").hash()
        codeHash = try json.field("codeHash").hash()
        storageProof = try json.field("storageProof").array { s throws(JSONReadError) in
            StorageProof(key: try Self.slotKey(s.field("key")), value: try s.field("value").uint256(),
                         proof: try s.field("proof").array { n throws(JSONReadError) in try n.data() })
        }
    }

    /// A storage key as clients write it: 32-byte DATA, or a shorter hex number (go-ethereum echoes the request's).
    static func slotKey(_ field: JSONReader) throws(JSONReadError) -> UInt256 {
        let text = try field.string()
        guard text.hasPrefix("0x"), text.count > 2, text.count <= 66, text.dropFirst(2).allSatisfy(\.isHexDigit) else {
            throw field.error("a storage key is 0x and up to 64 hex digits")
        }
        let digits = String(repeating: "0", count: 66 - text.count) + text.dropFirst(2)
        guard let bytes = try? Hex.decode("0x" + digits), let key = UInt256(bigEndian: bytes) else { throw field.error("not hex") }
        return key
    }

    public var json: JSONValue {
        [
            "address": .string(address.hex), "accountProof": .array(accountProof.map(JSONValue.data)),
            "nonce": .quantity(nonce), "balance": .quantity(balance), "storageHash": .string(storageHash.hex),
            "codeHash": .string(codeHash.hex),
            "storageProof": .array(storageProof.map { s in
                ["key": .string(s.key.hex32), "value": .quantity(s.value), "proof": .array(s.proof.map(JSONValue.data))]
            }),
        ]
    }
}

extension UInt256 {
    /// The word as 32-byte DATA, as storage keys are written.
    public var hex32: String { Hex.encode(bigEndianBytes) }
}
