import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthRPC
import EthUpstream
import Foundation
import Ingest
import NodeConfig
import PostgresSink
import ProvenantNode
import Store
import Sync
import Synchronization
import Testing
import TestSupport

/// Whether Debian's `postgresql` is installed (`.ci/run` installs it and fails without it; elsewhere these suites
/// are reported skipped, by name).
let postgresInstalled = PostgresServer.isInstalled

/// One server for the whole suite; each test writes its own schema.
let sharedServer: Result<PostgresServer, Error> = Result { try PostgresServer() }

func server() throws -> PostgresServer { try sharedServer.get() }

func sink(_ ingestor: Ingestor, schema: String, name: String = "provenant", log: LogLines = LogLines()) throws -> PostgresSink {
    var settings = PostgresSink.Settings(url: try PostgresURL(try server().url), schema: schema, name: name)
    settings.poll = .milliseconds(2)
    return try PostgresSink(settings: settings, ingestor: ingestor, log: { line in log.lines.withLock { $0.append(line) } })
}

/// What a sink logged.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}

func levelDB() throws -> (LevelDB, String) {
    let path = temporaryPath("sink")
    return (try LevelDB(path: path), path)
}

/// An ingestor over a LevelDB holding the dev chain of `seed` (grown to `grown`, default `last`) up to `last`,
/// imported directly; the chain, for blocks to ingest later; the database's path.
func imported(seed: UInt64, upTo last: UInt64, grown: UInt64? = nil) throws -> (Ingestor, DevChain, String) {
    let (db, path) = try levelDB()
    var chain = DevChain(seed: seed)
    chain.grow(to: grown ?? last)
    let ingestor = Ingestor(index: AssetIndex(store: db), spec: DevChain.spec, watched: DevChain.allContracts)
    try chain.ingest(into: ingestor, upTo: last)
    return (ingestor, chain, path)
}

/// Ingests `chain`'s blocks `numbers` on top of what `ingestor` holds.
func ingest(_ chain: DevChain, _ numbers: ClosedRange<Int>, into ingestor: Ingestor) throws {
    for n in numbers { try ingestor.ingest(chain.blocks[n].rpc, receipts: chain.blocks[n].receipts, parent: chain.blocks[n - 1].header) }
}

@Suite("PostgreSQL sink against a real server", .serialized, .enabled(if: postgresInstalled, "needs Debian's postgresql, which .ci/run installs"))
struct PostgresSinkTests {
    /// `export` writes every event and the state computed from them in one transaction; `check` then finds every
    /// owner, balance, rental and provenance row equal to the index's answer, and the cursor at the tip.
    @Test func exportEqualsTheIndex() async throws {
        let (ingestor, _, path) = try imported(seed: 41, upTo: 300)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try sink(ingestor, schema: "export_test")
        let summary = try await sink.export(replace: false)
        #expect(summary.block == 300)
        #expect(summary.rows > 500)
        let report = try await sink.check()
        #expect(report.differences == [])
        #expect(report.eventRows == summary.rows)
        #expect(report.owners > 10 && report.balances > 10 && report.rentals > 0 && report.provenance > 10)
        // The counts the README's queries read agree with the index's own answers.
        let pg = try server()
        let owners = try pg.psql("SELECT count(*) FROM export_test.owners")
        var live = 0
        var cursor: [UInt8]?
        repeat {
            let page = try ingestor.index.tokens(contract: DevChain.Contract.visions.address, cursor: cursor, limit: 1000)
            live += page.items.count
            cursor = page.next
        } while cursor != nil
        #expect(owners == ["\(live)"])
        // A second export of the same sink is refused; --replace writes it again, equal.
        await #expect { try await sink.export(replace: false) } throws: { "\($0)".contains("already holds blocks up to 300") }
        _ = try await sink.export(replace: true)
        #expect(try await sink.check().differences == [])
    }

    /// `check` has teeth: a changed owner, a deleted event, a row no block holds, a changed balance, a moved cursor
    /// are each reported, naming the row.
    @Test func checkFindsEveryKindOfDifference() async throws {
        let (ingestor, _, path) = try imported(seed: 42, upTo: 200)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try sink(ingestor, schema: "tamper_test")
        _ = try await sink.export(replace: false)
        #expect(try await sink.check().differences == [])
        let pg = try server()
        let cases: [(String, String, String)] = [
            ("UPDATE tamper_test.owners SET owner = '\\x00000000000000000000000000000000000000aa' WHERE token_id = (SELECT min(token_id) FROM tamper_test.owners)", "owners ", "row "),
            ("DELETE FROM tamper_test.token_events WHERE (block_number, log_index) = (SELECT block_number, log_index FROM tamper_test.token_events ORDER BY 1 DESC LIMIT 1)", "token_events lacks", ""),
            ("UPDATE tamper_test.balances SET balance = balance + 1 WHERE holder = (SELECT holder FROM tamper_test.balances ORDER BY holder LIMIT 1)", "balances ", ""),
            ("UPDATE tamper_test.rentals SET expires = expires + 1 WHERE token_id = (SELECT min(token_id) FROM tamper_test.rentals)", "rentals ", ""),
            ("UPDATE tamper_test.provenance SET minter = NULL WHERE token_id = (SELECT min(token_id) FROM tamper_test.provenance WHERE minter IS NOT NULL)", "provenance ", ""),
            ("UPDATE tamper_test.sinks SET block_number = block_number - 1", "cursor", ""),
        ]
        for (sql, expected, _) in cases {
            _ = try await sink.export(replace: true)
            _ = try pg.psql(sql)
            let differences = try await sink.check().differences
            #expect(differences.contains { $0.contains(expected) }, "\(sql) → \(differences)")
        }
    }

    /// The live sink behind a syncing node on a chain that reorganises (depth 1 to 64, several times each): the sink
    /// writes each old branch, rolls it back in the transaction of the new one, and ends equal to the index, with no
    /// event row duplicated or missing.
    @Test(arguments: [1, 8, 32, 64] as [UInt64])
    func reorgsAreRolledBackExactly(depth: UInt64) async throws {
        let reorg = DevNetReorg(at: 110, depth: depth, every: depth + 15)
        let last: UInt64 = 110 + 3 * (depth + 15) + 5
        let net = try await RunningDevNet(DevNet(seed: 43, blocks: 100, reorg: reorg, maxHead: last))
        let (db, path) = try levelDB()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: db)
        let ingestor = Ingestor(index: index, spec: DevChain.spec, watched: DevChain.allContracts)
        var options = SyncOptions()
        options.pollInterval = .milliseconds(5)
        options.stopAt = last
        let syncer = Syncer(pool: UpstreamPool(upstreams: [try net.upstream()]), ingestor: ingestor, options: options, log: { _ in })
        let log = LogLines()
        let sink = try sink(ingestor, schema: "reorg_\(depth)", log: log)
        let following = Task { try await sink.run() }
        async let synced: Void = syncer.run()
        // The chain grows only once sync and the sink both hold its head, so the sink has written every branch
        // before it is replaced.
        while net.devnet.head < last {
            if syncer.status.snapshot.phase == .stopped { break }
            let head = net.devnet.head
            if syncer.status.snapshot.indexed == head && sink.status.block == head { net.devnet.grow() }
            try await Task.sleep(for: .milliseconds(2))
        }
        try await synced
        following.cancel()
        _ = try? await following.value
        try await sink.catchUp()
        #expect(syncer.status.snapshot.reorgs == 4)
        #expect(sink.status.rolledBack >= Int(depth), "\(log.lines.withLock { $0 })")
        let report = try await sink.check()
        #expect(report.block == last)
        #expect(report.differences == [])
        let duplicates = try server().psql("SELECT count(*) - count(DISTINCT (block_number, log_index, batch_index)) FROM reorg_\(depth).token_events")
        #expect(duplicates == ["0"])
    }

    /// PostgreSQL crashed (stopped `immediate`) while the sink follows a store that keeps growing, and started again:
    /// the sink says why it waits, reconnects, resumes from its own cursor and ends equal to the index.
    @Test(.timeLimit(.minutes(2))) func aRestartOfPostgreSQLIsRiddenOut() async throws {
        let (ingestor, chain, path) = try imported(seed: 44, upTo: 200, grown: 400)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = LogLines()
        let sink = try sink(ingestor, schema: "restart_test", log: log)
        let following = Task { try await sink.run() }
        while sink.status.block != 200 { try await Task.sleep(for: .milliseconds(5)) }
        let pg = try server()
        try pg.stop(mode: "immediate")
        // The store grows while the database is down: the sink's next transaction fails, and it waits.
        try ingest(chain, 201...400, into: ingestor)
        while !log.lines.withLock({ $0 }).contains(where: { $0.contains("retrying in") }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.status.block == 200)
        #expect(sink.status.lastError != nil)
        try pg.start()
        while sink.status.block != 400 { try await Task.sleep(for: .milliseconds(10)) }
        following.cancel()
        _ = try? await following.value
        #expect(sink.status.lastError == nil)
        #expect(try await sink.check().differences == [])
    }

    /// A second writer of the same sink (here: its cursor moved behind the sink's back) is refused at the next
    /// transaction, before anything is written, instead of writing blocks twice or leaving a gap.
    @Test(.timeLimit(.minutes(1))) func aSecondWriterIsRefused() async throws {
        let (ingestor, chain, path) = try imported(seed: 47, upTo: 50, grown: 60)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try sink(ingestor, schema: "writer_test")
        let following = Task { try await sink.run() }
        while sink.status.block != 50 { try await Task.sleep(for: .milliseconds(5)) }
        _ = try server().psql("UPDATE writer_test.sinks SET block_number = 45, block_hash = '\\x\(String(chain.blocks[45].header.hash.hex.dropFirst(2)))'")
        try ingest(chain, 51...60, into: ingestor)
        let rows = try chain.index(upTo: 50).eventCount()
        await #expect { try await following.value } throws: { "\($0)".contains("is another node writing it?") }
        #expect(try server().psql("SELECT count(*) FROM writer_test.token_events") == ["\(rows)"])
        #expect(sink.status.block == 50)
    }

    /// What the sink refuses: a second node's sink of the same name watching other contracts, a bad schema name, a
    /// bad URL.
    @Test func conflictsAndBadSettingsAreRefused() async throws {
        let (ingestor, _, path) = try imported(seed: 45, upTo: 30)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await sink(ingestor, schema: "conflict_test").prepare()
        let other = Ingestor(index: ingestor.index, spec: DevChain.spec, watched: [DevChain.Contract.visions.address])
        await #expect { try await sink(other, schema: "conflict_test").prepare() } throws: { "\($0)".contains("give this node's sink another name") }
        try await sink(other, schema: "conflict_test", name: "node-b").prepare()
        #expect { try sink(ingestor, schema: "Robert'); DROP TABLE") } throws: { "\($0)".contains("a schema name is") }
        #expect { try PostgresURL("mysql://x@y/z") } throws: { "\($0)".contains("postgres://") }
        #expect { try PostgresURL("postgres://x@y/z?sslmode=maybe") } throws: { "\($0)".contains("sslmode") }
        #expect(try PostgresURL("postgres://u:secret@db.example:6543/assets").redacted == "postgres://u:***@db.example:6543/assets")
    }
}

/// The node as `provenant run` composes it, with a sink from its config: sync, server and sink as services of one
/// group. The sink follows the growing chain, `asset_status` reports where it is, and the database ends equal to
/// the index.
@Suite("A node with a PostgreSQL sink, in process", .enabled(if: postgresInstalled, "needs Debian's postgresql, which .ci/run installs"))
struct NodeWithSinkTests {
    @Test func aNodeStreamsIntoPostgreSQLAndReportsIt() async throws {
        let net = try await RunningDevNet(DevNet(seed: 46, blocks: 120))
        let dataDir = temporaryPath("node-sink")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        var config = NodeConfig(
            chain: Repository.url("chainspec/provenant-dev.json").path, upstreams: [try UpstreamEndpoint(net.url)], dataDir: dataDir,
            contracts: DevChain.Contract.allCases.map { NodeConfig.Contract(name: $0.name, address: $0.address, startBlock: 0) })
        config.serverPort = 0
        config.sinks = [NodeConfig.PostgresSink(url: try server().url, schema: "node_test", name: "node-a")]
        let node = try Node(config: config, log: { _ in })
        try await node.checkSinks(log: { _ in })
        let port = Mutex<Int?>(nil)
        let group = node.services(host: "127.0.0.1", port: 0) { bound in port.withLock { $0 = bound } }
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(90)
        // The chain grows by ten blocks each time the node and its sink both hold the head.
        while net.devnet.head < 160 || node.sinks[0].status.block != net.devnet.head || port.withLock({ $0 }) == nil {
            try #require(ContinuousClock.now < deadline, "the sink reached \(node.sinks[0].status.block.map(String.init) ?? "nothing")")
            if node.syncer.status.snapshot.indexed == net.devnet.head && node.sinks[0].status.block == net.devnet.head {
                for _ in 0..<10 { net.devnet.grow() }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let bound = try #require(port.withLock { $0 })
        let transport = HTTPClientTransport(endpoint: try UpstreamEndpoint("http://127.0.0.1:\(bound)/"))
        let answer = try await transport.post(Array(#"{"jsonrpc":"2.0","id":1,"method":"asset_status","params":[]}"#.utf8), timeout: .seconds(5))
        guard case .array(let sinks)? = try JSONValue(parsing: answer)["result"]?["sinks"], let sink = sinks.first else {
            Issue.record("no sinks in asset_status: \(String(decoding: answer, as: UTF8.self))")
            return
        }
        #expect(sink["name"] == .string("node-a"))
        #expect(sink["block"] == .string(Hex.quantity(160)))
        #expect(sink["lag"] == .string("0x0"))
        await group.triggerGracefulShutdown()
        try await running.value
        let report = try await node.sinks[0].check()
        #expect(report.block == 160)
        #expect(report.differences == [])
    }
}
