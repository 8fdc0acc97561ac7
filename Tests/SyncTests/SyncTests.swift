import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthRPC
import Server
import EthTypes
import EthUpstream
import Foundation
import Ingest
import Store
import Sync
import Synchronization
import Testing
import TestSupport

/// Sync end to end: a dev chain served over real HTTP on loopback, synced into a real LevelDB.
@Suite("Sync from the dev chain over HTTP")
struct SyncTests {
    /// Syncs a fresh LevelDB index from `net` up to its head; the caller removes the directory at `path`.
    static func syncToHead(_ net: RunningDevNet) async throws -> (index: AssetIndex, syncer: Syncer, path: String) {
        let (db, path) = try Fixtures.levelDB()
        let index = AssetIndex(store: db)
        var options = SyncOptions()
        options.exitWhenCurrent = true
        let syncer = Fixtures.syncer([try net.upstream()], index: index, options: options)
        do { try await syncer.run() } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return (index, syncer, path)
    }

    @Test func syncedIndexAnswersAsTheChainRecords() async throws {
        let net = try await RunningDevNet(DevNet(seed: 21, blocks: 520))
        let (index, syncer, path) = try await Self.syncToHead(net)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let chain = net.devnet.chain
        // Every transaction envelope sync verifies was served: legacy, EIP-1559, blob, set-code.
        #expect(Set(chain.blocks.flatMap { $0.transactions.map(\.type) }) == [.legacy, .dynamicFee, .blob, .setCode])
        #expect(try index.cursor()?.number == 520)
        #expect(try index.cursor()?.hash == chain.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: chain).digest())
        let status = syncer.status.snapshot
        #expect(status.blocksThisRun == 521)
        // Bloom skipping: blocks without watched events were synced from their header alone.
        let withEvents = chain.blocks.filter { !$0.receipts.allSatisfy(\.logs.isEmpty) }.count
        #expect(status.fullBlocksThisRun >= UInt64(withEvents))
        #expect(status.fullBlocksThisRun < 521)

        let record = chain.record
        let visions = DevChain.Contract.visions.address
        #expect(record.mintedTokens > 50)
        for id in 1...record.mintedTokens {
            let token = UInt256(id)
            let ownership = try index.ownerOf(contract: visions, tokenId: token)
            if let owner = record.owners[id] {
                guard case .owned(by: let indexed, since: _)? = ownership else { Issue.record("token \(id): \(String(describing: ownership))"); continue }
                #expect(indexed == owner, "owner of token \(id)")
            } else {
                guard case .burned? = ownership else { Issue.record("token \(id) should be burned: \(String(describing: ownership))"); continue }
            }
            let provenance = try #require(try index.provenance(contract: visions, tokenId: token))
            let minted = try #require(record.provenance[id])
            #expect(provenance.mint?.minter == minted.minter, "minter of token \(id)")
            #expect(provenance.aigc.first?.record.prompt == minted.prompt, "prompt of token \(id)")
            #expect(provenance.aigc.first?.record.aigcData == minted.output, "output of token \(id)")
            if let rental = record.rentals[id] {
                let answer = try #require(try index.userOf(contract: visions, tokenId: token, timestamp: rental.expires - 1))
                #expect(answer.user == rental.user && answer.expires == rental.expires, "rental of token \(id)")
            }
        }
        for account in chain.accounts.map(\.address) {
            let tokens = UInt256(UInt64(record.owners.values.filter { $0 == account }.count))
            #expect(try index.balanceOf(contract: visions, holder: account) == tokens)
            #expect(try index.balanceOf(contract: DevChain.Contract.shares.address, holder: account) == UInt256(record.shares[account] ?? 0))
            for id in 1...5 as ClosedRange<UInt64> {
                let expected = UInt256(record.editions[id]?[account] ?? 0)
                #expect(try index.balanceOf(contract: DevChain.Contract.editions.address, holder: account, tokenId: UInt256(id)) == expected)
            }
        }
    }

    /// A provider that refuses 5% of the items of each batch with -32005 (as hosted providers do) and drops 5% of
    /// its connections: sync keeps the good answers, asks again for the refused items alone, and ends with the
    /// index of the clean chain. Retrying whole batches instead, a 100-item batch is clean 0.6% of the time.
    /// Mainnet-sized blocks (hundreds of unwatched transactions of every envelope type, receipts with many logs),
    /// read from the answers' bytes and verified, with a quarter holding watched events: the index a direct import
    /// gives, and the blocks whose bloom matched kept as partial bodies.
    @Test func mainnetShapedBlocksSyncToTheDirectIndex() async throws {
        let net = try await RunningDevNet(DevNet(seed: 23, blocks: 60, eventBlockShare: 0.25, traffic: .mainnet))
        let (index, syncer, path) = try await Self.syncToHead(net)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let chain = net.devnet.chain
        #expect(Set(chain.blocks.flatMap { $0.transactions.map(\.type) }) == Set(TransactionType.allCases.filter { $0 != .deposit }))
        #expect(chain.blocks.dropFirst().allSatisfy { $0.transactions.count >= 150 })
        #expect(try index.digest() == Fixtures.directIndex(of: chain).digest())
        #expect(syncer.status.snapshot.fullBlocksThisRun >= 10)
    }

    @Test(.timeLimit(.minutes(1))) func perItemRateLimitsAndDropsStillSyncToTheCleanIndex() async throws {
        var faults = DevNetFaults()
        faults.itemRateLimitRate = 0.05
        faults.dropRate = 0.05
        let net = try await RunningDevNet(DevNet(seed: 27, blocks: 400, faults: faults))
        let index = AssetIndex(store: MemoryStore())
        var options = SyncOptions()
        options.exitWhenCurrent = true
        let syncer = Fixtures.syncer([try net.upstream()], index: index, options: options)
        try await syncer.run()
        #expect(try index.digest() == Fixtures.directIndex(of: net.devnet.chain).digest())
        let errors = syncer.pool.upstreams[0].stats.errors
        #expect(errors["rate_limited", default: 0] > 0, "\(errors)")
    }

    /// On both families: the OP Stack dev chain's liar also lies about deposits (`DevNetFaults.Tampering.deposits`).
    @Test(arguments: [Chainspec.Family.ethereum, .opStack])
    func aLiarIsNamedAndNothingItTamperedIsIndexed(family: Chainspec.Family) async throws {
        var honestFaults = DevNetFaults()
        honestFaults.dropRate = 0.05
        honestFaults.delayRate = 0.05
        honestFaults.delay = .milliseconds(30)
        honestFaults.rateLimitRate = 0.05
        var lies = DevNetFaults()
        lies.tamper = .all
        lies.tamperRate = 0.05
        let honest = try await RunningDevNet(DevNet(seed: 22, blocks: 500, faults: honestFaults, family: family))
        let second = try await RunningDevNet(DevNet(seed: 22, blocks: 500, family: family))
        let liar = try await RunningDevNet(DevNet(seed: 22, blocks: 500, faults: lies, family: family))
        let (db, path) = try Fixtures.levelDB()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: db)
        var options = SyncOptions()
        options.exitWhenCurrent = true
        options.headersPerRequest = 25
        let log = LogLines()
        let syncer = Fixtures.syncer(
            [try liar.upstream(), try honest.upstream(), try second.upstream()], index: index, options: options, log: log,
            spec: honest.devnet.chain.chainspec)
        try await syncer.run()

        #expect(liar.devnet.tamperedCount > 0)
        #expect(try index.digest() == Fixtures.directIndex(of: honest.devnet.chain).digest())
        let faults = syncer.pool.faults
        #expect(faults.map { $0.upstream } == [liar.url], "\(faults)")
        #expect(faults.first?.evidence.description.hasPrefix("block ") == true, "the evidence names the block and field: \(faults)")
        #expect(log.lines.withLock { $0 }.contains { $0.contains(liar.url) && $0.contains("marked faulty") })
        let failures = syncer.status.snapshot.verificationFailures
        #expect(failures.values.reduce(0, +) >= 1, "\(failures)")
        // The honest upstream's drops, delays and rate limits were retried, not fatal.
        let errors = syncer.pool.upstreams[1].stats.errors
        #expect(errors["connection", default: 0] + errors["rate_limited", default: 0] > 0, "\(errors)")
    }

    /// Grows the dev chain a block at a time up to `last`, each time once sync has indexed its head, so that sync
    /// follows the head closely and a reorg replaces exactly the blocks it has indexed. Stops early if sync stops.
    static func grow(_ net: RunningDevNet, following syncer: Syncer, to last: UInt64) async throws {
        while net.devnet.head < last {
            let status = syncer.status.snapshot
            if status.phase == .stopped { return }
            if status.indexed == net.devnet.head { net.devnet.grow() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Syncs a LevelDB index from `net` while growing it to `last`, following the head; returns the syncer, the index
    /// and the database's path (for the caller to remove).
    static func follow(_ net: RunningDevNet, to last: UInt64) async throws -> (Syncer, AssetIndex, String) {
        let (db, path) = try Fixtures.levelDB()
        let index = AssetIndex(store: db)
        var options = SyncOptions()
        options.pollInterval = .milliseconds(5)
        options.stopAt = last
        let syncer = Fixtures.syncer([try net.upstream()], index: index, options: options, spec: net.devnet.chain.chainspec)
        async let synced: Void = syncer.run()
        try await Self.grow(net, following: syncer, to: last)
        try await synced
        return (syncer, index, path)
    }

    @Test(arguments: [1, 3, 16, 64] as [UInt64])
    func reorgsWhileFollowingTheHead(depth: UInt64) async throws {
        let reorg = DevNetReorg(at: 150, depth: depth)
        let last: UInt64 = 170
        let net = try await RunningDevNet(DevNet(seed: 23, blocks: 100, reorg: reorg, maxHead: last))
        let (syncer, index, path) = try await Self.follow(net, to: last)
        defer { try? FileManager.default.removeItem(atPath: path) }

        var final = DevChain(seed: 23, branch: reorg.branch)
        final.grow(to: last)
        #expect(net.devnet.chain.head.header.hash == final.head.header.hash)
        #expect(try index.cursor()?.hash == final.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: final).digest())
        let status = syncer.status.snapshot
        #expect(status.reorgs == 1)
        #expect(status.deepestReorg == depth)
    }

    /// A chain that reorganises every 15 blocks (three blocks deep each time, each branch off the last): sync
    /// follows each reorg and ends on the last branch, equal to a direct import of it.
    @Test func repeatedReorgsAreEachFollowed() async throws {
        let reorg = DevNetReorg(at: 120, depth: 3, every: 15)
        let last: UInt64 = 170
        let net = try await RunningDevNet(DevNet(seed: 25, blocks: 100, reorg: reorg, maxHead: last))
        let (syncer, index, path) = try await Self.follow(net, to: last)
        defer { try? FileManager.default.removeItem(atPath: path) }

        #expect(reorg.done(atHead: last) == 4)
        var final = DevChain(seed: 25, branches: reorg.branches(done: 4))
        final.grow(to: last)
        #expect(net.devnet.chain.head.header.hash == final.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: final).digest())
        #expect(syncer.status.snapshot.reorgs == 4)
    }

    /// A reorg sync must not undo: one deeper than the undo window, and one inside it but below the block the
    /// upstreams reported finalized (finality 8 blocks deep, a reorg of 20). Sync stops and the store keeps the old
    /// branch, exactly as a direct import builds it.
    @Test(arguments: [(8, nil), (AssetIndex.defaultUndoWindow, 8)] as [(UInt64, UInt64?)])
    func aReorgSyncMustNotUndoStopsSyncAndKeepsTheStore(undoWindow: UInt64, finalityDepth: UInt64?) async throws {
        let reorg = DevNetReorg(at: 60, depth: 20)
        let net = try await RunningDevNet(DevNet(seed: 24, blocks: 40, reorg: reorg, maxHead: 70, finalityDepth: finalityDepth))
        let (db, path) = try Fixtures.levelDB()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: db, undoWindow: undoWindow)
        var options = SyncOptions()
        options.pollInterval = .milliseconds(5)
        options.stopAt = 70
        let syncer = Fixtures.syncer([try net.upstream()], index: index, options: options)
        async let growth: Void = Self.grow(net, following: syncer, to: 70)
        await #expect {
            try await syncer.run()
        } throws: { error in
            switch error {
            case SyncError.reorgTooDeep: return finalityDepth == nil && "\(error)".contains("deeper than the undo window")
            case SyncError.reorgBelowFinalized(let finalized, let tip):
                return finalityDepth != nil && finalized > reorg.at - reorg.depth && finalized <= reorg.at - 8 && tip == reorg.at
            default: return false
            }
        }
        try await growth
        let tip = try #require(try index.cursor())
        #expect(tip.number == 60)
        var old = DevChain(seed: 24)
        old.grow(to: 60)
        #expect(tip.hash == old.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: old).digest())
        #expect(syncer.status.snapshot.phase == SyncStatus.Phase.stopped)
        #expect(syncer.status.snapshot.reorgs == 0)
    }
}

/// What the server answers about synced blocks: exactly what the upstream served, for what was verified.
@Suite("Blocks served from the synced store")
struct SyncedBlockTests {
    @Test func blocksAreServedAsTheUpstreamServedThemAndNothingUnverified() async throws {
        let net = try await RunningDevNet(DevNet(seed: 25, blocks: 120))
        let (db, path) = try Fixtures.levelDB()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: db)
        var options = SyncOptions()
        options.exitWhenCurrent = true
        // Contracts watched from block 60: earlier blocks are kept as verified headers only.
        let starts = Dictionary(uniqueKeysWithValues: Fixtures.watched.map { ($0, UInt64(60)) })
        let syncer = Syncer(
            pool: UpstreamPool(upstreams: [try net.upstream()]),
            ingestor: Ingestor(index: index, spec: Fixtures.spec, watched: Fixtures.watched, startBlocks: starts), options: options, log: { _ in })
        try await syncer.run()

        let server = AssetMethods(index: index, chainId: DevChain.chainId, watched: Fixtures.watched).dispatcher()
        let upstream = net.devnet.dispatcher()
        func call(_ d: Dispatcher, _ method: String, _ params: String) throws -> JSONValue? {
            let body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#
            return try JSONDecoder().decode(JSONValue.self, from: d.handle(Data(body.utf8))!)["result"]
        }
        let chain = net.devnet.chain
        var compared = 0, headerOnly = 0, empty = 0
        for block in chain.blocks {
            let number = Hex.quantity(block.header.number)
            for full in [true, false] {
                let ours = try #require(try call(server, "eth_getBlockByNumber", #"["\#(number)",\#(full)]"#))
                guard case .object(var theirs)? = try call(upstream, "eth_getBlockByNumber", #"["\#(number)",\#(full)]"#) else { Issue.record("devnet"); return }
                theirs["withdrawals"] = nil  // not stored
                if block.header.number < 60 && !block.transactions.isEmpty {
                    // Header only: every header field as served, and no transactions member at all.
                    theirs["transactions"] = nil
                    #expect(ours == .object(theirs), "block \(block.header.number)")
                    headerOnly += 1
                } else {
                    #expect(ours == .object(theirs), "block \(block.header.number) full \(full)")
                    if block.transactions.isEmpty { empty += 1 }
                    compared += 1
                }
            }
            let byHash = try call(server, "eth_getBlockByHash", #"["\#(block.header.hash.hex)",false]"#)
            #expect(byHash?["number"] == .string(number))
        }
        #expect(compared > 100 && headerOnly > 40 && empty > 10, "\(compared) \(headerOnly) \(empty)")
        #expect(try call(server, "eth_getBlockByNumber", #"["0x79",false]"#) == .null, "beyond the head")
        #expect(try call(server, "eth_getBlockByHash", #"["0x\#(String(repeating: "ab", count: 32))",false]"#) == .null)
    }
}

@Suite("Upstreams on the wrong chain")
struct WrongChainTests {
    @Test func anUpstreamOnAnotherChainIsFaultyAndSyncStopsWithoutOne() async throws {
        let net = try await RunningDevNet(DevNet(seed: 26, blocks: 10))
        // The dev chain's spec with another chain id: the devnet's eth_chainId no longer matches.
        var json = try #require(try JSONSerialization.jsonObject(with: Repository.chainspecJSON("provenant-dev")) as? [String: Any])
        json["chainId"] = 1
        let spec = try Chainspec.decode(Array(JSONSerialization.data(withJSONObject: json)))
        let index = AssetIndex(store: MemoryStore())
        let syncer = Syncer(
            pool: UpstreamPool(upstreams: [try net.upstream()]), ingestor: Ingestor(index: index, spec: spec, watched: Fixtures.watched),
            options: SyncOptions(), log: { _ in })
        await #expect {
            try await syncer.run()
        } throws: { error in
            guard case SyncError.noUpstreams(let faults) = error else { return false }
            return faults.count == 1 && faults[0].evidence == .wrongChain(expected: 1, chainspec: spec.name, answered: "0x50524f56")
        }
        #expect(try index.cursor() == nil, "nothing was written")
    }
}
