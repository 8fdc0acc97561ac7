import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthTypes
import EthUpstream
import Foundation
import Ingest
import Store
import Sync
import Synchronization
import TestSupport

/// A dev chain served over real HTTP on a loopback port, for as long as the test needs it.
final class RunningDevNet: Sendable {
    let devnet: DevNet
    let task: Task<Void, Error>
    let port: Int

    init(_ devnet: DevNet, blockInterval: Duration? = nil) async throws {
        self.devnet = devnet
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        task = Task { try await devnet.run(port: 0, blockInterval: blockInterval) { continuation.yield($0) } }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    func upstream(policy: RetryPolicy = .fastForTests) throws -> Upstream {
        Upstream(endpoint: try UpstreamEndpoint(url), policy: policy)
    }

    deinit { task.cancel() }
}

extension RetryPolicy {
    /// Short waits, so that fault tests spend their time on faults, not on sleeping.
    static var fastForTests: RetryPolicy {
        var policy = RetryPolicy()
        policy.baseDelay = .milliseconds(2)
        policy.maxDelay = .milliseconds(50)
        policy.timeout = .seconds(10)
        policy.maxAttempts = 8
        return policy
    }
}

enum Fixtures {
    static let spec = DevChain.spec

    static let watched = DevChain.allContracts

    /// A LevelDB store in a fresh temporary directory.
    static func levelDB() throws -> (LevelDB, String) {
        let path = temporaryPath("sync")
        return (try LevelDB(path: path), path)
    }

    /// The index of `chain` built by ingesting its blocks directly, with no HTTP and no sync: what sync must equal.
    static func directIndex(of chain: DevChain, upTo last: UInt64? = nil) throws -> AssetIndex {
        try chain.index(watched: watched, upTo: last)
    }

    static func syncer(_ upstreams: [Upstream], index: AssetIndex, options: SyncOptions, log: LogLines = LogLines()) -> Syncer {
        Syncer(
            pool: UpstreamPool(upstreams: upstreams), ingestor: Ingestor(index: index, spec: spec, watched: watched), options: options,
            log: { line in log.lines.withLock { $0.append(line) } })
    }
}

/// What sync logged.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}
