public import EthPrimitives
internal import Store
public import TokenEvents

/// Answers of the index (ARCHITECTURE.md §5), as Swift values; the server turns them into JSON-RPC results.
extension AssetIndex {
    /// A token's ownership record at some block.
    public enum Ownership: Equatable, Sendable {
        /// Owned by `owner` since the block of that transfer.
        case owned(by: Address, since: UInt64)
        /// Burned in that block.
        case burned(at: UInt64)
    }

    /// The owner of an ERC-721 token at `block` (the latest indexed state when `nil`); `nil` when the token never
    /// existed up to that block.
    public func ownerOf(contract: Address, tokenId: UInt256, atBlock block: UInt64? = nil) throws(IndexError) -> Ownership? {
        // The current owner, when it has held the token since at or before `block`, is the owner at `block` too:
        // nothing moved the token after that. One point read instead of a range seek, for most queries.
        let ownerKey = IndexKey.owner(contract, tokenId).bytes
        if let value = try wrap({ () throws(StoreError) in try store.get(ownerKey) }) {
            let current = try StoredValues.owner(key: ownerKey, value: value)
            if current.since <= block ?? .max { return .owned(by: current.owner, since: current.since) }
        }
        let prefix = IndexKey.token(.ownerHistory, contract, tokenId).bytes
        let upper = block.map { prefix + KeyCoding.be64($0 &+ 1) } ?? KeyRange(prefix: prefix).upper
        guard let (key, value) = try wrap({ () throws(StoreError) in try store.last(in: KeyRange(lower: prefix, upper: upper)) }) else {
            return nil
        }
        let since = try StoredValues.position(key: key, prefix: prefix.count).block
        let record: HistoryRecord
        do throws(RLPError) { record = try HistoryRecord(encoded: value) } catch { throw .corrupt("owner history record: \(error)") }
        guard let owner = record.to, owner != .zero else { return .burned(at: since) }
        return .owned(by: owner, since: since)
    }

    /// A balance: ERC-1155 `tokenId` of `holder` when a token id is given; otherwise the holder's ERC-20 balance or
    /// ERC-721 token count, whichever the contract is (its ERC-20 balance when it is both).
    public func balanceOf(contract: Address, holder: Address, tokenId: UInt256? = nil) throws(IndexError) -> UInt256 {
        let key: [UInt8]
        if let tokenId {
            key = IndexKey.tokenBalance(contract, tokenId, holder).bytes
        } else {
            key = (try standards(of: contract).contains(.erc20) ? IndexKey.shareBalance(contract, holder) : IndexKey.holderBalance(contract, holder)).bytes
        }
        guard let value = try wrap({ () throws(StoreError) in try store.get(key) }) else { return .zero }
        return try StoredValues.balance(key: key, value: value)
    }

    /// The standards a contract's events have shown.
    public func standards(of contract: Address) throws(IndexError) -> Standards {
        let key = IndexKey.contractStandards(contract).bytes
        guard let value = try wrap({ () throws(StoreError) in try store.get(key) }) else { return [] }
        try StoredValues.check(key: key, value: value)
        return Standards(rawValue: value[0])
    }

    /// One token a holder has.
    public struct HeldToken: Equatable, Sendable {
        public var contract: Address
        public var tokenId: UInt256
        public var standard: Standards
        public var balance: UInt256
    }

    /// A page of results and the cursor of the next page (`nil` on the last).
    public struct Page<Item: Sendable>: Sendable {
        public var items: [Item]
        public var next: [UInt8]?
    }

    /// The largest page a query returns (ARCHITECTURE.md §5).
    public static let maxPageSize = 1000

    /// The tokens `holder` has, optionally of one contract, in (contract, tokenId) order, one page at a time.
    public func tokensOf(holder: Address, contract: Address? = nil, cursor: [UInt8]? = nil, limit: Int = 100) throws(IndexError) -> Page<HeldToken> {
        let prefix = (contract.map { IndexKey.holderToken(holder, $0) } ?? IndexKey.holderToken(holder)).bytes
        let rows = try page(prefix: prefix, cursor: cursor, limit: limit)
        var tokens: [HeldToken] = []
        for (key, value) in rows.items {
            // holder ‖ contract ‖ tokenId, or holder ‖ contract for ERC-20 shares, after the table byte.
            let tail = key.dropFirst(1 + 20)
            guard tail.count == 20 || tail.count == 20 + 32, let c = Address(bytes: tail.prefix(20)) else {
                throw StoredValues.damaged(key, "a key of \(key.count) bytes")
            }
            try StoredValues.check(key: key, value: value)
            let standard = Standards(rawValue: value[0])
            guard let id = UInt256(bigEndian: tail.dropFirst(20)) else { throw StoredValues.damaged(key, "a token id") }
            let balance: UInt256
            switch standard {
            case .erc721: balance = UInt256(1)
            case .erc1155: balance = try balanceOf(contract: c, holder: holder, tokenId: id)
            default:
                let sharesKey = IndexKey.shareBalance(c, holder).bytes
                guard let stored = try wrap({ () throws(StoreError) in try store.get(sharesKey) }) else {
                    throw StoredValues.damaged(key, "an ERC-20 holder entry without a balance")
                }
                balance = try StoredValues.balance(key: sharesKey, value: stored)
            }
            tokens.append(HeldToken(contract: c, tokenId: id, standard: standard, balance: balance))
        }
        return Page(items: tokens, next: rows.next)
    }

    /// The holders of an ERC-1155 id or an ERC-721 token (when `tokenId` is given), or of an ERC-20 / ERC-721
    /// contract as a whole (its ERC-20 holders when it is both), with their balances, in holder order.
    public func holdersOf(contract: Address, tokenId: UInt256? = nil, cursor: [UInt8]? = nil, limit: Int = 100) throws(IndexError) -> Page<(holder: Address, balance: UInt256)> {
        if let tokenId, case .owned(let owner, _)? = try ownerOf(contract: contract, tokenId: tokenId) {
            return Page(items: cursor == nil ? [(owner, UInt256(1))] : [], next: nil)
        }
        let prefix: [UInt8]
        if let tokenId {
            prefix = IndexKey.tokenBalance(contract, tokenId).bytes
        } else {
            prefix = (try standards(of: contract).contains(.erc20) ? IndexKey.shareBalance(contract) : IndexKey.holderBalance(contract)).bytes
        }
        let rows = try page(prefix: prefix, cursor: cursor, limit: limit)
        var holders: [(holder: Address, balance: UInt256)] = []
        for (key, value) in rows.items {
            guard key.count == prefix.count + 20, let holder = Address(bytes: key.suffix(20)) else {
                throw StoredValues.damaged(key, "a key of \(key.count) bytes, expected \(prefix.count + 20)")
            }
            holders.append((holder, try StoredValues.balance(key: key, value: value)))
        }
        return Page(items: holders, next: rows.next)
    }

    /// The live ERC-721 tokens of a contract with their owners, in token id order (burned tokens are not listed).
    public func tokens(contract: Address, cursor: [UInt8]? = nil, limit: Int = 100) throws(IndexError) -> Page<(tokenId: UInt256, owner: Address)> {
        let prefix = IndexKey(.owner).with { $0.append(contract) }.bytes
        let rows = try page(prefix: prefix, cursor: cursor, limit: limit)
        var tokens: [(tokenId: UInt256, owner: Address)] = []
        for (key, value) in rows.items {
            guard key.count == prefix.count + 32, let tokenId = UInt256(bigEndian: key.suffix(32)) else {
                throw StoredValues.damaged(key, "a key of \(key.count) bytes, expected \(prefix.count + 32)")
            }
            tokens.append((tokenId, try StoredValues.owner(key: key, value: value).owner))
        }
        return Page(items: tokens, next: rows.next)
    }

    /// The ERC-1155 ids of a contract that someone holds, in id order: one seek per id, past its holders.
    public func ids(contract: Address, cursor: [UInt8]? = nil, limit: Int = 100) throws(IndexError) -> Page<UInt256> {
        let prefix = IndexKey(.tokenBalance).with { $0.append(contract) }.bytes
        var lower = Self.later(cursor ?? [], prefix)
        let upper = KeyRange(prefix: prefix).upper
        var ids: [UInt256] = []
        while ids.count < max(1, min(limit, Self.maxPageSize)) {
            guard let (key, _) = try wrap({ () throws(StoreError) in try store.scan(KeyRange(lower: lower, upper: upper), reverse: false, limit: 1).first }) else {
                return Page(items: ids, next: nil)
            }
            guard key.count == prefix.count + 52, let id = UInt256(bigEndian: key[prefix.count..<(prefix.count + 32)]) else {
                throw StoredValues.damaged(key, "a key of \(key.count) bytes, expected \(prefix.count + 52)")
            }
            ids.append(id)
            // The first key past every holder of this id; the last id has none.
            guard id != .max else { return Page(items: ids, next: nil) }
            lower = prefix + (id &+ UInt256(1)).bigEndianBytes
        }
        return Page(items: ids, next: lower)
    }

    /// An ERC-4907 rental as of `timestamp`.
    public struct Rental: Equatable, Sendable {
        /// The user while the rental is active; `nil` when none or expired.
        public var user: Address?
        public var expires: UInt64
        public var active: Bool
        /// The block of the `UpdateUser` event.
        public var block: UInt64
    }

    /// The rental of a token in force at `timestamp`: the last `UpdateUser` recorded in a block at or before that
    /// time (one recorded later does not reach back), whose user is active while `expires >= timestamp`; `nil` when
    /// none was recorded by then. Reads the token's rental records from the latest back, at most `maxRecords`.
    public func userOf(contract: Address, tokenId: UInt256, timestamp: UInt64, maxRecords: Int = .max) throws(IndexError) -> Rental? {
        let prefix = IndexKey.token(.rental, contract, tokenId).bytes
        var range = KeyRange(prefix: prefix)
        var read = 0
        let page = 64
        while true {
            let rows = try wrap { () throws(StoreError) in try store.scan(range, reverse: true, limit: page) }
            for (key, value) in rows {
                read += 1
                guard read <= maxRecords else { throw .tooManyRecords(limit: maxRecords) }
                let record: HistoryRecord
                do throws(RLPError) { record = try HistoryRecord(encoded: value) } catch { throw .corrupt("rental record: \(error)") }
                guard record.timestamp <= timestamp else { continue }
                let user = record.user ?? .zero, expires = record.expires ?? 0
                let active = user != .zero && expires >= timestamp
                return Rental(user: active ? user : nil, expires: expires, active: active, block: try StoredValues.position(key: key, prefix: prefix.count).block)
            }
            guard rows.count == page, let last = rows.last else { return nil }
            range.upper = last.key
        }
    }

    /// One history entry with its position.
    public struct HistoryEntry: Equatable, Sendable {
        public var block: UInt64
        public var logIndex: UInt32
        public var record: HistoryRecord
    }

    /// A token's history in block order, optionally within `[fromBlock, toBlock]`. The cursor is a `history` key.
    public func history(contract: Address, tokenId: UInt256, fromBlock: UInt64 = 0, toBlock: UInt64 = .max, cursor: [UInt8]? = nil, limit: Int = 100) throws(IndexError) -> Page<HistoryEntry> {
        let prefix = IndexKey.token(.history, contract, tokenId).bytes
        let lower = Self.later(cursor ?? [], prefix + KeyCoding.be64(fromBlock))
        let upper = toBlock == .max ? KeyRange(prefix: prefix).upper : prefix + KeyCoding.be64(toBlock + 1)
        let size = max(1, min(limit, Self.maxPageSize))
        let entries = try historyEntries(KeyRange(lower: lower, upper: upper), prefixCount: prefix.count, limit: size + 1)
        guard entries.count > size else { return Page(items: entries, next: nil) }
        let last = entries[size - 1]
        return Page(items: Array(entries.prefix(size)), next: prefix + KeyCoding.be64(last.block) + KeyCoding.be32(last.logIndex) + [0])
    }

    /// The tables of a token's history (ARCHITECTURE.md §4): one key layout, so one range of `history` keys names the
    /// same positions in each.
    static let historyTables: [Schema] = [.history, .ownerHistory, .rental]

    /// The first `limit` entries of a token's history within `range` (of `history` keys), merged by position.
    private func historyEntries(_ range: KeyRange, prefixCount: Int, limit: Int) throws(IndexError) -> [HistoryEntry] {
        var rows: [(position: (block: UInt64, logIndex: UInt32), key: [UInt8], value: [UInt8])] = []
        for table in Self.historyTables {
            func relabel(_ key: [UInt8]) -> [UInt8] { [table.rawValue] + key.dropFirst() }
            let tableRange = KeyRange(lower: relabel(range.lower), upper: range.upper.map(relabel))
            for (key, value) in try wrap({ () throws(StoreError) in try store.scan(tableRange, reverse: false, limit: limit) }) {
                rows.append((try StoredValues.position(key: key, prefix: prefixCount), key, value))
            }
        }
        rows.sort { ($0.position.block, $0.position.logIndex) < ($1.position.block, $1.position.logIndex) }
        var entries: [HistoryEntry] = []
        for (position, key, value) in rows.prefix(limit) {
            do throws(RLPError) {
                entries.append(HistoryEntry(block: position.block, logIndex: position.logIndex, record: try HistoryRecord(encoded: value)))
            } catch {
                throw StoredValues.damaged(key, "the history record does not decode: \(error)")
            }
        }
        return entries
    }

    /// Everything known of where a token came from.
    public struct Provenance: Equatable, Sendable {
        public var standards: Standards
        public var mint: MintRecord?
        public var aigc: [(block: UInt64, logIndex: UInt32, record: AigcRecord)]
        public var ownership: Ownership?
        /// Number of history entries that moved the token (mints, transfers, burns).
        public var transfers: Int

        public static func == (a: Provenance, b: Provenance) -> Bool {
            a.standards == b.standards && a.mint == b.mint && a.ownership == b.ownership && a.transfers == b.transfers
                && a.aigc.map(\.block) == b.aigc.map(\.block) && a.aigc.map(\.logIndex) == b.aigc.map(\.logIndex)
                && a.aigc.map(\.record) == b.aigc.map(\.record)
        }
    }

    /// A token's ERC-7007 records in block order, with their positions; more than `maxRecords` throw
    /// `.tooManyRecords`.
    public func aigcRecords(contract: Address, tokenId: UInt256, maxRecords: Int = .max) throws(IndexError) -> [(block: UInt64, logIndex: UInt32, record: AigcRecord)] {
        let prefix = IndexKey.token(.aigc, contract, tokenId).bytes
        var records: [(block: UInt64, logIndex: UInt32, record: AigcRecord)] = []
        let rows = try wrap({ () throws(StoreError) in try store.scan(prefix: prefix, limit: maxRecords == .max ? .max : maxRecords + 1) })
        guard rows.count <= maxRecords else { throw .tooManyRecords(limit: maxRecords) }
        for (key, value) in rows {
            let position = try StoredValues.position(key: key, prefix: prefix.count)
            do throws(RLPError) {
                records.append((position.block, position.logIndex, try AigcRecord(encoded: value)))
            } catch {
                throw StoredValues.damaged(key, "the AIGC record does not decode: \(error)")
            }
        }
        return records
    }

    /// The provenance of a token; `nil` when nothing about it is indexed. A token with more than `maxRecords` history
    /// or ERC-7007 records throws `.tooManyRecords` after reading at most that many and one more of each.
    public func provenance(contract: Address, tokenId: UInt256, maxRecords: Int = .max) throws(IndexError) -> Provenance? {
        let aigc = try aigcRecords(contract: contract, tokenId: tokenId, maxRecords: maxRecords)
        let prefix = IndexKey.token(.history, contract, tokenId).bytes
        let history = try historyEntries(KeyRange(prefix: prefix), prefixCount: prefix.count, limit: maxRecords == .max ? .max : maxRecords + 1)
        guard history.count <= maxRecords else { throw .tooManyRecords(limit: maxRecords) }
        let moves = history.filter { [.mint, .transfer, .burn].contains($0.record.kind) }
        let mint = moves.first { $0.record.kind == .mint && $0.record.sender != nil }.map {
            MintRecord(minter: $0.record.sender!, transactionHash: $0.record.transactionHash, block: $0.block, timestamp: $0.record.timestamp)
        }
        let transfers = moves.count
        let ownership = try ownerOf(contract: contract, tokenId: tokenId)
        guard mint != nil || !aigc.isEmpty || ownership != nil || transfers > 0 else { return nil }
        return Provenance(standards: try standards(of: contract), mint: mint, aigc: aigc, ownership: ownership, transfers: transfers)
    }

    /// The `Schema.logBlocks` bits of `topics` (indexed events' topic0s; others have none).
    public static func logMask(_ topics: some Sequence<Hash32>) -> UInt16 {
        topics.reduce(0) { mask, topic in mask | (TokenEvent.Topic.all.firstIndex(of: topic).map { 1 << $0 } ?? 0) }
    }

    /// Blocks in which a contract logged indexed events, found in the index without reading a body.
    public struct LogBlocks: Sendable {
        /// Ascending: the blocks from `first` on whose events meet the mask.
        public var blocks: [UInt64]
        /// Where a search stopped at a ceiling: the last block it covered (the range through it is complete). Nil
        /// when it covered the whole range.
        public var coveredThrough: UInt64?
    }

    /// The blocks from `first` through `last` in which `contract` logged one of the indexed events of `mask`, reading
    /// at most `maxRows` index rows and keeping at most `maxBlocks` blocks (the search stops at the next match).
    public func logBlocks(contract: Address, from first: UInt64, through last: UInt64, mask: UInt16, maxRows: Int, maxBlocks: Int) throws(IndexError) -> LogBlocks {
        let prefix = IndexKey(.logBlocks).with { $0.append(contract) }.bytes
        var lower = prefix + KeyCoding.be64(first)
        let upper = last == .max ? KeyRange(prefix: prefix).upper : prefix + KeyCoding.be64(last + 1)
        var found = LogBlocks(blocks: [], coveredThrough: nil)
        var rows = 0
        while true {
            let page = try wrap { () throws(StoreError) in try store.scan(KeyRange(lower: lower, upper: upper), reverse: false, limit: 1024) }
            for (key, value) in page {
                guard key.count == prefix.count + 8 else { throw StoredValues.damaged(key, "a key of \(key.count) bytes, expected \(prefix.count + 8)") }
                try StoredValues.check(key: key, value: value)
                let block = KeyCoding.readBE64(key[prefix.count...])
                rows += 1
                if (UInt16(value[0]) << 8 | UInt16(value[1])) & mask != 0 {
                    guard found.blocks.count < maxBlocks else { found.coveredThrough = block - 1; return found }
                    found.blocks.append(block)
                }
                if rows >= maxRows, block < last { found.coveredThrough = block; return found }
            }
            guard page.count == 1024, let next = page.last?.key else { return found }
            lower = next + [0]
        }
    }

    private func page(prefix: [UInt8], cursor: [UInt8]?, limit: Int) throws(IndexError) -> Page<(key: [UInt8], value: [UInt8])> {
        let range = KeyRange(prefix: prefix)
        return try pageRange(KeyRange(lower: Self.later(cursor ?? [], prefix), upper: range.upper), limit: limit)
    }

    /// The later of two keys: a cursor never reaches before its query's own range.
    private static func later(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] { a.lexicographicallyPrecedes(b) ? b : a }

    /// One page of a range; the cursor is the key after the page's last (its key with a zero byte appended).
    private func pageRange(_ range: KeyRange, limit: Int) throws(IndexError) -> Page<(key: [UInt8], value: [UInt8])> {
        let size = max(1, min(limit, Self.maxPageSize))
        let rows = try wrap({ () throws(StoreError) in try store.scan(range, reverse: false, limit: size + 1) })
        let next = rows.count > size ? rows[size - 1].key + [0] : nil
        return Page(items: Array(rows.prefix(size)), next: next)
    }
}

internal import EthRLP
