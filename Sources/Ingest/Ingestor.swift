public import AssetIndex
public import EthPrimitives
public import EthTypes
public import Store
public import EthVerify

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

/// Verifies blocks and writes them, with their index changes, in one batch each: the step between fetching and
/// serving (DESIGN.md §1). Nothing that fails a check is written.
public struct Ingestor: Sendable {
    public let index: AssetIndex
    public let blocks: BlockStore
    public let spec: Chainspec
    /// The contracts whose events are indexed.
    public let watched: Set<Address>

    public init(index: AssetIndex, spec: Chainspec, watched: Set<Address>) {
        self.index = index
        self.blocks = BlockStore(store: index.store)
        self.spec = spec
        self.watched = watched
    }

    /// The header of the indexed tip, read back from the store.
    public func tipHeader() throws(IngestError) -> Header? {
        guard let cursor = try wrapIndex({ () throws(IndexError) in try index.cursor() }) else { return nil }
        guard let stored = try wrapStore({ () throws(StoreError) in try blocks.block(number: cursor.number) }) else {
            throw .corrupt("no header stored for the indexed tip \(cursor.number)")
        }
        do throws(HeaderError) { return try Header(rlp: stored.header) } catch { throw .corrupt("tip header: \(error)") }
    }

    /// Verifies `block` (hash, fork fields, roots, senders, receipts, link to `parent` or to the chainspec's
    /// checkpoint for block 0) and writes it: header, body when it has watched events, index changes, cursor.
    @discardableResult
    public func ingest(_ block: RPCBlock, receipts: [Receipt], parent: Header?) throws(IngestError) -> ApplyStats {
        let header = block.header
        do throws(VerificationError) {
            if let parent {
                try Verify.link(header, toParent: parent)
            } else if let checkpoint = spec.checkpoints.first(where: { $0.number == header.number }) {
                try Verify.hash(of: header, equals: checkpoint.hash)
            } else {
                throw VerificationError(block: header.number, field: .parentHash, expected: "a trusted parent or checkpoint", actual: header.parentHash.hex)
            }
        } catch {
            throw .verification(error)
        }
        for outcome in BlockReport.run(block: block, receipts: receipts, spec: spec) {
            if let failure = outcome.failure { throw .verification(failure) }
        }
        guard case .full(let transactions) = block.transactions else {
            throw .verification(VerificationError(block: header.number, field: .transactionsRoot, expected: "full transactions", actual: "hashes only"))
        }
        let indexed = Self.indexedBlock(header: header, transactions: transactions.map(\.transaction), senders: transactions.map(\.claimedFrom), receipts: receipts, watched: watched)
        let data = try wrapStore { () throws(StoreError) in
            try blocks.entries(
                number: header.number, hash: header.hash.bytes, header: header.encoded,
                transactions: indexed.logs.isEmpty ? nil : transactions.map(\.transaction.encoded),
                receipts: indexed.logs.isEmpty ? nil : receipts.map(\.encoded))
        }
        return try wrapIndex { () throws(IndexError) in try index.apply(indexed, blockData: data) }
    }

    /// What the index takes from a verified block: the watched contracts' logs and their transactions.
    static func indexedBlock(header: Header, transactions: [Transaction], senders: [Address], receipts: [Receipt], watched: Set<Address>) -> IndexedBlock {
        var logs: [IndexedLog] = []
        var used: [IndexedTransaction] = []
        var logIndex: UInt32 = 0
        for (i, receipt) in receipts.enumerated() {
            var emitted = false
            for log in receipt.logs {
                defer { logIndex += 1 }
                guard watched.contains(log.address) else { continue }
                logs.append(IndexedLog(log: log, transactionIndex: UInt32(i), logIndex: logIndex))
                emitted = true
            }
            if emitted {
                let tx = transactions[i]
                used.append(IndexedTransaction(hash: tx.hash, index: UInt32(i), sender: senders[i], to: tx.to, input: tx.data))
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
