public import EthTypes
public import EthUpstream
public import Ingest
public import NodeConfig
public import PostgresSink
public import Server
public import ServiceLifecycle
public import Sync
internal import TokenEvents

/// A node built from a `NodeConfig`: the data directory (created on first run), the upstream pool, the syncer,
/// and the JSON-RPC server over the same index, which sees sync's state in `asset_status`, `/health`, `/metrics`.
/// `provenant run` and `provenant sync` are this type driven from the command line; tests run it in process.
public struct Node: Sendable {
    public let config: NodeConfig
    public let directory: DataDirectory
    public let spec: Chainspec
    public let ingestor: Ingestor
    public let pool: UpstreamPool
    public let syncer: Syncer
    /// The PostgreSQL sinks of the config, each following the store on its own.
    public let sinks: [PostgresSink]

    public init(config: NodeConfig, options: SyncOptions = SyncOptions(), log: @escaping @Sendable (String) -> Void = Log.line) throws(NodeError) {
        self.config = config
        var spec = try ChainspecDirectories.load(config.chain)
        if let checkpoint = config.checkpoint { spec.checkpoints = [Chainspec.Checkpoint(number: checkpoint.number, hash: checkpoint.hash)] }
        self.spec = spec
        directory = try DataDirectory(path: config.dataDir, create: true, undoWindow: config.reorgWindow)
        try directory.requireNoInterruptedReindex()
        let starts = Dictionary(uniqueKeysWithValues: config.contracts.map { ($0.address, $0.startBlock) })
        // The config's names were checked when it was read.
        let standards = Dictionary(uniqueKeysWithValues: config.contracts.map { ($0.address, $0.standards.flatMap { Standards(names: $0) } ?? []) })
        try directory.record(chain: config.chain, spec: spec, startBlocks: starts, standards: standards)
        ingestor = Ingestor(index: directory.index, spec: spec, watched: Set(starts.keys), startBlocks: starts)
        pool = UpstreamPool(upstreams: config.upstreams.map { Upstream(endpoint: $0) }, quorum: config.quorum)
        syncer = Syncer(pool: pool, ingestor: ingestor, options: options, log: log)
        var sinks: [PostgresSink] = []
        for (i, sink) in config.sinks.enumerated() {
            do throws(SinkError) {
                let url: PostgresURL
                do throws(PostgresURL.Problem) { url = try PostgresURL(sink.url) } catch { throw .settings("\(sink.label): \(error)") }
                var settings = PostgresSink.Settings(url: url, schema: sink.schema, name: sink.name)
                settings.poll = .milliseconds(100)
                sinks.append(try PostgresSink(settings: settings, ingestor: ingestor, log: log))
            } catch {
                throw .sink(index: i, error)
            }
        }
        self.sinks = sinks
    }

    /// Asks each sink's database whether it takes the sink: a conflict (another chain, another layout, a sink
    /// name taken by other contracts) or a bad setting is an error before the node starts; a database that does
    /// not answer yet is a warning, and the sink keeps trying once the node runs.
    public func checkSinks(log: @Sendable (String) -> Void = Log.line) async throws(NodeError) {
        for (i, sink) in sinks.enumerated() {
            do throws(SinkError) { try await sink.prepare() } catch {
                if case .database = error { log("PostgreSQL sink \"\(sink.settings.name)\": \(error); the node starts and the sink keeps trying") }
                else { throw .sink(index: i, error) }
            }
        }
    }

    /// Sync's state as the server reports it.
    public func report() -> SyncReport {
        let status = syncer.status.snapshot
        let faults = Dictionary(pool.faults.map { ($0.upstream, $0.evidence) }, uniquingKeysWith: { a, _ in a })
        var report = SyncReport(
            phase: status.phase.rawValue, head: status.head, indexed: (try? directory.index.cursor())?.number, isCurrent: status.isCurrent,
            message: status.message,
            upstreams: pool.upstreams.map { u in
                let stats = u.stats
                let fault = faults[u.label]
                return SyncReport.UpstreamState(
                    label: u.label, trusted: fault == nil, evidence: fault?.description, faultKind: fault?.kind, requests: stats.requests, errors: stats.errors,
                    batchSize: stats.batchSize)
            },
            verificationFailures: status.verificationFailures, reorgs: status.reorgs, quorum: pool.quorum, quorumWait: status.quorumWait)
        report.sinks = sinks.map { sink in
            let s = sink.status
            return SyncReport.SinkState(
                name: sink.settings.name, schema: sink.settings.schema, database: sink.settings.url.redacted, block: s.block, rows: s.rows,
                rolledBack: s.rolledBack, lastError: s.lastError)
        }
        return report
    }

    /// The JSON-RPC server on the configured address, as a service.
    public func server(host: String? = nil, port: Int? = nil, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> any Service {
        let node = self
        let methods = AssetMethods(
            index: directory.index, chainId: spec.chainId, watched: ingestor.watched, startBlocks: ingestor.startBlocks, checkpoint: ingestor.startCheckpoint,
            sync: { node.report() }, stateSource: UpstreamStateSource(upstreams: pool.upstreams))
        let index = directory.index
        let server = HTTPServer(
            dispatcher: methods.dispatcher(), host: host ?? config.serverHost, port: port ?? config.serverPort,
            browsers: BrowserPolicy(hosts: config.serverHosts ?? BrowserPolicy.defaultHosts, corsOrigins: config.corsOrigins),
            metrics: { IndexFigures.families(index) + node.report().metricFamilies },
            health: { ["sync": node.report().json] }, pages: ProvenancePages(methods: methods))
        return server.service(onReady: onReady)
    }

    /// Sync as a service beside the server: a graceful shutdown cancels it, which lands between blocks. When sync
    /// stops on an error the node keeps serving what it has verified, so the service waits for shutdown then.
    struct SyncService: Service {
        let node: Node

        func run() async throws {
            do {
                try await cancelWhenGracefulShutdown { try await node.sync() }
            } catch let error as SyncError {
                Log.line("sync stopped: \(error). Still serving the verified index.")
            } catch is CancellationError {
                return
            }
            try? await gracefulShutdown()
        }
    }

    /// A sink beside sync: it follows the store until shutdown. A conflict stops the sink, not the node (the node
    /// never waits on its sinks), and is in the log.
    struct SinkService: Service {
        let sink: PostgresSink

        func run() async throws {
            try? await cancelWhenGracefulShutdown { try await sink.run() }
            try? await gracefulShutdown()
        }
    }

    /// Server and sync as one group that runs until SIGINT or SIGTERM (or `triggerGracefulShutdown()`), then shuts
    /// both down gracefully: the block being written is finished, requests in flight are answered.
    public func services(host: String? = nil, port: Int? = nil, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> ServiceGroup {
        Lifecycle.group([server(host: host, port: port, onReady: onReady), SyncService(node: self)] + sinks.map { SinkService(sink: $0) })
    }

    /// Syncs with the sinks following, until sync returns; then each sink catches up with the store, so that the
    /// databases hold what the store holds when this returns (a sink whose database does not answer says so, and
    /// its next run catches up).
    public func syncAndSink() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sink in sinks { group.addTask { try? await sink.run() } }
            defer { group.cancelAll() }
            try await sync()
        }
        for sink in sinks {
            do throws(SinkError) { try await sink.catchUp() } catch {
                Log.line("PostgreSQL sink \"\(sink.settings.name)\" is behind at block \(sink.status.block.map(String.init) ?? "none"): \(error); its next run catches up")
            }
        }
    }

    /// Syncs, with the progress line of `SyncProgress` on standard error.
    public func sync() async throws {
        let progress = Task { await SyncProgress(status: syncer.status).run() }
        defer { progress.cancel() }
        try await syncer.run()
    }
}

