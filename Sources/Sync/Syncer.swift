internal import AssetIndex
public import EthUpstream
public import Ingest
internal import EthPrimitives
internal import EthRPC
internal import EthTypes
internal import EthVerify
internal import Store

/// How sync fetches and follows.
public struct SyncOptions: Sendable {
    /// Headers asked for in one JSON-RPC batch.
    public var headersPerRequest = 100
    /// Ranges fetched ahead of the one being verified and written, spread over the upstreams.
    public var rangesInFlight = 4
    /// How often the head is polled once sync has caught up.
    public var pollInterval: Duration = .seconds(2)
    /// Stop once this block is indexed (nil: follow the head until cancelled).
    public var stopAt: UInt64?
    /// Stop as soon as the index reaches the agreed head, instead of following it.
    public var exitWhenCurrent = false
    /// Verification failures that a non-linking block may cause before its upstream is marked faulty, when the
    /// other upstreams' chain shows no reorg that explains it.
    public var linkStrikes = 3

    public init() {}
}

/// Why sync stopped.
public enum SyncError: Error, CustomStringConvertible, Sendable {
    /// The upstreams' chain left ours below the undo window: the store is unchanged and still serves.
    case reorgTooDeep(tip: UInt64, oldestUndoable: UInt64)
    /// No trusted upstream is left (every one served data that failed verification).
    case noUpstreams([UpstreamFault])
    /// No checkpoint at or below the first block to index, so no block can be linked to a trust root.
    case noCheckpoint(firstBlock: UInt64)
    /// Writing to the store failed, or the store is damaged.
    case store(IngestError)

    public var description: String {
        switch self {
        case .reorgTooDeep(let tip, let oldest):
            return "the upstreams' chain diverges from the indexed one below block \(oldest), deeper than the undo window "
                + "(indexed tip \(tip)); sync stopped and the store is unchanged. Resync into a new data directory, or check the upstreams"
        case .noUpstreams(let faults):
            return "no trusted upstream left: " + faults.map(\.description).joined(separator: "; ")
        case .noCheckpoint(let first):
            return "no checkpoint at or below block \(first) in the chainspec: add one (number and hash) under `checkpoint` in the config"
        case .store(let error): return "store: \(error)"
        }
    }
}

/// Follows a chain from untrusted upstreams (ARCHITECTURE.md §2): a verified header chain from the checkpoint, each header's
/// bloom tested against the watched contracts, full blocks and receipts fetched and verified only where it matches,
/// each block written with its index changes in one batch; ranges fetched ahead while earlier ones are written; then
/// the head, polled and agreed by quorum, with reorgs undone back to the common ancestor.
public final class Syncer: Sendable {
    public let pool: UpstreamPool
    public let ingestor: Ingestor
    public let options: SyncOptions
    public let status: SyncStatus
    let log: @Sendable (String) -> Void

    public init(pool: UpstreamPool, ingestor: Ingestor, options: SyncOptions = SyncOptions(), status: SyncStatus = SyncStatus(), log: @escaping @Sendable (String) -> Void) {
        self.pool = pool
        self.ingestor = ingestor
        self.options = options
        self.status = status
        self.log = log
    }

    /// Syncs until cancelled, `stopAt` is reached, or (with `exitWhenCurrent`) the head is reached. Cancellation
    /// lands between blocks: the block being written is always finished.
    public func run() async throws(SyncError) {
        await checkChainIds()
        let first = try firstBlock()
        var strikes: [String: Int] = [:]
        while !Task.isCancelled {
            let head: (number: UInt64, hash: Hash32)
            do throws(PoolError) {
                head = try await pool.head()
            } catch {
                if case .noneLeft = error { throw stop(.noUpstreams(pool.faults)) }
                pause("\(error); retrying")
                await sleep(options.pollInterval)
                continue
            }
            let tip = try tipHeader()
            status.update {
                $0.head = head.number
                $0.indexed = tip?.number
            }
            let target = min(head.number, options.stopAt ?? .max)
            if let tip, tip.number >= target {
                if tip.number >= head.number, try !isStored(head.hash, at: head.number) {
                    // The agreed chain no longer holds our block at its head's height.
                    try await resolveReorg(tip: tip, suspect: nil, strikes: &strikes)
                    continue
                }
                if tip.number >= options.stopAt ?? .max || options.exitWhenCurrent {
                    status.update { $0.phase = .stopped; $0.message = "reached block \(tip.number)" }
                    return
                }
                status.update { $0.phase = .following; $0.message = nil }
                await sleep(options.pollInterval)
                continue
            }
            status.update {
                $0.phase = (tip.map { target - $0.number } ?? .max) > 2 ? .catchingUp : .following
                $0.message = nil
            }
            try await advance(from: tip, first: first, to: target, strikes: &strikes)
        }
    }

    // MARK: Catching up

    /// A block as fetched: its header (hash-checked), and, when its bloom may hold a watched event, the full block
    /// and receipts, each with the upstream that served it.
    struct Fetched: Sendable {
        let header: RPCBlock
        let headerFrom: Upstream
        var full: (block: RPCBlock, from: Upstream, receipts: [Receipt], receiptsFrom: Upstream)?
    }

    /// Why a range could not be fetched now.
    enum FetchProblem: Error {
        case pool(PoolError)
        /// An upstream answered null or an error for a block it should have (its chain moved, or it lags).
        case missing(UInt64, String)
    }

    /// Verifies and writes blocks from the tip up to `target`, fetching `rangesInFlight` ranges ahead. Returns when
    /// `target` is reached, or early when something needs the main loop (a fault, a reorg, an upstream problem).
    func advance(from tip: Header?, first: UInt64, to target: UInt64, strikes: inout [String: Int]) async throws(SyncError) {
        var parent = tip
        var next = tip.map { $0.number + 1 } ?? first
        var pending: [Task<[Fetched], Error>] = []
        defer { pending.forEach { $0.cancel() } }
        func launch() {
            while pending.count < options.rangesInFlight, next <= target {
                let range = next...min(next + UInt64(options.headersPerRequest) - 1, target)
                pending.append(Task { try await self.fetch(range) })
                next = range.upperBound + 1
            }
        }
        launch()
        while !pending.isEmpty {
            let blocks: [Fetched]
            do {
                blocks = try await pending.removeFirst().value
            } catch let problem as FetchProblem {
                switch problem {
                case .pool(.noneLeft): throw stop(.noUpstreams(pool.faults))
                case .pool(let error): pause("\(error); retrying")
                case .missing(let number, let why): log("block \(number) not available (\(why)); checking the head again")
                }
                await sleep(options.pollInterval)
                return
            } catch {
                return  // cancelled
            }
            for fetched in blocks {
                if Task.isCancelled { return }
                let header = fetched.full?.block.header ?? fetched.header.header
                do throws(IngestError) {
                    let stats: ApplyStats
                    if let full = fetched.full {
                        stats = try ingestor.ingest(full.block, receipts: full.receipts, parent: parent)
                    } else {
                        stats = try ingestor.ingestHeader(fetched.header, parent: parent)
                    }
                    parent = header
                    status.update { s in
                        s.indexed = header.number
                        s.blocksThisRun += 1
                        s.eventsThisRun += UInt64(stats.events)
                        if fetched.full != nil { s.fullBlocksThisRun += 1 }
                    }
                } catch {
                    guard case .verification(let failure) = error else { throw stop(.store(error)) }
                    status.update { $0.verificationFailures[Self.metricName(failure.field), default: 0] += 1 }
                    if failure.field == .parentHash, let parent {
                        // It does not link: the upstreams' chain moved under us, or this upstream lies.
                        let suspect = fetched.full?.from ?? fetched.headerFrom
                        try await resolveReorg(tip: parent, suspect: (suspect, failure), strikes: &strikes)
                        return
                    }
                    let culprit = Self.isReceiptField(failure.field) ? fetched.full?.receiptsFrom : fetched.full?.from
                    markFaulty(culprit ?? fetched.headerFrom, failure)
                    return
                }
            }
            launch()
        }
    }

    /// Headers of `range` from one upstream (hash recomputed for each), then full blocks and receipts by hash for
    /// those whose bloom may hold a watched event. A lying header marks its upstream faulty and the range is asked
    /// again of another.
    func fetch(_ range: ClosedRange<UInt64>) async throws -> [Fetched] {
        let calls = range.map { RPCCall("eth_getBlockByNumber", [.quantity($0), false]) }
        var headers: [RPCBlock] = []
        var headerFrom: Upstream!
        while headers.isEmpty {
            try Task.checkCancellation()
            let (answers, from) = try await poolBatch(calls, as: RPCBlock?.self)
            var lied = false
            for (number, answer) in zip(range, answers) {
                guard case .success(let block?) = answer else { throw FetchProblem.missing(number, Self.describe(answer, from)) }
                let problem: VerificationError?
                if block.header.number != number {
                    problem = VerificationError(block: number, field: .number, expected: String(number), actual: String(block.header.number))
                } else {
                    do throws(VerificationError) { try Verify.hash(of: block.header, equals: block.claimedHash); problem = nil } catch { problem = error }
                }
                if let problem {
                    status.update { $0.verificationFailures[Self.metricName(problem.field), default: 0] += 1 }
                    markFaulty(from, problem)
                    lied = true
                    break
                }
                headers.append(block)
            }
            if lied { headers = [] } else { headerFrom = from }
        }
        var fetched = headers.map { Fetched(header: $0, headerFrom: headerFrom) }
        let wanted = fetched.indices.filter { ingestor.mayHaveWatchedEvents(fetched[$0].header.header) }
        guard !wanted.isEmpty else { return fetched }
        let hashes = wanted.map { JSONValue.string(fetched[$0].header.header.hash.hex) }
        async let blocksAnswer = poolBatch(hashes.map { RPCCall("eth_getBlockByHash", [$0, true]) }, as: RPCBlock?.self)
        async let receiptsAnswer = poolBatch(hashes.map { RPCCall("eth_getBlockReceipts", [$0]) }, as: [RPCReceipt]?.self)
        let (blocks, blocksFrom) = try await blocksAnswer
        let (receipts, receiptsFrom) = try await receiptsAnswer
        for (k, i) in wanted.enumerated() {
            let number = fetched[i].header.header.number
            guard case .success(let block?) = blocks[k] else { throw FetchProblem.missing(number, Self.describe(blocks[k], blocksFrom)) }
            guard case .success(let list?) = receipts[k] else { throw FetchProblem.missing(number, Self.describe(receipts[k], receiptsFrom)) }
            fetched[i].full = (block, blocksFrom, list.map(\.receipt), receiptsFrom)
        }
        return fetched
    }

    func poolBatch<T: JSONReadable>(_ calls: [RPCCall], as type: T.Type) async throws -> ([Result<T, RPCError>], Upstream) {
        do throws(PoolError) {
            let (answers, from) = try await pool.batch(calls, as: type)
            return (answers, from)
        } catch {
            throw FetchProblem.pool(error)
        }
    }

    static func describe<T>(_ answer: Result<T?, RPCError>, _ upstream: Upstream) -> String {
        if case .failure(let error) = answer { return "\(upstream.label) answered error \(error.code): \(error.message)" }
        return "\(upstream.label) answered null"
    }

    // MARK: Reorgs

    /// The indexed tip does not continue into the upstreams' chain: finds the highest block both share, looking
    /// back at most the undo window, and undoes everything above it. When the upstreams still hold our tip, the
    /// block that did not link was stale or a lie: its upstream gets a strike, and is marked faulty after
    /// `linkStrikes` of them.
    func resolveReorg(tip: Header, suspect: (Upstream, VerificationError)?, strikes: inout [String: Int]) async throws(SyncError) {
        let window = ingestor.index.undoWindow
        let lowest = tip.number > window ? tip.number - window : 0
        var high = tip.number
        var ancestor: UInt64?
        while ancestor == nil {
            let low = high > lowest + 31 ? high - 31 : lowest
            let calls = (low...high).map { RPCCall("eth_getBlockByNumber", [.quantity($0), false]) }
            let answers: [Result<RPCBlock?, RPCError>]
            do throws(PoolError) {
                (answers, _) = try await pool.batch(calls, as: RPCBlock?.self)
            } catch {
                if case .noneLeft = error { throw stop(.noUpstreams(pool.faults)) }
                pause("\(error) while looking for a reorg's common ancestor; retrying")
                await sleep(options.pollInterval)
                return
            }
            for (number, answer) in zip(low...high, answers).reversed() {
                guard case .success(let block?) = answer, block.header.hash == block.claimedHash, block.header.number == number else { continue }
                if try isStored(block.header.hash, at: number) {
                    ancestor = number
                    break
                }
            }
            if ancestor == nil {
                guard low > lowest else { throw stop(.reorgTooDeep(tip: tip.number, oldestUndoable: lowest)) }
                high = low - 1
            }
        }
        guard let ancestor, ancestor < tip.number else {
            if let (upstream, failure) = suspect {
                strikes[upstream.label, default: 0] += 1
                if strikes[upstream.label]! >= options.linkStrikes { markFaulty(upstream, failure) }
            }
            return
        }
        do throws(IndexError) {
            try ingestor.index.revert(to: ancestor)
        } catch {
            if case .beyondUndoWindow(_, let oldest) = error { throw stop(.reorgTooDeep(tip: tip.number, oldestUndoable: oldest)) }
            throw stop(.store(.index(error)))
        }
        let depth = tip.number - ancestor
        status.update { s in
            s.reorgs += 1
            s.deepestReorg = max(s.deepestReorg, depth)
            s.indexed = ancestor
        }
        log("reorg: undid blocks \(ancestor + 1)…\(tip.number) (depth \(depth)); continuing from block \(ancestor) \(tip.hash.hex.prefix(10))…")
    }

    // MARK: Helpers

    /// The first block to index in an empty store: the highest checkpoint at or below every contract's start block.
    func firstBlock() throws(SyncError) -> UInt64 {
        guard let checkpoint = ingestor.startCheckpoint else {
            throw .noCheckpoint(firstBlock: ingestor.lowestStartBlock)
        }
        return checkpoint.number
    }

    /// An upstream on another chain is as wrong as one that lies about blocks.
    func checkChainIds() async {
        let spec = ingestor.spec
        await withTaskGroup(of: Void.self) { group in
            for upstream in pool.trusted {
                group.addTask {
                    guard case .success(let id)? = try? await upstream.call("eth_chainId", as: String.self) else { return }
                    if (try? Hex.quantity(id)) != spec.chainId {
                        guard self.pool.markFaulty(upstream, evidence: .wrongChain(expected: spec.chainId, chainspec: spec.name, answered: id)) else { return }
                        self.log("upstream \(upstream.label) is on another chain (eth_chainId \(id)); not used")
                        self.status.update { $0.faults = self.pool.faults }
                    }
                }
            }
        }
    }

    func tipHeader() throws(SyncError) -> Header? {
        do throws(IngestError) { return try ingestor.tipHeader() } catch { throw stop(.store(error)) }
    }

    func isStored(_ hash: Hash32, at number: UInt64) throws(SyncError) -> Bool {
        do throws(StoreError) {
            return try ingestor.blocks.number(ofHash: hash) == number
        } catch {
            throw stop(.store(.store(error)))
        }
    }

    func markFaulty(_ upstream: Upstream, _ failure: VerificationError) {
        guard pool.markFaulty(upstream, evidence: .verification(failure)) else { return }
        status.update { $0.faults = pool.faults }
        log("upstream \(upstream.label) marked faulty: \(failure); \(pool.trusted.count) trusted upstream(s) left")
    }

    func pause(_ message: String) {
        status.update { $0.phase = .paused; $0.message = message }
        log("sync paused: \(message)")
    }

    func stop(_ error: SyncError) -> SyncError {
        status.update { $0.phase = .stopped; $0.message = error.description }
        return error
    }

    func sleep(_ duration: Duration) async {
        try? await Task.sleep(for: duration)
    }

    /// Failures found in receipts are the receipts' server's; the rest are the block's.
    static func isReceiptField(_ field: VerifiedField) -> Bool {
        switch field {
        case .receiptsRoot, .receiptCount, .receiptBloom, .logsBloom, .gasUsed: return true
        default: return false
        }
    }

    /// A field's name without its index, so metrics have a bounded label set.
    static func metricName(_ field: VerifiedField) -> String {
        let name = field.description
        return name.firstIndex(of: "[").map { String(name[..<$0]) + name[name.index(after: name.firstIndex(of: "]")!)...] } ?? name
    }
}
