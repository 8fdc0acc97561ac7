import EthCrypto
import EthPrimitives
import EthTypes
import Store
import Testing
import TokenEvents
import TestSupport

@testable import AssetIndex

/// Generated chains: apply N blocks, revert k, apply another branch. The store must equal, byte for byte, a fresh
/// index of the final chain, and every answer must equal a plain model that replays the same events.
@Suite("Index property: apply, revert, re-apply")
struct IndexPropertyTests {
    static let erc721 = [Address(bytes: [UInt8](repeating: 0x71, count: 20))!, Address(bytes: [UInt8](repeating: 0x72, count: 20))!]
    static let erc1155 = Address(bytes: [UInt8](repeating: 0x55, count: 20))!
    static let erc20 = Address(bytes: [UInt8](repeating: 0x20, count: 20))!
    static let holders = (1...5).map { Address(bytes: [UInt8](repeating: 0, count: 19) + [UInt8($0)])! }

    /// Random blocks of events over a small universe, so tokens change hands, burn, re-mint and underflow.
    static func chain(from start: UInt64, count: Int, rng: inout SplitMix64, parentHash: Hash32) -> [IndexedBlock] {
        var blocks: [IndexedBlock] = []
        var parent = parentHash
        for n in start..<start + UInt64(count) {
            var logs: [IndexedLog] = [], txs: [IndexedTransaction] = []
            let hash = Hash32(bytes: rng.bytes(32))!
            for t in 0..<Int.random(in: 0...4, using: &rng) {
                let sender = holders.randomElement(using: &rng)!
                let who = { (r: inout SplitMix64) in Bool.random(using: &r) && Bool.random(using: &r) ? Address.zero : holders.randomElement(using: &r)! }
                let contract721 = erc721.randomElement(using: &rng)!
                let id = UInt256(UInt64.random(in: 1...6, using: &rng))
                var input: [UInt8] = []
                let event: TokenEvent
                var contract = contract721
                switch Int.random(in: 0..<7, using: &rng) {
                case 0, 1: event = .erc721Transfer(from: who(&rng), to: who(&rng), tokenId: id)
                case 2:
                    contract = erc1155
                    event = .transferSingle(operator: sender, from: who(&rng), to: who(&rng), id: id, value: UInt256(UInt64.random(in: 1...5, using: &rng)))
                case 3:
                    contract = erc1155
                    let ids = (0..<Int.random(in: 1...3, using: &rng)).map { _ in UInt256(UInt64.random(in: 1...4, using: &rng)) }
                    // Ids may repeat within a batch, as the standard allows.
                    event = .transferBatch(operator: sender, from: who(&rng), to: who(&rng), ids: ids, values: ids.map { _ in UInt256(UInt64.random(in: 1...5, using: &rng)) })
                case 4:
                    // Now and then an ERC-721 contract emits an ERC-20 transfer too: a mixed contract, whose holder
                    // entries the index must read instead of deriving them from one standard's invariants.
                    contract = Int.random(in: 0..<8, using: &rng) == 0 ? contract721 : erc20
                    event = .erc20Transfer(from: who(&rng), to: who(&rng), value: UInt256(UInt64.random(in: 1...1000, using: &rng)))
                case 5: event = .updateUser(tokenId: id, user: who(&rng), expires: UInt64.random(in: 0...2000, using: &rng))
                default:
                    let prompt = Array("prompt \(rng.next() % 100)".utf8), output = rng.bytes(Int.random(in: 0...40, using: &rng))
                    let proof = rng.bytes(Int.random(in: 0...8, using: &rng))
                    input = ABIEncoding.call("addAigcData(uint256,bytes,bytes,bytes)", static: [id], dynamic: [prompt, output, proof].map(ABIEncoding.bytes))
                    event = .aigcData(tokenId: id, promptHash: keccak256(prompt), aigcDataHash: keccak256(output), proof: proof)
                }
                let txHash = Hash32(bytes: rng.bytes(32))!
                txs.append(IndexedTransaction(hash: txHash, index: UInt32(t), sender: sender, to: contract, input: input))
                logs.append(IndexedLog(log: event.log(contract: contract), transactionIndex: UInt32(t), logIndex: UInt32(logs.count)))
            }
            blocks.append(IndexedBlock(number: n, hash: hash, timestamp: 1000 + n * 12, transactions: txs, logs: logs))
            parent = hash
        }
        _ = parent
        return blocks
    }

    /// The second ERC-721 contract is declared both ERC-20 and ERC-721 (a mixed contract, whose `Transfer` logs are
    /// read by their topic count and whose holder entries the index must read rather than derive from one standard's
    /// invariants); the first is left to detection, so its ERC-20-shaped logs read as ERC-721 transfers.
    static let declaration = WatchRecord(
        chain: "test", startBlocks: Dictionary(uniqueKeysWithValues: (erc721 + [erc1155, erc20]).map { ($0, 0) }),
        standards: [erc721[1]: Standards([.erc20, .erc721]).rawValue])

    static func digest(_ store: MemoryStore) throws -> Hash32 {
        var hasher = Keccak256()
        for (key, value) in try store.scan(prefix: []) {
            hasher.update(KeyCoding.be32(UInt32(key.count)) + key + KeyCoding.be32(UInt32(value.count)) + value)
        }
        return hasher.finalize()
    }

    @Test func revertThenReapplyEqualsFreshIndex() throws {
        var rng = SplitMix64(seed: 0x1d3)
        var revertedBlocks = 0
        for _ in 0..<200 {
            let n = Int.random(in: 1...14, using: &rng)
            let first = Self.chain(from: 0, count: n, rng: &rng, parentHash: .zero)
            let store = MemoryStore()
            try Self.declaration.write(to: store)
            let index = AssetIndex(store: store, undoWindow: 16)
            for block in first { try index.apply(block) }
            let k = Int.random(in: 0...n, using: &rng)
            let keep = n - k
            if keep == 0 {
                // Reverting everything is not possible (block 0 has no parent state); keep at least block 0.
                continue
            }
            try index.revert(to: UInt64(keep - 1))
            revertedBlocks += k
            #expect(try index.cursor()?.number == UInt64(keep - 1) && index.cursor()?.hash == first[keep - 1].hash)
            let branch = Self.chain(from: UInt64(keep), count: Int.random(in: 0...8, using: &rng), rng: &rng, parentHash: first[keep - 1].hash)
            for block in branch { try index.apply(block) }

            let finalChain = Array(first[0..<keep]) + branch
            let freshStore = MemoryStore()
            try Self.declaration.write(to: freshStore)
            let fresh = AssetIndex(store: freshStore, undoWindow: 16)
            for block in finalChain { try fresh.apply(block) }
            #expect(try Self.digest(store) == Self.digest(freshStore), "store differs from a fresh index of the final chain")
            // The cursor the index keeps in memory is the one stored (a second index over the store reads it).
            #expect(try index.cursor()! == AssetIndex(store: store).cursor()!)
            try IndexModel(chain: finalChain, declared: Self.declaration.standards.mapValues { Standards(rawValue: $0) }).check(against: index, rng: &rng)
        }
        #expect(revertedBlocks > 500)
    }

    /// An index knows which state keys the store holds (from a scan of the state tables when its table starts out,
    /// then from what it writes), and reads only keys that exist or existed; it writes the same bytes, undo records
    /// included, as indexes that do not know and read every key they do not hold (a new one per block, as after a
    /// restart each time). Debug builds also check each key it took for absent.
    @Test func anIndexKnowsWhichKeysExist() throws {
        var rng = SplitMix64(seed: 0xe715)
        let chain = Self.chain(from: 0, count: 400, rng: &rng, parentHash: .zero)
        let knowing = MemoryStore(), reading = MemoryStore(), restarting = MemoryStore()
        let index = AssetIndex(store: knowing)
        var known = ApplyStats(), read = ApplyStats(), restarted = ApplyStats()
        func add(_ stats: ApplyStats, to total: inout ApplyStats) {
            total.keysRead += stats.keysRead
            total.keysReadAbsent += stats.keysReadAbsent
        }
        for block in chain {
            add(try index.apply(block), to: &known)
            add(try AssetIndex(store: reading, tracksExistingKeys: false).apply(block), to: &read)
            // A new index per block scans the store's state keys before its block.
            add(try AssetIndex(store: restarting).apply(block), to: &restarted)
        }
        #expect(try Self.digest(knowing) == Self.digest(reading))
        #expect(try Self.digest(restarting) == Self.digest(reading))
        // What the first still reads are keys its table dropped (holder entries of a mixed contract), some deleted
        // since: a deleted key's tag stays in the set.
        #expect(known.keysRead * 20 < read.keysRead && known.keysReadAbsent * 20 < read.keysReadAbsent,
                "\(known.keysRead) reads (\(known.keysReadAbsent) absent) against \(read.keysRead) (\(read.keysReadAbsent))")
        #expect(read.keysReadAbsent > 100)
        // Restarted every block, an index reads every key it touches that exists, but none that does not.
        #expect(restarted.keysReadAbsent == 0 && restarted.keysRead == read.keysRead - read.keysReadAbsent,
                "\(restarted.keysRead) reads (\(restarted.keysReadAbsent) absent)")
    }

    /// A damaged store stops indexing with an error that says what is wrong, before anything is written: a key
    /// under a state prefix too long for any layout (met by the scan of state keys), a state value longer than any
    /// the index writes (met when a block reads it).
    @Test func aDamagedStateTableIsAnError() throws {
        var rng = SplitMix64(seed: 0xbad)
        let block = Self.chain(from: 0, count: 1, rng: &rng, parentHash: .zero)[0]
        let longKey = MemoryStore()
        try longKey.put([Schema.owner.rawValue] + [UInt8](repeating: 1, count: 100), [1])
        #expect(throws: IndexError.corrupt("a state key of 101 bytes")) { try AssetIndex(store: longKey).apply(block) }
        #expect(try AssetIndex(store: longKey).cursor() == nil)

        let longValue = MemoryStore()
        let key = IndexKey.contractStandards(Self.erc721[0])
        try longValue.put(key.bytes, [UInt8](repeating: 1, count: 41))
        let mint = IndexedBlock(number: 0, hash: .zero, timestamp: 0, transactions: [], logs: [
            IndexedLog(log: TokenEvent.erc721Transfer(from: .zero, to: Self.holders[0], tokenId: UInt256(1)).log(contract: Self.erc721[0]),
                       transactionIndex: 0, logIndex: 0)
        ])
        #expect(throws: IndexError.corrupt("the contractStandards value of key \(Hex.encode(key.bytes)) is damaged: 41 bytes, expected 1")) {
            try AssetIndex(store: longValue).apply(mint)
        }
        #expect(try AssetIndex(store: longValue).cursor() == nil)

        // A balance cut short is damage too, not a smaller balance: balances are stored at their full 32 bytes.
        let shortBalance = MemoryStore()
        let count = IndexKey.holderBalance(Self.erc721[0], Self.holders[0])
        try shortBalance.put(count.bytes, [1])
        let index = AssetIndex(store: shortBalance)
        #expect(throws: IndexError.corrupt("the holderBalance value of key \(Hex.encode(count.bytes)) is damaged: 1 bytes, expected 32")) {
            try index.balanceOf(contract: Self.erc721[0], holder: Self.holders[0])
        }
        let burn = IndexedBlock(number: 0, hash: .zero, timestamp: 0, transactions: [], logs: [
            IndexedLog(log: TokenEvent.erc721Transfer(from: .zero, to: Self.holders[0], tokenId: UInt256(1)).log(contract: Self.erc721[0]),
                       transactionIndex: 0, logIndex: 0)
        ])
        #expect(throws: IndexError.self) { try index.apply(burn) }
        #expect(try index.cursor() == nil)
    }

    /// The set of existing keys' tags against a `Set`: every inserted tag found, and one the set was never given
    /// found only where it shares a slot run's tag (never, for distinct tags); full at `maxKeys`.
    @Test func existingKeysHoldWhatWasInserted() {
        var rng = SplitMix64(seed: 0x7a65)
        var set = ExistingKeys(), model = Set<UInt32>()
        for _ in 0..<300_000 {
            let tag = UInt32(truncatingIfNeeded: rng.next())
            let inserted = set.insert(tag)
            #expect(inserted)
            model.insert(max(tag, 1))
        }
        #expect(set.count == model.count)
        #expect(model.allSatisfy { set.mayContain($0) })
        var absent = 0
        for _ in 0..<100_000 {
            let tag = UInt32(truncatingIfNeeded: rng.next())
            if !model.contains(max(tag, 1)) {
                absent += 1
                #expect(!set.mayContain(tag))
            }
        }
        #expect(absent > 90_000)
        var tag: UInt32 = 1
        while set.count < ExistingKeys.maxKeys {
            _ = set.insert(tag)
            tag &+= 0x9E37_79B9
        }
        let overFull = set.insert(tag)
        #expect(!overFull)
    }

    @Test func revertBeyondTheWindowIsRefused() throws {
        var rng = SplitMix64(seed: 5)
        let index = AssetIndex(store: MemoryStore(), undoWindow: 4)
        for block in Self.chain(from: 0, count: 10, rng: &rng, parentHash: .zero) { try index.apply(block) }
        #expect(throws: IndexError.self) { try index.revert(to: 2) }
        #expect(try index.cursor()?.number == 9, "a refused revert changes nothing")
        try index.revert(to: 5)
        #expect(throws: IndexError.notNext(expected: 6, got: 9)) {
            try index.apply(IndexedBlock(number: 9, hash: .zero, timestamp: 0, transactions: [], logs: []))
        }
    }
}
