internal import EthPrimitives

/// Every key prefix of the database, one byte each, in one place (go-ethereum's `schema.go` habit). Numbers in
/// keys are big-endian so that byte order is numeric order; addresses are 20 bytes, token ids and hashes 32.
///
/// Changing the meaning of a prefix needs a new `Schema.version`: `meta/schemaVersion` in a data directory that
/// disagrees stops the node with a clear error instead of misreading it.
public enum Schema: UInt8, CaseIterable, Sendable {
    // MARK: Chain data (verified before it is written)

    /// be64(number) → header RLP, exactly the bytes whose keccak256 is the block hash.
    case header = 0x01
    /// hash → be64(number), for blocks kept in the store.
    case numberByHash = 0x02
    /// be64(number) → zstd blob of the block's encoded transactions and receipts (blocks with watched events, and
    /// blocks whose receipts a proof of absence needs; `BlockStore` has the codecs).
    case blockBody = 0x03
    /// be64(number) → undo record: every index key the block wrote, with its previous value or its absence, as a
    /// zstd frame (keys of one block share contracts, zero-padded token ids and positions: 4–5× smaller).
    case undo = 0x04
    /// UTF-8 name → value: one key per `Schema.Meta` case.
    case meta = 0x05

    // MARK: Token index

    /// contract ‖ tokenId → owner ‖ be64(block): the current ERC-721 owner (absent when burned or never minted).
    case owner = 0x10
    /// contract ‖ tokenId ‖ be64(block) ‖ be32(logIndex) → history record of an ERC-721 mint, transfer or burn:
    /// ownership at any block, and the ownership part of the token's history (see `history`).
    case ownerHistory = 0x11
    /// contract ‖ tokenId ‖ holder → balance, big-endian without leading zeros (ERC-1155 per id).
    case tokenBalance = 0x12
    /// contract ‖ holder → the holder's ERC-721 token count, 32 bytes big-endian.
    case holderBalance = 0x13
    /// holder ‖ contract ‖ tokenId → standard byte (ERC-721 or ERC-1155): a token a holder has; holder ‖ contract →
    /// the ERC-20 standard byte: a holder of the contract's shares. Both in one table, so a holder's entries page in
    /// (contract, tokenId) order; the shorter key comes first.
    case holderToken = 0x14
    /// contract ‖ tokenId ‖ be64(block) ‖ be32(logIndex) → history record of every ERC-4907 `UpdateUser`; the last
    /// one is the token's rental. Positional, so indexing one never reads the one it replaces.
    case rental = 0x15
    /// contract ‖ tokenId ‖ be64(block) ‖ be32(logIndex) → history record: a token's other events. Its whole
    /// history is this table, `ownerHistory` and `rental`, one key layout, merged by position. Mint records (here
    /// for ERC-1155, in `ownerHistory` for ERC-721) carry the minter.
    case history = 0x16
    /// contract ‖ be64(block) ‖ be32(logIndex) → event record: contract-wide events (ApprovalForAll, ERC-20
    /// Approval, BatchMetadataUpdate).
    case contractHistory = 0x17
    /// contract ‖ tokenId ‖ be64(block) ‖ be32(logIndex) → ERC-7007 AIGC record.
    case aigc = 0x18
    /// contract → standards bitmask, as detected from its events.
    case contractStandards = 0x1a
    /// contract ‖ be64(block) → be16 bitmask of the indexed events among the contract's logs in the block (bit i:
    /// the topic0 at position i of `TokenEvent.Topic.all`, a list that only grows at its end), whether or not they
    /// decoded: `eth_getLogs` decompresses only the bodies of the blocks whose mask meets its topics.
    case logBlocks = 0x1b
    /// contract ‖ holder → the holder's ERC-20 balance, 32 bytes big-endian: apart from ERC-721 counts, so a contract
    /// that is both never mixes them.
    case shareBalance = 0x1c

    // MARK: Proofs

    /// contract ‖ fact name (UTF-8) → the storage layout slot discovery confirmed for that fact of the contract, as
    /// the JSON of a bundle's `layout`. A cache: absent, discovery runs again; a store without it reads the same.
    case storageLayout = 0x20

    /// The layout version this file describes (5: bodies with every receipt, codec 3, kept for blocks whose bloom
    /// may hold a watched contract's ownership, rental or AIGC record, even with no watched event; 4: `logBlocks`, `shareBalance`, ERC-20 holder entries without a token
    /// id, balances at 32 bytes, `Meta.standards`; 3: a token's history split over `ownerHistory`,
    /// `rental` and `history` without repeats; minters on mint records; 0x19, the minter table, unused).
    public static let version: UInt64 = 5

    /// The names under `meta`, each with its value's layout. Nothing else lives under that prefix.
    public enum Meta: String, CaseIterable, Sendable {
        /// be64: the layout version (`Schema.version`) the store was written with.
        case schemaVersion
        /// The zstd dictionary codec-1 bodies are compressed with.
        case zstdDictionary
        /// be64(number) ‖ hash of the last indexed block; written in each block's batch.
        case cursor
        /// be64: the running count of indexed events; written in the batch of each block that has any.
        case eventCount
        /// Present while `provenant reindex` runs: the index tables are incomplete.
        case reindexing
        /// address ‖ be64(startBlock) per watched contract, recorded when a data directory is first filled.
        case watched
        /// address ‖ standards byte per watched contract whose standards the config declares (`WatchRecord`).
        case standards
        /// The chainspec the directory was filled with, as given (a name from chainspec/ or an absolute path).
        case chain
        /// be64(number) ‖ hash of the highest stored block that a quorum of upstreams reported finalized (or, for a
        /// chain generated in process, its tip): reorgs never undo it, and anchors are exported up to it.
        case finalized

        /// The key: `meta` ‖ UTF-8 name.
        public var key: [UInt8] { Schema.meta.key(Array(rawValue.utf8)) }
    }

    /// The tables that hold the token index (everything but block data and meta); `provenant reindex` clears and
    /// rebuilds them.
    public static let indexTables: [Schema] = allCases.filter { $0.rawValue >= Schema.owner.rawValue }

    /// Every key of `table`.
    public var range: KeyRange { KeyRange(prefix: [rawValue]) }

    /// Every key of the tables from `first` through `last`, in key order.
    public static func range(_ first: Schema, through last: Schema) -> KeyRange {
        KeyRange(lower: [first.rawValue], upper: [last.rawValue + 1])
    }

    // MARK: Chain keys (only `BlockStore` and the index's undo log build them)

    static func headerKey(_ number: UInt64) -> [UInt8] { Schema.header.key(KeyCoding.be64(number)) }
    static func numberByHashKey(_ hash: Hash32) -> [UInt8] { Schema.numberByHash.key(hash.bytes) }
    static func bodyKey(_ number: UInt64) -> [UInt8] { Schema.blockBody.key(KeyCoding.be64(number)) }
    static func undoKey(_ number: UInt64) -> [UInt8] { Schema.undo.key(KeyCoding.be64(number)) }

    /// Why a store cannot be used with this layout.
    public struct VersionMismatch: Error, CustomStringConvertible {
        public let found: UInt64
        public var description: String {
            "the data directory uses storage layout \(found), this build reads layout \(Schema.version); sync (or import) into a new directory, since a newer layout may keep data an older store never fetched"
        }
    }

    /// Records this layout's version in an empty store, or checks the one a store already has.
    public static func checkVersion(of store: KeyValueStore) throws {
        if let stored = try store.get(Meta.schemaVersion.key) {
            let found = KeyCoding.readBE64(stored)
            guard stored.count == 8, found == version else { throw VersionMismatch(found: found) }
        } else {
            guard try store.scan(prefix: [], limit: 1).isEmpty else { throw VersionMismatch(found: 0) }
            try store.put(Meta.schemaVersion.key, KeyCoding.be64(version))
        }
    }

    /// A key: this prefix followed by `parts`. Sources outside `Store` go through the accessors of `BlockStore`,
    /// `UndoLog` and `Meta`, or (the index tables) through `IndexKey`'s layouts; tests compare those with it (a
    /// test holds `Sources` to that).
    package func key(_ parts: [UInt8]...) -> [UInt8] {
        var key = [rawValue]
        key.reserveCapacity(1 + parts.reduce(0) { $0 + $1.count })
        for part in parts { key += part }
        return key
    }
}

/// Big-endian encodings of numbers for keys.
public enum KeyCoding {
    @inlinable public static func be64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    @inlinable public static func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    @inlinable public static func be16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    @inlinable public static func readBE64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    @inlinable public static func readBE32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
