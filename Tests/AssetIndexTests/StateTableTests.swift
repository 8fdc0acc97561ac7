import EthPrimitives
import Testing
import TestSupport

@testable import AssetIndex

/// The index's open-addressed state table against a `Dictionary` doing the same inserts, updates and removals:
/// filled to its capacity over a few thousand keys that share long prefixes (as index keys do), so probe runs
/// form and removals shift them.
@Suite("State table")
struct StateTableTests {
    static let contract = Address(bytes: [UInt8](repeating: 0x71, count: 20))!
    static func key(_ n: UInt64) -> IndexKey { .owner(contract, UInt256(n)) }
    static func value(_ n: UInt64) -> StateValue { StateValue(minimal: UInt256(n)) }

    /// Inserts `key` if absent, else sets its committed value; returns whether it was there.
    static func put(_ table: inout StateTable, _ key: IndexKey, _ value: StateValue?, keep: Bool = true) -> Bool {
        let probe = table.probe(key)
        if let index = probe.index {
            table[index].committed = value
            return true
        }
        _ = table.insert(key, StateTable.Entry(committed: value, touch: -1, keep: keep), at: probe)
        return false
    }

    @Test func agreesWithADictionary() {
        var rng = SplitMix64(seed: 0x57a7e)
        var table = StateTable()
        table.prepareForBlock()
        var model: [IndexKey: StateValue] = [:]
        for round in 0..<200_000 {
            let k = Self.key(rng.next() % 80_000)
            switch rng.next() % 3 {
            case 0, 1:
                let wasThere = Self.put(&table, k, Self.value(UInt64(round)))
                #expect(wasThere == (model[k] != nil), "round \(round)")
                model[k] = Self.value(UInt64(round))
            default:
                if let index = table.probe(k).index { table.remove(at: index) }
                model[k] = nil
            }
            if table.count >= StateTable.capacity - 1 { break }
        }
        #expect(table.count == model.count && model.count > 10_000, "\(table.count) \(model.count)")
        for (k, v) in model {
            let index = table.probe(k).index
            #expect(index.map { table[$0].committed } == v)
            #expect(index.map { table.key(at: $0) } == k)
        }
        // Removing several at once, highest dense index first (as a block's end does), leaves the rest found.
        let some = model.keys.prefix(5_000).compactMap { table.probe($0).index }.sorted(by: >)
        let removed = Set(some.map { table.key(at: $0) })
        for index in some { table.remove(at: index) }
        for (k, v) in model {
            let index = table.probe(k).index
            if removed.contains(k) {
                #expect(index == nil)
            } else {
                #expect(index.map { table[$0].committed } == v)
            }
        }
        #expect(table.count == model.count - removed.count)
        // Full: the next block starts over.
        var n: UInt64 = 100_000
        while table.count < StateTable.capacity {
            _ = Self.put(&table, Self.key(n), nil)
            n += 1
        }
        table.prepareForBlock()
        #expect(table.count == 0)
        #expect(table.probe(Self.key(1)).index == nil)
    }

    /// One block may touch more keys than the table keeps between blocks (an ERC-1155 batch of thousands of ids):
    /// the table grows instead of running out of slots, and every key stays found.
    @Test func oneBlockBeyondTheCapacityGrowsTheTable() {
        var table = StateTable()
        table.prepareForBlock()
        let total = StateTable.slotCount + 5_000  // more keys than the table has slots at first
        for n in 0..<total {
            if Self.put(&table, Self.key(UInt64(n)), StateValue(byte: UInt8(n & 0xff))) {
                Issue.record("key \(n) found before it was added")
                return
            }
        }
        #expect(table.count == total)
        for n in stride(from: 0, to: total, by: 97) {
            #expect(table.probe(Self.key(UInt64(n))).index.map { table[$0].committed } == StateValue(byte: UInt8(n & 0xff)))
        }
        table.prepareForBlock()
        #expect(table.count == 0)
    }

    /// Inline state values hold what the index writes, byte for byte as the arrays they replace.
    @Test func stateValuesKeepTheirBytes() {
        for n: UInt256 in [UInt256(1), UInt256(0xff), UInt256(0x100), UInt256.max, UInt256(1) << 200] {
            #expect(StateValue(minimal: n).bytes == n.minimalBigEndianBytes)
            #expect(StateValue(minimal: n).bigEndian == n)
            #expect(StateValue(balance: n).bytes == Array(repeating: 0, count: 32 - n.minimalBigEndianBytes.count) + n.minimalBigEndianBytes)
            #expect(StateValue(balance: n).bigEndian == n)
        }
        #expect(StateValue(minimal: .zero).bytes == [])
        let owner = StateValue(Self.contract, be64: 0x0102_0304_0506_0708)
        #expect(owner.bytes == Self.contract.bytes + [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(owner.address == Self.contract)
        let hash = Hash32(bytes: [UInt8](repeating: 0xab, count: 32))!
        #expect(StateValue(be64: 7, hash).bytes == [0, 0, 0, 0, 0, 0, 0, 7] + hash.bytes)
        #expect(StateValue(checked: Array(0..<40)).bytes == Array(0..<40))
        #expect(StateValue(byte: 3) != StateValue(checked: [3, 0]))
        #expect(StateValue(byte: 3).first == 3 && StateValue(checked: []).first == nil)
    }
}
