/// Misbehaviour the dev chain's server can be told to show, so sync is tested against what real upstreams do.
/// Rates are per request (transport faults) or per call (tampering), between 0 and 1.
public struct DevNetFaults: Sendable, Hashable {
    /// What a tampering upstream changes while keeping its claims (the block hash, the transaction hash).
    public struct Tampering: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// A header field (gasUsed) of a served block, with the block's original hash still claimed.
        public static let headers = Tampering(rawValue: 1 << 0)
        /// A log's data byte in `eth_getBlockReceipts` / `eth_getTransactionReceipt`.
        public static let receipts = Tampering(rawValue: 1 << 1)
        /// The `from` of a full block's first minting transaction (the only senders sync recovers).
        public static let senders = Tampering(rawValue: 1 << 2)
        /// On an OP Stack chain: the `mint` of a full block's L1 attributes deposit, and the `depositNonce` of its
        /// receipt (in the receipts trie from Canyon) instead of a log byte.
        public static let deposits = Tampering(rawValue: 1 << 3)
        public static let all: Tampering = [.headers, .receipts, .senders, .deposits]
    }

    public var tamper: Tampering = []
    /// Share of calls whose answer is tampered with (when `tamper` is not empty).
    public var tamperRate = 0.0
    /// Share of requests whose connection is closed halfway through the answer.
    public var dropRate = 0.0
    /// Share of requests answered after `delay`.
    public var delayRate = 0.0
    public var delay: Duration = .milliseconds(200)
    /// Share of requests refused as rate-limited: HTTP 429 or a JSON-RPC -32005 error, alternately.
    public var rateLimitRate = 0.0
    /// Share of the items of a batch answered with a -32005 error while the others are answered, as hosted
    /// providers limit per item.
    public var itemRateLimitRate = 0.0
    /// Once the head has reached this height, blocks asked for by number more than `forgedHistoryDepth` below the
    /// head are served from a fabricated history (another branch from block 1, whose headers hash and link): what
    /// a liar that waits for a reorg answers the search for its common ancestor with.
    public var forgedHistoryAfter: UInt64?
    /// Share of blocks that `eth_getBlockByHash` (and `eth_getBlockReceipts` by hash) answer with a sibling: a valid
    /// block with the same parent and its own hash, not the one asked for. Chosen by the hash asked, so both calls
    /// agree.
    public var siblingRate = 0.0
    /// Share of requests answered with HTTP 503.
    public var serverErrorRate = 0.0
    /// Batches of more than this many calls are refused as a whole with a JSON-RPC error (1: no batches at all).
    public var maxBatchItems: Int?
    /// Whether `eth_getBlockReceipts` is unknown (-32601), as on nodes and providers that lack it.
    public var lacksBlockReceipts = false
    public static let forgedHistoryDepth: UInt64 = 2

    public init() {}

    public var isEmpty: Bool {
        tamper.isEmpty && dropRate == 0 && delayRate == 0 && rateLimitRate == 0 && itemRateLimitRate == 0 && forgedHistoryAfter == nil
            && siblingRate == 0 && serverErrorRate == 0
            && maxBatchItems == nil && !lacksBlockReceipts
    }
}

/// A reorg the dev chain performs when its head reaches `at`: the last `depth` blocks are replaced by another
/// branch of the same height, and the chain grows on from it; with `every`, again each time the head has grown that
/// many blocks more.
public struct DevNetReorg: Sendable, Hashable {
    public var at: UInt64
    public var depth: UInt64
    public var every: UInt64?

    public init(at: UInt64, depth: UInt64, every: UInt64? = nil) {
        precondition(depth >= 1 && depth < at, "a reorg replaces between 1 and at-1 blocks")
        precondition(every.map { $0 > depth } ?? true, "reorgs come further apart than their depth")
        self.at = at
        self.depth = depth
        self.every = every
    }

    /// The branch the chain is on after the first reorg.
    public var branch: DevChain.Branch { branches(done: 1)[0] }

    /// The head at which reorg `k` (from 0) happens; nil when there is no such reorg.
    public func height(_ k: Int) -> UInt64? {
        guard k == 0 || every != nil else { return nil }
        return at + UInt64(k) * (every ?? 0)
    }

    /// How many reorgs a chain of head `head` has been through.
    public func done(atHead head: UInt64) -> Int {
        guard head > at else { return 0 }
        guard let every else { return 1 }
        return Int((head - at - 1) / every) + 1
    }

    /// The branches of the chain after `done` reorgs: reorg k branches at its height less the depth, plus one.
    public func branches(done: Int) -> [DevChain.Branch] {
        (0..<done).compactMap { k in height(k).map { DevChain.Branch(block: $0 - depth + 1, salt: UInt64(k + 1)) } }
    }
}

import DevChain
