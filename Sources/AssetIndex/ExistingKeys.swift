/// The hash tags of every state key the store holds: filled by one scan of the state tables when a state table
/// starts out (nothing to scan on a first sync or a reindex), then kept as blocks are written, until the set would
/// pass `maxKeys`. A key whose tag is not in the set is absent from the store, so the index does not read it: every
/// key a block touches for the first time (a token's first owner, a holder's first balance of an id) is such a key
/// unless it was touched before, and those reads were all of the index's store reads. Tags of different keys may be
/// equal: that costs a read, never a wrong answer. Tags of deleted keys stay: the same. A revert drops the set (it
/// brings back keys the set may never have seen), and the next block scans again.
struct ExistingKeys {
    /// Most keys tracked: 4 bytes a slot, at most half the slots used, so 16 MiB at most. Past it the set is
    /// dropped and the index reads the store again for keys its state table does not hold.
    static let maxKeys = 1 << 21
    static let initialSlots = 1 << 16

    /// Per slot: 0 when empty, else a tag (a zero tag is stored as 1).
    private var slots = [UInt32](repeating: 0, count: initialSlots)
    private(set) var count = 0

    /// Whether a key with this tag may be in the store.
    @inline(__always)
    func mayContain(_ tag: UInt32) -> Bool { find(max(tag, 1)).found }

    /// Adds a tag; false when the set is full and must be dropped.
    mutating func insert(_ tag: UInt32) -> Bool {
        let tag = max(tag, 1)
        let (found, slot) = find(tag)
        if found { return true }
        guard count < Self.maxKeys else { return false }
        if 2 * (count + 1) > slots.count {
            let old = slots
            slots = [UInt32](repeating: 0, count: 2 * old.count)
            for content in old where content != 0 { place(content) }
            place(tag)
        } else {
            slots[slot] = tag
        }
        count += 1
        return true
    }

    /// The slot holding `tag` (non-zero), or the empty slot where it would go.
    @inline(__always)
    private func find(_ tag: UInt32) -> (found: Bool, slot: Int) {
        let mask = slots.count - 1
        var slot = Int(tag) & mask
        while true {
            let content = slots[slot]
            if content == tag { return (true, slot) }
            if content == 0 { return (false, slot) }
            slot = (slot + 1) & mask
        }
    }

    private mutating func place(_ tag: UInt32) {
        slots[find(tag).slot] = tag
    }
}
