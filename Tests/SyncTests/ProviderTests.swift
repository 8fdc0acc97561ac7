import AssetIndex
import DevChain
import DevNet
import EthUpstream
import Store
import Sync
import Testing
import TestSupport

/// What hosted providers do that an ideal node does not: limits per item and per batch, dropped connections, 5xx,
/// missing methods. Sync must reach the clean chain's index through all of it.
@Suite("Real providers' limits")
struct ProviderTests {
    static func sync(_ net: RunningDevNet, headersPerRequest: Int = 100) async throws -> (AssetIndex, Syncer) {
        let index = AssetIndex(store: MemoryStore())
        var options = SyncOptions()
        options.exitWhenCurrent = true
        options.headersPerRequest = headersPerRequest
        let syncer = Fixtures.syncer([try net.upstream()], index: index, options: options)
        try await syncer.run()
        return (index, syncer)
    }

    /// 5% of batch items refused with -32005, 5% of connections dropped mid-answer, 2% of requests failed with HTTP
    /// 503: the clean index, for a bounded multiple of a clean run's requests (the wall-clock ratio is in
    /// `provenant-bench sync`, where timings belong).
    @Test(.timeLimit(.minutes(1))) func aHostileProviderStillGivesTheCleanIndex() async throws {
        var faults = DevNetFaults()
        faults.itemRateLimitRate = 0.05
        faults.dropRate = 0.05
        faults.serverErrorRate = 0.02
        // Small ranges, so that a few hundred requests meet every fault.
        let hostile = try await RunningDevNet(DevNet(seed: 35, blocks: 600, faults: faults))
        let clean = try await RunningDevNet(DevNet(seed: 35, blocks: 600))
        let (cleanIndex, cleanSync) = try await Self.sync(clean, headersPerRequest: 10)
        let (index, syncer) = try await Self.sync(hostile, headersPerRequest: 10)
        #expect(try index.digest() == cleanIndex.digest())
        let stats = syncer.pool.upstreams[0].stats, cleanStats = cleanSync.pool.upstreams[0].stats
        #expect(stats.errors["rate_limited", default: 0] > 0 && stats.errors["connection", default: 0] + stats.errors["http_status", default: 0] > 0, "\(stats.errors)")
        // No runaway retries. A range whose fetch gives up discards the ranges fetched ahead of it (up to
        // `rangesInFlight`, 8), and how many are ahead depends on how fast blocks are written: 1.5x the clean run's
        // requests on an idle machine, up to 4.4x seen under a loaded full test run; the bound is 8x.
        #expect(stats.requests <= 8 * cleanStats.requests, "\(stats.requests) requests against \(cleanStats.requests) clean: \(stats.errors)")
    }

    /// A provider that takes no batches at all, and one that takes at most 20 calls a request: single calls, or
    /// smaller batches, and the same index.
    @Test(.timeLimit(.minutes(1)), arguments: [1, 20])
    func anUpstreamThatRefusesBatchesGivesTheSameIndex(maxBatchItems: Int) async throws {
        var faults = DevNetFaults()
        faults.maxBatchItems = maxBatchItems
        let net = try await RunningDevNet(DevNet(seed: 36, blocks: 150, faults: faults))
        let (index, syncer) = try await Self.sync(net)
        #expect(try index.digest() == Fixtures.directIndex(of: net.devnet.chain).digest())
        let stats = syncer.pool.upstreams[0].stats
        // It probes a larger size now and then, and is refused again.
        #expect(stats.batchSize < UpstreamLimits.maxBatchItems && stats.errors["batch_refused", default: 0] > 0, "\(stats)")
    }

    /// A provider without `eth_getBlockReceipts`: receipts are asked for one transaction at a time, checked against
    /// each block's receipts root all the same, and the index is the same.
    @Test(.timeLimit(.minutes(1))) func anUpstreamWithoutBlockReceiptsGivesTheSameIndex() async throws {
        var faults = DevNetFaults()
        faults.lacksBlockReceipts = true
        let net = try await RunningDevNet(DevNet(seed: 37, blocks: 150, faults: faults))
        let (index, syncer) = try await Self.sync(net)
        #expect(try index.digest() == Fixtures.directIndex(of: net.devnet.chain).digest())
        #expect(syncer.pool.upstreams[0].lacks("eth_getBlockReceipts"))
        #expect(syncer.status.snapshot.fullBlocksThisRun > 50 && syncer.status.snapshot.eventsThisRun > 100)
    }
}
