public import EthPrimitives
public import Store
internal import Synchronization
internal import EthCrypto
internal import EthRLP

/// Why the index refused an operation.
public enum IndexError: Error, Equatable, Sendable {
    case store(StoreError)
    /// A block that does not extend the indexed tip (number or parent mismatch).
    case notNext(expected: UInt64, got: UInt64)
    /// `revert(to:)` below the oldest block that still has an undo record.
    case beyondUndoWindow(target: UInt64, oldestUndoable: UInt64)
    /// A stored record that does not decode: the data directory is damaged.
    case corrupt(String)
}

/// Counts of one block's indexing.
public struct ApplyStats: Sendable, Equatable {
    /// Logs decoded into token events and applied.
    public var events = 0
    /// Logs with an indexed topic0 that did not follow the event's grammar (non-standard contracts): skipped.
    public var malformed = 0
    /// Index keys written.
    public var keysWritten = 0

    public init() {}
}

/// The token index over a `KeyValueStore` (DESIGN.md §4, §7). Each block is applied in one atomic write batch that
/// holds its index changes, the undo record that reverses them exactly, any block data the caller adds, and the
/// cursor; `revert(to:)` undoes blocks from the tip down, one batch each.
public final class AssetIndex: @unchecked Sendable {
    public let store: KeyValueStore
    /// How many recent blocks keep an undo record (the deepest reorg that can be undone).
    public let undoWindow: UInt64

    /// The default undo window, as DESIGN.md's `reorgWindow`.
    public static let defaultUndoWindow: UInt64 = 128

    /// Where the last indexed block's number and hash are kept.
    public static let cursorKey = Schema.meta.key(Array("cursor".utf8))
    /// The running count of indexed events (written with each block that has any, so undo covers it).
    public static let eventCountKey = Schema.meta.key(Array("eventCount".utf8))

    /// Events indexed so far.
    public func eventCount() throws(IndexError) -> UInt64 {
        try wrap({ () throws(StoreError) in try store.get(Self.eventCountKey) }).map { KeyCoding.readBE64($0) } ?? 0
    }

    /// Values of recently written keys, so the next blocks' undo reads of hot keys (balances, owners, standards)
    /// skip the store. Only `apply` fills it, only after its batch is written; `revert` empties it.
    private let cache = Mutex(ReadCache())

    /// Most entries the read cache holds before it starts over.
    static let readCacheCapacity = 200_000

    public init(store: KeyValueStore, undoWindow: UInt64 = AssetIndex.defaultUndoWindow) {
        self.store = store
        self.undoWindow = undoWindow
    }

    /// Forgets the read cache. Whoever writes index tables behind the index's back (a reindex clearing them) must
    /// call this before the next `apply`, or undo records and balances would start from stale values.
    public func discardCache() {
        cache.withLock { $0 = ReadCache() }
    }

    /// keccak256 over every index key and value (tables 0x10…, the cursor, the event count): two stores with the same digest hold
    /// the same index, byte for byte. Block data and undo records are not part of it.
    public func digest() throws(IndexError) -> Hash32 {
        var hasher = Keccak256()
        let tables = KeyRange(lower: [Schema.owner.rawValue], upper: [Schema.contractStandards.rawValue + 1])
        var next = tables.lower
        while true {
            let rows = try wrap { () throws(StoreError) in try store.scan(KeyRange(lower: next, upper: tables.upper), reverse: false, limit: 4096) }
            guard let last = rows.last else { break }
            for (key, value) in rows { hasher.update(KeyCoding.be32(UInt32(key.count)) + key + KeyCoding.be32(UInt32(value.count)) + value) }
            next = last.key + [0]
        }
        hasher.update(try wrap({ () throws(StoreError) in try store.get(Self.cursorKey) }) ?? [])
        hasher.update(try wrap({ () throws(StoreError) in try store.get(Self.eventCountKey) }) ?? [])
        return hasher.finalize()
    }

    /// The last indexed block: number and hash.
    public func cursor() throws(IndexError) -> (number: UInt64, hash: Hash32)? {
        guard let bytes = try wrap({ () throws(StoreError) in try store.get(Self.cursorKey) }) else { return nil }
        guard bytes.count == 40 else { throw .corrupt("cursor of \(bytes.count) bytes") }
        return (KeyCoding.readBE64(bytes), Hash32(bytes: bytes[8...])!)
    }

    /// Indexes `block`, which must be the one after the cursor (any block when the index is empty), together with
    /// `blockData` (e.g. the verified header and body), all in one atomic batch.
    @discardableResult
    public func apply(_ block: IndexedBlock, blockData: [(key: [UInt8], value: [UInt8])] = []) throws(IndexError) -> ApplyStats {
        if let tip = try cursor(), block.number != tip.number + 1 {
            throw .notNext(expected: tip.number + 1, got: block.number)
        }
        var writer = BlockWriter(store: store, cache: cache.withLock { cache in
            defer { cache = ReadCache() }
            return cache
        }, expectedKeys: block.logs.count * 8 + blockData.count + 1)
        var stats = ApplyStats()
        // Block data belongs to its block: before it, the keys did not exist (a reverted block's undo deleted
        // them), so its undo record deletes them, whether they are written by an import or a reindex.
        for (key, value) in blockData { writer.insertFresh(key, value) }
        let transactions = Dictionary(block.transactions.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        for indexed in block.logs {
            let event: TokenEvent?
            do throws(EventDecodingError) {
                event = try TokenEvent(log: indexed.log)
            } catch {
                stats.malformed += 1
                continue
            }
            guard let event else { continue }
            var context = EventContext(
                contract: indexed.log.address, block: block.number, timestamp: block.timestamp, logIndex: indexed.logIndex,
                transaction: transactions[indexed.transactionIndex], transactionIndex: indexed.transactionIndex)
            try context.apply(event, writer: &writer)
            stats.events += 1
        }
        if stats.events > 0 {
            let count = try writer.get(Self.eventCountKey).map { KeyCoding.readBE64($0) } ?? 0
            try writer.set(Self.eventCountKey, KeyCoding.be64(count + UInt64(stats.events)))
        }
        try writer.set(Self.cursorKey, KeyCoding.be64(block.number) + block.hash.bytes)
        stats.keysWritten = writer.changes.count
        var batch = writer.batch()
        batch.put(Schema.undo.key(KeyCoding.be64(block.number)), writer.undoRecord())
        if block.number >= undoWindow { batch.delete(Schema.undo.key(KeyCoding.be64(block.number - undoWindow))) }
        try wrap { () throws(StoreError) in try store.write(batch) }
        var updated = writer.takeCache()
        for change in writer.changes { updated.record(change.key, change.current, generationSize: Self.readCacheCapacity / 2) }
        cache.withLock { $0 = updated }
        return stats
    }

    /// Undoes blocks from the tip down until `number` is the tip. A target below the undo window is refused before
    /// anything changes. Each block's undo is one atomic batch, so a crash leaves the index at some block between,
    /// consistent, and a repeated call finishes the job.
    public func revert(to number: UInt64) throws(IndexError) {
        guard let start = try cursor(), start.number > number else { return }
        discardCache()
        let needed = KeyRange(lower: Schema.undo.key(KeyCoding.be64(number + 1)), upper: Schema.undo.key(KeyCoding.be64(start.number + 1)))
        let present = try wrap({ () throws(StoreError) in try store.scan(needed, reverse: false, limit: .max) }).count
        guard present == Int(start.number - number) else {
            let oldest = try wrap({ () throws(StoreError) in try store.scan(KeyRange(prefix: [Schema.undo.rawValue]), reverse: false, limit: 1) })
                .first.map { KeyCoding.readBE64($0.key.dropFirst()) } ?? start.number + 1
            throw .beyondUndoWindow(target: number, oldestUndoable: oldest)
        }
        while let tip = try cursor(), tip.number > number {
            let undoKey = Schema.undo.key(KeyCoding.be64(tip.number))
            guard let record = try wrap({ () throws(StoreError) in try store.get(undoKey) }) else {
                throw .beyondUndoWindow(target: number, oldestUndoable: tip.number + 1)
            }
            var batch = WriteBatch()
            do throws(RLPError) {
                var reader = RLPReader(record)
                var list = try reader.readList()
                try reader.finish()
                var entries: [(key: [UInt8], old: [UInt8]?)] = []
                while !list.isAtEnd {
                    var entry = try list.readList()
                    let key = Array(try entry.readBytes())
                    var old = try entry.readList()
                    entries.append((key, old.isAtEnd ? nil : Array(try old.readBytes())))
                }
                // Restore in reverse order of first touch; each key appears once, so the order is not load-bearing.
                for (key, old) in entries.reversed() {
                    if let old { batch.put(key, old) } else { batch.delete(key) }
                }
            } catch {
                throw .corrupt("undo record of block \(tip.number): \(error)")
            }
            batch.delete(undoKey)
            try wrap { () throws(StoreError) in try store.write(batch) }
        }
    }

    func wrap<T>(_ body: () throws(StoreError) -> T) throws(IndexError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(error) }
    }
}

/// Committed values by key (`nil` value: known absent), in two generations: when the young one fills, it becomes
/// the old one and the previous old one is dropped, so recently used keys survive a turnover.
struct ReadCache {
    private(set) var young: [BlockWriter.Key: [UInt8]?] = [:]
    private(set) var old: [BlockWriter.Key: [UInt8]?] = [:]

    /// The value when known: `.some(nil)` for a key known to be absent, `nil` when not cached.
    func lookup(_ key: BlockWriter.Key) -> [UInt8]?? {
        if let value = young[key] { return value }
        return old[key]
    }

    mutating func record(_ key: BlockWriter.Key, _ value: [UInt8]?, generationSize: Int) {
        if young.count >= generationSize {
            old = young
            young = [:]
            young.reserveCapacity(generationSize)
        }
        young[key] = .some(value)
    }
}

/// Collects one block's writes over the store: reads see the block's own earlier writes, and the first write of
/// each key records the value it replaces, for the undo record.
struct BlockWriter {
    /// A key with its hash computed once: a key is looked up in the block's slots, then in both cache generations,
    /// then recorded in the cache; feeding its 50-odd bytes to the hasher each time was 5–8% of the index's CPU.
    struct Key: Hashable {
        let bytes: [UInt8]
        let digest: UInt64

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // FNV-1a over the key: keys are fixed layouts of hashes, addresses and numbers, well spread already;
            // the dictionary still mixes the result with its per-process seed.
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            digest = h
        }

        func hash(into hasher: inout Hasher) { hasher.combine(digest) }
        static func == (a: Key, b: Key) -> Bool { a.digest == b.digest && a.bytes == b.bytes }
    }

    /// A touched key: the value before the block and the value now (`nil`: absent).
    struct Change {
        let key: Key
        let previous: [UInt8]?
        var current: [UInt8]?
    }

    let store: KeyValueStore
    /// Committed values known without a store read.
    private(set) var cache: ReadCache
    /// In first-touch order.
    private(set) var changes: [Change] = []
    private var slots: [Key: Int] = [:]

    init(store: KeyValueStore, cache: ReadCache = ReadCache(), expectedKeys: Int = 16) {
        self.store = store
        self.cache = cache
        changes.reserveCapacity(expectedKeys)
        slots.reserveCapacity(expectedKeys)
    }

    /// Hands the cache back without a copy (the writer keeps an empty one).
    mutating func takeCache() -> ReadCache {
        defer { cache = ReadCache() }
        return cache
    }

    /// The committed value of a key: from the cache, else from the store.
    private func committed(_ key: Key) throws(IndexError) -> [UInt8]? {
        if let known = cache.lookup(key) { return known }
        do throws(StoreError) { return try store.get(key.bytes) } catch { throw .store(error) }
    }

    func get(_ key: [UInt8]) throws(IndexError) -> [UInt8]? {
        let k = Key(bytes: key)
        if let slot = slots[k] { return changes[slot].current }
        return try committed(k)
    }

    mutating func set(_ key: [UInt8], _ value: [UInt8]?) throws(IndexError) {
        let k = Key(bytes: key)
        if let slot = slots[k] {
            changes[slot].current = value
            return
        }
        let old = try committed(k)
        slots[k] = changes.count
        changes.append(Change(key: k, previous: old, current: value))
    }

    /// Writes a key that only this block writes (a history position, the block's own data): its previous value is
    /// known to be absent, without a read, since a reverted block's undo deleted its own.
    mutating func insertFresh(_ key: [UInt8], _ value: [UInt8]) {
        let k = Key(bytes: key)
        if let slot = slots[k] {
            changes[slot].current = value
            return
        }
        slots[k] = changes.count
        changes.append(Change(key: k, previous: nil, current: value))
    }

    func batch() -> WriteBatch {
        var batch = WriteBatch()
        for change in changes {
            if let value = change.current { batch.put(change.key.bytes, value) } else { batch.delete(change.key.bytes) }
        }
        return batch
    }

    /// `rlp([[key, [old value] or []], …])` in first-touch order.
    func undoRecord() -> [UInt8] {
        var e = RLPEncoder(capacity: changes.reduce(16) { $0 + $1.key.bytes.count + ($1.previous?.count ?? 0) + 8 })
        e.appendList { e in
            for change in changes {
                e.appendList { e in
                    e.append(bytes: change.key.bytes)
                    e.appendList { e in if let old = change.previous { e.append(bytes: old) } }
                }
            }
        }
        return e.bytes
    }
}
