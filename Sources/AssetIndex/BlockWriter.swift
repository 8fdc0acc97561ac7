internal import EthRLP
internal import Store

/// Collects one block's writes over the store. State keys are read through the `StateTable`, see the block's own
/// earlier writes, and keep the value they replace for the undo record; fresh keys (history positions, the block's
/// own data) are only ever written once and never read back while indexing, so they skip the lookups entirely and
/// their undo is a delete.
struct BlockWriter {
    let store: KeyValueStore
    private(set) var table: StateTable
    /// The state keys the block touched, in first-touch order (including those whose value ended where it started,
    /// not written): each key's dense index in the table, its hash tag and the value the block leaves.
    private var touched: [(index: Int32, tag: UInt32, current: StateValue?)] = []
    /// Fresh keys in write order.
    private var fresh: [(key: IndexKey, valueEnd: Int)] = []
    /// The fresh keys' values one after another, each ending at its key's `valueEnd`: records are encoded straight
    /// into it, not each into an array of its own.
    private var freshValues: RLPEncoder
    /// Bytes of the fresh keys, to size the batch once.
    private var freshKeyBytes = 0
    /// State keys read from the store, and those of them it did not hold.
    private(set) var reads = 0, absentReads = 0

    init(store: KeyValueStore, table: StateTable = StateTable(), expectedKeys: Int = 16) {
        self.store = store
        self.table = table
        self.table.prepareForBlock()
        touched.reserveCapacity(expectedKeys)
        fresh.reserveCapacity(expectedKeys)
        freshValues = RLPEncoder(capacity: expectedKeys * 96)
    }

    /// Hands the table back without a copy (the writer keeps an empty one).
    mutating func takeTable() -> StateTable {
        defer { table = StateTable() }
        return table
    }

    /// The committed value of a key the table does not hold.
    private func read(_ key: IndexKey) throws(IndexError) -> StateValue? {
        let bytes: [UInt8]?
        do throws(StoreError) { bytes = try store.get(key.bytes) } catch { throw .store(error) }
        guard let bytes else { return nil }
        let raw = key.bytes
        try StoredValues.check(key: raw, value: bytes)
        // Every layout `check` knows is within the capacity; a key of a table it does not know is not a state key.
        guard bytes.count <= StateValue.capacity else { throw StoredValues.damaged(raw, "\(bytes.count) bytes") }
        return StateValue(checked: bytes)
    }

    /// The committed value of a key the table does not hold, from the store, unless the table knows the store has
    /// no such key. Debug builds, and so every test, read it anyway and stop if the table was wrong.
    private mutating func committed(_ key: IndexKey, _ probe: StateTable.Probe) throws(IndexError) -> StateValue? {
        assert(AssetIndex.isStateKey(key), "\(key.bytes) is not a state key")
        if table.mayBeStored(probe) {
            let value = try read(key)
            reads += 1
            if value == nil { absentReads += 1 }
            return value
        }
        assert(storeLacks(key), "the state table took \(key.bytes) for absent")
        return nil
    }

    private func storeLacks(_ key: IndexKey) -> Bool {
        do { return try read(key) == nil } catch { return false }
    }

    /// Marks the entry at `index` touched by this block, with `current` as the value the block leaves.
    @inline(__always)
    private mutating func touch(_ index: Int, _ probe: StateTable.Probe, current: StateValue?) {
        table[index].touch = Int32(touched.count)
        touched.append((Int32(index), probe.tag, current))
    }

    /// Reads a state key. A key read and not written stays in the table as an unchanged entry: later reads in the
    /// block find it, and later blocks too (the standards of a contract are read by every event and rarely written).
    mutating func get(_ key: IndexKey) throws(IndexError) -> StateValue? {
        try update(key) { $0 }
    }

    /// Sets a state key, reading the value it replaces unless the table knows it.
    mutating func set(_ key: IndexKey, _ value: StateValue?) throws(IndexError) {
        try update(key) { _ in value }
    }

    /// Reads a state key and sets it to what `change` makes of its value, with one probe; returns the value it had.
    @discardableResult
    @inline(__always)
    mutating func update(_ key: IndexKey, _ change: (StateValue?) -> StateValue?) throws(IndexError) -> StateValue? {
        let probe = table.probe(key)
        if let index = probe.index {
            let touch = table[index].touch
            if touch >= 0 {
                let current = touched[Int(touch)].current
                touched[Int(touch)].current = change(current)
                return current
            }
            table[index].keep = true
            let committed = table[index].committed
            self.touch(index, probe, current: change(committed))
            return committed
        }
        // The store is read between the probe and the insert; nothing else changes the table in between.
        let value = try committed(key, probe)
        let index = table.insert(key, StateTable.Entry(committed: value, touch: -1, keep: true), at: probe)
        touch(index, probe, current: change(value))
        return value
    }

    /// Sets a state key whose current value the caller knows from an invariant of the tables (a holder entry
    /// exists exactly while its balance is not zero), without a read. Debug builds, and so every test, read it
    /// anyway and stop on a wrong claim: a wrong previous value would make the undo record inexact.
    mutating func set(_ key: IndexKey, _ value: StateValue?, knownCurrent: StateValue?) {
        let probe = table.probe(key)
        if let index = probe.index {
            let touch = table[index].touch
            if touch >= 0 {
                assert(touched[Int(touch)].current == knownCurrent, "wrong known value of \(key.bytes)")
                touched[Int(touch)].current = value
            } else {
                assert(table[index].committed == knownCurrent, "wrong known value of \(key.bytes)")
                table[index].keep = true
                self.touch(index, probe, current: value)
            }
            return
        }
        assert((try? read(key)) == knownCurrent, "wrong known value of \(key.bytes)")
        let index = table.insert(key, StateTable.Entry(committed: knownCurrent, touch: -1, keep: false), at: probe)
        touch(index, probe, current: value)
    }

    /// Writes a fresh key: one only this block writes (a history position, the block's own data), so its previous
    /// value is absent (a reverted block's undo deleted its own), and the indexing of this block never reads it.
    mutating func insertFresh(_ key: IndexKey, _ value: [UInt8]) {
        freshValues.append(raw: value)
        fresh.append((key, freshValues.bytes.count))
        freshKeyBytes += key.count
    }

    /// Writes a fresh key whose value is a record, encoded in place.
    mutating func insertFresh(_ key: IndexKey, _ record: some IndexRecord) {
        record.encode(to: &freshValues)
        fresh.append((key, freshValues.bytes.count))
        freshKeyBytes += key.count
    }

    /// The block's write batch, its undo record (`UndoLog`'s grammar: the written state keys in first-touch order,
    /// then the fresh keys) and how many keys the batch writes. Leaves the table as it is once
    /// the batch is written: the caller must write the batch, or drop the table.
    mutating func finish() -> (batch: WriteBatch, undo: [UInt8], keysWritten: Int) {
        // Framing: a tag and two 4-byte lengths per operation; a state value is at most 40 bytes.
        let values = freshValues.bytes
        var batch = WriteBatch(capacity: freshKeyBytes + values.count + fresh.count * 9 + touched.count * (IndexKey.capacity + 9 + StateValue.capacity))
        var e = RLPEncoder(capacity: 16 + touched.count * 120 + freshKeyBytes + fresh.count * 4)
        var written = fresh.count
        var dropped: [Int] = []
        e.appendList { e in
            for (index, tag, current) in touched {
                let index = Int(index)
                let committed = table[index].committed
                if current != committed {
                    written += 1
                    // A key that had a value is known already; one that gets its first is new to the store.
                    if committed == nil { table.noteStored(tag: tag) }
                    table.key(at: index).withUnsafeBytes { key in
                        if let current {
                            current.withUnsafeBytes { batch.put(key: key, value: $0) }
                        } else {
                            batch.delete(key: key)
                        }
                        if let committed {
                            committed.withUnsafeBytes { UndoLog.appendEntry(key: key, old: $0, to: &e) }
                        } else {
                            UndoLog.appendEntry(key: key, old: nil, to: &e)
                        }
                    }
                }
                table[index].committed = current
                table[index].touch = -1
                if !table[index].keep { dropped.append(index) }
            }
            values.withUnsafeBytes { values in
                var start = 0
                for (key, end) in fresh {
                    key.withUnsafeBytes { bytes in
                        batch.put(key: bytes, value: UnsafeRawBufferPointer(rebasing: values[start..<end]))
                        UndoLog.appendEntry(key: bytes, old: nil, to: &e)
                    }
                    start = end
                }
            }
        }
        // Highest index first, so each removal leaves the indices still to go where they are. Only keys the block
        // added are dropped, and those were appended in touch order: `dropped` is ascending.
        assert(dropped == dropped.sorted())
        for index in dropped.reversed() { table.remove(at: index) }
        touched.removeAll(keepingCapacity: true)
        return (batch, e.bytes, written)
    }
}
