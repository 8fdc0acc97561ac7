import EthPrimitives
import EthRLP
import EthTrie
import EthTypes
import Testing
import TestSupport

@testable import Store

@Suite("Block store")
struct BlockStoreTests {
    /// A legacy receipt with `logs` logs of random data: `rlp([status, cumulativeGasUsed, logsBloom, logs])`.
    static func receipt(logs: Int, _ rng: inout SplitMix64) -> [UInt8] {
        var e = RLPEncoder()
        e.appendList { e in
            e.append(UInt64(1))
            e.append(UInt64(21_000))
            e.append(bytes: [UInt8](repeating: 0, count: 256))
            e.appendList { e in
                for _ in 0..<logs {
                    e.appendList { e in
                        e.append(bytes: rng.bytes(20))
                        e.appendList { e in e.append(bytes: rng.bytes(32)) }
                        e.append(bytes: rng.bytes(Int.random(in: 0...64, using: &rng)))
                    }
                }
            }
        }
        return e.bytes
    }

    @Test(arguments: Backend.allCases)
    func wholeBodiesRoundTripPlainAndWithDictionary(_ backend: Backend) throws {
        let (kv, cleanup) = try backend.make()
        defer { cleanup() }
        var rng = SplitMix64(seed: 3)
        let samples = (0..<100).map { _ in Self.receipt(logs: Int.random(in: 0...3, using: &rng), &rng) }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 4096)
        for (number, dict) in [(UInt64(7), nil), (UInt64(8), dictionary)] as [(UInt64, ZstdDictionary?)] {
            let blocks = BlockStore(store: kv, dictionary: dict)
            try blocks.saveDictionary()
            let txs = (0..<5).map { _ in rng.bytes(Int.random(in: 1...200, using: &rng)) }
            let receipts = Array(samples.prefix(5))
            let header = rng.bytes(500)
            var batch = WriteBatch()
            // Every transaction kept: the body is whole.
            let body = BlockStore.NewBody(transactions: txs, receipts: receipts, kept: Array(0..<5))
            for (key, value) in try blocks.entries(number: number, hash: Hash32(bytes: rng.bytes(32))!, header: header, body: body) {
                batch.put(key, value)
            }
            try kv.write(batch)
            #expect(try blocks.header(number: number) == header)
            // Read through a store handle that was given no dictionary: the stored one is used.
            let read = try #require(try BlockStore(store: kv).body(number: number, transactionsRoot: .zero, receiptsRoot: .zero))
            #expect(read.isWhole)
            #expect(read.items.map(\.transaction) == txs)
            #expect(read.items.map(\.receipt) == receipts)
            let logCounts = try receipts.map { try Receipt(encoded: $0).logs.count }
            #expect(read.items.map(\.firstLogIndex) == logCounts.indices.map { logCounts[..<$0].reduce(0, +) })
            #expect(try MerklePatriciaTrie.verify(root: OrderedTrie.root(receipts), key: OrderedTrie.key(3), proof: read.receiptProof(of: 3)) == receipts[3])
            #expect(try MerklePatriciaTrie.verify(root: OrderedTrie.root(txs), key: OrderedTrie.key(3), proof: read.transactionProof(of: 3)) == txs[3])
        }
        #expect(try BlockStore(store: kv).numbersWithBodies() == [7, 8])
        #expect(try BlockStore(store: kv).body(number: 9, transactionsRoot: .zero, receiptsRoot: .zero) == nil)
    }

    @Test func damagedBodiesAreReported() throws {
        let blocks = BlockStore(store: MemoryStore())
        func decode(_ blob: [UInt8]) throws { _ = try blocks.decodeBody(blob, transactionsRoot: .zero, receiptsRoot: .zero) }
        #expect(throws: StoreError.self) { try decode([]) }
        #expect(throws: StoreError.self) { try decode([9, 1, 2]) }
        #expect(throws: StoreError.self) { try decode([1] + (try Zstd.compress([0xc0]))) }  // dictionary missing
        #expect(throws: StoreError.corrupt("block body: trailingBytes")) { try decode([0] + (try Zstd.compress([0xc2, 0xc0, 0xc0, 0x00]))) }
        #expect(throws: StoreError.corrupt("a stored receipt does not decode: truncated")) {
            try decode([0] + (try Zstd.compress([0xc4, 0xc1, 0x01, 0xc1, 0x02])))  // a receipt that is not a list
        }
        #expect(throws: StoreError.self) { try decode([0] + (try Zstd.compress([0xc3, 0xc1, 0x01, 0xc0]))) }  // 1 tx, 0 receipts
    }
}

/// Partial bodies of the real blocks: only some transactions kept, read back through their tries from the
/// header's roots, with the very proofs a whole body gives.
@Suite("Block store on real blocks", .needsVectors)
struct PartialBodyTests {
    struct RealBody {
        let name: String
        let transactionsRoot: Hash32
        let receiptsRoot: Hash32
        let transactions: [[UInt8]]
        let receipts: [[UInt8]]
    }

    static func bodies() throws -> [RealBody] {
        try Vectors.files(in: "blocks").compactMap { name in
            let json = try #require(try Vectors.json(name) as? [String: Any])
            guard let raw = json["raw"] as? [String: Any], let txs = raw["transactions"] as? [String], !txs.isEmpty,
                let receipts = raw["receipts"] as? [String], let fields = json["headerFields"] as? [String: Any]
            else { return nil }
            return RealBody(
                name: name, transactionsRoot: try Hash32(hex: fields["transactionsRoot"] as! String),
                receiptsRoot: try Hash32(hex: fields["receiptsRoot"] as! String),
                transactions: txs.map { bytes(fromHex: $0) }, receipts: receipts.map { bytes(fromHex: $0) })
        }
    }

    @Test func partialBodiesReadBackProvenAndWithTheirProofs() throws {
        let bodies = try Self.bodies()
        #expect(bodies.count >= 30)
        let blocks = BlockStore(store: MemoryStore())
        var partialChosen = 0
        for real in bodies {
            let count = real.transactions.count
            // Every tenth transaction and the last, as if those had emitted the watched events.
            var kept = (0..<count).filter { $0 % 10 == 3 }
            if kept.last != count - 1 { kept.append(count - 1) }
            let new = BlockStore.NewBody(transactions: real.transactions, receipts: real.receipts, kept: kept)
            let whole = try blocks.decodeBody(try blocks.encodeWhole(transactions: real.transactions, receipts: real.receipts), transactionsRoot: real.transactionsRoot, receiptsRoot: real.receiptsRoot)
            let partialBlob = try blocks.encodePartial(new)
            let partial = try blocks.decodeBody(partialBlob, transactionsRoot: real.transactionsRoot, receiptsRoot: real.receiptsRoot)
            #expect(!partial.isWhole && !BlockStore.isWhole(partialBlob))
            #expect(partial.items == kept.map { whole.items[$0] }, "\(real.name)")
            for index in kept {
                let receiptProof = try partial.receiptProof(of: index), transactionProof = try partial.transactionProof(of: index)
                #expect(try receiptProof == whole.receiptProof(of: index) && transactionProof == whole.transactionProof(of: index), "\(real.name) item \(index)")
                #expect(try MerklePatriciaTrie.verify(root: real.receiptsRoot, key: OrderedTrie.key(index), proof: receiptProof) == real.receipts[index])
                #expect(try MerklePatriciaTrie.verify(root: real.transactionsRoot, key: OrderedTrie.key(index), proof: transactionProof) == real.transactions[index])
            }
            #expect(partial.item(at: kept[0]) == whole.items[kept[0]])
            if kept[0] > 0 { #expect(partial.item(at: kept[0] - 1) == nil) }
            // The store keeps whichever is smaller.
            let chosen = try blocks.encodeBody(new)
            #expect(chosen.count == min(partialBlob.count, try blocks.encodeWhole(transactions: real.transactions, receipts: real.receipts).count))
            // Past a few transactions, the tries' upper nodes cost less than the other nine tenths of the body.
            if count >= 10 {
                #expect(!BlockStore.isWhole(chosen), "\(real.name): \(partialBlob.count) bytes partial, \(chosen.count) chosen")
                partialChosen += 1
            }
            // Read against another block's roots, the nodes prove nothing.
            #expect(throws: StoreError.self) { try blocks.decodeBody(partialBlob, transactionsRoot: real.receiptsRoot, receiptsRoot: real.transactionsRoot) }
        }
        #expect(partialChosen >= 6)
    }

    /// A changed bit in a partial body's nodes is an error, never a different transaction or receipt.
    @Test func aDamagedNodeIsAnError() throws {
        let real = try #require(try Self.bodies().first { $0.transactions.count > 20 })
        let blocks = BlockStore(store: MemoryStore())
        let new = BlockStore.NewBody(transactions: real.transactions, receipts: real.receipts, kept: [2, 17])
        let blob = try blocks.encodePartial(new)
        let raw = try Zstd.decompress(Array(blob.dropFirst()))
        var rng = SplitMix64(seed: 11)
        for _ in 0..<200 {
            var damaged = raw
            // Past the item list: a byte of some trie node, every one of which is on a kept item's path.
            let at = Int.random(in: 16..<damaged.count, using: &rng)
            damaged[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            #expect(throws: StoreError.self, "byte \(at)") {
                try blocks.decodeBody([2] + (try Zstd.compress(damaged)), transactionsRoot: real.transactionsRoot, receiptsRoot: real.receiptsRoot)
            }
        }
    }
}
