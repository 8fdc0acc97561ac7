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
    public var rangesInFlight = 8
    /// How often the head is polled once sync has caught up.
    public var pollInterval: Duration = .seconds(2)
    /// Stop once this block is indexed (nil: follow the head until cancelled).
    public var stopAt: UInt64?
    /// Stop as soon as the index reaches the agreed head, instead of following it.
    public var exitWhenCurrent = false
    /// Verification failures that a non-linking block may cause before its upstream is marked faulty, when the
    /// quorum's chain shows no reorg that explains it. Each range the upstream serves that is committed takes one
    /// strike away.
    public var linkStrikes = 3
    /// Blocks below the agreed head within which upstreams may give different hashes without blame: a new block
    /// takes a moment to reach every node. Below it, the upstreams outvoted by the quorum are marked faulty.
    public var propagationMargin: UInt64 = 8

    public init() {}
}

/// Why sync stopped.
public enum SyncError: Error, CustomStringConvertible, Sendable {
    /// The upstreams' chain left ours below the undo window: the store is unchanged and still serves.
    case reorgTooDeep(tip: UInt64, oldestUndoable: UInt64)
    /// No trusted upstream is left (every one served data that failed verification).
    case noUpstreams([UpstreamFault])
    /// The quorum's chain no longer holds a block that a quorum of upstreams reported finalized: the upstreams
    /// contradict their own finality. Nothing is undone; the store still serves.
    case reorgBelowFinalized(finalized: UInt64, tip: UInt64)
    /// Fewer upstreams are trusted than the quorum needs, so no block can be vouched for again in this run.
    case quorumUnreachable(trusted: Int, quorum: Int, faults: [UpstreamFault])
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
        case .reorgBelowFinalized(let finalized, let tip):
            return "the upstreams' chain leaves block \(finalized), which a quorum of them reported finalized (indexed tip \(tip)); "
                + "sync stopped and the store is unchanged: the upstreams contradict their own finality"
        case .quorumUnreachable(let trusted, let quorum, let faults):
            return "\(trusted) trusted upstream(s) left, fewer than the quorum of \(quorum); sync stopped at the last vouched block. "
                + faults.map(\.description).joined(separator: "; ")
        case .noCheckpoint(let first):
            return "no checkpoint at or below block \(first) in the chainspec: add one (number and hash) under `checkpoint` in the config"
        case .store(let error): return "store: \(error)"
        }
    }
}

/// Follows a chain from untrusted upstreams (ARCHITECTURE.md §2): a verified header chain from the checkpoint, each header's
/// bloom tested against the watched contracts, full blocks and receipts fetched and verified only where it matches,
/// each block written with its index changes in one batch; ranges fetched ahead from any upstream while earlier ones
/// are written, each committed only once `quorum` upstreams give its last block's hash; then the head, polled and
/// agreed by quorum, with reorgs undone back to the ancestor the quorum's chain shares with ours.
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
        if pool.singleVoice {
            log("quorum is 1 with \(pool.upstreams.count) upstreams: any one of them alone decides which chain is indexed")
        }
        var strikes: [String: Int] = [:]
        while !Task.isCancelled {
            try checkQuorumReachable()
            let head: (number: UInt64, hash: Hash32?)
            do throws(PoolError) {
                head = try await pool.head()
            } catch {
                if case .noneLeft = error { throw stop(.noUpstreams(pool.faults)) }
                pause("\(error); retrying")
                if case .noQuorum(let why) = error { status.update { $0.quorumWait = "no head quorum: \(why)" } }
                await sleep(options.pollInterval)
                continue
            }
            let tip = try tipHeader()
            status.update {
                $0.head = head.number
                $0.indexed = tip?.number
            }
            if let tip { try await recordFinality(tip: tip) }
            let target = min(head.number, options.stopAt ?? .max)
            if let tip, tip.number >= target {
                if tip.number >= head.number {
                    guard let hash = head.hash else {
                        let why = "no \(pool.quorum) upstreams give the same hash for the head block \(head.number); waiting at block \(tip.number)"
                        pause(why)
                        status.update { $0.quorumWait = why }
                        await sleep(options.pollInterval)
                        continue
                    }
                    if try !isStored(hash, at: head.number) {
                        // The quorum's chain no longer holds our block at its head's height.
                        try await resolveReorg(tip: tip, suspect: nil, strikes: &strikes)
                        continue
                    }
                }
                if tip.number >= options.stopAt ?? .max || options.exitWhenCurrent {
                    status.update { $0.phase = .stopped; $0.message = "reached block \(tip.number)" }
                    return
                }
                status.update { $0.phase = .following; $0.message = nil; $0.quorumWait = nil }
                await sleep(options.pollInterval)
                continue
            }
            status.update {
                // Waiting for a quorum stays visible while sync asks again.
                $0.phase = $0.quorumWait != nil ? .paused : (tip.map { target - $0.number } ?? .max) > 2 ? .catchingUp : .following
                $0.message = $0.quorumWait
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
        var full: (block: VerifiedBlock, from: Upstream, receiptsFrom: Upstream)?
    }

    /// A range's blocks up to the highest one the quorum vouches for; when that is not the whole range, why sync
    /// must wait after committing them.
    struct Vouched: Sendable {
        var blocks: [Fetched]
        var wait: String?
    }

    /// Why a range could not be fetched now.
    enum FetchProblem: Error {
        case pool(PoolError)
        /// An upstream answered null or an error for a block it should have (its chain moved, or it lags).
        case missing(UInt64, String)
        /// An upstream was just marked faulty for what it served: ask the others at once.
        case faultFound
        /// Fewer upstreams are trusted than the quorum needs.
        case quorumUnreachable
    }

    /// Verifies and writes blocks from the tip up to `target`, fetching `rangesInFlight` ranges ahead. Returns when
    /// `target` is reached, or early when something needs the main loop (a fault, a reorg, an upstream problem, a
    /// range the quorum does not vouch for).
    func advance(from tip: Header?, first: UInt64, to target: UInt64, strikes: inout [String: Int]) async throws(SyncError) {
        var parent = tip
        var next = tip.map { $0.number + 1 } ?? first
        var pending: [Task<Vouched, Error>] = []
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
            let range: Vouched
            do {
                range = try await pending.removeFirst().value
            } catch let problem as FetchProblem {
                switch problem {
                case .pool(.noneLeft): throw stop(.noUpstreams(pool.faults))
                case .quorumUnreachable: throw stop(quorumUnreachable())
                case .pool(let error): pause("\(error); retrying")
                case .missing(let number, let why): log("block \(number) not available (\(why)); checking the head again")
                case .faultFound: return
                }
                await sleep(options.pollInterval)
                return
            } catch let error as SyncError {
                throw error
            } catch {
                return  // cancelled
            }
            // Blocks the bloom rules out are checked one by one and written together: up to the next full block,
            // the range's end, or a block that fails (the ones before it are written first).
            var checked: [Header] = []
            func writeChecked() throws(SyncError) {
                guard let last = checked.last else { return }
                do throws(IngestError) { try ingestor.writeHeaders(checked) } catch { throw stop(.store(error)) }
                let count = UInt64(checked.count)
                checked.removeAll(keepingCapacity: true)
                status.update { s in
                    s.indexed = last.number
                    s.blocksThisRun += count
                }
            }
            for fetched in range.blocks {
                if Task.isCancelled { try writeChecked(); return }
                let header = fetched.full?.block.header ?? fetched.header.header
                if fetched.full != nil { try writeChecked() }
                do throws(IngestError) {
                    if let full = fetched.full {
                        let stats = try ingestor.ingest(full.block, parent: parent)
                        status.update { s in
                            s.indexed = header.number
                            s.blocksThisRun += 1
                            s.eventsThisRun += UInt64(stats.events)
                            s.fullBlocksThisRun += 1
                        }
                    } else {
                        try ingestor.checkHeader(fetched.header, parent: parent)
                        checked.append(header)
                    }
                    parent = header
                } catch {
                    try writeChecked()
                    guard case .verification(let failure) = error else { throw stop(.store(error)) }
                    countFailure(failure)
                    if failure.field == .parentHash, let parent {
                        // It does not link: the quorum's chain moved under us, or (quorum 1) this upstream lies.
                        let suspect = fetched.full?.from ?? fetched.headerFrom
                        try await resolveReorg(tip: parent, suspect: (suspect, failure), strikes: &strikes)
                        return
                    }
                    let culprit = Self.isReceiptField(failure.field) ? fetched.full?.receiptsFrom : fetched.full?.from
                    markFaulty(culprit ?? fetched.headerFrom, .verification(failure))
                    return
                }
            }
            try writeChecked()
            if let served = range.blocks.first?.headerFrom, let count = strikes[served.label], count > 0 {
                strikes[served.label] = count - 1  // it served correctly again
            }
            if let wait = range.wait {
                pause(wait)
                status.update { $0.quorumWait = wait }
                await sleep(options.pollInterval)
                return
            }
            status.update { $0.quorumWait = nil }
            launch()
        }
    }

    /// Headers of `range` from one upstream (hash recomputed for each, parent links checked within the range), the
    /// part of it the quorum vouches for, then full blocks and receipts by hash for those of that part whose bloom
    /// may hold a watched event, each bound to the header tested. A lying upstream is marked faulty and the range
    /// is asked again of another.
    func fetch(_ range: ClosedRange<UInt64>) async throws -> Vouched {
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
                    countFailure(problem)
                    markFaulty(from, .verification(problem))
                    lied = true
                    break
                }
                // The quorum vouches for the range's last block only: the links bind the rest to it, so they are
                // checked before any block of the range can be committed.
                if let previous = headers.last, block.header.parentHash != previous.header.hash {
                    throw FetchProblem.missing(number, "\(from.label) served a block \(number) that does not link to its block \(number - 1)")
                }
                headers.append(block)
            }
            if lied { headers = [] } else { headerFrom = from }
        }
        let (vouched, wait) = try await vouch(headers, servedBy: headerFrom)
        var fetched = headers.prefix(vouched).map { Fetched(header: $0, headerFrom: headerFrom) }
        let wanted = fetched.indices.filter { ingestor.mayHaveWatchedEvents(fetched[$0].header.header) }
        guard !wanted.isEmpty else { return Vouched(blocks: fetched, wait: wait) }
        let hashes = wanted.map { JSONValue.string(fetched[$0].header.header.hash.hex) }
        async let blocksAnswer = poolBatch(hashes.map { RPCCall("eth_getBlockByHash", [$0, true]) }, as: RPCBlock?.self)
        async let receiptsAnswer = blockReceipts(hashes)
        let (blocks, blocksFrom) = try await blocksAnswer
        let receipts: [Result<[RPCReceipt]?, RPCError>], receiptsFrom: Upstream
        if let answer = try await receiptsAnswer {
            (receipts, receiptsFrom) = answer
        } else {
            (receipts, receiptsFrom) = try await transactionReceipts(blocks, blocksFrom: blocksFrom)
        }
        for (k, i) in wanted.enumerated() {
            let tested = fetched[i].header.header
            guard case .success(let block?) = blocks[k] else { throw FetchProblem.missing(tested.number, Self.describe(blocks[k], blocksFrom)) }
            guard case .success(let list?) = receipts[k] else { throw FetchProblem.missing(tested.number, Self.describe(receipts[k], receiptsFrom)) }
            // The block asked for by hash must be the very header whose bloom was tested (not, say, a sibling).
            if block.header.hash != tested.hash {
                let failure = VerificationError(block: tested.number, field: .blockHash, expected: tested.hash.hex, actual: block.header.hash.hex)
                countFailure(failure)
                markFaulty(blocksFrom, .verification(failure))
                throw FetchProblem.faultFound
            }
            // Every check that needs no other block runs here, ranges in flight at once; the write keeps the order.
            let verified: VerifiedBlock
            do throws(IngestError) { verified = try ingestor.verify(block, receipts: list.map(\.receipt)) } catch {
                guard case .verification(let failure) = error else { throw error }
                countFailure(failure)
                markFaulty(Self.isReceiptField(failure.field) ? receiptsFrom : blocksFrom, .verification(failure))
                throw FetchProblem.faultFound
            }
            fetched[i].full = (verified, blocksFrom, receiptsFrom)
        }
        return Vouched(blocks: fetched, wait: wait)
    }

    /// How many of `headers` (consecutive and linked, from `source`) the quorum vouches for, and why not all when
    /// it does not. The source vouches for what it served; each other trusted upstream is asked for the last block.
    /// When another hash has the quorum, the source is outvoted (and faulty below the propagation margin); when no
    /// hash has it, the range is narrowed to the highest block a quorum does give.
    func vouch(_ headers: [RPCBlock], servedBy source: Upstream) async throws -> (count: Int, wait: String?) {
        let quorum = pool.quorum
        guard quorum > 1 else { return (headers.count, nil) }
        let others = pool.trusted.filter { $0 !== source }
        guard others.count + 1 >= quorum else { throw FetchProblem.quorumUnreachable }
        let last = headers[headers.count - 1].header
        var votes: [Hash32: [Upstream]] = [last.hash: [source]]
        var silent: [String] = []
        for (upstream, header) in await pool.headers(at: .quantity(last.number), from: others) {
            if let header, header.number == last.number { votes[header.hash, default: []].append(upstream) } else { silent.append(upstream.label) }
        }
        if votes[last.hash]!.count >= quorum {
            try await outvote(votes, quorumHash: last.hash, at: last.number, vouchedChain: headers)
            return (headers.count, nil)
        }
        if let (hash, _) = votes.first(where: { $0.value.count >= quorum }) {
            try await outvote(votes, quorumHash: hash, at: last.number)
            if !pool.trusted.contains(where: { $0 === source }) { throw FetchProblem.faultFound }
            throw FetchProblem.missing(last.number, "\(source.label)'s block is not the one \(quorum) upstreams give")
        }
        // No hash has the quorum at the range's end: the highest block of the range that one has, from every
        // upstream's headers of the whole range.
        let calls = headers.map { RPCCall("eth_getBlockByNumber", [.quantity($0.header.number), false]) }
        let answers = await pool.batchEach(calls, as: RPCBlock?.self, from: others)
        var vouched = 0
        for i in headers.indices.reversed() {
            let hash = headers[i].header.hash
            let agreeing = answers.filter { _, list in
                guard case .success(let block?)? = list?[i] else { return false }
                return block.header.number == headers[i].header.number && block.header.hash == hash && block.claimedHash == hash
            }
            if agreeing.count + 1 >= quorum {
                vouched = i + 1
                break
            }
        }
        let at = last.number - UInt64(headers.count - vouched)
        var given = votes.map { hash, upstreams in "\(upstreams.map(\.label).joined(separator: ", ")) \(hash.hex.prefix(10))…" }.sorted()
        if !silent.isEmpty { given.append("\(silent.joined(separator: ", ")) no block") }
        let why = "no \(quorum) upstreams agree on block \(last.number) (\(given.joined(separator: "; "))) nor on any block from \(at + 1); "
            + "waiting at block \(at), the last one a quorum vouches for"
        return (vouched, why)
    }

    /// `eth_getBlockReceipts` of each block hash, from the next upstream that has the method; nil when that upstream
    /// lacks it (it is remembered, and not asked again).
    func blockReceipts(_ hashes: [JSONValue]) async throws -> ([Result<[RPCReceipt]?, RPCError>], Upstream)? {
        let calls = hashes.map { RPCCall("eth_getBlockReceipts", [$0]) }
        do throws(PoolError) {
            let (answers, from) = try await pool.withUpstream { upstream throws(UpstreamError) -> [Result<[RPCReceipt]?, RPCError>]? in
                if upstream.lacks("eth_getBlockReceipts") { return nil }
                let answers = try await upstream.batch(calls, as: [RPCReceipt]?.self)
                let unknown = answers.contains { if case .failure(let e) = $0 { e.isUnknownMethod } else { false } }
                if unknown {
                    upstream.noteLacking("eth_getBlockReceipts")
                    return nil
                }
                return answers
            }
            if answers == nil { log("\(from.label) lacks eth_getBlockReceipts; asking it for each transaction's receipt instead") }
            return answers.map { ($0, from) }
        } catch {
            throw FetchProblem.pool(error)
        }
    }

    /// The receipts of each of `blocks` by `eth_getTransactionReceipt`, one call per transaction, for upstreams
    /// without `eth_getBlockReceipts`; a block with a receipt missing answers null. The lists are checked against the
    /// receipts root at ingest, as a block's list is. Blocks without transactions need no call (nor blame: `blocksFrom`).
    func transactionReceipts(_ blocks: [Result<RPCBlock?, RPCError>], blocksFrom: Upstream) async throws -> ([Result<[RPCReceipt]?, RPCError>], Upstream) {
        let hashes: [[Hash32]] = blocks.map { answer in
            guard case .success(let block?) = answer, case .full(let txs) = block.transactions else { return [] }
            return txs.map(\.transaction.hash)
        }
        let calls = hashes.joined().map { RPCCall("eth_getTransactionReceipt", [.string($0.hex)]) }
        guard !calls.isEmpty else { return (hashes.map { _ in .success([]) }, blocksFrom) }
        let (answers, from) = try await poolBatch(calls, as: RPCReceipt?.self)
        var lists: [Result<[RPCReceipt]?, RPCError>] = []
        var next = 0
        for block in hashes {
            let slice = answers[next..<next + block.count]
            next += block.count
            var list: [RPCReceipt]? = []
            var failure: RPCError?
            for answer in slice {
                switch answer {
                case .success(let receipt?): list?.append(receipt)
                case .success(nil): list = nil
                case .failure(let error): failure = failure ?? error
                }
            }
            lists.append(failure.map { .failure($0) } ?? .success(list))
        }
        return (lists, from)
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

    /// The indexed tip does not continue into the quorum's chain: finds the highest block the quorum's chain shares
    /// with ours, looking back at most the undo window, and undoes everything above it. Every trusted upstream is
    /// asked, so no single one decides: where no hash has the quorum, sync waits instead. When the quorum still holds
    /// our tip, the block that did not link was stale or a lie: its upstream gets a strike, and is marked faulty
    /// after `linkStrikes` of them.
    func resolveReorg(tip: Header, suspect: (Upstream, VerificationError)?, strikes: inout [String: Int]) async throws(SyncError) {
        let window = ingestor.index.undoWindow
        let final = try finalized()
        // A finalized block is never undone: the search stops there.
        let lowest = max(tip.number > window ? tip.number - window : 0, final?.number ?? 0)
        var high = tip.number
        var ancestor: UInt64?
        while ancestor == nil {
            let low = high > lowest + 31 ? high - 31 : lowest
            let calls = (low...high).map { RPCCall("eth_getBlockByNumber", [.quantity($0), false]) }
            let candidates = pool.trusted
            guard candidates.count >= pool.quorum else { throw stop(quorumUnreachable()) }
            let answers = await pool.batchEach(calls, as: RPCBlock?.self, from: candidates)
            for (offset, number) in (low...high).enumerated().reversed() {
                var votes: [Hash32: [Upstream]] = [:]
                for case let (upstream, list?) in answers {
                    guard case .success(let block?) = list[offset], block.header.hash == block.claimedHash, block.header.number == number else { continue }
                    votes[block.header.hash, default: []].append(upstream)
                }
                let held = votes.filter { $0.value.count >= pool.quorum }.keys
                for hash in held where try isStored(hash, at: number) {
                    try await outvote(votes, quorumHash: hash, at: number)
                    ancestor = number
                }
                if ancestor != nil { break }
                if held.isEmpty {
                    pause("looking for a reorg's common ancestor, no \(pool.quorum) upstreams agree on block \(number); waiting")
                    await sleep(options.pollInterval)
                    return
                }
            }
            if ancestor == nil {
                guard low > lowest else {
                    if let final, final.number == lowest { throw stop(.reorgBelowFinalized(finalized: final.number, tip: tip.number)) }
                    throw stop(.reorgTooDeep(tip: tip.number, oldestUndoable: lowest))
                }
                high = low - 1
            }
        }
        guard let ancestor, ancestor < tip.number else {
            if let (upstream, failure) = suspect {
                strikes[upstream.label, default: 0] += 1
                if strikes[upstream.label]! >= options.linkStrikes { markFaulty(upstream, .verification(failure)) }
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

    /// Marks faulty, with the evidence, each upstream that gave another hash than the quorum's for a block below the
    /// propagation margin. Within the margin, a different hash is blamed only when the upstream's chain already
    /// differs at the margin's edge (`head - propagationMargin`), compared with the quorum's chain there: the
    /// `vouchedChain` ending at `number`, or the store. With a quorum of 1 there is no minority.
    func outvote(_ votes: [Hash32: [Upstream]], quorumHash: Hash32, at number: UInt64, vouchedChain: [RPCBlock] = []) async throws(SyncError) {
        guard pool.quorum > 1, let head = status.snapshot.head else { return }
        let voters = votes[quorumHash]?.count ?? 0
        let minority = votes.filter { $0.key != quorumHash }
        guard !minority.isEmpty else { return }
        if number + options.propagationMargin <= head {
            for (hash, upstreams) in minority {
                for upstream in upstreams { markFaulty(upstream, .outvoted(block: number, quorumHash: quorumHash, voters: voters, itsHash: hash)) }
            }
            return
        }
        guard head >= options.propagationMargin else { return }
        let edge = head - options.propagationMargin
        let known: Hash32?
        if let first = vouchedChain.first?.header.number, edge >= first, edge - first < vouchedChain.count {
            known = vouchedChain[Int(edge - first)].header.hash
        } else {
            do throws(IngestError) { known = try ingestor.header(at: edge)?.hash } catch { throw stop(.store(error)) }
        }
        guard let known else { return }
        for (upstream, header) in await pool.headers(at: .quantity(edge), from: minority.values.flatMap { $0 }) {
            guard let header, header.number == edge, header.hash != known else { continue }
            markFaulty(upstream, .outvoted(block: edge, quorumHash: known, voters: voters, itsHash: header.hash))
        }
    }

    // MARK: Finality

    /// Records the block a quorum of upstreams reports `finalized`, once it is stored with that hash (so it is
    /// verified, and linked to the checkpoint): reorgs stop there, and anchors are exported up to it. Upstreams that
    /// serve no finality (the tag is an error) leave it unset.
    func recordFinality(tip: Header) async throws(SyncError) {
        var votes: [Hash32: (number: UInt64, count: Int)] = [:]
        for case let (_, header?) in await pool.headers(at: .string("finalized"), from: pool.trusted) {
            votes[header.hash, default: (header.number, 0)].count += 1
        }
        guard let (hash, vote) = votes.first(where: { $0.value.count >= pool.quorum }), vote.number <= tip.number else { return }
        if let known = try finalized(), known.number >= vote.number { return }
        guard try isStored(hash, at: vote.number) else { return }
        do throws(StoreError) { try ingestor.blocks.recordFinalized(number: vote.number, hash: hash) } catch { throw stop(.store(.store(error))) }
        status.update { $0.finalized = vote.number }
    }

    func finalized() throws(SyncError) -> (number: UInt64, hash: Hash32)? {
        do throws(StoreError) { return try ingestor.blocks.finalized() } catch { throw stop(.store(.store(error))) }
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

    func markFaulty(_ upstream: Upstream, _ evidence: FaultEvidence) {
        guard pool.markFaulty(upstream, evidence: evidence) else { return }
        status.update { $0.faults = pool.faults }
        log("upstream \(upstream.label) marked faulty: \(evidence); \(pool.trusted.count) trusted upstream(s) left")
    }

    /// Sync cannot go on in this run once fewer upstreams are trusted than the quorum needs (faults are permanent).
    func checkQuorumReachable() throws(SyncError) {
        if pool.trusted.isEmpty { throw stop(.noUpstreams(pool.faults)) }
        if pool.trusted.count < pool.quorum { throw stop(quorumUnreachable()) }
    }

    func quorumUnreachable() -> SyncError {
        .quorumUnreachable(trusted: pool.trusted.count, quorum: pool.quorum, faults: pool.faults)
    }

    /// Counts a refused payload in the status, by field (`/metrics`).
    func countFailure(_ failure: VerificationError) {
        status.update { $0.verificationFailures[Self.metricName(failure.field), default: 0] += 1 }
    }

    /// Says why sync waits; a wait that goes on for many polls is logged once, not at every poll.
    func pause(_ message: String) {
        let repeated = status.snapshot.phase == .paused && status.snapshot.message == message
        status.update { $0.phase = .paused; $0.message = message }
        if !repeated { log("sync paused: \(message)") }
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
