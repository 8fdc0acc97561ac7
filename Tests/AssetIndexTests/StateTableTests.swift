import EthPrimitives
import Testing
import VectorSupport

@testable import AssetIndex

/// The index's open-addressed state table against a `Dictionary` doing the same inserts, updates and removals:
/// filled to its capacity over a few thousand keys that share long prefixes (as index keys do), so probe runs
/// form and removals shift them.
@Suite("State table")
struct StateTableTests {
    @Test func agreesWithADictionary() {
        var rng = SplitMix64(seed: 0x57a7e)
        var table = StateTable()
        table.prepareForBlock()
        var model: [IndexKey: [UInt8]] = [:]
        let contract = Address(bytes: [UInt8](repeating: 0x71, count: 20))!
        func key(_ n: UInt64) -> IndexKey { .owner(contract, UInt256(n)) }
        func value(_ n: UInt64) -> [UInt8] { Array("value \(n)".utf8) }
        for round in 0..<200_000 {
            let n = rng.next() % 80_000
            let k = key(n)
            switch rng.next() % 3 {
            case 0, 1:
                // Insert or update.
                let wasThere = table.withEntry(k) { entry -> Bool in
                    defer { entry = StateTable.Entry(committed: value(UInt64(round)), current: nil, touched: false, keep: true, unknown: false) }
                    return !entry.unknown
                }
                #expect(wasThere == (model[k] != nil), "round \(round)")
                model[k] = value(UInt64(round))
            default:
                // Remove, if there.
                table.finishEntry(k) { _ in false }
                model[k] = nil
            }
            if table.count >= StateTable.capacity - 1 { break }
        }
        #expect(table.count == model.count && model.count > 10_000, "\(table.count) \(model.count)")
        for (k, v) in model {
            #expect(table.withEntry(k) { $0.committed } == v)
        }
        // Absent keys come back unknown; looking them up adds them, and removing them again restores the count.
        let before = table.count
        for n in 80_000..<80_100 {
            #expect(table.withEntry(key(UInt64(n))) { $0.unknown })
            table.finishEntry(key(UInt64(n))) { _ in false }
        }
        #expect(table.count == before)
        // Full: the next block starts over.
        for n in 100_000..<UInt64(100_000 + StateTable.capacity) { _ = table.withEntry(key(n)) { $0.unknown } }
        table.prepareForBlock()
        #expect(table.count == 0)
        #expect(table.withEntry(key(1)) { $0.unknown })
    }

    /// One block may touch more keys than the table keeps between blocks (an ERC-1155 batch of thousands of ids):
    /// the table grows instead of running out of slots, and every key stays found.
    @Test func oneBlockBeyondTheCapacityGrowsTheTable() {
        var table = StateTable()
        table.prepareForBlock()
        let contract = Address(bytes: [UInt8](repeating: 0x55, count: 20))!
        let total = StateTable.slotCount + 5_000  // more keys than the table has slots at first
        for n in 0..<total {
            let fresh = table.withEntry(.owner(contract, UInt256(UInt64(n)))) { entry -> Bool in
                defer { entry = StateTable.Entry(committed: [UInt8(n & 0xff)], current: nil, touched: true, keep: true, unknown: false) }
                return entry.unknown
            }
            if !fresh { Issue.record("key \(n) found before it was added"); return }
        }
        #expect(table.count == total)
        for n in stride(from: 0, to: total, by: 97) {
            #expect(table.withEntry(.owner(contract, UInt256(UInt64(n)))) { $0.committed } == [UInt8(n & 0xff)])
        }
        table.prepareForBlock()
        #expect(table.count == 0)
    }
}
