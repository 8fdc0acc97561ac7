import ArgumentParser
import AssetIndex
import DevChain
import EthPrimitives
import EthTypes
import Foundation
import Ingest
import EthUpstream
import PostgresSink
import ProvenantNode
import Store

/// A failure the user can act on: printed as `Error: <message>` without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints progress on one rewritten line on a terminal, as a line every few seconds otherwise.
struct Progress {
    let label: String
    /// Print a line every this many blocks instead of by time (0: by time).
    var everyBlocks: UInt64 = 0
    let interactive = isatty(STDOUT_FILENO) == 1
    var last = ContinuousClock.now
    let start = ContinuousClock.now

    mutating func update(_ done: UInt64, _ total: UInt64, force: Bool = false) {
        let now = ContinuousClock.now
        let due = everyBlocks > 0 ? done % everyBlocks == 0 : now - last > (interactive ? .milliseconds(200) : .seconds(5))
        guard force || due else { return }
        last = now
        let elapsed = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let line = "\(label): \(done)/\(total) blocks, \(String(format: "%.0f", rate)) blocks/s"
        if interactive && everyBlocks == 0 { print("\r\(line)", terminator: force ? "\n" : "") } else { print(line) }
        fflush(nil)  // every output stream; `stdout` itself is a C global Swift 6 will not touch
    }
}

/// `provenant import-devchain`: the dev chain generated in process, each block verified, stored and indexed.
struct ImportDevChain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-devchain",
        abstract: "Generate the dev chain, verify every block and index it into a data directory.",
        discussion: """
            Each block is checked exactly as a block from an untrusted upstream would be (hash, roots, blooms, \
            senders, parent link to the chainspec's genesis checkpoint) and written with its index changes in one \
            atomic batch. Run it again on the same directory to resume after an interruption. The chain is \
            generated here, so its tip is recorded as final (anchors export lists up to it).
            """)

    @Option(help: "Seed of the dev chain.") var seed: UInt64 = 1
    @Option(help: "Index up to this block number.") var blocks: UInt64 = 500
    @Option(help: "Share of blocks with transactions and token events, 0 to 1, as devnet takes it (default: about 5 in 8).")
    var eventBlockShare: Double?
    @OptionGroup var dataDir: DataDirectoryOption
    @Option(help: "Print a progress line every this many blocks (default: every 5 seconds, or live on a terminal).")
    var progressEvery: UInt64 = 0
    @Option(help: ArgumentHelp(
        "The dev chain's contracts to index, comma-separated (default: all).",
        discussion: "Of \(DevChain.Contract.allCases.map(\.name).joined(separator: ", ")). With some left out, blocks mixing their transactions with watched ones keep partial bodies."))
    var watch: String?

    func validate() throws {
        if let share = eventBlockShare, !(0...1).contains(share) { throw ValidationError("--event-block-share must be between 0 and 1") }
    }

    func run() throws {
        let contracts = try watchedContracts()
        let directory = try dataDir.open(create: true)
        try directory.requireNoInterruptedReindex()
        let spec = try ChainspecDirectories.load("provenant-dev")
        try directory.record(chain: "provenant-dev", spec: spec, startBlocks: Dictionary(uniqueKeysWithValues: contracts.map { ($0.address, 0) }))
        let (_, ingestor) = try directory.ingestor()
        var parent = try ingestor.tipHeader()
        let first = parent.map { $0.number + 1 } ?? 0
        var chain = DevChain(seed: seed, eventBlockShare: eventBlockShare)
        var progress = Progress(label: "import", everyBlocks: progressEvery)
        for number in first...max(first, blocks) where number <= blocks {
            // Grown block by block, so an import killed and restarted resumes writing as soon as it has
            // regenerated the blocks it already has.
            chain.grow(to: number)
            let block = chain.blocks[Int(number)]
            try ingestor.ingest(block.rpc, receipts: block.receipts, parent: parent)
            parent = block.header
            progress.update(number + 1, blocks + 1)
        }
        progress.update(blocks + 1, blocks + 1, force: true)
        // Generated here, by the same deterministic code every time: nothing can replace any of its blocks.
        if let tip = try ingestor.tipHeader() { try ingestor.blocks.recordFinalized(number: tip.number, hash: tip.hash) }
        print("indexed through block \(blocks) of dev chain seed \(seed) into \(dataDir.path)")
    }

    func watchedContracts() throws -> [DevChain.Contract] {
        guard let watch else { return DevChain.Contract.allCases }
        let names = watch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let contracts = try names.map { name in
            guard let contract = DevChain.Contract.allCases.first(where: { $0.name == name }) else {
                throw CLIError("--watch: no dev chain contract \"\(name)\"; the contracts are \(DevChain.Contract.allCases.map(\.name).joined(separator: ", "))")
            }
            return contract
        }
        guard !contracts.isEmpty else { throw CLIError("--watch: name at least one contract") }
        return contracts
    }
}

/// `provenant reindex`: rebuild the index from the stored blocks.
struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the token index from the verified blocks in a data directory, with no upstream.",
        discussion: "Safe to interrupt: a later run starts over and ends with the same index.")

    @OptionGroup var dataDir: DataDirectoryOption

    func run() throws {
        let directory = try dataDir.open()
        let reindexer = Reindexer(ingestor: try directory.ingestor().1)
        var progress = Progress(label: "reindex")
        let stats = try reindexer.run { done, total in progress.update(done, total) }
        print("reindexed: \(stats.events) events, \(stats.malformed) malformed logs skipped")
    }
}

/// `provenant index-digest`: one hash over the whole index, to compare two data directories.
struct IndexDigest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index-digest", abstract: "Print keccak256 over every index key and value of a data directory.")

    @OptionGroup var dataDir: DataDirectoryOption

    func run() throws {
        let directory = try dataDir.open()
        let tip = try directory.index.cursor()
        print("\(try directory.index.digest()) \(tip.map { "block \($0.number)" } ?? "empty")")
    }
}

/// `provenant export`: a data directory's verified index into PostgreSQL, with no upstream.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backfill a PostgreSQL database from a data directory (the sink's tables, by COPY), with no upstream.",
        discussion: """
            Writes every event the data directory indexed into the schema's token_events, computes owners, balances, \
            rentals and provenance from them, and sets the sink's cursor to the directory's indexed tip, all in one \
            transaction: interrupted, it leaves the database as it was. A node whose config has a sink with the \
            same schema and name continues from there. The tables are created if missing (README, PostgreSQL). \
            A sink that already holds blocks is refused unless --replace, which deletes its rows first. \
            The URL's password may come from the environment: postgres://user:${PGPASSWORD}@host/db.
            """)

    @OptionGroup var dataDir: DataDirectoryOption
    @Option(help: "The database: postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require], or ?host=/socket/dir.")
    var postgres: String
    @Option(help: "The PostgreSQL schema of the sink's tables.") var schema = "provenant"
    @Option(help: "The sink's name (its row in the schema's sinks table; a node continues the sink of its config's name).")
    var name = "provenant"
    @Flag(help: "Delete the sink's rows and write them again, instead of refusing a sink that already holds blocks.")
    var replace = false
    @Flag(help: """
        Write nothing: compare the sink's rows with the data directory (its cursor with the indexed tip, every event         row with the stored blocks, every owner, balance, rental and provenance row with the index's answer). Exit 1         on a difference, listing them.
        """)
    var check = false

    func run() async throws {
        let directory = try dataDir.open()
        let (_, ingestor) = try directory.ingestor()
        let url: PostgresURL
        do { url = try PostgresURL(try UpstreamEndpoint.expand(postgres, environment: ProcessInfo.processInfo.environment)) } catch {
            throw CLIError("--postgres: \(error)")
        }
        let sink = try PostgresSink(settings: .init(url: url, schema: schema, name: name), ingestor: ingestor, log: Log.line)
        if check {
            let report: PostgresSink.CheckReport
            do { report = try await sink.check() } catch { throw CLIError("check of \(url.redacted): \(error)") }
            let counts = "\(report.eventRows) event rows, \(report.owners) owners, \(report.balances) balances, \(report.rentals) rentals, \(report.provenance) provenance rows"
            guard report.differences.isEmpty else {
                for difference in report.differences { print("differs: \(difference)") }
                if report.unlisted > 0 { print("... and \(report.unlisted) more") }
                throw CLIError("sink \"\(name)\" in schema \(schema) differs from the index at block \(report.block.map(String.init) ?? "-") (\(counts))")
            }
            print("sink \"\(name)\" in schema \(schema) equals the index at block \(report.block.map(String.init) ?? "-"): \(counts)")
            return
        }
        let start = ContinuousClock.now
        let summary: PostgresSink.ExportSummary
        do {
            summary = try await sink.export(replace: replace) { block, tip, rows in
                Log.line("export: block \(block)/\(tip), \(rows) event rows")
            }
        } catch {
            throw CLIError("export to \(url.redacted): \(error)")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("exported \(summary.rows) event rows from \(summary.blocks) blocks with events, up to block \(summary.block.map(String.init) ?? "-"), "
            + "into \(url.redacted) schema \(schema) in \(String(format: "%.1f", seconds)) s")
    }
}
