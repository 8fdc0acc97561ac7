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

    /// A syncer of the dev chain's contracts; `quorum` nil: a majority of `upstreams`.
    static func syncer(
        _ upstreams: [Upstream], quorum: Int? = nil, index: AssetIndex, options: SyncOptions, log: LogLines = LogLines(), spec: Chainspec = spec
    ) -> Syncer {
        Syncer(
            pool: UpstreamPool(upstreams: upstreams, quorum: quorum), ingestor: Ingestor(index: index, spec: spec, watched: watched), options: options,
            log: { line in
                log.lines.withLock { $0.append(line) }
            })
    }
}

/// What sync logged.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}
