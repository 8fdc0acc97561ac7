import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthTypes
import Foundation
import Store
import Sync
import Testing
import TestSupport

/// The dev chain in its OP Stack form (an L1 attributes deposit opening every block, deposit receipts with nonce
/// and version, Isthmus headers), synced over real HTTP with the faults, lies and reorgs of the L1 tests: the same
/// index a direct import gives (the liar among three upstreams: `SyncTests.aLiarIsNamedAndNothingItTamperedIsIndexed`).
@Suite("Sync of the OP Stack dev chain over HTTP")
struct OPStackSyncTests {
    @Test func everyBlockOpensWithADepositAndHasOPStackTypesOnly() {
        var chain = DevChain(seed: 31, family: .opStack)
        chain.grow(to: 300)
        #expect(chain.blocks.dropFirst().allSatisfy { $0.transactions.first?.type == .deposit && $0.receipts.first?.depositReceiptVersion == 1 })
        #expect(Set(chain.blocks.flatMap { $0.transactions.map(\.type) }) == [.deposit, .legacy, .accessList, .dynamicFee, .setCode])
        #expect(chain.blocks.allSatisfy { $0.header.blobGasUsed == 0 && $0.header.extraData == DevChain.holoceneExtraData })
    }

    /// Each lie about a deposit alone (the L1 attributes deposit's `mint`, a deposit receipt's nonce) is caught
    /// and its upstream named, by the field it shows in.
    @Test func aDepositLieIsCaughtAndNamed() async throws {
        var lies = DevNetFaults()
        lies.tamper = .deposits
        lies.tamperRate = 0.2
        let liar = try await RunningDevNet(DevNet(seed: 32, blocks: 200, faults: lies, family: .opStack))
        let honest = try await RunningDevNet(DevNet(seed: 32, blocks: 200, family: .opStack))
        let index = AssetIndex(store: MemoryStore())
        var options = SyncOptions()
        options.exitWhenCurrent = true
        let syncer = Fixtures.syncer([try liar.upstream(), try honest.upstream()], quorum: 1, index: index, options: options, spec: DevChain.opStackSpec)
        try await syncer.run()
        #expect(liar.devnet.tamperedCount > 0)
        #expect(try index.digest() == Fixtures.directIndex(of: honest.devnet.chain).digest())
        let evidence = syncer.pool.faults.map(\.evidence.description)
        #expect(syncer.pool.faults.map(\.upstream) == [liar.url], "\(evidence)")
        #expect(evidence.allSatisfy { $0.contains("transactionsRoot") || $0.contains("receiptsRoot") }, "\(evidence)")
    }

    @Test(arguments: [3, 16] as [UInt64])
    func reorgsWhileFollowingTheHead(depth: UInt64) async throws {
        let reorg = DevNetReorg(at: 120, depth: depth)
        let last: UInt64 = 140
        let net = try await RunningDevNet(DevNet(seed: 33, blocks: 80, reorg: reorg, maxHead: last, family: .opStack))
        let (syncer, index, path) = try await SyncTests.follow(net, to: last)
        defer { try? FileManager.default.removeItem(atPath: path) }

        var final = DevChain(seed: 33, branch: reorg.branch, family: .opStack)
        final.grow(to: last)
        #expect(net.devnet.chain.head.header.hash == final.head.header.hash)
        #expect(try index.cursor()?.hash == final.head.header.hash)
        #expect(try index.digest() == Fixtures.directIndex(of: final).digest())
        #expect(syncer.status.snapshot.reorgs == 1)
        #expect(syncer.status.snapshot.deepestReorg == depth)
    }
}
