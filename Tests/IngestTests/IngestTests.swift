import AssetIndex
import DevChain
import EthPrimitives
import EthTypes
import EthVerify
import Foundation
import EthTrie
import Store
import Testing
import TestSupport
import TokenEvents

@testable import Ingest

/// The dev chain through the real verifier and index: every block verifies, a tampered one is refused with
/// nothing written, and a reindex rebuilds the same index.
@Suite("Ingest of the dev chain")
struct IngestTests {
    static func spec() throws -> Chainspec { DevChain.spec }

    /// The block as an upstream would send it, optionally with every sender claim replaced.
    static func rpc(_ block: DevChain.Block, from: [Address]? = nil) -> RPCBlock {
        guard let from else { return block.rpc }
        return RPCBlock(
            header: block.header, claimedHash: block.header.hash,
            transactions: .full(zip(block.transactions, from).map { RPCTransaction(transaction: $0, claimedHash: $0.hash, claimedFrom: $1) }),
            uncles: [], withdrawals: [])
    }

    @Test func genesisIsTheChainspecCheckpoint() throws {
        let spec = try Self.spec()
        #expect(spec.checkpoints.first?.hash == DevChain.genesis.header.hash)
        #expect(spec.chainId == DevChain.chainId)
    }

    @Test func everyBlockVerifiesAndIndexes() throws {
        var chain = DevChain(seed: 3)
        chain.grow(to: 300)
        let ingestor = Ingestor(index: AssetIndex(store: MemoryStore()), spec: try Self.spec(), watched: Set(DevChain.Contract.allCases.map(\.address)))
        var parent: Header?
        var events = 0
        for block in chain.blocks {
            events += try ingestor.ingest(Self.rpc(block), receipts: block.receipts, parent: parent).events
            parent = block.header
        }
        #expect(events > 300)
        #expect(try ingestor.tipHeader()?.hash == chain.blocks.last?.header.hash)
        // Every minted token's minter is the recovered sender of its mint transaction, and its AIGC prompt was
        // recovered from the calldata.
        let visions = DevChain.Contract.visions.address
        let provenance = try #require(try ingestor.index.provenance(contract: visions, tokenId: UInt256(1)))
        #expect(chain.accounts.map(\.address).contains(provenance.mint!.minter))
        #expect(provenance.aigc.first?.record.prompt.map { String(decoding: $0, as: UTF8.self).hasPrefix("a lighthouse") } == true)

        try Self.expectReindexRebuildsTheStore(ingestor)
    }

    /// Reindexes with no upstream and expects, byte for byte, the store the import wrote: block data, index, undo
    /// records, cursor.
    static func expectReindexRebuildsTheStore(_ ingestor: Ingestor) throws {
        let digest = try ingestor.index.digest()
        let everything = try ingestor.index.store.scan(prefix: [])
        _ = try Reindexer(ingestor: ingestor).run()
        #expect(try ingestor.index.digest() == digest)
        let after = try ingestor.index.store.scan(prefix: [])
        #expect(after.count == everything.count)
        let differing = zip(after, everything).filter { $0.0.key != $0.1.key || $0.0.value != $0.1.value }.map { Hex.encode($0.0.key.prefix(9)) }
        #expect(differing.isEmpty, "keys that differ: \(differing.prefix(5))")
    }

    /// With one contract of three watched, blocks mixing its transactions with others keep only its transactions
    /// and receipts (where that is smaller), each with its block-wide log index; a reindex from those partial
    /// bodies, with no upstream, rebuilds the store byte for byte.
    @Test func partialBodiesIndexAndReindexTheSame() throws {
        var chain = DevChain(seed: 6)
        chain.grow(to: 400)
        let visions = DevChain.Contract.visions.address
        let ingestor = Ingestor(index: AssetIndex(store: MemoryStore()), spec: try Self.spec(), watched: [visions])
        var parent: Header?
        for block in chain.blocks {
            try ingestor.ingest(Self.rpc(block), receipts: block.receipts, parent: parent)
            parent = block.header
        }
        var partial = 0, whole = 0
        for number in try ingestor.blocks.numbersWithBodies() {
            let header = chain.blocks[Int(number)].header
            let body = try #require(try ingestor.blocks.body(number: number, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot))
            if body.isWhole { whole += 1 } else { partial += 1 }
            // Every watched transaction of the block is kept, with its block-wide log index.
            let receipts = chain.blocks[Int(number)].receipts
            for (i, receipt) in receipts.enumerated() where receipt.logs.contains(where: { $0.address == visions }) {
                let item = try #require(body.item(at: i), "block \(number) transaction \(i)")
                #expect(item.firstLogIndex == receipts[..<i].reduce(0) { $0 + $1.logs.count })
            }
        }
        #expect(partial >= 20 && whole >= 20, "\(partial) partial, \(whole) whole bodies")

        try Self.expectReindexRebuildsTheStore(ingestor)
        let provenance = try #require(try ingestor.index.provenance(contract: visions, tokenId: UInt256(1)))
        #expect(chain.accounts.map(\.address).contains(provenance.mint!.minter))
    }

    @Test func aLyingBlockIsRefusedAndNothingIsWritten() throws {
        var chain = DevChain(seed: 4)
        chain.grow(to: 40)
        let store = MemoryStore()
        let ingestor = Ingestor(index: AssetIndex(store: store), spec: try Self.spec(), watched: Set(DevChain.Contract.allCases.map(\.address)))
        for block in chain.blocks.prefix(20) { try ingestor.ingest(Self.rpc(block), receipts: block.receipts, parent: try ingestor.tipHeader()) }
        let before = try store.scan(prefix: [])
        // A block with a mint: the minter's sender is one sync recovers and checks.
        let victim = chain.blocks[20...].first { $0.receipts.contains { $0.logs.contains(where: TokenEvent.mayMint) } }!
        // Ingest honestly up to the victim's parent.
        for block in chain.blocks[20..<Int(victim.header.number)] { try ingestor.ingest(Self.rpc(block), receipts: block.receipts, parent: try ingestor.tipHeader()) }
        let clean = try store.scan(prefix: [])
        #expect(clean.count >= before.count)

        var receipts = victim.receipts
        let r = receipts.firstIndex { !$0.logs.isEmpty }!
        receipts[r].logs[0].data += [1]
        #expect(throws: IngestError.self) { try ingestor.ingest(Self.rpc(victim), receipts: receipts, parent: try ingestor.tipHeader()) }
        let liar = Address(bytes: [UInt8](repeating: 0x11, count: 20))!
        #expect(throws: IngestError.self) {
            try ingestor.ingest(Self.rpc(victim, from: victim.senders.map { _ in liar }), receipts: victim.receipts, parent: try ingestor.tipHeader())
        }
        #expect(try store.scan(prefix: []).map(\.key) == clean.map(\.key), "a refused block wrote nothing")
        try ingestor.ingest(Self.rpc(victim), receipts: victim.receipts, parent: try ingestor.tipHeader())
    }

    /// A block whose minting transaction carries a forged signature, with the transactions root and the block hash
    /// recomputed to match it (so that every other check passes), is refused by sender recovery, which sync still
    /// runs for every transaction with a watched mint; nothing of it is written.
    @Test(arguments: ["signed by another account", "a signature that does not recover"])
    func aForgedSignatureOnAMintIsRefused(forgery: String) throws {
        var chain = DevChain(seed: 4)
        chain.grow(to: 60)
        let store = MemoryStore()
        let ingestor = Ingestor(index: AssetIndex(store: store), spec: try Self.spec(), watched: Set(DevChain.Contract.allCases.map(\.address)))
        let victim = chain.blocks.dropFirst().first { $0.receipts.contains { $0.logs.contains(where: TokenEvent.mayMint) } }!
        for block in chain.blocks[0..<Int(victim.header.number)] { try ingestor.ingest(Self.rpc(block), receipts: block.receipts, parent: try ingestor.tipHeader()) }
        let clean = try store.scan(prefix: [])

        let m = victim.receipts.firstIndex { $0.logs.contains(where: TokenEvent.mayMint) }!
        let original = victim.transactions[m]
        let forged: Transaction
        if forgery == "signed by another account" {
            forged = Transaction.sign(original.fields, with: chain.accounts.first { $0.address != victim.senders[m] }!)
        } else {
            forged = try Transaction(encoded: original.fields.encode(v: original.v, r: .zero, s: original.s))
        }
        var transactions = victim.transactions
        transactions[m] = forged
        var fields = victim.header.fields
        fields.transactionsRoot = OrderedTrie.root(transactions.map(\.encoded))
        let header = try Header(fields)
        // The upstream still names the true minter as the sender.
        let block = RPCBlock(
            header: header, claimedHash: header.hash,
            transactions: .full(zip(transactions, victim.senders).map { RPCTransaction(transaction: $0, claimedHash: $0.hash, claimedFrom: $1) }),
            uncles: [], withdrawals: [])
        let error = #expect(throws: IngestError.self) { try ingestor.ingest(block, receipts: victim.receipts, parent: try ingestor.tipHeader()) }
        guard case .verification(let failure)? = error else { Issue.record("not refused by verification: \(String(describing: error))"); return }
        #expect(failure.field == .sender(index: m), "\(failure)")
        #expect(try store.scan(prefix: []).map(\.key) == clean.map(\.key), "a refused block wrote nothing")
    }

    /// A lie about the sender of a transaction that mints nothing is not looked for: no such sender is stored or
    /// served, so the block's index is the honest one and the lie leaves no trace.
    @Test func aSenderNothingUsesIsNotRecoveredAndNotKept() throws {
        var chain = DevChain(seed: 4)
        chain.grow(to: 60)
        let store = MemoryStore()
        let ingestor = Ingestor(index: AssetIndex(store: store), spec: try Self.spec(), watched: Set(DevChain.Contract.allCases.map(\.address)))
        let liar = Address(bytes: [UInt8](repeating: 0x11, count: 20))!
        var lies = 0
        for block in chain.blocks {
            let from = zip(block.senders, block.receipts).map { sender, receipt in receipt.logs.contains(where: TokenEvent.mayMint) ? sender : liar }
            lies += from.filter { $0 == liar }.count
            try ingestor.ingest(Self.rpc(block, from: from), receipts: block.receipts, parent: try ingestor.tipHeader())
        }
        #expect(lies > 20)
        let honest = MemoryStore()
        let reference = Ingestor(index: AssetIndex(store: honest), spec: try Self.spec(), watched: Set(DevChain.Contract.allCases.map(\.address)))
        for block in chain.blocks { try reference.ingest(Self.rpc(block), receipts: block.receipts, parent: try reference.tipHeader()) }
        #expect(try store.scan(prefix: []).map(\.value) == honest.scan(prefix: []).map(\.value))
        #expect(try store.scan(prefix: []).map(\.key) == honest.scan(prefix: []).map(\.key))
    }

    /// Headers the bloom rules out, written a run at a time (as sync writes them), leave the store that writing them
    /// one block at a time leaves, undo records included: a revert into the middle of a run leaves the same store too.
    @Test func aRunOfHeadersWritesWhatBlockAtATimeWrites() throws {
        var chain = DevChain(seed: 6, eventBlockShare: 0.05)
        chain.grow(to: 300)
        let watched = Set(DevChain.Contract.allCases.map(\.address))
        let (a, b) = (MemoryStore(), MemoryStore())
        let single = Ingestor(index: AssetIndex(store: a), spec: try Self.spec(), watched: watched)
        let runs = Ingestor(index: AssetIndex(store: b), spec: try Self.spec(), watched: watched)
        var run: [Header] = [], longest = 0
        for block in chain.blocks {
            if single.mayHaveWatchedEvents(block.header) {
                try single.ingest(block.rpc, receipts: block.receipts, parent: try single.tipHeader())
                try runs.writeHeaders(run)
                longest = max(longest, run.count)
                run = []
                try runs.ingest(block.rpc, receipts: block.receipts, parent: try runs.tipHeader())
            } else {
                try single.ingestHeader(block.rpc, parent: try single.tipHeader())
                try runs.checkHeader(block.rpc, parent: try run.last ?? runs.tipHeader())
                run.append(block.header)
            }
        }
        try runs.writeHeaders(run)
        #expect(longest >= 20, "the longest run was \(longest) headers")
        #expect(try a.scan(prefix: []).map(\.key) == b.scan(prefix: []).map(\.key))
        #expect(try a.scan(prefix: []).map(\.value) == b.scan(prefix: []).map(\.value))
        try single.index.revert(to: 250)
        try runs.index.revert(to: 250)
        #expect(try runs.tipHeader()?.number == 250)
        #expect(try a.scan(prefix: []).map(\.key) == b.scan(prefix: []).map(\.key))
        #expect(try a.scan(prefix: []).map(\.value) == b.scan(prefix: []).map(\.value))
    }

    /// Mainnet-sized blocks (hundreds of unwatched transactions of every type, receipts with many logs) pass every
    /// check of `verify-block`, index the dev contracts' events alone, and keep partial bodies a reindex reads back.
    @Test func mainnetShapedBlocksVerifyAndIndex() throws {
        var chain = DevChain(seed: 8, eventBlockShare: 0.3, traffic: .mainnet)
        chain.grow(to: 30)
        let ingestor = Ingestor(index: AssetIndex(store: MemoryStore()), spec: try Self.spec(), watched: Set(DevChain.Contract.allCases.map(\.address)))
        var watchedLogs = 0
        for block in chain.blocks.dropFirst() {
            #expect(Traffic.mainnet.perBlock.contains(block.transactions.count - block.receipts.filter { $0.logs.contains { ingestor.watched.contains($0.address) } }.count))
            let failures = BlockReport.run(block: block.rpc, receipts: block.receipts, spec: try Self.spec()).compactMap(\.failure)
            #expect(failures.isEmpty, "block \(block.header.number): \(failures)")
            watchedLogs += block.receipts.reduce(0) { $0 + $1.logs.filter { ingestor.watched.contains($0.address) }.count }
        }
        // Blooms about half full, as the vectors' mainnet blocks' (0.29-0.64): not saturated, so the bloom still
        // rules most blocks out.
        let fill = chain.blocks.dropFirst().map { Double($0.header.logsBloom.bytes.reduce(0) { $0 + $1.nonzeroBitCount }) / 2048 }
        #expect((0.3...0.75).contains(fill.reduce(0, +) / Double(fill.count)), "mean bloom fill \(fill.reduce(0, +) / Double(fill.count))")
        var events = 0
        for block in chain.blocks {
            events += try ingestor.ingest(block.rpc, receipts: block.receipts, parent: try ingestor.tipHeader()).events
        }
        #expect(watchedLogs > 10 && events == watchedLogs, "\(events) events of \(watchedLogs) watched logs")
        try Self.expectReindexRebuildsTheStore(ingestor)
    }
}
