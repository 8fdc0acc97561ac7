import ArgumentParser
import DevChain
import DevNet
import Foundation
import ProvenantNode

/// `provenant devnet`: the dev chain as a JSON-RPC upstream over HTTP.
struct Devnet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the deterministic dev chain over HTTP JSON-RPC, optionally misbehaving.",
        discussion: """
            Answers eth_chainId, eth_blockNumber, eth_getBlockByNumber/ByHash (full or hashes only), \
            eth_getBlockReceipts, eth_getTransactionReceipt, eth_getLogs and batches, from a chain whose blocks \
            carry real signatures, roots and blooms (chainspec provenant-dev; with --op-stack, OP Stack blocks that \
            open with a deposit, chainspec provenant-dev-op). Faults make it an untrusted \
            upstream: tampered data with the original hashes still claimed, dropped connections, delays, rate \
            limits, batch limits, a missing eth_getBlockReceipts, a reorg, or a consistent fork. The finalized \
            tag is --finality-depth below the head. Rates are per request, 0 to 1.
            """)

    @Option(help: "Seed of the chain.") var seed: UInt64 = 1
    @Option(help: "Blocks after genesis at start.") var blocks: UInt64 = 300
    @Option(help: "Listen on this port (0: any free port).") var port: Int = 8545
    @Option(help: "Listen on this host.") var host: String = "127.0.0.1"
    @Option(help: "Add a block every this many milliseconds (0: never).") var blockTimeMs: UInt64 = 0
    @Option(help: "Stop growing at this head.") var maxHead: UInt64?
    @Option(help: "Share of blocks with transactions and token events, 0 to 1 (default: about 5 in 8).") var eventBlockShare: Double?
    @Flag(help: "Serve the dev chain in its OP Stack form: an L1 attributes deposit first in each block, deposit receipts with nonce and version, Isthmus headers (chainspec provenant-dev-op).")
    var opStack = false
    @Option(help: "What to tamper with: headers, receipts, senders, deposits (OP Stack), all (comma-separated).") var tamper: String = ""
    @Option(help: "Share of calls answered with tampered data.") var tamperRate: Double = 0.05
    @Option(help: "Share of requests whose connection is closed halfway through the answer.") var dropRate: Double = 0
    @Option(help: "Share of requests delayed by --delay-ms.") var delayRate: Double = 0
    @Option(help: "Delay of delayed requests, in milliseconds.") var delayMs: UInt64 = 200
    @Option(help: "Share of requests refused as rate-limited (HTTP 429 or -32005).") var rateLimitRate: Double = 0
    @Option(help: "Share of a batch's items answered with -32005 while the others are answered (per-item limits).")
    var itemRateLimitRate: Double = 0
    @Option(help: "Reorganise when the head reaches this block (needs --block-time-ms).") var reorgAt: UInt64?
    @Option(help: "Blocks the reorg replaces.") var reorgDepth: UInt64 = 3
    @Option(help: "Reorganise again each time the head has grown this many blocks past the last reorg (after --reorg-at).")
    var reorgEvery: UInt64?
    @Option(help: "Serve a consistent fork of the chain from this block on: valid blocks, hashes and links, other events (a liar a quorum must outvote).")
    var forkFrom: UInt64?
    @Option(help: "Share of requests failed with HTTP 503.") var serverErrorRate: Double = 0
    @Option(help: "Refuse batches of more than this many calls as a whole (1: no batches at all).") var maxBatchItems: Int?
    @Flag(help: "Answer eth_getBlockReceipts as an unknown method (-32601), as nodes without it do.") var noBlockReceipts = false
    @Option(help: "The finalized block tag is this many blocks below the head.") var finalityDepth: UInt64 = DevNet.defaultFinalityDepth
    @Flag(help: "Serve no finality: the finalized and safe tags are an error, as on a chain without them.") var noFinality = false

    func validate() throws {
        for (name, rate) in [("tamper-rate", tamperRate), ("drop-rate", dropRate), ("delay-rate", delayRate), ("rate-limit-rate", rateLimitRate),
                             ("item-rate-limit-rate", itemRateLimitRate), ("server-error-rate", serverErrorRate)] {
            guard (0...1).contains(rate) else { throw ValidationError("--\(name) must be between 0 and 1, got \(rate)") }
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        if let share = eventBlockShare, !(0...1).contains(share) { throw ValidationError("--event-block-share must be between 0 and 1") }
        if let reorgAt {
            guard reorgDepth >= 1, reorgDepth < reorgAt else { throw ValidationError("--reorg-depth must be between 1 and --reorg-at - 1") }
            guard blockTimeMs > 0 || blocks > reorgAt else { throw ValidationError("--reorg-at above --blocks needs --block-time-ms to grow the chain to it") }
            guard forkFrom == nil else { throw ValidationError("--fork-from and --reorg-at cannot be combined") }
            if let reorgEvery, reorgEvery <= reorgDepth { throw ValidationError("--reorg-every must be more than --reorg-depth") }
        } else if reorgEvery != nil {
            throw ValidationError("--reorg-every needs --reorg-at")
        }
        if forkFrom == 0 { throw ValidationError("--fork-from must be 1 or more: genesis is shared") }
        if let maxBatchItems, maxBatchItems < 1 { throw ValidationError("--max-batch-items must be at least 1") }
        _ = try tampering()
    }

    func tampering() throws -> DevNetFaults.Tampering {
        var kinds: DevNetFaults.Tampering = []
        for word in tamper.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
            switch word {
            case "headers": kinds.insert(.headers)
            case "receipts": kinds.insert(.receipts)
            case "senders": kinds.insert(.senders)
            case "deposits": kinds.insert(.deposits)
            case "all": kinds.formUnion(.all)
            default: throw ValidationError("--tamper: unknown kind \"\(word)\" (headers, receipts, senders, deposits, all)")
            }
        }
        return kinds
    }

    func run() async throws {
        var faults = DevNetFaults()
        faults.tamper = try tampering()
        faults.tamperRate = tamperRate
        faults.dropRate = dropRate
        faults.delayRate = delayRate
        faults.delay = .milliseconds(Int64(delayMs))
        faults.rateLimitRate = rateLimitRate
        faults.itemRateLimitRate = itemRateLimitRate
        faults.serverErrorRate = serverErrorRate
        faults.maxBatchItems = maxBatchItems
        faults.lacksBlockReceipts = noBlockReceipts
        let devnet = DevNet(
            seed: seed, blocks: blocks, faults: faults, reorg: reorgAt.map { DevNetReorg(at: $0, depth: reorgDepth, every: reorgEvery) },
            fork: forkFrom.map { DevChain.Branch(block: $0, salt: 0xF02C) }, maxHead: maxHead,
            eventBlockShare: eventBlockShare, finalityDepth: noFinality ? nil : finalityDepth, family: opStack ? .opStack : .ethereum)
        let host = self.host, blocks = self.blocks, seed = self.seed
        let chain = opStack ? "OP Stack dev chain (chainspec provenant-dev-op)" : "dev chain"
        let chainId = opStack ? DevChain.opStackChainId : DevChain.chainId
        try await Lifecycle.runUntilSignalled {
            try await devnet.run(host: host, port: port, blockInterval: blockTimeMs > 0 ? .milliseconds(Int64(blockTimeMs)) : nil) { bound in
                print("devnet: \(chain) seed \(seed), head \(blocks), chain id \(chainId), on http://\(host):\(bound)/")
                fflush(nil)
            }
        }
    }
}
