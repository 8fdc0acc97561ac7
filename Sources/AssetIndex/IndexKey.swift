internal import EthPrimitives
internal import Store

/// A key of the index tables, held inline. Every layout of `Schema` fits in `capacity` bytes, so indexing builds,
/// hashes and compares keys without touching the heap; only a store read or a write turns one into an array.
/// The layouts themselves are the static constructors below, one per table, used by indexing and queries alike.
struct IndexKey: Hashable, Sendable {
    /// The longest layout: prefix, holder, contract and token id (73 bytes), rounded up to whole words.
    static let capacity = 80

    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Bytes in use; the rest of `words` stays zero, so whole-word comparison and hashing are exact.
    private(set) var count = 0

    init(_ table: Schema) {
        withUnsafeMutableBytes(of: &words) { $0[0] = table.rawValue }
        count = 1
    }

    /// A key made of arbitrary bytes (meta names, block data keys) of at most `capacity` bytes.
    init(bytes: [UInt8]) {
        precondition(bytes.count <= Self.capacity, "an index key of \(bytes.count) bytes")
        withUnsafeMutableBytes(of: &words) { key in bytes.withUnsafeBytes { key.copyMemory(from: $0) } }
        count = bytes.count
    }

    var bytes: [UInt8] { Swift.withUnsafeBytes(of: words) { Array($0.prefix(count)) } }

    /// Calls `body` with the key's bytes, in place.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        Swift.withUnsafeBytes(of: words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Appends `value`'s bytes. Keys are built in place: a copy of the 88-byte key for each of its parts cost a
    /// `memmove` apiece.
    mutating func append<T: FixedBytes>(_ value: T) {
        let offset = count
        withUnsafeMutableBytes(of: &words) { out in
            value.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + $0.count]).copyMemory(from: $0) }
        }
        count += T.byteCount
    }

    /// Appends `value` as 32 big-endian bytes.
    mutating func append(_ value: UInt256) {
        let offset = count
        withUnsafeMutableBytes(of: &words) { out in
            out.storeBytes(of: value.limbs.3.bigEndian, toByteOffset: offset, as: UInt64.self)
            out.storeBytes(of: value.limbs.2.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
            out.storeBytes(of: value.limbs.1.bigEndian, toByteOffset: offset + 16, as: UInt64.self)
            out.storeBytes(of: value.limbs.0.bigEndian, toByteOffset: offset + 24, as: UInt64.self)
        }
        count += 32
    }

    /// Appends `value` big-endian, in its full width (numbers in keys sort as numbers).
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        let offset = count
        withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
        count += MemoryLayout<T>.size
    }

    static func == (a: IndexKey, b: IndexKey) -> Bool {
        let x = a.words, y = b.words
        return a.count == b.count && x.0 == y.0 && x.1 == y.1 && x.2 == y.2 && x.3 == y.3 && x.4 == y.4 && x.5 == y.5
            && x.6 == y.6 && x.7 == y.7 && x.8 == y.8 && x.9 == y.9
    }

    func hash(into hasher: inout Hasher) { hasher.combine(folded) }

    /// One multiply-xor per word: keys are hashes, addresses and numbers, already well spread.
    var folded: UInt64 {
        var h = UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        Swift.withUnsafeBytes(of: words) { raw in
            for i in 0..<(count + 7) / 8 {
                h = (h ^ raw.load(fromByteOffset: 8 * i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
            }
        }
        return h
    }
}

// MARK: - The layouts (their meaning is documented on `Schema`)

extension IndexKey {
    /// This key with more parts appended in place (one copy of the key, not one per part).
    @inline(__always)
    func with(_ parts: (inout IndexKey) -> Void) -> IndexKey {
        var key = self
        parts(&key)
        return key
    }

    /// `contract ‖ tokenId`: owner.
    static func owner(_ contract: Address, _ tokenId: UInt256) -> IndexKey { token(.owner, contract, tokenId) }

    /// `contract ‖ tokenId ‖ holder`: an ERC-1155 balance.
    static func tokenBalance(_ contract: Address, _ tokenId: UInt256, _ holder: Address) -> IndexKey {
        token(.tokenBalance, contract, tokenId).with { $0.append(holder) }
    }

    /// `contract ‖ holder`: an ERC-721 token count.
    static func holderBalance(_ contract: Address, _ holder: Address) -> IndexKey { holderBalance(contract).with { $0.append(holder) } }

    /// `contract ‖ holder`: an ERC-20 balance.
    static func shareBalance(_ contract: Address, _ holder: Address) -> IndexKey { shareBalance(contract).with { $0.append(holder) } }

    /// `contract`: the prefix of a contract's ERC-20 balances.
    static func shareBalance(_ contract: Address) -> IndexKey { IndexKey(.shareBalance).with { $0.append(contract) } }

    /// `holder ‖ contract` of `holderToken`: an ERC-20 holder entry (a token entry has a token id after it).
    static func holderShares(_ holder: Address, _ contract: Address) -> IndexKey { holderToken(holder, contract) }

    /// `holder ‖ contract ‖ tokenId`: a holder entry.
    static func holderToken(_ holder: Address, _ contract: Address, _ tokenId: UInt256) -> IndexKey {
        holderToken(holder, contract).with { $0.append(tokenId) }
    }

    /// `contract`: the standards bitmask.
    static func contractStandards(_ contract: Address) -> IndexKey { IndexKey(.contractStandards).with { $0.append(contract) } }

    /// `contract ‖ tokenId ‖ be64(block) ‖ be32(logIndex)`: a positional record of `table` (ownerHistory, rental,
    /// history, aigc).
    static func position(_ table: Schema, _ contract: Address, _ tokenId: UInt256, block: UInt64, logIndex: UInt32) -> IndexKey {
        token(table, contract, tokenId).with { $0.append(block); $0.append(logIndex) }
    }

    /// `contract ‖ be64(block) ‖ be32(logIndex)`: a contract-wide history record.
    static func contractHistory(_ contract: Address, block: UInt64, logIndex: UInt32) -> IndexKey {
        IndexKey(.contractHistory).with { $0.append(contract); $0.append(block); $0.append(logIndex) }
    }

    /// `contract ‖ be64(block)`: the indexed events a contract logged in a block.
    static func logBlock(_ contract: Address, block: UInt64) -> IndexKey {
        IndexKey(.logBlocks).with { $0.append(contract); $0.append(block) }
    }

    /// `contract ‖ tokenId` of `table`: an owner key, or the prefix of one token's records in a positional table.
    static func token(_ table: Schema, _ contract: Address, _ tokenId: UInt256) -> IndexKey {
        IndexKey(table).with { $0.append(contract); $0.append(tokenId) }
    }

    /// `holder ‖ contract`: the prefix of a holder's entries of one contract (and its ERC-20 entry).
    static func holderToken(_ holder: Address, _ contract: Address) -> IndexKey { holderToken(holder).with { $0.append(contract) } }

    /// `holder`: the prefix of a holder's entries.
    static func holderToken(_ holder: Address) -> IndexKey { IndexKey(.holderToken).with { $0.append(holder) } }

    /// `contract`: the prefix of a contract's holder balances.
    static func holderBalance(_ contract: Address) -> IndexKey { IndexKey(.holderBalance).with { $0.append(contract) } }

    /// `contract ‖ tokenId`: the prefix of an ERC-1155 id's balances.
    static func tokenBalance(_ contract: Address, _ tokenId: UInt256) -> IndexKey { token(.tokenBalance, contract, tokenId) }
}
