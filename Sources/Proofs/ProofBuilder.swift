public import EthPrimitives
public import AssetIndex
public import ProofVerify
public import Store
internal import EthCrypto
internal import EthTypes

/// Builds proof bundles from what the node verified and stored: the index says which logs a token's provenance
/// rests on, the block store holds those blocks' transactions and receipts (a whole body, from which the proofs are
/// rebuilt, or a partial one holding the proofs' nodes) and every header up to the anchor.
public struct ProofBuilder: Sendable {
    public let index: AssetIndex
    public let blocks: BlockStore
    public let chainId: UInt64
    public let limits: Limits

    /// How much one bundle may read: past a limit, `bundle` throws `.overLimit` naming it, before reading on.
    public struct Limits: Sendable {
        /// Most headers a bundle carries (`ProofBundle.maxHeaders` at most: the verifier reads no more).
        public var headers: Int
        /// Most history records of the token read.
        public var records: Int

        /// What a bundle file may hold: the verifier's own limit, and any history.
        public static let files = Limits(headers: ProofBundle.maxHeaders, records: .max)

        public init(headers: Int, records: Int) {
            self.headers = min(headers, ProofBundle.maxHeaders)
            self.records = records
        }
    }

    public init(index: AssetIndex, chainId: UInt64, limits: Limits = .files) {
        self.index = index
        self.blocks = BlockStore(store: index.store)
        self.chainId = chainId
        self.limits = limits
    }

    /// Which block a bundle anchors to.
    public enum Anchor: Equatable, Sendable {
        /// The indexed head (its hash is `asset_status`'s `indexed.hash`).
        case head
        /// A given block at or below the head: the claim is as of that block.
        case block(UInt64)
        /// The first multiple of `every` at or above the token's last event (the head when there is none yet),
        /// as `provenant anchors export --every` lists them: the fewest headers a user's anchor file covers. Past
        /// events below the latest records go in segments ending at their own next multiple of `every`, so the
        /// bundle grows with the token's history, not its age.
        case nearest(every: UInt64)
    }

    /// The bundle for a token as of the anchor: its first mint with the minter, its ERC-7007 records (with the prompt
    /// and output where the index recovered them), its last ERC-721 ownership record and its last ERC-4907 record,
    /// each up to the anchor; and the complete receipts of every block from those latest records to the anchor whose
    /// bloom may hold a later one, which show that none is.
    public func bundle(contract: Address, tokenId: UInt256, anchor: Anchor = .head) throws(ProofBuildError) -> ProofBundle {
        guard let tip = try wrap({ () throws(IndexError) in try index.cursor() }) else { throw .unavailable("nothing is indexed yet") }
        var anchorNumber: UInt64
        switch anchor {
        case .head, .nearest: anchorNumber = tip.number
        case .block(let number):
            guard number <= tip.number else { throw .unavailable("anchor \(number) is beyond the indexed head \(tip.number)") }
            anchorNumber = number
        }

        var parts = try eventParts(contract: contract, tokenId: tokenId, through: anchorNumber)
        let events = parts.events
        // Where each latest record is: from its block on, blocks whose bloom may hold a later one carry receipts.
        var latestBlocks: [ProofBundle.Role: UInt64] = [:]
        for event in events where event.role != .mint { latestBlocks[event.role] = max(latestBlocks[event.role] ?? 0, event.blockNumber) }
        let filter = LaterRecordFilter(contract: contract, tokenId: tokenId)
        var blockReceipts: [ProofBundle.BlockReceipts] = []

        if case .nearest(let every) = anchor, every > 0 {
            // Nothing of the token happened after its last event, so anchoring there changes no event.
            let last = events.map(\.blockNumber).max()!
            if let rounded = Self.roundUp(last, every), rounded <= tip.number { anchorNumber = rounded }
        }
        // The main run reaches from the earliest latest record (whose absence proof needs every header after it)
        // to the anchor; with anchors every `every` blocks, past events below it sit in segments of their own.
        var every: UInt64?
        if case .nearest(let spacing) = anchor, spacing > 0 { every = spacing }
        let (mainStart, segments) = try linkedRuns(events: events.map(\.blockNumber), mainStart: latestBlocks.values.min() ?? anchorNumber,
                                                   anchor: anchorNumber, every: every)
        let (headers, anchorHash) = try headerRun(mainStart...anchorNumber) { header throws(ProofBuildError) in
            let suspected = filter.roles(mayBeIn: header.logsBloom, among: Set(latestBlocks.filter { $0.value <= header.number }.keys))
            if !suspected.isEmpty {
                blockReceipts.append(.init(blockNumber: header.number, receipts: try completeReceipts(of: header, bodies: &parts.bodies)))
            }
        }
        if anchorNumber == tip.number, anchorHash != tip.hash {
            throw .corrupt("the stored header of block \(anchorNumber) hashes to \(anchorHash.hex), not to the indexed head's \(tip.hash.hex)")
        }
        return ProofBundle(chainId: chainId, claim: parts.claim, events: events, blockReceipts: blockReceipts, headers: headers, segments: segments,
                           anchor: (anchorNumber, anchorHash))
    }

    /// A bundle whose present is proven by `state`, storage proofs against block `anchorNumber`'s state root (the
    /// caller has verified them there): the anchor's header, and, with `events`, the token's events each linked to
    /// its own next multiple of `every` (or, without `every`, all in one run up to the anchor). `tokenId` is nil for
    /// an ERC-20 contract's balances.
    public func stateBundle(contract: Address, tokenId: UInt256?, state: PresentState, at anchorNumber: UInt64, events withEvents: Bool,
                            every: UInt64?) throws(ProofBuildError) -> ProofBundle {
        var claim = ProofBundle.Claim(contract: contract, tokenId: tokenId, minter: nil, aigc: [], owner: nil)
        var events: [ProofBundle.Event] = []
        if withEvents, let tokenId {
            let parts = try eventParts(contract: contract, tokenId: tokenId, through: anchorNumber)
            (claim, events) = (parts.claim, parts.events)
        }
        let (mainStart, segments) = try linkedRuns(events: events.map(\.blockNumber), mainStart: anchorNumber, anchor: anchorNumber,
                                                   every: every.flatMap { $0 > 0 ? $0 : nil })
        let (headers, anchorHash) = try headerRun(mainStart...anchorNumber) { _ in }
        return ProofBundle(chainId: chainId, claim: claim, events: events, headers: headers, segments: segments, anchor: (anchorNumber, anchorHash),
                           state: state)
    }

    /// The token's records up to the anchor, as a claim and the events that prove it, and the bodies read for them.
    struct EventParts {
        var claim: ProofBundle.Claim
        var events: [ProofBundle.Event]
        var bodies: [UInt64: BlockStore.Body]
    }

    /// The token's first mint with the minter, its ERC-7007 records, its last ERC-721 ownership record and its last
    /// ERC-4907 record, each up to `anchorNumber`, with their proofs.
    func eventParts(contract: Address, tokenId: UInt256, through anchorNumber: UInt64) throws(ProofBuildError) -> EventParts {
        var history: [AssetIndex.HistoryEntry] = []
        var cursor: [UInt8]?
        repeat {
            let page = try wrap { () throws(IndexError) in
                try index.history(contract: contract, tokenId: tokenId, toBlock: anchorNumber, cursor: cursor, limit: AssetIndex.maxPageSize)
            }
            history += page.items
            cursor = page.next
            guard history.count <= limits.records else {
                throw .overLimit("token \(tokenId.quantity) of \(contract.hex) has more than \(limits.records) records up to block \(anchorNumber); ask for an earlier anchor")
            }
        } while cursor != nil
        // ERC-721 ownership records are the transfers without an operator or a value (ERC-1155's carry both).
        let isOwnership = { (e: AssetIndex.HistoryEntry) in
            [.mint, .transfer, .burn].contains(e.record.kind) && e.record.operator == nil && e.record.value == nil
        }
        let mint = history.first { $0.record.kind == .mint && $0.record.sender != nil }
        let aigcEntries = history.filter { $0.record.kind == .aigc }
        let lastOwnership = history.last(where: isOwnership)
        let lastRental = history.last { $0.record.kind == .rental }
        guard mint != nil || !aigcEntries.isEmpty || lastOwnership != nil || lastRental != nil else {
            throw .unavailable("nothing is indexed of token \(tokenId.quantity) of \(contract.hex) up to block \(anchorNumber)")
        }
        let aigcRecords = try wrap { () throws(IndexError) in try index.aigcRecords(contract: contract, tokenId: tokenId, maxRecords: limits.records) }

        var events: [ProofBundle.Event] = []
        // A token's mint, AIGC record and transfer often share a block: its body is read and decompressed once.
        var bodies: [UInt64: BlockStore.Body] = [:]
        var claim = ProofBundle.Claim(contract: contract, tokenId: tokenId, minter: nil, aigc: [], owner: nil)
        if let mint, let sender = mint.record.sender {
            events.append(try event(.mint, mint, bodies: &bodies))
            claim.minter = .init(address: sender, transactionHash: mint.record.transactionHash, blockNumber: mint.block)
        }
        for entry in aigcEntries {
            guard let record = aigcRecords.first(where: { $0.block == entry.block && $0.logIndex == entry.logIndex })?.record else {
                throw .corrupt("the AIGC record of block \(entry.block), log \(entry.logIndex) is missing from the index")
            }
            events.append(try event(.aigc, entry, bodies: &bodies))
            claim.aigc.append(.init(promptHash: record.promptHash, aigcDataHash: record.aigcDataHash, blockNumber: entry.block,
                                    prompt: record.prompt, aigcData: record.aigcData))
        }
        if let lastOwnership {
            events.append(try event(.ownership, lastOwnership, bodies: &bodies))
            let to = lastOwnership.record.to
            claim.owner = .init(address: to == .zero ? nil : to, blockNumber: lastOwnership.block)
        }
        if let lastRental {
            events.append(try event(.user, lastRental, bodies: &bodies))
            claim.user = .init(address: lastRental.record.user ?? .zero, expires: lastRental.record.expires ?? 0, blockNumber: lastRental.block)
        }
        return EventParts(claim: claim, events: events, bodies: bodies)
    }

    /// Where the headers of a bundle come from: one run from `mainStart` (lowered to any event below it) up to the
    /// anchor, and with anchors every `every` blocks, each event below the main run in a segment ending at its own
    /// next multiple of `every`, unless that multiple is in the main run. Checks the headers' total against the limit.
    private func linkedRuns(events: [UInt64], mainStart start: UInt64, anchor anchorNumber: UInt64, every: UInt64?) throws(ProofBuildError)
        -> (mainStart: UInt64, segments: [[[UInt8]]])
    {
        var mainStart = start
        var segmentStarts: [UInt64: UInt64] = [:]  // segment end → start
        for block in events.sorted(by: >) where block < mainStart {
            if let every, let end = Self.roundUp(block, every), end < mainStart {
                segmentStarts[end] = min(segmentStarts[end] ?? block, block)
            } else {
                mainStart = block
            }
        }
        // A past event merged into the main run lowers its start: no segment reaches it (each ends at a multiple of
        // `every` below the merged event's own next multiple, so below the event).
        let segmentRanges = segmentStarts.filter { $0.key < mainStart }.map { ($0.value, $0.key) }.sorted { $0.0 < $1.0 }
        let total = segmentRanges.reduce(anchorNumber - mainStart + 1) { $0 + ($1.1 - $1.0 + 1) }
        guard total <= UInt64(limits.headers) else {
            throw .overLimit("the bundle needs \(total) headers (the events start at block \(events.min() ?? anchorNumber)), more than \(limits.headers); ask for an anchor nearer the events")
        }
        var segments: [[[UInt8]]] = []
        for (first, last) in segmentRanges {
            segments.append(try headerRun(first...last) { _ in }.headers)
        }
        return (mainStart, segments)
    }

    /// The indexed head.
    func tip() throws(ProofBuildError) -> (number: UInt64, hash: Hash32) {
        guard let tip = try wrap({ () throws(IndexError) in try index.cursor() }) else { throw .unavailable("nothing is indexed yet") }
        return tip
    }

    /// The stored header of block `number`, checked to be that block and the one the store maps its hash to.
    func storedHeader(_ number: UInt64) throws(ProofBuildError) -> Header {
        guard let bytes = try wrap({ () throws(StoreError) in try blocks.header(number: number) }) else {
            throw .unavailable("the header of block \(number) is not stored")
        }
        let header: Header
        do throws(HeaderError) { header = try Header(rlp: bytes) } catch { throw .storedHeader(block: number, error) }
        guard header.number == number, try wrap({ () throws(StoreError) in try blocks.number(ofHash: header.hash) }) == number else {
            throw .corrupt("the header stored as block \(number) is not the stored block of its hash")
        }
        return header
    }

    /// The first multiple of `every` at or above `block`; nil past `UInt64.max`.
    static func roundUp(_ block: UInt64, _ every: UInt64) -> UInt64? {
        let (quotient, remainder) = block.quotientAndRemainder(dividingBy: every)
        let rounded = (quotient + (remainder == 0 ? 0 : 1)).multipliedReportingOverflow(by: every)
        return rounded.overflow ? nil : rounded.partialValue
    }

    /// The stored headers of `range`, each checked as it is read: it decodes, it is the block it is stored as, it
    /// links to the one before, and the first is the stored block of its hash; so a damaged store fails here, not in
    /// the bundle. `each` sees every header in order. Returns the RLPs and the last header's hash.
    private func headerRun(_ range: ClosedRange<UInt64>, _ each: (Header) throws(ProofBuildError) -> Void) throws(ProofBuildError) -> (headers: [[UInt8]], last: Hash32) {
        var headers: [[UInt8]] = []
        var previous: Hash32?
        for number in range {
            guard let bytes = try wrap({ () throws(StoreError) in try blocks.header(number: number) }) else {
                throw .unavailable("the header of block \(number) is not stored")
            }
            let header: Header
            do throws(HeaderError) { header = try Header(rlp: bytes) } catch { throw .storedHeader(block: number, error) }
            guard header.number == number else { throw .corrupt("the header stored as block \(number) is block \(header.number)") }
            if let previous {
                guard header.parentHash == previous else { throw .corrupt("the stored header of block \(number) does not link to block \(number - 1)'s") }
            } else {
                guard try wrap({ () throws(StoreError) in try blocks.number(ofHash: header.hash) }) == number else {
                    throw .corrupt("the stored header of block \(number) hashes to \(header.hash.hex), which the store does not map to it")
                }
            }
            previous = header.hash
            headers.append(bytes)
            try each(header)
        }
        return (headers, previous!)
    }

    /// Every receipt of a block whose bloom may hold a later record of the token, from its stored body (layout 5
    /// keeps them for every such block of a watched contract).
    private func completeReceipts(of header: Header, bodies: inout [UInt64: BlockStore.Body]) throws(ProofBuildError) -> [[UInt8]] {
        let number = header.number
        if bodies[number] == nil {
            bodies[number] = try wrap { () throws(StoreError) in
                try blocks.body(number: number, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
            }
        }
        guard let receipts = bodies[number]?.receipts else {
            throw .unavailable("block \(number)'s bloom may hold a later record of the token, and its receipts, which would show it does not, are not stored")
        }
        return receipts
    }

    /// The proofs of one indexed log: its receipt against the receipts root, and for mints its transaction.
    private func event(_ role: ProofBundle.Role, _ entry: AssetIndex.HistoryEntry, bodies: inout [UInt64: BlockStore.Body]) throws(ProofBuildError) -> ProofBundle.Event {
        if bodies[entry.block] == nil {
            guard let bytes = try wrap({ () throws(StoreError) in try blocks.header(number: entry.block) }) else {
                throw .unavailable("the header of block \(entry.block) is not stored")
            }
            let header: Header
            do throws(HeaderError) { header = try Header(rlp: bytes) } catch { throw .storedHeader(block: entry.block, error) }
            bodies[entry.block] = try wrap { () throws(StoreError) in
                try blocks.body(number: entry.block, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
            }
        }
        guard let body = bodies[entry.block] else { throw .unavailable("the body of block \(entry.block) is not stored") }
        let transactionIndex = Int(entry.record.transactionIndex)
        guard let item = body.item(at: transactionIndex) else {
            throw .corrupt("the stored body of block \(entry.block) has no transaction \(transactionIndex)")
        }
        // The block-wide log index, less the logs of the receipts before this one: the log's place in its receipt.
        guard Int(entry.logIndex) >= item.firstLogIndex else {
            throw .corrupt("log \(entry.logIndex) of block \(entry.block) is before its transaction's receipt")
        }
        let isMint = role == .mint
        return ProofBundle.Event(
            role: role, blockNumber: entry.block, transactionIndex: transactionIndex, logPosition: Int(entry.logIndex) - item.firstLogIndex,
            receipt: item.receipt, receiptProof: try wrap { () throws(StoreError) in try body.receiptProof(of: transactionIndex) },
            transaction: isMint ? item.transaction : nil,
            transactionProof: isMint ? try wrap { () throws(StoreError) in try body.transactionProof(of: transactionIndex) } : nil)
    }

    private func wrap<T>(_ body: () throws(IndexError) -> T) throws(ProofBuildError) -> T {
        do throws(IndexError) { return try body() } catch .tooManyRecords(let limit) {
            throw .overLimit("the token has more than \(limit) records")
        } catch { throw .index(error) }
    }

    private func wrap<T>(_ body: () throws(StoreError) -> T) throws(ProofBuildError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(error) }
    }
}
