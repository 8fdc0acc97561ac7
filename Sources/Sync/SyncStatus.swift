public import EthUpstream
internal import Synchronization

/// What sync is doing, for the progress line, `asset_status`, `/health` and `/metrics`. Written by the syncer,
/// read by anyone.
public final class SyncStatus: Sendable {
    /// The phase sync is in.
    public enum Phase: String, Sendable {
        case starting, catchingUp = "catching-up", following, paused, stopped
    }

    /// One reading of the status.
    public struct Snapshot: Sendable {
        public var phase: Phase = .starting
        /// The head the upstreams agree on (quorum), when known.
        public var head: UInt64?
        /// The last verified and indexed block.
        public var indexed: UInt64?
        /// The highest indexed block a quorum of upstreams reported finalized.
        public var finalized: UInt64?
        /// Blocks indexed and events applied since this process started.
        public var blocksThisRun: UInt64 = 0
        public var eventsThisRun: UInt64 = 0
        /// Blocks whose bloom showed a possible watched event (full block and receipts fetched).
        public var fullBlocksThisRun: UInt64 = 0
        /// Reorgs undone, and the deepest.
        public var reorgs = 0
        public var deepestReorg: UInt64 = 0
        /// Verification failures by field (`hash`, `receiptsRoot`, `transactions[0].from`, …, index removed).
        public var verificationFailures: [String: Int] = [:]
        public var faults: [UpstreamFault] = []
        /// Why sync paused or stopped, in words.
        public var message: String?
        /// While no quorum vouches for the next block: which block, and what each upstream gives.
        public var quorumWait: String?

        /// Blocks between the agreed head and the indexed tip.
        public var lag: UInt64? {
            guard let head, let indexed else { return nil }
            return head > indexed ? head - indexed : 0
        }

        /// Whether the index is at the head (within a block).
        public var isCurrent: Bool { phase == .following && (lag ?? .max) <= 1 }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
}
