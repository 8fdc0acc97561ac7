public import EthRLP

/// The index's undo log (`Schema.undo`): for each of the last `window` indexed blocks, the record that reverses its
/// index changes exactly. `undo/be64(number)` holds the record as one zstd frame, or, when it is shorter than
/// `uncompressedBelow` bytes, as itself (an RLP list starts with a byte from 0xc0, a zstd frame with 0x28):
///
///     record = rlp([entry, …])
///     entry  = [key, [old value]]    the block changed or deleted a key that had `old value`
///            | [key, []]             the block wrote a key that was absent: undoing deletes it
///
/// Each key appears once, so restoring does not depend on the order of the entries.
public struct UndoLog: Sendable {
    public let store: KeyValueStore

    public init(store: KeyValueStore) { self.store = store }

    /// Appends one entry to a record's list; `old` is `nil` for a key that was absent.
    @inlinable
    public static func appendEntry(key: UnsafeRawBufferPointer, old: UnsafeRawBufferPointer?, to e: inout RLPEncoder) {
        // The lengths are known beforehand, so the entry's header is written first and nothing moves.
        let oldLength = old.map { RLPEncoder.encodedLength(ofBytes: $0) } ?? 0
        e.appendListHeader(payloadLength: RLPEncoder.encodedLength(ofBytes: key) + RLPEncoder.encodedLength(ofPayload: oldLength))
        e.append(bytes: key)
        e.appendListHeader(payloadLength: oldLength)
        if let old { e.append(bytes: old) }
    }

    /// The entries of a decompressed record, in the order they were written.
    public static func entries(of record: [UInt8]) throws(RLPError) -> [(key: [UInt8], old: [UInt8]?)] {
        var reader = RLPReader(record)
        var list = try reader.readList()
        try reader.finish()
        var entries: [(key: [UInt8], old: [UInt8]?)] = []
        while !list.isAtEnd {
            var entry = try list.readList()
            let key = Array(try entry.readBytes())
            var old = try entry.readList()
            let value = old.isAtEnd ? nil : Array(try old.readBytes())
            try old.finish()
            try entry.finish()
            entries.append((key, value))
        }
        return entries
    }

    /// Records shorter than this are stored as they are: a block without index changes (a header a catch-up
    /// crosses) has one of about 100 bytes, which compression barely shortens, and zstd's setup cost every block.
    public static let uncompressedBelow = 128

    /// A record as read back: its RLP, from a zstd frame or as stored.
    public static func record(stored: [UInt8]) throws(StoreError) -> [UInt8] {
        if let first = stored.first, first >= 0xc0 { return stored }
        return try Zstd.decompress(stored)
    }

    /// Puts block `number`'s compressed record into its batch, and deletes the record that leaves the window.
    public static func put(_ compressed: [UInt8], block number: UInt64, window: UInt64, in batch: inout WriteBatch) {
        batch.put(Schema.undoKey(number), compressed)
        if number >= window { batch.delete(Schema.undoKey(number - window)) }
    }

    /// Deletes block `number`'s record in `batch` (the batch that applies it).
    public static func delete(block number: UInt64, in batch: inout WriteBatch) {
        batch.delete(Schema.undoKey(number))
    }

    /// Block `number`'s compressed record, if it is still in the window.
    public func record(block number: UInt64) throws(StoreError) -> [UInt8]? {
        try store.get(Schema.undoKey(number))
    }

    /// How many blocks from `first` through `last` have a record.
    public func count(from first: UInt64, through last: UInt64) throws(StoreError) -> Int {
        guard first <= last else { return 0 }
        let upper = last == .max ? Schema.undo.range.upper : Schema.undoKey(last + 1)
        return try store.scan(KeyRange(lower: Schema.undoKey(first), upper: upper), reverse: false, limit: .max).count
    }

    /// The lowest block that has a record.
    public func oldest() throws(StoreError) -> UInt64? {
        try store.scan(Schema.undo.range, reverse: false, limit: 1).first.map { KeyCoding.readBE64($0.key.dropFirst()) }
    }
}
