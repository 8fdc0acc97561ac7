import Testing
import VectorSupport

@testable import Store

@Suite("Block store")
struct BlockStoreTests {
    @Test(arguments: Backend.allCases)
    func bodiesRoundTripPlainAndWithDictionary(_ backend: Backend) throws {
        let (kv, cleanup) = try backend.make()
        defer { cleanup() }
        var rng = SplitMix64(seed: 3)
        let samples = (0..<100).map { _ in [0xf9, 0x01] + rng.bytes(Int.random(in: 50...300, using: &rng)) + [UInt8](repeating: 0, count: 256) }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 4096)
        for (number, dict) in [(UInt64(7), nil), (UInt64(8), dictionary)] as [(UInt64, ZstdDictionary?)] {
            let blocks = BlockStore(store: kv, dictionary: dict)
            try blocks.saveDictionary()
            let txs = (0..<5).map { _ in rng.bytes(Int.random(in: 1...200, using: &rng)) }
            let receipts = Array(samples.prefix(5))
            let header = rng.bytes(500)
            var batch = WriteBatch()
            for (key, value) in try blocks.entries(number: number, hash: rng.bytes(32), header: header, transactions: txs, receipts: receipts) {
                batch.put(key, value)
            }
            try kv.write(batch)
            #expect(try blocks.block(number: number) == BlockStore.Block(header: header, transactions: txs, receipts: receipts))
            // Read through a store handle that was given no dictionary: the stored one is used.
            #expect(try BlockStore(store: kv).block(number: number)?.receipts == receipts)
        }
        #expect(try BlockStore(store: kv).numbersWithBodies() == [7, 8])
        #expect(try BlockStore(store: kv).block(number: 9) == nil)
    }

    @Test func damagedBodiesAreReported() throws {
        let kv = MemoryStore()
        let blocks = BlockStore(store: kv)
        #expect(throws: StoreError.self) { try blocks.decodeBody([]) }
        #expect(throws: StoreError.self) { try blocks.decodeBody([9, 1, 2]) }
        #expect(throws: StoreError.self) { try blocks.decodeBody([1] + (try Zstd.compress([0xc0]))) }  // dictionary missing
        #expect(throws: StoreError.corrupt("block body: trailingBytes")) { try blocks.decodeBody([0] + (try Zstd.compress([0xc2, 0xc0, 0xc0, 0x00]))) }
    }
}
