public import AssetIndex
public import EthPrimitives
public import EthTypes
public import Store
public import EthVerify
internal import EthCrypto
internal import TokenEvents

/// Why a block was not ingested.
public enum IngestError: Error, CustomStringConvertible, Sendable {
    /// The block failed verification: nothing of it was written.
    case verification(VerificationError)
    case index(IndexError)
    case store(StoreError)
    /// A stored block that no longer matches its own header (disk damage).
    case corrupt(String)

    public var description: String {
        switch self {
        case .verification(let error): return "verification failed: \(error)"
        case .index(let error): return "index: \(error)"
        case .store(let error): return "store: \(error)"
        case .corrupt(let message): return "stored data damaged: \(message)"
        }
    }
}

/// A block that passed every check it can pass alone: its hash, its fork's fields, its ommers hash, both roots, its
/// transactions' hashes, the senders the index keeps, its receipts' blooms and gas (ARCHITECTURE.md §2). Only
/// `Ingestor.verify` makes one, and `Ingestor.ingest(_:parent:)` writes it only once it links to its parent.
public struct VerifiedBlock: Sendable {
    public let header: Header
    let transactions: [RPCTransaction]
    let receipts: [Receipt]
    /// The transactions with a watched log that may mint, whose senders were recovered and checked.
    let minters: Set<Int>
}

/// Verifies blocks and writes them, with their index changes, in one batch each: the step between fetching and
/// serving (ARCHITECTURE.md §2). Nothing that fails a check is written.
public struct Ingestor: Sendable {
    public let index: AssetIndex
    public let blocks: BlockStore
    public let spec: Chainspec
    /// The contracts whose events are indexed.
    public let watched: Set<Address>
    /// The first block indexed for each watched contract (0 when absent): logs before it are not indexed.
    public let startBlocks: [Address: UInt64]
    /// Keccak-256 of each watched address and of each indexed topic0: what a header's bloom is tested against.
    let hashedAddresses: [(Address, Hash32)]
    let hashedTopics: [Hash32]
    let hashedRecordTopics: [Hash32]

    public init(index: AssetIndex, spec: Chainspec, watched: Set<Address>, startBlocks: [Address: UInt64] = [:]) {
        self.index = index
        self.blocks = BlockStore(store: index.store)
        self.spec = spec
        self.watched = watched
        self.startBlocks = startBlocks
        hashedAddresses = watched.sorted { $0.hex < $1.hex }.map { ($0, keccak256($0.bytes)) }
        hashedTopics = TokenEvent.Topic.all.map { keccak256($0.bytes) }
        hashedRecordTopics = TokenEvent.Topic.latestRecords.map { keccak256($0.bytes) }
    }

    func watches(_ address: Address, at block: UInt64) -> Bool {
        watched.contains(address) && block >= startBlocks[address, default: 0]
    }

    /// The trust root an empty store syncs from: the chainspec's highest checkpoint at or below every watched
    /// contract's start block.
    public var startCheckpoint: Chainspec.Checkpoint? { spec.checkpoint(atOrBelow: lowestStartBlock) }

    /// The first block any watched contract needs.
    public var lowestStartBlock: UInt64 { watched.map { startBlocks[$0, default: 0] }.min() ?? 0 }

    /// Whether a block with this (verified) header may hold an event of a watched contract: its bloom has a watched
    /// address and an indexed topic0. A bloom has no false negatives, so `false` proves there is none and the block
    /// needs neither its body nor its receipts (ARCHITECTURE.md §2, completeness).
    public func mayHaveWatchedEvents(_ header: Header) -> Bool {
        let bloom = header.logsBloom
        return hashedAddresses.contains { address, hash in header.number >= startBlocks[address, default: 0] && bloom.mayContain(hashed: hash) }
            && hashedTopics.contains { bloom.mayContain(hashed: $0) }
    }

    /// Whether the block's complete receipts are kept: its bloom may hold a watched contract's ownership, rental or
    /// AIGC record, so a proof bundle may need to show, receipt by receipt, that it holds no later record of a token
    /// (ARCHITECTURE.md §6).
    public func keepsAllReceipts(_ header: Header) -> Bool {
        let bloom = header.logsBloom
        return hashedAddresses.contains { address, hash in header.number >= startBlocks[address, default: 0] && bloom.mayContain(hashed: hash) }
            && hashedRecordTopics.contains { bloom.mayContain(hashed: $0) }
    }

    /// Verifies a header whose bloom rules out watched events (claimed hash, fork fields, link to `parent` or to the
    /// checkpoint) and writes it alone: the block's header, its number by hash, and the cursor.
    @discardableResult
    public func ingestHeader(_ block: RPCBlock, parent: Header?) throws(IngestError) -> ApplyStats {
        try checkHeader(block, parent: parent)
        return try writeHeaders([block.header])
    }

    /// The checks of `ingestHeader`, without the write.
    public func checkHeader(_ block: RPCBlock, parent: Header?) throws(IngestError) {
        let header = block.header
        do throws(VerificationError) {
            try Verify.hash(of: header, equals: block.claimedHash)
            try Verify.forkFields(of: header, spec: spec)
        } catch {
            throw .verification(error)
        }
        try verifyLink(header, parent: parent)
        guard !mayHaveWatchedEvents(header) else {
            throw .verification(VerificationError(block: header.number, field: .logsBloom, expected: "no watched address and topic", actual: "a possible watched event: the block needs its receipts"))
        }
    }

    /// Writes consecutive headers that passed `checkHeader` (each linked to the one before, the first to the
    /// index's tip) in one store write: each block's header, number by hash and undo record, and the cursor at the
    /// last. A run of blocks the bloom rules out costs one write, not one a block.
    @discardableResult
    public func writeHeaders(_ headers: [Header]) throws(IngestError) -> ApplyStats {
        var blocks: [(block: IndexedBlock, blockData: [(key: [UInt8], value: [UInt8])])] = []
        blocks.reserveCapacity(headers.count)
        for header in headers {
            let data = try wrapStore { () throws(StoreError) in
                try self.blocks.entries(number: header.number, hash: header.hash, header: header.encoded, body: nil)
            }
            blocks.append((IndexedBlock(number: header.number, hash: header.hash, timestamp: header.timestamp, transactions: [], logs: []), data))
        }
        return try wrapIndex { () throws(IndexError) in try index.applyEmpty(blocks) }
    }

    /// The link every kept block needs: to its verified parent, or, for the first block, to a trusted checkpoint.
    /// A checkpoint on the way must match too (ARCHITECTURE.md §2).
    func verifyLink(_ header: Header, parent: Header?) throws(IngestError) {
        do throws(VerificationError) {
            let checkpoint = spec.checkpoints.first(where: { $0.number == header.number })
            if let parent {
                try Verify.link(header, toParent: parent)
                if let checkpoint { try Verify.hash(of: header, equals: checkpoint.hash) }
            } else if let checkpoint {
                try Verify.hash(of: header, equals: checkpoint.hash)
            } else {
                throw VerificationError(block: header.number, field: .parentHash, expected: "a trusted parent or checkpoint", actual: header.parentHash.hex)
            }
        } catch {
            throw .verification(error)
        }
    }

    /// The header of the indexed tip, read back from the store.
    public func tipHeader() throws(IngestError) -> Header? {
        guard let cursor = try wrapIndex({ () throws(IndexError) in try index.cursor() }) else { return nil }
        guard let header = try header(at: cursor.number) else { throw .corrupt("no header stored for the indexed tip \(cursor.number)") }
        return header
    }

    /// The stored header at `number`, if any.
    public func header(at number: UInt64) throws(IngestError) -> Header? {
        guard let stored = try wrapStore({ () throws(StoreError) in try blocks.header(number: number) }) else { return nil }
        do throws(HeaderError) { return try Header(rlp: stored) } catch { throw .corrupt("header \(number): \(error)") }
    }

    /// Verifies `block` (hash, fork fields, roots, the senders the index keeps, receipts, link to `parent` or to the
    /// chainspec's checkpoint for block 0) and writes it: header, body when it has watched events, index changes,
    /// cursor.
    @discardableResult
    public func ingest(_ block: RPCBlock, receipts: [Receipt], parent: Header?) throws(IngestError) -> ApplyStats {
        try verifyLink(block.header, parent: parent)
        return try ingest(try verify(block, receipts: receipts), parent: parent)
    }

    /// Every check `block` can pass alone (`VerifiedBlock`): pure, so sync runs it where the block was fetched,
    /// blocks of several ranges at once, while the blocks before are being written.
    public func verify(_ block: RPCBlock, receipts served: [Receipt]) throws(IngestError) -> VerifiedBlock {
        let header = block.header
        // What is stored is what the receipts root commits to, so a proof bundle's receipt proves against it.
        let receipts = spec.consensusReceipts(served, number: header.number, timestamp: header.timestamp)
        let minting = receipts.indices.filter { i in
            receipts[i].logs.contains { watches($0.address, at: header.number) && TokenEvent.mayMint($0) }
        }
        for outcome in BlockReport.run(block: block, receipts: receipts, spec: spec, senders: .only(minting)) {
            if let failure = outcome.failure { throw .verification(failure) }
        }
        guard case .full(let transactions) = block.transactions else {
            throw .verification(VerificationError(block: header.number, field: .transactionsRoot, expected: "full transactions", actual: "hashes only"))
        }
        return VerifiedBlock(header: header, transactions: transactions, receipts: receipts, minters: Set(minting))
    }

    /// Writes a verified block once it links to `parent` (or, for the first block, to a checkpoint): header, body
    /// when it has watched events, index changes, cursor.
    @discardableResult
    public func ingest(_ verified: VerifiedBlock, parent: Header?) throws(IngestError) -> ApplyStats {
        let header = verified.header
        try verifyLink(header, parent: parent)
        var items: [SourceItem] = []
        items.reserveCapacity(verified.receipts.count)
        var logs = 0
        for (i, (tx, receipt)) in zip(verified.transactions, verified.receipts).enumerated() {
            // A minter's `from` was checked against the sender recovered from its signature.
            let sender = verified.minters.contains(i) ? tx.claimedFrom : nil
            items.append(SourceItem(index: i, transaction: tx.transaction, sender: sender, receipt: receipt, firstLogIndex: logs))
            logs += receipt.logs.count
        }
        let indexed = indexedBlock(header: header, items: items)
        let keepsReceipts = keepsAllReceipts(header)
        let body = indexed.logs.isEmpty && !keepsReceipts ? nil : BlockStore.NewBody(
            transactions: verified.transactions.map(\.transaction.encoded), receipts: verified.receipts.map(\.encoded),
            kept: indexed.transactions.map { Int($0.index) }, keepsAllReceipts: keepsReceipts)
        let data = try wrapStore { () throws(StoreError) in
            try blocks.entries(number: header.number, hash: header.hash, header: header.encoded, body: body)
        }
        return try wrapIndex { () throws(IndexError) in try index.apply(indexed, blockData: data) }
    }

    /// One transaction of a block with its receipt and, where it is used, its verified sender, as the index reads it.
    struct SourceItem {
        var index: Int
        var transaction: Transaction
        var sender: Address?
        var receipt: Receipt
        /// The block-wide log index of the receipt's first log.
        var firstLogIndex: Int
    }

    /// What the index takes from a verified block: the watched contracts' logs and their transactions. `items` are
    /// the block's transactions by ascending index: all of them, or (from a partial body) those with watched logs.
    func indexedBlock(header: Header, items: [SourceItem]) -> IndexedBlock {
        var logs: [IndexedLog] = []
        var used: [IndexedTransaction] = []
        for item in items {
            var emitted = false
            for (offset, log) in item.receipt.logs.enumerated() where watches(log.address, at: header.number) {
                logs.append(IndexedLog(log: log, transactionIndex: UInt32(item.index), logIndex: UInt32(item.firstLogIndex + offset)))
                emitted = true
            }
            if emitted {
                let tx = item.transaction
                used.append(IndexedTransaction(hash: tx.hash, index: UInt32(item.index), sender: item.sender, to: tx.to, input: tx.data))
            }
        }
        return IndexedBlock(number: header.number, hash: header.hash, timestamp: header.timestamp, transactions: used, logs: logs)
    }

    func wrapStore<T>(_ body: () throws(StoreError) -> T) throws(IngestError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(error) }
    }

    func wrapIndex<T>(_ body: () throws(IndexError) -> T) throws(IngestError) -> T {
        do throws(IndexError) { return try body() } catch { throw .index(error) }
    }
}
