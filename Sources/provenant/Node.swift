import AssetIndex
import EthPrimitives
import EthTypes
import EthUpstream
import Foundation
import Ingest
import NodeConfig
import Server
import Sync
import ServiceLifecycle

/// A node built from a `NodeConfig`: the data directory (created on first run), the upstream pool, the syncer,
/// and the JSON-RPC server over the same index, which sees sync's state in `asset_status`, `/health`, `/metrics`.
struct Node {
    let config: NodeConfig
    let directory: DataDirectory
    let spec: Chainspec
    let ingestor: Ingestor
    let pool: UpstreamPool
    let syncer: Syncer

    init(config: NodeConfig, options: SyncOptions = SyncOptions(), log: @escaping @Sendable (String) -> Void = Log.line) throws {
        self.config = config
        var spec = try Chainspec.load(config.chain, directories: ChainspecDirectories.search)
        if let checkpoint = config.checkpoint { spec.checkpoints = [Chainspec.Checkpoint(number: checkpoint.number, hash: checkpoint.hash)] }
        self.spec = spec
        directory = try DataDirectory(path: config.dataDir, create: true, undoWindow: config.reorgWindow)
        if try Reindexer.isInterrupted(directory.store) {
            throw CLIError("a reindex of \(config.dataDir) was interrupted; run `provenant reindex --data-dir \(config.dataDir)` first")
        }
        let starts = Dictionary(uniqueKeysWithValues: config.contracts.map { ($0.address, $0.startBlock) })
        try directory.record(chain: config.chain, spec: spec, startBlocks: starts)
        ingestor = Ingestor(index: directory.index, spec: spec, watched: Set(starts.keys), startBlocks: starts)
        pool = UpstreamPool(upstreams: config.upstreams.map { Upstream(endpoint: $0) }, quorum: config.quorum)
        syncer = Syncer(pool: pool, ingestor: ingestor, options: options, log: log)
    }

    /// Sync's state as the server reports it.
    func report() -> SyncReport {
        let status = syncer.status.snapshot
        let faults = Dictionary(pool.faults.map { ($0.upstream, $0.evidence.description) }, uniquingKeysWith: { a, _ in a })
        return SyncReport(
            phase: status.phase.rawValue, head: status.head, indexed: (try? directory.index.cursor())?.number, isCurrent: status.isCurrent,
            message: status.message,
            upstreams: pool.upstreams.map { u in
                let stats = u.stats
                return SyncReport.UpstreamState(label: u.label, trusted: faults[u.label] == nil, evidence: faults[u.label], requests: stats.requests, errors: stats.errors)
            },
            verificationFailures: status.verificationFailures, reorgs: status.reorgs)
    }

    /// The JSON-RPC server on the configured address, as a service.
    func server(host: String? = nil, port: Int? = nil, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> any Service {
        let node = self
        let methods = AssetMethods(
            index: directory.index, chainId: spec.chainId, watched: ingestor.watched, checkpoint: spec.checkpoints.first,
            sync: { node.report() })
        let index = directory.index
        let server = HTTPServer(
            dispatcher: methods.dispatcher(), host: host ?? config.serverHost, port: port ?? config.serverPort,
            metrics: { IndexFigures.families(index) + node.report().metricFamilies },
            health: { ["sync": node.report().json] })
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

    /// Server and sync as one group that runs until SIGINT or SIGTERM (or `triggerGracefulShutdown()`), then shuts
    /// both down gracefully: the block being written is finished, requests in flight are answered.
    func services(host: String? = nil, port: Int? = nil, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> ServiceGroup {
        ServiceGroup(configuration: .init(
            services: [.init(service: server(host: host, port: port, onReady: onReady)), .init(service: SyncService(node: self))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: HTTPServer.quietLogger("provenant")))
    }

    /// Syncs, with the progress line of `SyncProgress` on standard error.
    func sync() async throws {
        let progress = Task { await SyncProgress(status: syncer.status).run() }
        defer { progress.cancel() }
        try await syncer.run()
    }
}

/// Timestamped log lines on standard error, so they never mix into a command's answers on standard output.
enum Log {
    @Sendable static func line(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(stamp) \(message)\n".utf8))
    }
}

/// The sync progress line: blocks/s, events, lag and ETA; rewritten in place on a terminal, a log line every
/// 10 seconds otherwise.
struct SyncProgress {
    let status: SyncStatus
    let interactive = isatty(STDERR_FILENO) == 1

    func run() async {
        let start = ContinuousClock.now
        var lastLine = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: interactive ? .milliseconds(250) : .seconds(1))
            let s = status.snapshot
            let seconds = max(0.001, Double((ContinuousClock.now - start).components.seconds) + Double((ContinuousClock.now - start).components.attoseconds) / 1e18)
            let rate = Double(s.blocksThisRun) / seconds
            let eta = s.lag.map { lag in rate > 0 ? Self.duration(Double(lag) / rate) : "?" } ?? "?"
            let line = "sync \(s.phase.rawValue): block \(s.indexed.map(String.init) ?? "-")/\(s.head.map(String.init) ?? "?"), "
                + String(format: "%.0f blocks/s", rate) + ", \(s.eventsThisRun) events, lag \(s.lag.map(String.init) ?? "?"), ETA \(eta)"
            if interactive {
                FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
            } else if ContinuousClock.now - lastLine >= .seconds(10) {
                Log.line(line)
                lastLine = .now
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.0fs", seconds) : seconds < 3600 ? String(format: "%.0fm", seconds / 60) : String(format: "%.1fh", seconds / 3600)
    }
}

/// Runs `body` until it returns or SIGINT/SIGTERM arrives; a signal cancels it, and the work it was doing finishes
/// its current block first (sync checks cancellation between blocks), so the store closes cleanly.
func untilSignalled(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    let sources = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            Log.line("received \(number == SIGINT ? "SIGINT" : "SIGTERM"): finishing the current block and closing the store")
            task.cancel()
        }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    try await task.value
}
