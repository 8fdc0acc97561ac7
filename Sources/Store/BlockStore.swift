internal import EthRLP

/// The verified block data kept for proofs and re-indexing: a header's RLP, and for blocks with watched events the
/// canonical encodings of their transactions and receipts as one zstd-compressed blob.
///
/// Blob layout: one codec byte, then the zstd frame of `rlp([[tx, …], [receipt, …]])`. Codec 0 is plain zstd,
/// codec 1 is zstd with the dictionary stored under `meta/zstdDictionary`.
public struct BlockStore: Sendable {
    public let store: KeyValueStore
    /// The dictionary blobs are written with, if any (reading uses the one stored in the database).
    public let dictionary: ZstdDictionary?

    static let dictionaryKey = Schema.meta.key(Array("zstdDictionary".utf8))

    public init(store: KeyValueStore, dictionary: ZstdDictionary? = nil) {
        self.store = store
        self.dictionary = dictionary
    }

    /// A stored block as it was verified.
    public struct Block: Sendable, Equatable {
        public var header: [UInt8]
        public var transactions: [[UInt8]]
        public var receipts: [[UInt8]]
    }

    /// The pairs to write for one block: the caller puts them in the block's single index batch.
    public func entries(number: UInt64, hash: [UInt8], header: [UInt8], transactions: [[UInt8]]?, receipts: [[UInt8]]?)
        throws(StoreError) -> [(key: [UInt8], value: [UInt8])]
    {
        let n = KeyCoding.be64(number)
        var out: [(key: [UInt8], value: [UInt8])] = [(Schema.header.key(n), header), (Schema.numberByHash.key(hash), n)]
        if let transactions, let receipts {
            out.append((Schema.blockBody.key(n), try encodeBody(transactions: transactions, receipts: receipts)))
        }
        return out
    }

    /// The blob of a block body.
    public func encodeBody(transactions: [[UInt8]], receipts: [[UInt8]]) throws(StoreError) -> [UInt8] {
        var e = RLPEncoder(capacity: transactions.reduce(0) { $0 + $1.count } + receipts.reduce(0) { $0 + $1.count } + 64)
        e.appendList { e in
            e.appendList { e in for tx in transactions { e.append(bytes: tx) } }
            e.appendList { e in for receipt in receipts { e.append(bytes: receipt) } }
        }
        if let dictionary { return [1] + (try Zstd.compress(e.bytes, dictionary: dictionary)) }
        return [0] + (try Zstd.compress(e.bytes))
    }

    public func decodeBody(_ blob: [UInt8]) throws(StoreError) -> (transactions: [[UInt8]], receipts: [[UInt8]]) {
        guard let codec = blob.first else { throw .corrupt("empty block body") }
        let raw: [UInt8]
        switch codec {
        case 0: raw = try Zstd.decompress(Array(blob.dropFirst()))
        case 1:
            guard let stored = try store.get(Self.dictionaryKey) else { throw .corrupt("a body needs the zstd dictionary, which is missing") }
            raw = try Zstd.decompress(Array(blob.dropFirst()), dictionary: ZstdDictionary(bytes: stored))
        default: throw .corrupt("unknown body codec \(codec)")
        }
        do throws(RLPError) {
            var reader = RLPReader(raw)
            var list = try reader.readList()
            try reader.finish()
            var txList = try list.readList()
            let transactions = try txList.readAll { (r: inout RLPReader) throws(RLPError) in Array(try r.readBytes()) }
            var receiptList = try list.readList()
            let receipts = try receiptList.readAll { (r: inout RLPReader) throws(RLPError) in Array(try r.readBytes()) }
            try list.finish()
            return (transactions, receipts)
        } catch {
            throw .corrupt("block body: \(error)")
        }
    }

    /// Stores the dictionary that codec-1 bodies need (once, before the first such body).
    public func saveDictionary() throws(StoreError) {
        if let dictionary { try store.put(Self.dictionaryKey, dictionary.bytes) }
    }

    /// The header RLP stored under `number`.
    public func header(number: UInt64) throws(StoreError) -> [UInt8]? {
        try store.get(Schema.header.key(KeyCoding.be64(number)))
    }

    /// The block stored under `number`: its header and, if kept, its body.
    public func block(number: UInt64) throws(StoreError) -> Block? {
        guard let header = try header(number: number) else { return nil }
        guard let blob = try store.get(Schema.blockBody.key(KeyCoding.be64(number))) else { return Block(header: header, transactions: [], receipts: []) }
        let body = try decodeBody(blob)
        return Block(header: header, transactions: body.transactions, receipts: body.receipts)
    }

    /// Numbers of the stored blocks that have a body, ascending.
    public func numbersWithBodies() throws(StoreError) -> [UInt64] {
        try store.scan(prefix: [Schema.blockBody.rawValue]).map { KeyCoding.readBE64($0.key.dropFirst()) }
    }
}
