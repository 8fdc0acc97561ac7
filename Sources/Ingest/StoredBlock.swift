public import AssetIndex
public import EthTypes
internal import EthPrimitives
internal import EthVerify
internal import Store
internal import TokenEvents

/// A block read back from the store and proven again against its own header: what a reindex replays and what a
/// sink outside the store reads (ARCHITECTURE.md §7).
public struct StoredBlock: Sendable {
    public var header: Header
    /// The header's bytes as verified and kept.
    public var headerRLP: [UInt8]
    public var bodyBlob: [UInt8]?
    /// The watched contracts' logs and their transactions, senders recovered again from the stored signatures.
    public var indexed: IndexedBlock
}

/// Whose senders `Ingestor.storedBlock` recovers from the stored signatures.
public enum StoredSenders: Sendable {
    /// Those of transactions with a watched log that may mint: what the index keeps (the minter), so a reindex.
    case minters
    /// Those of every transaction with a watched log: what a sink's event rows carry.
    case watched
}

extension Ingestor {
    /// The stored block at `number` (nil when no header is stored there). A partial body's items are read through
    /// the header's tries, which proves them; a whole one is checked against both roots here. Anything that no
    /// longer matches is `.corrupt`, naming the block.
    public func storedBlock(number: UInt64, senders: StoredSenders) throws(IngestError) -> StoredBlock? {
        guard let headerBytes = try wrapStore({ () throws(StoreError) in try blocks.header(number: number) }) else { return nil }
        let header: Header
        do throws(HeaderError) { header = try Header(rlp: headerBytes) } catch { throw .corrupt("header \(number): \(error)") }
        let blob = try wrapStore { () throws(StoreError) in try blocks.bodyBlob(number: number) }
        let body = try blob.map { blob throws(IngestError) in
            try wrapStore { () throws(StoreError) in
                try blocks.decodeBody(blob, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
            }
        }
        var items: [SourceItem] = []
        if let body {
            var transactions: [Transaction] = [], receipts: [Receipt] = []
            do {
                transactions = try body.items.map { try Transaction(encoded: $0.transaction) }
                receipts = try body.items.map { try Receipt(encoded: $0.receipt) }
            } catch {
                throw .corrupt("body of block \(number): \(error)")
            }
            if body.isWhole {
                do throws(VerificationError) {
                    try Verify.transactionsRoot(of: header, encodings: body.items.map(\.transaction))
                    try Verify.receipts(of: header, receipts, transactionCount: transactions.count)
                } catch {
                    throw .corrupt("body of block \(number) no longer matches its header: \(error)")
                }
            }
            // A whole body holds every transaction of the block; only those with watched logs are recovered.
            let recovering = body.items.indices.filter { i in
                receipts[i].logs.contains { watches($0.address, at: number) && (senders == .watched || TokenEvent.mayMint($0)) }
            }
            var recovered: [Int: Address] = [:]
            for (i, result) in zip(recovering, Transaction.recoverSenders(recovering.map { transactions[$0] })) {
                guard case .success(let sender) = result else { throw .corrupt("sender of transaction \(body.items[i].index) of block \(number)") }
                recovered[i] = sender
            }
            for (i, item) in body.items.enumerated() {
                items.append(SourceItem(index: item.index, transaction: transactions[i], sender: recovered[i], receipt: receipts[i], firstLogIndex: item.firstLogIndex))
            }
        }
        return StoredBlock(header: header, headerRLP: headerBytes, bodyBlob: blob, indexed: indexedBlock(header: header, items: items))
    }
}
