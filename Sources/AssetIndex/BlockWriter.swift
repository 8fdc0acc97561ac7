internal import EthRLP
internal import Store

/// State keys (owners, balances, holder entries, standards, the cursor) by key: their committed values known
/// without a store read, and what the block being indexed does to them, in one table. A state key costs one hash
/// probe when the block touches it and one when the block is finished.
///
/// An open-addressed table rather than a `Dictionary`: the probes were a quarter of the index's CPU, most of it cache
/// misses on the 88-byte keys of a 65,536-key table and SipHash over them. Here a probe reads a slot (4 bytes) and
/// the entry's full hash (8 bytes), and touches a key only when the hashes match; the hash is a fold of the key's
/// words mixed with a per-process random seed, so keys chosen on chain cannot be aimed at one probe sequence.
struct StateTable {
    struct Entry {
        /// The value before the block being indexed (`nil`: known absent).
        var committed: [UInt8]?
        /// The value the block leaves; meaningful while `touched`.
        var current: [UInt8]?
        /// Touched by the block being indexed (listed in the writer's first-touch order).
        var touched: Bool
        /// Worth keeping once the block is written: it was read, or was in the table before. A key set from an
        /// invariant of the tables is not read again soon, and is dropped.
        var keep: Bool
        /// Only inside one probe: the key is not in the table and its committed value must be read from the store.
        var unknown: Bool

        static let unknown = Entry(committed: nil, current: nil, touched: false, keep: false, unknown: true)
    }

    /// Most keys kept between blocks; past it the table starts over before the next block.
    static let capacity = 65_536
    /// Slots per key at capacity: at most half the slots are used, so probe runs stay short. One block may touch
    /// more keys than the capacity (a batch transfer of thousands of ids); the slots double as it does.
    static let slotCount = capacity * 2
    static let seed = UInt64.random(in: .min ... .max)

    /// Per slot, the index of its key in the dense arrays, or -1. Allocated by the first `prepareForBlock`, so an
    /// empty table (the placeholder left while one is in use) costs nothing.
    private var slots: [Int32] = []
    private var keys: [IndexKey] = []
    private var hashes: [UInt64] = []
    private var entries: [Entry] = []

    var count: Int { keys.count }

    /// Called before each block: sizes the table once, and empties it when full. Never during a block, whose
    /// touched entries are its write set.
    mutating func prepareForBlock() {
        if slots.isEmpty {
            slots = Array(repeating: -1, count: Self.slotCount)
            keys.reserveCapacity(Self.capacity + 4_096)
            hashes.reserveCapacity(Self.capacity + 4_096)
            entries.reserveCapacity(Self.capacity + 4_096)
        }
        if count >= Self.capacity {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
            keys.removeAll(keepingCapacity: true)
            hashes.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
        }
    }

    @inline(__always)
    private static func hash(_ key: IndexKey) -> UInt64 {
        // murmur3's finalizer over the folded words and the seed.
        var h = key.folded ^ seed
        h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        h = (h ^ (h >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }

    /// The slot holding `key`, or the empty slot where it would go, and its index in the dense arrays if present.
    @inline(__always)
    private func find(_ key: IndexKey, _ hash: UInt64) -> (slot: Int, index: Int?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return (slot, nil) }
            if hashes[index] == hash && keys[index] == key { return (slot, index) }
            slot = (slot + 1) & mask
        }
    }

    /// Runs `body` on the key's entry, in place, with one probe; an absent key comes in as `Entry.unknown` (and
    /// stays in the table as whatever `body` leaves).
    @inline(__always)
    mutating func withEntry<T>(_ key: IndexKey, _ body: (inout Entry) -> T) -> T {
        let hash = Self.hash(key)
        let (slot, found) = find(key, hash)
        let index: Int
        if let found {
            index = found
        } else {
            index = keys.count
            if 2 * (index + 1) > slots.count {
                grow()
                slots[find(key, hash).slot] = Int32(index)
            } else {
                slots[slot] = Int32(index)
            }
            keys.append(key)
            hashes.append(hash)
            entries.append(.unknown)
        }
        return body(&entries[index])
    }

    /// Doubles the slots and places every key again by its stored hash.
    private mutating func grow() {
        slots = Array(repeating: -1, count: max(Self.slotCount, 2 * slots.count))
        let mask = slots.count - 1
        for (index, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// Runs `body` on the entry of a key the block touched, in place; the key leaves the table when `body` returns
    /// false. A key not in the table is left alone.
    @inline(__always)
    mutating func finishEntry(_ key: IndexKey, _ body: (inout Entry) -> Bool) {
        let hash = Self.hash(key)
        let (slot, found) = find(key, hash)
        guard let index = found else { return }
        if !body(&entries[index]) { remove(slot: slot, index: index) }
    }

    /// Empties `slot` (shifting the run after it back, so no probe stops early) and moves the last dense entry into
    /// the hole at `index`.
    private mutating func remove(slot: Int, index: Int) {
        let mask = slots.count - 1
        var hole = slot
        var next = (slot + 1) & mask
        while slots[next] >= 0 {
            let home = Int(truncatingIfNeeded: hashes[Int(slots[next])]) & mask
            // The entry at `next` may move back to the hole unless its home lies after the hole, up to `next`.
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeAfterHole {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        let last = keys.count - 1
        if index != last {
            keys[index] = keys[last]
            hashes[index] = hashes[last]
            entries.swapAt(index, last)
            var moved = Int(truncatingIfNeeded: hashes[index]) & mask
            while Int(slots[moved]) != last { moved = (moved + 1) & mask }
            slots[moved] = Int32(index)
        }
        keys.removeLast()
        hashes.removeLast()
        entries.removeLast()
    }
}

/// Collects one block's writes over the store. State keys are read through the `StateTable`, see the block's own
/// earlier writes, and keep the value they replace for the undo record; fresh keys (history positions, the block's
/// own data) are only ever written once and never read back while indexing, so they skip the lookups entirely and
/// their undo is a delete.
struct BlockWriter {
    let store: KeyValueStore
    private(set) var table: StateTable
    /// State keys in first-touch order, including those whose value ended where it started (not written).
    private(set) var touched: [IndexKey] = []
    /// Fresh keys in write order.
    private(set) var fresh: [(key: IndexKey, value: [UInt8])] = []
    /// Bytes of the fresh keys and values, to size the batch once.
    private var freshBytes = 0

    init(store: KeyValueStore, table: StateTable = StateTable(), expectedKeys: Int = 16) {
        self.store = store
        self.table = table
        self.table.prepareForBlock()
        touched.reserveCapacity(expectedKeys)
        fresh.reserveCapacity(expectedKeys)
    }

    /// Hands the table back without a copy (the writer keeps an empty one).
    mutating func takeTable() -> StateTable {
        defer { table = StateTable() }
        return table
    }

    private func read(_ key: IndexKey) throws(IndexError) -> [UInt8]? {
        do throws(StoreError) { return try store.get(key.bytes) } catch { throw .store(error) }
    }

    /// Reads a state key. A key read and not written stays in the table as an unchanged entry: later reads in the
    /// block find it, and later blocks too (the standards of a contract are read by every event and rarely written).
    mutating func get(_ key: IndexKey) throws(IndexError) -> [UInt8]? {
        var first = false
        let known: [UInt8]?? = table.withEntry(key) { entry in
            if entry.unknown { return .none }
            if !entry.touched {
                entry.touched = true
                entry.current = entry.committed
                entry.keep = true
                first = true
            }
            return .some(entry.current)
        }
        if let known {
            if first { touched.append(key) }
            return known
        }
        // Not in the table: the probe left a placeholder, replaced here (a failed read fails the whole block, and
        // the index drops a failed block's table).
        let value = try read(key)
        table.withEntry(key) { $0 = StateTable.Entry(committed: value, current: value, touched: true, keep: true, unknown: false) }
        touched.append(key)
        return value
    }

    /// Sets a state key, reading the value it replaces unless the table knows it.
    mutating func set(_ key: IndexKey, _ value: [UInt8]?) throws(IndexError) {
        var first = false
        let needsRead: Bool = table.withEntry(key) { entry in
            if entry.unknown { return true }
            if !entry.touched {
                entry.touched = true
                entry.keep = true
                first = true
            }
            entry.current = value
            return false
        }
        if !needsRead {
            if first { touched.append(key) }
            return
        }
        let old = try read(key)
        table.withEntry(key) { $0 = StateTable.Entry(committed: old, current: value, touched: true, keep: true, unknown: false) }
        touched.append(key)
    }

    /// Sets a state key whose current value the caller knows from an invariant of the tables (a holder entry
    /// exists exactly while its balance is not zero), without a read. Debug builds, and so every test, read it
    /// anyway and stop on a wrong claim: a wrong previous value would make the undo record inexact.
    mutating func set(_ key: IndexKey, _ value: [UInt8]?, knownCurrent: [UInt8]?) {
        let store = self.store
        let first: Bool = table.withEntry(key) { entry in
            if entry.unknown {
                assert((try? store.get(key.bytes)) == knownCurrent, "wrong known value of \(key.bytes)")
                entry = StateTable.Entry(committed: knownCurrent, current: value, touched: true, keep: false, unknown: false)
                return true
            }
            if entry.touched {
                assert(entry.current == knownCurrent, "wrong known value of \(key.bytes)")
                entry.current = value
                return false
            }
            assert(entry.committed == knownCurrent, "wrong known value of \(key.bytes)")
            entry.touched = true
            entry.keep = true
            entry.current = value
            return true
        }
        if first { touched.append(key) }
    }

    /// Writes a fresh key: one only this block writes (a history position, the block's own data), so its previous
    /// value is absent (a reverted block's undo deleted its own), and the indexing of this block never reads it.
    mutating func insertFresh(_ key: IndexKey, _ value: [UInt8]) {
        fresh.append((key, value))
        freshBytes += key.count + value.count
    }

    /// The block's write batch, its undo record `rlp([[key, [old value] or []], …])` (the written state keys in
    /// first-touch order, then the fresh keys) and how many keys the batch writes. Leaves the table as it is once
    /// the batch is written: the caller must write the batch, or drop the table.
    mutating func finish() -> (batch: WriteBatch, undo: [UInt8], keysWritten: Int) {
        // Framing: a tag and two 4-byte lengths per operation; a state value is a few dozen bytes at most.
        var batch = WriteBatch(capacity: freshBytes + fresh.count * 9 + touched.count * (IndexKey.capacity + 9 + 64))
        var e = RLPEncoder(capacity: 16 + touched.count * 120 + fresh.count * 80)
        var written = fresh.count
        e.appendList { e in
            for key in touched {
                table.finishEntry(key) { entry in
                    if entry.current != entry.committed {
                        written += 1
                        key.withUnsafeBytes { bytes in
                            if let value = entry.current {
                                value.withUnsafeBytes { batch.put(key: bytes, value: $0) }
                            } else {
                                batch.delete(key: bytes)
                            }
                            e.appendList { e in
                                e.append(bytes: bytes)
                                e.appendList { e in if let old = entry.committed { e.append(bytes: old) } }
                            }
                        }
                    }
                    guard entry.keep else { return false }
                    entry.committed = entry.current
                    entry.current = nil
                    entry.touched = false
                    return true
                }
            }
            for (key, value) in fresh {
                key.withUnsafeBytes { bytes in
                    value.withUnsafeBytes { batch.put(key: bytes, value: $0) }
                    e.appendList { e in
                        e.append(bytes: bytes)
                        e.appendList { _ in }
                    }
                }
            }
        }
        touched.removeAll()
        return (batch, e.bytes, written)
    }
}
