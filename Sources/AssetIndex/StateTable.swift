/// State keys (owners, balances, holder entries, standards, the cursor) with their committed values, known without
/// a store read, and which of them the block being indexed has touched. A state key costs a probe each time the
/// block touches it (in cache after the first), and none when the block is finished: that goes by dense index.
///
/// An open-addressed table rather than a `Dictionary`: the probes were a quarter of the index's CPU, most of it cache
/// misses on the 88-byte keys of a 65,536-key table and SipHash over them. A slot holds the entry's dense index and
/// the high half of its hash, so a probe reads one 8-byte slot and touches a key only when that half matches; the
/// hash is a fold of the key's words mixed with a per-process random seed, so keys chosen on chain cannot be aimed
/// at one probe sequence.
struct StateTable {
    struct Entry {
        /// The value before the block being indexed (nil: known absent).
        var committed: StateValue?
        /// While the block being indexed has touched the key: its place in the writer's touched list; else -1.
        var touch: Int32
        /// Worth keeping once the block is written: it was read, or was in the table before. A key set from an
        /// invariant of the tables is not read again soon, and is dropped.
        var keep: Bool
    }

    /// Where a probe ended: at the key's entry, or at the empty slot where it would go.
    struct Probe {
        /// The key's dense index, nil when absent.
        let index: Int?
        fileprivate let slot: Int
        /// The high half of the key's hash.
        let tag: UInt32
    }

    /// Most keys kept between blocks; past it the table starts over before the next block.
    static let capacity = 65_536
    /// Slots per key at capacity: at most half the slots are used, so probe runs stay short. One block may touch
    /// more keys than the capacity (a batch transfer of thousands of ids); the slots double as it does.
    static let slotCount = capacity * 2
    static let seed = UInt64.random(in: .min ... .max)

    /// Per slot: 0 when empty, else the high 32 bits of the key's hash (which also pick its home slot) above its
    /// dense index + 1. Allocated by the first `prepareForBlock`, so an empty table (the placeholder left while
    /// one is in use) costs nothing.
    private var slots: [UInt64] = []
    private var keys: [IndexKey] = []
    private var entries: [Entry] = []
    /// The tags of every state key in the store, while the table has seen them all; nil otherwise.
    private var existing: ExistingKeys?

    var count: Int { keys.count }

    /// Not used for a block yet (a new index, or one whose table was dropped).
    var isNew: Bool { slots.isEmpty }

    /// Starts from the tags of every state key the store holds, and keeps them as blocks are written.
    mutating func trackExistingKeys(_ keys: ExistingKeys) { existing = keys }

    /// Whether the store may hold the key a probe did not find: false only while the table tracks every key the
    /// store holds and none has the key's tag.
    func mayBeStored(_ probe: Probe) -> Bool {
        existing?.mayContain(probe.tag) ?? true
    }

    /// Records that a written batch gives the key with `tag` (its probe's) a value. Past `ExistingKeys.maxKeys` the
    /// tracking stops.
    mutating func noteStored(tag: UInt32) {
        if existing?.insert(tag) == false { existing = nil }
    }

    /// Called before each block: sizes the table once, and empties it when full. Never during a block, whose
    /// touched entries are its write set.
    mutating func prepareForBlock() {
        if slots.isEmpty {
            slots = Array(repeating: 0, count: Self.slotCount)
            keys.reserveCapacity(Self.capacity + 4_096)
            entries.reserveCapacity(Self.capacity + 4_096)
        }
        if count >= Self.capacity {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            keys.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
        }
    }

    /// The high half of the key's hash: murmur3's finalizer over the folded words and the seed.
    @inline(__always)
    static func tag(_ key: IndexKey) -> UInt32 {
        var h = key.folded ^ seed
        h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        h = (h ^ (h >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return UInt32(truncatingIfNeeded: (h ^ (h >> 33)) >> 32)
    }

    @inline(__always)
    func probe(_ key: IndexKey) -> Probe {
        let tag = Self.tag(key)
        let mask = slots.count - 1
        var slot = Int(tag) & mask
        while true {
            let content = slots[slot]
            if content == 0 { return Probe(index: nil, slot: slot, tag: tag) }
            if content >> 32 == UInt64(tag) {
                let index = Int(truncatingIfNeeded: content & 0xFFFF_FFFF) - 1
                if keys[index] == key { return Probe(index: index, slot: slot, tag: tag) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `key`, which `probe` did not find, with no other insert or removal since; returns its dense index.
    @inline(__always)
    mutating func insert(_ key: IndexKey, _ entry: Entry, at probe: Probe) -> Int {
        precondition(probe.index == nil, "insert of a key already in the table")
        let index = keys.count
        let content = UInt64(probe.tag) << 32 | UInt64(index + 1)
        if 2 * (index + 1) > slots.count {
            grow()
            slots[emptySlot(home: probe.tag)] = content
        } else {
            slots[probe.slot] = content
        }
        keys.append(key)
        entries.append(entry)
        return index
    }

    /// The entry at a dense index, in place.
    subscript(index: Int) -> Entry {
        _read { yield entries[index] }
        _modify { yield &entries[index] }
    }

    func key(at index: Int) -> IndexKey { keys[index] }

    @inline(__always)
    private func emptySlot(home tag: UInt32) -> Int {
        let mask = slots.count - 1
        var slot = Int(tag) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        return slot
    }

    /// Doubles the slots and places every key again by the tag its slot holds.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: max(Self.slotCount, 2 * old.count))
        for content in old where content != 0 { slots[emptySlot(home: UInt32(content >> 32))] = content }
    }

    /// The slot holding dense index `index`.
    private func slot(of index: Int) -> Int {
        let mask = slots.count - 1
        var slot = Int(Self.tag(keys[index])) & mask
        while slots[slot] & 0xFFFF_FFFF != UInt64(index + 1) { slot = (slot + 1) & mask }
        return slot
    }

    /// Removes the entry at `index`: empties its slot (shifting the run after it back, so no probe stops early)
    /// and moves the last dense entry into the hole. Removing indices in decreasing order keeps the ones still to
    /// be removed where they are.
    mutating func remove(at index: Int) {
        let mask = slots.count - 1
        var hole = slot(of: index)
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let home = Int(truncatingIfNeeded: slots[next] >> 32) & mask
            // The entry at `next` may move back to the hole unless its home lies after the hole, up to `next`.
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeAfterHole {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        let last = keys.count - 1
        if index != last {
            let moved = slot(of: last)
            slots[moved] = slots[moved] & 0xFFFF_FFFF_0000_0000 | UInt64(index + 1)
            keys[index] = keys[last]
            entries[index] = entries[last]
        }
        keys.removeLast()
        entries.removeLast()
    }
}
