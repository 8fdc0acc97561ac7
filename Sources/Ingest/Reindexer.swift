public import AssetIndex
public import Store
internal import EthPrimitives
internal import EthTypes
internal import EthVerify

/// `provenant reindex`: rebuilds the token index from the verified blocks in the store, with no upstream.
///
/// It first marks the store as reindexing, clears every index table, then replays the stored blocks in order and
/// removes the mark. Killed at any point, it leaves a store that says so, and the next run starts over; the result
/// is always the index a clean run builds.
public struct Reindexer: Sendable {
    public let ingestor: Ingestor

    static let markerKey = Schema.Meta.reindexing.key
    /// Keys deleted or blocks read per batch while clearing and replaying.
    static let chunk = 1_000

    public init(ingestor: Ingestor) { self.ingestor = ingestor }

    /// Whether an interrupted reindex left the index incomplete.
    public static func isInterrupted(_ store: KeyValueStore) throws(StoreError) -> Bool {
        try store.get(markerKey) != nil
    }

    /// Tables the index owns (cleared and rebuilt): the undo log and the index tables; block data is kept.
    static let indexTables: [Schema] = [.undo] + Schema.indexTables

    public func run(progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }) throws(IngestError) -> ApplyStats {
        let store = ingestor.index.store
        try ingestor.wrapStore { () throws(StoreError) in try store.put(Self.markerKey, [1]) }
        for table in Self.indexTables {
            while true {
                let rows = try ingestor.wrapStore { () throws(StoreError) in try store.scan(table.range, reverse: false, limit: Self.chunk) }
                if rows.isEmpty { break }
                var batch = WriteBatch()
                for row in rows { batch.delete(row.key) }
                try ingestor.wrapStore { () throws(StoreError) in try store.write(batch) }
            }
        }
        try ingestor.wrapStore { () throws(StoreError) in try store.delete(Schema.Meta.cursor.key) }
        try ingestor.wrapStore { () throws(StoreError) in try store.delete(Schema.Meta.eventCount.key) }
        ingestor.index.discardCache()

        let total = try ingestor.wrapStore { () throws(StoreError) in try ingestor.blocks.lastHeaderNumber() }.map { $0 + 1 } ?? 0
        var totals = ApplyStats()
        var next: UInt64? = 0
        while let first = next {
            let rows = try ingestor.wrapStore { () throws(StoreError) in try ingestor.blocks.headers(from: first, limit: Self.chunk) }
            guard let last = rows.last else { break }
            for (number, _) in rows {
                let stats = try replay(number: number)
                totals.events += stats.events
                totals.malformed += stats.malformed
                totals.keysWritten += stats.keysWritten
                totals.keysRead += stats.keysRead
                totals.keysReadAbsent += stats.keysReadAbsent
            }
            progress(last.number + 1, total)
            next = last.number == .max ? nil : last.number + 1
        }
        try ingestor.wrapStore { () throws(StoreError) in try store.delete(Self.markerKey) }
        return totals
    }

    /// Re-verifies a stored block against its own header and indexes it again.
    private func replay(number: UInt64) throws(IngestError) -> ApplyStats {
        guard let stored = try ingestor.storedBlock(number: number, senders: .minters) else { throw .corrupt("block \(number) disappeared during reindex") }
        // The block's own data is rewritten unchanged in its batch, so its undo record covers it as an import's
        // does, and a later reorg removes the block's data along with its index changes.
        let data = BlockStore.entries(number: number, hash: stored.header.hash, header: stored.headerRLP, bodyBlob: stored.bodyBlob)
        return try ingestor.wrapIndex { () throws(IndexError) in try ingestor.index.apply(stored.indexed, blockData: data) }
    }
}
