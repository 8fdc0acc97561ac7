public import EthPrimitives
public import Store
internal import Synchronization
internal import EthCrypto
internal import EthRLP
internal import TokenEvents

/// Why the index refused an operation.
public enum IndexError: Error, Equatable, Sendable {
    case store(StoreError)
    /// A block that does not extend the indexed tip (number or parent mismatch).
    case notNext(expected: UInt64, got: UInt64)
    /// `revert(to:)` below the oldest block that still has an undo record.
    case beyondUndoWindow(target: UInt64, oldestUndoable: UInt64)
    /// A stored record that does not decode: the data directory is damaged.
    case corrupt(String)
    /// A query that would read more than its caller's ceiling of records.
    case tooManyRecords(limit: Int)
}

/// Counts of one block's indexing.
public struct ApplyStats: Sendable, Equatable {
    /// Logs decoded into token events and applied.
    public var events = 0
    /// Logs with an indexed topic0 that did not follow the event's grammar (non-standard contracts): skipped.
    public var malformed = 0
    /// Index keys written.
    public var keysWritten = 0
    /// State keys read from the store (the state table held neither them nor the knowledge that they are absent),
    /// and how many of those reads found nothing.
    public var keysRead = 0, keysReadAbsent = 0

    public init() {}

    /// Adds another block's counts to these.
    public mutating func add(_ other: ApplyStats) {
        events += other.events
        malformed += other.malformed
        keysWritten += other.keysWritten
        keysRead += other.keysRead
        keysReadAbsent += other.keysReadAbsent
    }
}

/// The token index over a `KeyValueStore` (ARCHITECTURE.md §4, §7). Each block is applied in one atomic write batch that
/// holds its index changes, the undo record that reverses them exactly, any block data the caller adds, and the
/// cursor; `revert(to:)` undoes blocks from the tip down, one batch each.
///
/// Queries may run from any thread at any time. Writes (`apply`, `revert`) have one writer at a time: each block
/// starts from the cursor and state the previous one committed, so two at once would write over each other. The
/// rule is checked, not assumed: a second writer while one is inside stops the process with a message.
public final class AssetIndex: Sendable {
    public let store: KeyValueStore
    /// How many recent blocks keep an undo record (the deepest reorg that can be undone).
    public let undoWindow: UInt64

    /// The default undo window, as `reorgWindow` (ARCHITECTURE.md §2).
    public static let defaultUndoWindow: UInt64 = 128

    static let cursorIndexKey = IndexKey(bytes: Schema.Meta.cursor.key)
    static let eventCountIndexKey = IndexKey(bytes: Schema.Meta.eventCount.key)

    /// The tables whose keys hold state (read, then changed in place) rather than positional records; with the
    /// cursor and the event count, every key the index reads while indexing.
    static let stateTables: [Schema] = [.owner, .tokenBalance, .holderBalance, .holderToken, .contractStandards, .shareBalance]

    static func isStateKey(_ key: IndexKey) -> Bool {
        key == cursorIndexKey || key == eventCountIndexKey || key.withUnsafeBytes { bytes in
            stateTables.contains { $0.rawValue == bytes.first }
        }
    }

    /// The tags of every state key in the store, read with one scan of the state tables, for a state table that
    /// starts out (a new process, a dropped table); nil past `ExistingKeys.maxKeys`, and then the index does not
    /// scan again. A store with no state (a first sync, a reindex) costs a seek per table.
    func scanExistingKeys() throws(IndexError) -> ExistingKeys? {
        if stateBeyondTracking.load(ordering: .relaxed) { return nil }
        var set = ExistingKeys()
        func add(_ key: [UInt8]) throws(IndexError) -> Bool {
            guard key.count <= IndexKey.capacity else { throw .corrupt("a state key of \(key.count) bytes") }
            return set.insert(StateTable.tag(IndexKey(bytes: key)))
        }
        for key in [Schema.Meta.cursor.key, Schema.Meta.eventCount.key] where try wrap({ () throws(StoreError) in try store.get(key) }) != nil {
            _ = try add(key)
        }
        for table in Self.stateTables {
            let range = table.range
            var next = range.lower
            while true {
                let rows = try wrap { () throws(StoreError) in try store.scan(KeyRange(lower: next, upper: range.upper), reverse: false, limit: 4096) }
                guard let last = rows.last else { break }
                for (key, _) in rows where try !add(key) {
                    stateBeyondTracking.store(true, ordering: .relaxed)
                    return nil
                }
                next = last.key + [0]
            }
        }
        return set
    }

    /// Events indexed so far.
    public func eventCount() throws(IndexError) -> UInt64 {
        guard let value = try wrap({ () throws(StoreError) in try store.get(Schema.Meta.eventCount.key) }) else { return 0 }
        try StoredValues.check(key: Schema.Meta.eventCount.key, value: value)
        return KeyCoding.readBE64(value)
    }

    /// The standards the data directory's config declares per contract (`WatchRecord.standards`), read once.
    func declaredStandards() throws(IndexError) -> [Address: Standards] {
        try declared.withLock { cached throws(IndexError) -> [Address: Standards] in
            if let cached { return cached }
            let record = try wrap { () throws(StoreError) in try WatchRecord.read(from: store) }
            let standards = (record?.standards ?? [:]).mapValues { Standards(rawValue: $0) }
            cached = standards
            return standards
        }
    }

    /// Values of recently read or written state keys, so the next blocks' reads of hot keys (balances, owners,
    /// standards) skip the store. Only `apply` fills it, only after its batch is written; `revert` empties it.
    private let cache = Mutex(StateTable())
    private let declared = Mutex<[Address: Standards]?>(nil)
    /// Undo records are compressed at zstd's fastest level: they are written for every block and read only by a
    /// revert.
    private let undoCompressor = Mutex(ZstdCompressor(level: 1))

    /// Set while `apply` or `revert` runs, to catch a second writer.
    private let writing = Atomic<Bool>(false)

    /// Runs `body` as the index's one writer.
    private func asTheWriter<T>(_ body: () throws(IndexError) -> T) throws(IndexError) -> T {
        precondition(!writing.exchange(true, ordering: .acquiring), "two writers in one AssetIndex: apply and revert must not overlap")
        defer { writing.store(false, ordering: .releasing) }
        return try body()
    }

    /// Set once a scan found more state keys than `ExistingKeys.maxKeys`.
    private let stateBeyondTracking = Atomic<Bool>(false)
    /// Whether the index keeps the tags of the store's state keys (`ExistingKeys`); off only to test that what it
    /// writes does not depend on them.
    let tracksExistingKeys: Bool

    public convenience init(store: KeyValueStore, undoWindow: UInt64 = AssetIndex.defaultUndoWindow) {
        self.init(store: store, undoWindow: undoWindow, tracksExistingKeys: true)
    }

    init(store: KeyValueStore, undoWindow: UInt64 = AssetIndex.defaultUndoWindow, tracksExistingKeys: Bool) {
        self.store = store
        self.undoWindow = undoWindow
        self.tracksExistingKeys = tracksExistingKeys
    }

    /// The cursor as last committed (the outer nil: not read yet). Every query asks for the head, so it is kept
    /// here rather than read from the store each time. Filled and replaced only under its lock, after the batch
    /// that moved it is written, so a reader never puts back a cursor older than a commit's.
    private let committedCursor = Mutex<(number: UInt64, hash: Hash32)??>(nil)

    /// Forgets the read cache and the cursor. Whoever writes index tables behind the index's back (a reindex
    /// clearing them) must call this before the next `apply` or query, or undo records, balances and the head
    /// would start from stale values.
    public func discardCache() {
        forgetState()
        stateBeyondTracking.store(false, ordering: .relaxed)
    }

    /// Drops the state table and the cursor; a store with too many state keys to track stays so.
    private func forgetState() {
        cache.withLock { $0 = StateTable() }
        committedCursor.withLock { $0 = nil }
    }

    /// keccak256 over every index key and value (tables 0x10…, the cursor, the event count): two stores with the same digest hold
    /// the same index, byte for byte. Block data and undo records are not part of it.
    public func digest() throws(IndexError) -> Hash32 {
        var hasher = Keccak256()
        let tables = Schema.range(.owner, through: .contractStandards)
        var next = tables.lower
        while true {
            let rows = try wrap { () throws(StoreError) in try store.scan(KeyRange(lower: next, upper: tables.upper), reverse: false, limit: 4096) }
            guard let last = rows.last else { break }
            for (key, value) in rows { hasher.update(KeyCoding.be32(UInt32(key.count)) + key + KeyCoding.be32(UInt32(value.count)) + value) }
            next = last.key + [0]
        }
        hasher.update(try wrap({ () throws(StoreError) in try store.get(Schema.Meta.cursor.key) }) ?? [])
        hasher.update(try wrap({ () throws(StoreError) in try store.get(Schema.Meta.eventCount.key) }) ?? [])
        return hasher.finalize()
    }

    /// The last indexed block: number and hash.
    public func cursor() throws(IndexError) -> (number: UInt64, hash: Hash32)? {
        try committedCursor.withLock { committed throws(IndexError) -> (number: UInt64, hash: Hash32)? in
            if let known = committed { return known }
            let stored: (number: UInt64, hash: Hash32)?
            if let bytes = try wrap({ () throws(StoreError) in try store.get(Schema.Meta.cursor.key) }) {
                try StoredValues.check(key: Schema.Meta.cursor.key, value: bytes)
                stored = (KeyCoding.readBE64(bytes), Hash32(bytes: bytes[8...])!)
            } else {
                stored = nil
            }
            committed = .some(stored)
            return stored
        }
    }

    /// Indexes `block`, which must be the one after the cursor (any block when the index is empty), together with
    /// `blockData` (e.g. the verified header and body), all in one atomic batch.
    @discardableResult
    public func apply(_ block: IndexedBlock, blockData: [(key: [UInt8], value: [UInt8])] = []) throws(IndexError) -> ApplyStats {
        try asTheWriter { () throws(IndexError) in try applyAsWriter([(block, blockData)]) }
    }

    /// Applies consecutive blocks without watched logs (what sync writes for the blocks a bloom rules out: a header
    /// and the cursor) in one store write, each with its undo record, exactly as `apply` would one at a time. Only
    /// blocks without logs: a log's state reads must see the blocks before it written, which they are not yet.
    public func applyEmpty(_ blocks: [(block: IndexedBlock, blockData: [(key: [UInt8], value: [UInt8])])]) throws(IndexError) -> ApplyStats {
        precondition(blocks.allSatisfy { $0.block.logs.isEmpty }, "applyEmpty takes blocks without logs")
        guard !blocks.isEmpty else { return ApplyStats() }
        return try asTheWriter { () throws(IndexError) in try applyAsWriter(blocks) }
    }

    private func applyAsWriter(_ blocks: [(block: IndexedBlock, blockData: [(key: [UInt8], value: [UInt8])])]) throws(IndexError) -> ApplyStats {
        var tip = try cursor()
        // The table moves into the writer and back only once the batch is written: a block that fails leaves an
        // empty one behind, never one with its unwritten changes.
        var state = cache.withLock { table in
            defer { table = StateTable() }
            return table
        }
        if state.isNew, tracksExistingKeys, let existing = try scanExistingKeys() { state.trackExistingKeys(existing) }
        var stats = ApplyStats()
        var batch = WriteBatch()
        for (block, blockData) in blocks {
            if let tip, block.number != tip.number + 1 {
                throw .notNext(expected: tip.number + 1, got: block.number)
            }
            var writer = BlockWriter(store: store, table: consume state, expectedKeys: block.logs.count * 8 + blockData.count + 1)
            let blockStats = try stage(block, blockData: blockData, writer: &writer, into: &batch)
            state = writer.takeTable()
            stats.add(blockStats)
            tip = (block.number, block.hash)
        }
        try wrap { () throws(StoreError) in try store.write(batch) }
        committedCursor.withLock { $0 = .some(tip) }
        cache.withLock { $0 = state }
        return stats
    }

    /// One block's changes and undo record, appended to `batch`.
    private func stage(_ block: IndexedBlock, blockData: [(key: [UInt8], value: [UInt8])], writer: inout BlockWriter, into out: inout WriteBatch) throws(IndexError) -> ApplyStats {
        var stats = ApplyStats()
        // Block data belongs to its block: before it, the keys did not exist (a reverted block's undo deleted
        // them), so its undo record deletes them, whether they are written by an import or a reindex.
        for (key, value) in blockData { writer.insertFresh(IndexKey(bytes: key), value) }
        // Each log's transaction by binary search over the block's transactions in index order (they come in it),
        // instead of a dictionary built for every block.
        let ordered = zip(block.transactions, block.transactions.dropFirst()).allSatisfy { $0.index <= $1.index }
        let transactions = ordered ? block.transactions : block.transactions.sorted { $0.index < $1.index }
        func transaction(_ index: UInt32) -> IndexedTransaction? {
            var low = 0, high = transactions.count
            while low < high {
                let middle = (low + high) / 2
                if transactions[middle].index < index { low = middle + 1 } else { high = middle }
            }
            return low < transactions.count && transactions[low].index == index ? transactions[low] : nil
        }
        // Which indexed events each contract logged in this block, for `eth_getLogs`: a block has few contracts.
        var logged: [(contract: Address, mask: UInt16)] = []
        for indexed in block.logs {
            guard let topic = indexed.log.topics.first else { continue }
            let mask = Self.logMask(CollectionOfOne(topic))
            guard mask != 0 else { continue }
            if let at = logged.firstIndex(where: { $0.contract == indexed.log.address }) {
                logged[at].mask |= mask
            } else {
                logged.append((indexed.log.address, mask))
            }
        }
        for (contract, mask) in logged { writer.insertFresh(.logBlock(contract, block: block.number), KeyCoding.be16(mask)) }
        let declared = try declaredStandards()
        for indexed in block.logs {
            let contract = indexed.log.address
            let decoded = try Self.decode(indexed.log, declared: declared) { () throws(IndexError) in
                Standards(rawValue: try writer.get(.contractStandards(contract))?.first ?? 0)
            }
            guard case .event(let event) = decoded else {
                if case .malformed = decoded { stats.malformed += 1 }
                continue
            }
            var context = EventContext(
                contract: indexed.log.address, block: block.number, timestamp: block.timestamp, logIndex: indexed.logIndex,
                transaction: transaction(indexed.transactionIndex), transactionIndex: indexed.transactionIndex)
            try context.apply(event, writer: &writer)
            stats.events += 1
        }
        if stats.events > 0 {
            let count = try writer.get(Self.eventCountIndexKey).map { $0.withUnsafeBytes { KeyCoding.readBE64($0) } } ?? 0
            try writer.set(Self.eventCountIndexKey, StateValue(be64: count + UInt64(stats.events)))
        }
        try writer.set(Self.cursorIndexKey, StateValue(be64: block.number, block.hash))
        var (batch, undo, keysWritten) = writer.finish()
        stats.keysWritten = keysWritten
        (stats.keysRead, stats.keysReadAbsent) = (writer.reads, writer.absentReads)
        let stored = undo.count < UndoLog.uncompressedBelow ? undo : try undoCompressor.withLock { compressor throws(IndexError) in
            try wrap { () throws(StoreError) in try compressor.compress(undo) }
        }
        UndoLog.put(stored, block: block.number, window: undoWindow, in: &batch)
        if out.isEmpty { out = batch } else { out.append(contentsOf: batch) }
        return stats
    }

    /// Undoes blocks from the tip down until `number` is the tip. A target below the undo window is refused before
    /// anything changes. Each block's undo is one atomic batch, so a crash leaves the index at some block between,
    /// consistent, and a repeated call finishes the job.
    public func revert(to number: UInt64) throws(IndexError) {
        try asTheWriter { () throws(IndexError) in try revertAsWriter(to: number) }
    }

    private func revertAsWriter(to number: UInt64) throws(IndexError) {
        guard let start = try cursor(), start.number > number else { return }
        forgetState()
        let undoLog = UndoLog(store: store)
        let present = try wrap { () throws(StoreError) in try undoLog.count(from: number + 1, through: start.number) }
        guard present == Int(start.number - number) else {
            let oldest = try wrap { () throws(StoreError) in try undoLog.oldest() } ?? start.number + 1
            throw .beyondUndoWindow(target: number, oldestUndoable: oldest)
        }
        while let tip = try cursor(), tip.number > number {
            guard let stored = try wrap({ () throws(StoreError) in try undoLog.record(block: tip.number) }) else {
                throw .beyondUndoWindow(target: number, oldestUndoable: tip.number + 1)
            }
            let record: [UInt8]
            do throws(StoreError) { record = try UndoLog.record(stored: stored) } catch { throw .corrupt("undo record of block \(tip.number): \(error)") }
            let entries: [(key: [UInt8], old: [UInt8]?)]
            do throws(RLPError) { entries = try UndoLog.entries(of: record) } catch { throw .corrupt("undo record of block \(tip.number): \(error)") }
            var batch = WriteBatch()
            // Restore in reverse order; a state key appears once and a fresh key's restore is a delete, so the order
            // is not load-bearing.
            for (key, old) in entries.reversed() {
                if let old { batch.put(key, old) } else { batch.delete(key) }
            }
            UndoLog.delete(block: tip.number, in: &batch)
            try wrap { () throws(StoreError) in try store.write(batch) }
            committedCursor.withLock { $0 = nil }  // the undo record restored the previous one: read it back
        }
    }

    func wrap<T>(_ body: () throws(StoreError) -> T) throws(IndexError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(error) }
    }
}
