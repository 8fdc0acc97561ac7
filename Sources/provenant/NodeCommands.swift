import ArgumentParser
import Foundation
import ProvenantNode
import NodeConfig
import Sync

/// Options shared by `run` and `sync`.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The node's config file (YAML; keys in README.md and ARCHITECTURE.md §9).")
    var config: String = "provenant.yaml"

    func load() throws -> NodeConfig {
        do { return try NodeConfig.load(path: config) } catch { throw CLIError("\(config): \(error)") }
    }
}

/// `provenant run`: sync and serve together.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sync the watched contracts from the upstreams and serve JSON-RPC queries, until stopped.",
        discussion: """
            Verifies every block it keeps (hash, link to the checkpoint, roots, bloom, senders), commits a range \
            only once `quorum` upstreams (default: a majority) give its last block's hash, indexes the watched \
            contracts' token events, follows the head, and undoes reorgs within reorgWindow and above the \
            finalized block. The server starts at once and answers from what is verified so far; asset_status and \
            GET /health say how far sync is, and why it waits when no quorum agrees. If sync stops (fewer trusted \
            upstreams than the quorum, a reorg deeper than the window or below the finalized block), the error is \
            logged and the node keeps serving what it has. SIGINT or SIGTERM finishes the block being written and \
            closes the store.
            """)

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let node = try Node(config: config)
        try await node.checkSinks()
        Log.line("provenant run: chain \(node.spec.name), \(config.upstreams.count) upstream(s) (quorum \(node.pool.quorum)), \(config.contracts.count) contract(s), data in \(config.dataDir)")
        try await node.services { port in Log.line("serving JSON-RPC on http://\(config.serverHost):\(port)/") }.run()
        Log.line("stopped cleanly; the next run resumes after block \((try? node.directory.index.cursor())?.number.description ?? "-")")
    }
}

/// `provenant sync`: sync without serving.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync the watched contracts from the upstreams into the data directory, without serving.",
        discussion: """
            Same verification and indexing as `provenant run`. Follows the head until stopped, unless \
            --until-current or --stop-at ends it. Safe to kill at any point: the next run resumes from the last \
            block written. Exit status 1 when sync stops on an error (fewer trusted upstreams than the quorum, a \
            reorg deeper than the window or below the finalized block). While no quorum of upstreams agrees on the \
            next block it waits, saying why, instead of indexing either side.
            """)

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Exit once the index reaches the head the upstreams agree on.") var untilCurrent = false
    @Option(help: "Exit once this block is indexed.") var stopAt: UInt64?
    @Option(help: "Also print a line on standard output each time this many more blocks are indexed (0: never).")
    var progressEvery: UInt64 = 0

    func run() async throws {
        let config = try options.load()
        var sync = SyncOptions()
        sync.exitWhenCurrent = untilCurrent
        sync.stopAt = stopAt
        let node = try Node(config: config, options: sync)
        try await node.checkSinks()
        let every = progressEvery
        let lines = Task {
            // For scripts (the kill test waits for these): the indexed block, whenever it passes a multiple.
            var printed: UInt64?
            while every > 0, !Task.isCancelled {
                if let indexed = node.syncer.status.snapshot.indexed, indexed / every != printed.map({ $0 / every }) {
                    print("sync: block \(indexed)")
                    fflush(nil)
                    printed = indexed
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        defer { lines.cancel() }
        do {
            try await Lifecycle.runUntilSignalled { try await node.syncAndSink() }
        } catch let error as SyncError {
            throw CLIError("sync stopped: \(error)")
        }
        let tip = try node.directory.index.cursor()
        print("synced \(node.spec.name) to block \(tip.map { "\($0.number) \($0.hash.hex)" } ?? "-") in \(config.dataDir)")
    }
}
