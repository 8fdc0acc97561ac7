import AssetIndex
import EthCrypto
import EthPrimitives
import EthTypes
import Foundation
import Store
import TokenEvents

/// Events indexed per second into LevelDB (decode, state, one batch per block), next to raw LevelDB batch writes
/// of exactly the keys and values the index wrote, in the same run; and bytes on disk per event.
enum IndexBenchmark {
    static let blocks = 2_000
    static let eventsPerBlock = 50

    /// A deterministic workload: ERC-721 mints and transfers, ERC-1155 and ERC-20 transfers, rentals.
    static func workload() -> [IndexedBlock] {
        var state: UInt64 = 0x5eed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let holders = (0..<1_000).map { i in Address(bytes: keccak256(Array("holder \(i)".utf8)).bytes[12...])! }
        let nft = Address(bytes: [UInt8](repeating: 0x71, count: 20))!
        let multi = Address(bytes: [UInt8](repeating: 0x55, count: 20))!
        let shares = Address(bytes: [UInt8](repeating: 0x20, count: 20))!
        var owners: [UInt64: Address] = [:]
        var nextToken: UInt64 = 1
        return (0..<blocks).map { n in
            var logs: [IndexedLog] = []
            var txs: [IndexedTransaction] = []
            for i in 0..<eventsPerBlock {
                let holder = holders[Int(next() % 1_000)], other = holders[Int(next() % 1_000)]
                let event: TokenEvent
                let contract: Address
                switch next() % 10 {
                case 0, 1, 2:
                    event = .erc721Transfer(from: .zero, to: holder, tokenId: UInt256(nextToken))
                    owners[nextToken] = holder
                    nextToken += 1
                    contract = nft
                case 3, 4:
                    let id = 1 + next() % (nextToken - 1 == 0 ? 1 : nextToken - 1)
                    event = .erc721Transfer(from: owners[id] ?? .zero, to: other, tokenId: UInt256(id))
                    owners[id] = other
                    contract = nft
                case 5, 6:
                    event = .transferSingle(operator: holder, from: holder, to: other, id: UInt256(next() % 50), value: UInt256(1 + next() % 5))
                    contract = multi
                case 7, 8:
                    event = .erc20Transfer(from: holder, to: other, value: UInt256(next() % 1_000_000))
                    contract = shares
                default:
                    event = .updateUser(tokenId: UInt256(1 + next() % nextToken), user: other, expires: 1_700_000_000 + next() % 1_000_000)
                    contract = nft
                }
                txs.append(IndexedTransaction(hash: Hash32(bytes: keccak256(Array("tx \(n) \(i)".utf8)).bytes)!, index: UInt32(i), sender: holder, to: contract, input: []))
                logs.append(IndexedLog(log: event.log(contract: contract), transactionIndex: UInt32(i), logIndex: UInt32(i)))
            }
            return IndexedBlock(number: UInt64(n), hash: keccak256(Array("block \(n)".utf8)), timestamp: 1_700_000_000 + UInt64(n) * 12, transactions: txs, logs: logs)
        }
    }

    /// Writes each block's batch as the index would, and records the batches for the raw baseline.
    final class RecordingStore: KeyValueStore, @unchecked Sendable {
        let inner: LevelDB
        var batches: [WriteBatch] = []
        var gets = 0, getTime = Duration.zero, writeTime = Duration.zero
        let clock = ContinuousClock()
        init(_ inner: LevelDB) { self.inner = inner }
        func get(_ key: [UInt8]) throws(StoreError) -> [UInt8]? {
            gets += 1
            let start = clock.now
            defer { getTime += clock.now - start }
            return try inner.get(key)
        }
        func write(_ batch: WriteBatch) throws(StoreError) {
            batches.append(batch)
            let start = clock.now
            defer { writeTime += clock.now - start }
            try inner.write(batch)
        }
        func scan(_ range: KeyRange, reverse: Bool, limit: Int) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] {
            try inner.scan(range, reverse: reverse, limit: limit)
        }
    }

    static func directorySize(_ path: String) -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return files.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? 0)
        }
    }

    /// Trials of each case, interleaved (index, raw, CPU alone; again): the fastest of each is reported.
    static let trials = 5

    /// One trial of the index into a fresh LevelDB directory.
    struct IndexTrial {
        var seconds: Double
        var store: RecordingStore
        var keys: Int
        var bytesOnDisk: Int
    }

    static func run() throws {
        let work = workload()
        let events = blocks * eventsPerBlock
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

        var best: IndexTrial?, bestResumed: IndexTrial?
        var resumeCost = Duration.zero
        var rawTime = Double.infinity, cpu = Double.infinity
        for trial in 0..<trials {
            // Ours: decode every log, update state with undo, one LevelDB batch per block. From an empty store, as
            // a first sync or a reindex runs: the index knows every state key there is and reads none.
            let recording = RecordingStore(try LevelDB(path: base + "/index\(trial)"))
            let index = AssetIndex(store: recording)
            var keys = 0
            let indexing = seconds(clock.measure {
                for block in work { keys += (try? index.apply(block))?.keysWritten ?? 0 }
            })
            // Bytes on disk once compacted: what the index settles to, not where LevelDB's background work was.
            recording.inner.compactAll()
            let run = IndexTrial(seconds: indexing, store: recording, keys: keys, bytesOnDisk: directorySize(base + "/index\(trial)"))
            if run.seconds < best?.seconds ?? .infinity { best = run }

            // The same blocks with the index resumed halfway by a new `AssetIndex` over the same store, as by a
            // process restarted mid-sync: its first block scans the state keys the first half wrote.
            let resumed = RecordingStore(try LevelDB(path: base + "/resumed\(trial)"))
            var firstBlockAfterResume = Duration.zero
            let resumedTime = seconds(clock.measure {
                let before = AssetIndex(store: resumed)
                for block in work.prefix(blocks / 2) { _ = try? before.apply(block) }
                let after = AssetIndex(store: resumed)
                firstBlockAfterResume = clock.measure { _ = try? after.apply(work[blocks / 2]) }
                for block in work.dropFirst(blocks / 2 + 1) { _ = try? after.apply(block) }
            })
            if resumedTime < bestResumed?.seconds ?? .infinity {
                bestResumed = IndexTrial(seconds: resumedTime, store: resumed, keys: keys, bytesOnDisk: 0)
                resumeCost = firstBlockAfterResume
            }

            // The limit: the same batches written straight to a fresh LevelDB.
            let raw = try LevelDB(path: base + "/raw\(trial)")
            rawTime = min(rawTime, seconds(clock.measure { for batch in recording.batches { try? raw.write(batch) } }))

            // The same blocks over a store that holds nothing: the index's own CPU time.
            let nullIndex = AssetIndex(store: NullStore())
            cpu = min(cpu, seconds(clock.measure { for block in work { _ = try? nullIndex.apply(block) } }))
        }
        guard let best, let bestResumed else { return }
        let batches = best.store.batches
        let puts = batches.reduce(0) { $0 + $1.count }

        print("")
        print("## Indexing \(events) events in \(blocks) blocks into LevelDB")
        print("")
        print("Fastest of \(trials) interleaved trials each (index, index resumed halfway, raw, index over a store that holds nothing).")
        print("")
        print("| what | time | rate | ratio |")
        print("|---|---|---|---|")
        print("| index from an empty store (a first sync, a reindex): decode, state, undo, one batch per block | \(String(format: "%.2f s", best.seconds)) | \(String(format: "%.0f", Double(events) / best.seconds)) events/s, \(String(format: "%.0f", Double(puts) / best.seconds)) keys/s | \(String(format: "%.2f×", rawTime / best.seconds)) of raw |")
        print("| the same, resumed halfway by a new index over the store (a restarted process) | \(String(format: "%.2f s", bestResumed.seconds)) | \(String(format: "%.0f", Double(events) / bestResumed.seconds)) events/s, \(String(format: "%.0f", Double(puts) / bestResumed.seconds)) keys/s | \(String(format: "%.2f×", rawTime / bestResumed.seconds)) of raw |")
        print("| raw LevelDB: the same \(batches.count) batches, \(puts) operations | \(String(format: "%.2f s", rawTime)) | \(String(format: "%.0f", Double(puts) / rawTime)) keys/s | 1.00× |")
        print("")
        print("Where the index's time goes: \(String(format: "%.2f s", cpu)) its own CPU (measured over an empty store), \(String(format: "%.2f s", seconds(best.store.getTime))) in \(best.store.gets) LevelDB reads, \(String(format: "%.2f s", seconds(best.store.writeTime))) in LevelDB batch writes. Resumed: \(String(format: "%.2f s", seconds(bestResumed.store.getTime))) in \(bestResumed.store.gets) reads, \(String(format: "%.2f s", seconds(bestResumed.store.writeTime))) in batch writes; the new index's first block, which scans the state keys of the first half, took \(resumeCost).")
        print("")
        print("On disk after a full compaction: \(best.bytesOnDisk) bytes, \(String(format: "%.0f", Double(best.bytesOnDisk) / Double(events))) bytes per event (undo records for the last \(AssetIndex.defaultUndoWindow) blocks included); \(best.keys) index keys written, \(String(format: "%.2f", Double(best.keys) / Double(events))) per event.")
    }
}

/// Block bodies (transactions and receipts) of the real blocks: what the store keeps for a node watching the NFT
/// contracts among them, and for one watching every token contract, next to the raw encodings of those blocks'
/// whole bodies; and whole bodies alone: plain zstd, zstd with a dictionary trained on the receipts of the other
/// half of the blocks (so no block is compressed with its own data).
enum CompressionBenchmark {
    struct RealBody {
        let txs: [[UInt8]]
        let receipts: [[UInt8]]
        let logs: [[Log]]
    }

    static func run() throws {
        var bodies: [RealBody] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: BenchVectors.root.appendingPathComponent("blocks").path).sorted() {
            let json = try BenchVectors.json("blocks/\(name)") as! [String: Any]
            guard let raw = json["raw"] as? [String: Any], let txs = raw["transactions"] as? [String], let receipts = raw["receipts"] as? [String], !txs.isEmpty else { continue }
            let encoded = receipts.map(BenchVectors.hex)
            bodies.append(RealBody(txs: txs.map(BenchVectors.hex), receipts: encoded, logs: try encoded.map { try Receipt(encoded: $0).logs }))
        }
        let kv = MemoryStore()
        let plain = BlockStore(store: kv)
        func rawSize(_ body: RealBody) -> Int { body.txs.reduce(0) { $0 + $1.count } + body.receipts.reduce(0) { $0 + $1.count } }

        // Contracts by the kind of token event they emitted in these blocks.
        var nftContracts = Set<Address>(), tokenContracts = Set<Address>()
        for log in bodies.flatMap({ $0.logs.joined() }) {
            switch try? TokenEvent(log: log) {
            case .erc721Transfer?, .transferSingle?, .transferBatch?:
                nftContracts.insert(log.address)
                tokenContracts.insert(log.address)
            case .erc20Transfer?: tokenContracts.insert(log.address)
            default: break
            }
        }
        // What the ingest keeps: for a block with a log of a watched contract, the transactions that emitted one;
        // and, from layout 5, every receipt of a block whose bloom may hold a watched contract's ownership, rental or
        // AIGC record (what a bundle's proof of absence reads), as `Ingestor.keepsAllReceipts` decides.
        let recordTopics = TokenEvent.Topic.latestRecords.map { keccak256($0.bytes) }
        func kept(watching watched: Set<Address>, allReceipts: Bool) throws -> (blocks: Int, transactions: Int, of: Int, raw: Int, keptRaw: Int, stored: Int, partial: Int) {
            var result = (blocks: 0, transactions: 0, of: 0, raw: 0, keptRaw: 0, stored: 0, partial: 0)
            for body in bodies {
                let indices = body.logs.indices.filter { body.logs[$0].contains { watched.contains($0.address) } }
                var bloom = Bloom()
                for log in body.logs.joined() { bloom.formUnion(Bloom(logs: [log])) }
                let keepsAll = allReceipts && watched.contains { bloom.mayContain(hashed: keccak256($0.bytes)) }
                    && recordTopics.contains { bloom.mayContain(hashed: $0) }
                guard !indices.isEmpty || keepsAll else { continue }
                let blob = try plain.encodeBody(BlockStore.NewBody(transactions: body.txs, receipts: body.receipts, kept: indices, keepsAllReceipts: keepsAll))
                result.blocks += 1
                result.transactions += indices.count
                result.of += body.txs.count
                result.raw += rawSize(body)
                result.keptRaw += indices.reduce(0) { $0 + body.txs[$1].count + body.receipts[$1].count }
                result.stored += blob.count
                if !BlockStore.isWhole(blob) { result.partial += 1 }
            }
            return result
        }
        let nft = try kept(watching: nftContracts, allReceipts: false), tokens = try kept(watching: tokenContracts, allReceipts: false)
        let nft5 = try kept(watching: nftContracts, allReceipts: true), tokens5 = try kept(watching: tokenContracts, allReceipts: true)

        let halves = [stride(from: 0, to: bodies.count, by: 2).map { bodies[$0] }, stride(from: 1, to: bodies.count, by: 2).map { bodies[$0] }]
        var rawBytes = 0, plainBytes = 0, dictBytes = 0, level19Bytes = 0
        for (i, half) in halves.enumerated() {
            let training = halves[1 - i].flatMap { $0.receipts + $0.txs }
            let dictionary = try ZstdDictionary.train(samples: training, capacity: 64 << 10)
            let withDictionary = BlockStore(store: kv, dictionary: dictionary)
            for body in half {
                rawBytes += rawSize(body)
                plainBytes += try plain.encodeWhole(transactions: body.txs, receipts: body.receipts).count
                dictBytes += try withDictionary.encodeWhole(transactions: body.txs, receipts: body.receipts).count
                level19Bytes += try Zstd.compress(body.txs.flatMap { $0 } + body.receipts.flatMap { $0 }, level: 19, dictionary: dictionary).count
            }
        }
        func ratio(_ raw: Int, _ stored: Int) -> String { String(format: "%.2f×", Double(raw) / Double(stored)) }
        print("")
        print("## Block store: what is kept of \(bodies.count) real blocks")
        print("")
        print("A block's body is stored when it has a log of a watched contract: whole, or only the transactions and receipts that emitted such logs with the nodes of both tries on their paths (partial), whichever compresses smaller. From layout 5 a block whose bloom may hold a watched contract's ownership, rental or AIGC record keeps every receipt as well (codec 3), for the proof of absence in bundles.")
        print("")
        print("| watching | layout | blocks with a body | transactions kept | raw encodings of those bodies | of the kept items alone | stored | ratio to the bodies | partial bodies |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (name, layout, r) in [("the \(nftContracts.count) contracts with ERC-721 or ERC-1155 events", 4, nft), ("the same", 5, nft5),
                                  ("every token contract (\(tokenContracts.count), ERC-20 too)", 4, tokens), ("the same", 5, tokens5)] {
            print("| \(name) | \(layout) | \(r.blocks) | \(r.transactions) of \(r.of) | \(r.raw) | \(r.keptRaw) | \(r.stored) | \(ratio(r.raw, r.stored)) smaller | \(r.partial) of \(r.blocks) |")
        }
        print("")
        print("Whole bodies of all \(bodies.count) blocks:")
        print("")
        print("| encoding | bytes | ratio to raw |")
        print("|---|---|---|")
        print("| raw encodings | \(rawBytes) | 1.00× |")
        print("| zstd level 3 | \(plainBytes) | \(ratio(rawBytes, plainBytes)) smaller |")
        print("| zstd level 3, 64 KiB dictionary trained on the other half | \(dictBytes) | \(ratio(rawBytes, dictBytes)) smaller |")
        print("| zstd level 19 with the same dictionary (for comparison; not used) | \(level19Bytes) | \(ratio(rawBytes, level19Bytes)) smaller |")

        // `BlockStore` keeps one zstd context across bodies; a fresh context per body (`Zstd.compress`) is the
        // alternative it replaced. The first 12 KiB of each body is a dev chain block's size.
        print("")
        print("| compressing, level 3 | per body | a context per body | one context kept | ratio (kept/fresh) |")
        print("|---|---|---|---|---|")
        let kept = ZstdCompressor(level: 3)
        let wholes: [[UInt8]] = bodies.map { Array($0.txs.joined()) + Array($0.receipts.joined()) }
        for (name, inputs) in [("first 12 KiB of each body", wholes.map { Array($0.prefix(12 << 10)) }), ("whole bodies", wholes)] {
            let iterations = Harness.calibrate { for i in inputs { Harness.sink &+= UInt64((try? Zstd.compress(i))?.count ?? 0) } }
            let (fresh, reused) = Harness.pair(iterations: iterations,
                { for i in inputs { Harness.sink &+= UInt64((try? Zstd.compress(i))?.count ?? 0) } },
                { for i in inputs { Harness.sink &+= UInt64((try? kept.compress(i))?.count ?? 0) } })
            let bytes = inputs.reduce(0) { $0 + $1.count } / inputs.count
            print("| \(name) | \(bytes) B | \(Harness.format(fresh / Double(inputs.count))) | \(Harness.format(reused / Double(inputs.count))) | \(String(format: "%.2f×", reused / fresh)) |")
        }
    }
}

/// A store that holds nothing: every read misses, every write vanishes.
final class NullStore: KeyValueStore, @unchecked Sendable {
    func get(_ key: [UInt8]) throws(StoreError) -> [UInt8]? { nil }
    func write(_ batch: WriteBatch) throws(StoreError) {}
    func scan(_ range: KeyRange, reverse: Bool, limit: Int) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] { [] }
}

extension IndexBenchmark {
    /// The index over a store that holds nothing, alone: for profiling the index's own CPU.
    static func cpuOnly() {
        let work = workload()
        let index = AssetIndex(store: NullStore())
        let elapsed = ContinuousClock().measure { for block in work { _ = try? index.apply(block) } }
        print("index CPU over an empty store: \(elapsed) for \(blocks * eventsPerBlock) events")
    }
}
