import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthRPC
import EthUpstream
import Foundation
import Server
import Store
import Sync
import Testing
import TestSupport

/// The commit rule (ARCHITECTURE.md §2): no block is stored unless a quorum of upstreams vouches for it or for a
/// descendant. Each test plays an upstream that serves a chain which hashes, links and verifies, and is not the one
/// the other upstreams serve.
@Suite("Quorum on every committed block")
struct QuorumTests {
    /// Where a consistent fork starts, how long the chain is, and where sync stops.
    struct ForkCase: Sendable, CustomTestStringConvertible {
        let forkFrom: UInt64
        let blocks: UInt64
        let stopAt: UInt64?
        var testDescription: String { "fork from \(forkFrom) of \(blocks)" + (stopAt.map { ", stop at \($0)" } ?? "") }
    }

    /// The same seed's chain, forked from `from` on: every block valid, other events.
    static func fork(from block: UInt64) -> DevChain.Branch { DevChain.Branch(block: block, salt: 0xF02C) }

    /// Checks that every block the store holds is the honest chain's.
    static func storedBlocksAreHonest(_ store: any KeyValueStore, chain: DevChain) throws {
        let blocks = BlockStore(store: store)
        let top = try #require(try blocks.lastHeaderNumber())
        for (number, rlp) in try blocks.headers(from: 0, limit: Int(top) + 1) {
            #expect(rlp == chain.blocks[Int(number)].header.rlp, "stored block \(number) is not the honest chain's")
        }
    }

    /// One upstream of three serves its own consistent branch from `forkFrom`; quorum 2. Nothing of the branch is
    /// ever committed (so nothing is ever undone), the index is the honest chain's, and the forking upstream is
    /// named with the block and both hashes.
    @Test(.timeLimit(.minutes(1)), arguments: [
        ForkCase(forkFrom: 101, blocks: 400, stopAt: nil),
        ForkCase(forkFrom: 392, blocks: 400, stopAt: nil),  // only in the last range
        ForkCase(forkFrom: 101, blocks: 400, stopAt: 250),  // --stop-at below the head
    ])
    func aConsistentForkIsNeverIndexed(_ c: ForkCase) async throws {
        let forked = try await RunningDevNet(DevNet(seed: 31, blocks: c.blocks, fork: Self.fork(from: c.forkFrom)))
        let honest = try await RunningDevNet(DevNet(seed: 31, blocks: c.blocks))
        let second = try await RunningDevNet(DevNet(seed: 31, blocks: c.blocks))
        let (db, path) = try Fixtures.levelDB()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: db)
        var options = SyncOptions()
        options.exitWhenCurrent = true
        options.stopAt = c.stopAt
        options.headersPerRequest = 40
        let syncer = Fixtures.syncer([try forked.upstream(), try honest.upstream(), try second.upstream()], index: index, options: options)
        #expect(syncer.pool.quorum == 2, "the default quorum is a majority")
        try await syncer.run()

        let last = c.stopAt ?? c.blocks
        var chain = DevChain(seed: 31)
        chain.grow(to: last)
        #expect(try index.cursor()?.hash == chain.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: chain).digest())
        try Self.storedBlocksAreHonest(db, chain: chain)
        #expect(syncer.status.snapshot.reorgs == 0, "a committed block was undone")
        let faults = syncer.pool.faults
        #expect(faults.map(\.upstream) == [forked.url], "\(faults)")
        guard case .outvoted(let block, let quorumHash, let voters, let itsHash)? = faults.first?.evidence else {
            Issue.record("the forking upstream is named with the hashes: \(faults)")
            return
        }
        var branch = DevChain(seed: 31, branch: Self.fork(from: c.forkFrom))
        branch.grow(to: block)
        #expect(block >= c.forkFrom && voters == 2)
        #expect(quorumHash == (block <= last ? chain.blocks[Int(block)].header.hash : quorumHash))
        #expect(itsHash == branch.blocks[Int(block)].header.hash)
    }

    /// Two upstreams that part at block 150, quorum 2: sync commits up to 149, then waits there and says why;
    /// neither branch is indexed and neither upstream is blamed (nothing shows which one lies).
    @Test(.timeLimit(.minutes(1))) func twoUpstreamsThatDisagreeStopSyncBeforeTheirFork() async throws {
        let k: UInt64 = 150
        let honest = try await RunningDevNet(DevNet(seed: 32, blocks: 300))
        let forked = try await RunningDevNet(DevNet(seed: 32, blocks: 300, fork: Self.fork(from: k)))
        let (db, path) = try Fixtures.levelDB()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: db)
        var options = SyncOptions()
        options.exitWhenCurrent = true
        options.pollInterval = .milliseconds(20)
        options.headersPerRequest = 64
        let syncer = Fixtures.syncer([try honest.upstream(), try forked.upstream()], index: index, options: options)
        let run = Task { try await syncer.run() }
        defer { run.cancel() }
        while syncer.status.snapshot.quorumWait == nil {
            if syncer.status.snapshot.phase == .stopped { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // A few more rounds of asking change nothing.
        try await Task.sleep(for: .milliseconds(200))
        let status = syncer.status.snapshot
        #expect(status.phase == .paused)
        let wait = try #require(status.quorumWait)
        #expect(wait.contains("waiting at block \(k - 1)") && wait.contains(honest.url) && wait.contains(forked.url), "\(wait)")
        #expect(status.message == wait)
        var chain = DevChain(seed: 32)
        chain.grow(to: k - 1)
        #expect(try index.cursor()?.hash == chain.head.header.hash)
        #expect(try BlockStore(store: db).lastHeaderNumber() == k - 1, "nothing above the fork is stored")
        #expect(try index.digest() == Fixtures.directIndex(of: chain).digest())
        #expect(syncer.pool.faults.isEmpty, "\(syncer.pool.faults)")
    }

    /// One upstream of three answers; the two others are unreachable. Quorum 2 cannot be met: nothing is indexed on
    /// the one's word, and sync says why it waits.
    @Test(.timeLimit(.minutes(1))) func tooFewAnsweringUpstreamsIndexNothing() async throws {
        let live = try await RunningDevNet(DevNet(seed: 30, blocks: 50))
        var policy = RetryPolicy.fastForTests
        policy.maxAttempts = 2
        // AsyncHTTPClient keeps trying a refused connection until the request's deadline.
        policy.timeout = .milliseconds(300)
        let down = try (1...2).map { _ in Upstream(endpoint: try UpstreamEndpoint("http://127.0.0.1:1/"), policy: policy) }
        let index = AssetIndex(store: MemoryStore())
        var options = SyncOptions()
        options.exitWhenCurrent = true
        options.pollInterval = .milliseconds(10)
        let syncer = Fixtures.syncer([try live.upstream()] + down, index: index, options: options)
        let run = Task { try await syncer.run() }
        defer { run.cancel() }
        while syncer.status.snapshot.quorumWait == nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(syncer.status.snapshot.quorumWait?.contains("only 1 of 3 upstreams gave a head") == true, "\(syncer.status.snapshot)")
        #expect(syncer.status.snapshot.phase == .paused)
        #expect(try index.cursor() == nil)
    }

    /// Two honest upstreams reorganise at block 150; a third answers everything honestly until then, and from then
    /// on answers any block more than two below its head from a fabricated history: exactly what the search for
    /// the common ancestor asks. Sync undoes the three replaced blocks, neither halts nor blames an honest upstream.
    @Test(.timeLimit(.minutes(1))) func aLiarInTheAncestorSearchNeitherHaltsSyncNorGetsTheHonestStruck() async throws {
        let reorg = DevNetReorg(at: 150, depth: 3)
        let last: UInt64 = 170
        var lies = DevNetFaults()
        lies.forgedHistoryAfter = 150
        let liar = try await RunningDevNet(DevNet(seed: 33, blocks: 100, faults: lies, reorg: reorg, maxHead: last))
        let honest = try await RunningDevNet(DevNet(seed: 33, blocks: 100, reorg: reorg, maxHead: last))
        let second = try await RunningDevNet(DevNet(seed: 33, blocks: 100, reorg: reorg, maxHead: last))
        let index = AssetIndex(store: MemoryStore(), undoWindow: 32)
        var options = SyncOptions()
        options.pollInterval = .milliseconds(5)
        options.stopAt = last
        let syncer = Fixtures.syncer([try liar.upstream(), try honest.upstream(), try second.upstream()], index: index, options: options)
        async let synced: Void = syncer.run()
        let nets = [liar, honest, second]
        while nets[1].devnet.head < last {
            let status = syncer.status.snapshot
            if status.phase == .stopped { break }
            if status.indexed == nets[1].devnet.head { nets.forEach { $0.devnet.grow() } }
            try await Task.sleep(for: .milliseconds(2))
        }
        try await synced

        var final = DevChain(seed: 33, branch: reorg.branch)
        final.grow(to: last)
        #expect(try index.cursor()?.hash == final.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: final).digest())
        #expect(syncer.status.snapshot.reorgs == 1 && syncer.status.snapshot.deepestReorg == 3)
        #expect(syncer.pool.trusted.contains { $0.label == honest.url } && syncer.pool.trusted.contains { $0.label == second.url }, "\(syncer.pool.faults)")
    }
}

/// A full block is fetched by the hash of the header whose bloom was tested; what comes back must be that header.
@Suite("Full blocks bound to their tested header")
struct BindingTests {
    /// An upstream answers a quarter of the blocks asked for by hash (and their receipts) with a sibling: valid, the
    /// same parent, another hash. Without the binding the sibling is indexed and undone when the next block does not
    /// link to it; with it, the upstream is faulty at once, for that block's hash.
    @Test func aSiblingServedByHashIsRefusedAndItsServerNamed() async throws {
        var lies = DevNetFaults()
        lies.siblingRate = 0.25
        let liar = try await RunningDevNet(DevNet(seed: 35, blocks: 120, faults: lies))
        let honest = try await RunningDevNet(DevNet(seed: 35, blocks: 120))
        let second = try await RunningDevNet(DevNet(seed: 35, blocks: 120))
        let index = AssetIndex(store: MemoryStore())
        var options = SyncOptions()
        options.exitWhenCurrent = true
        options.headersPerRequest = 10
        let syncer = Fixtures.syncer([try liar.upstream(), try honest.upstream(), try second.upstream()], index: index, options: options)
        try await syncer.run()

        #expect(try index.digest() == Fixtures.directIndex(of: honest.devnet.chain).digest())
        #expect(syncer.status.snapshot.reorgs == 0, "a sibling was indexed, then undone")
        let faults = syncer.pool.faults
        #expect(faults.map(\.upstream) == [liar.url], "\(faults)")
        guard case .verification(let failure)? = faults.first?.evidence else { Issue.record("evidence: \(faults)"); return }
        let tested = honest.devnet.chain.blocks[Int(failure.block)].header.hash
        // Blocks and receipts are asked of upstreams in turn, concurrently: the liar's sibling is caught by the
        // binding when it served the block, or by the receipts check when it served only the receipts.
        switch failure.field {
        case .blockHash: #expect(failure.expected == tested.hex, "expected: the tested header's hash")
        // The sibling's receipts fail whichever receipt check comes first: their count, the union of their blooms
        // against the tested header's, or the root (a one-in-six flake while only count and root were accepted).
        case .receiptCount, .logsBloom, .receiptsRoot: #expect(Double(tested.bytes[0]) < lies.siblingRate * 256, "receipts of a block the liar replaces (DevNet.sibling's rule)")
        default: Issue.record("evidence: \(failure)")
        }
    }
}

/// Finality: the block a quorum of upstreams reports finalized is recorded once stored (a reorg below it is in
/// `SyncTests.aReorgSyncMustNotUndoStopsSyncAndKeepsTheStore`).
@Suite("Finality")
struct FinalityTests {
    /// With finality 64 blocks deep, the store records block head−64 with its hash and asset_status reports it; a
    /// chain whose upstreams serve no finality records none.
    @Test(arguments: [DevNet.defaultFinalityDepth, nil] as [UInt64?])
    func theQuorumsFinalizedBlockIsRecorded(depth: UInt64?) async throws {
        let net = try await RunningDevNet(DevNet(seed: 38, blocks: 300, finalityDepth: depth))
        let index = AssetIndex(store: MemoryStore())
        var options = SyncOptions()
        options.exitWhenCurrent = true
        let syncer = Fixtures.syncer([try net.upstream()], index: index, options: options)
        try await syncer.run()
        let recorded = try BlockStore(store: index.store).finalized()
        let status = try JSONValue(parsing: Array(try #require(AssetMethods(index: index, chainId: DevChain.chainId, watched: Fixtures.watched)
            .dispatcher().handle(bytes: Array(#"{"jsonrpc":"2.0","id":1,"method":"asset_status","params":[]}"#.utf8)))))
        guard let depth else {
            #expect(recorded == nil && syncer.status.snapshot.finalized == nil)
            #expect(status["result"]?["finalized"] == .null)
            return
        }
        let number = 300 - depth
        #expect(recorded?.number == number && recorded?.hash == net.devnet.chain.blocks[Int(number)].header.hash)
        #expect(syncer.status.snapshot.finalized == number)
        #expect(status["result"]?["finalized"]?["number"] == .string(Hex.quantity(number)))
    }
}
