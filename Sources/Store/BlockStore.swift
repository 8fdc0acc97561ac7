public import EthPrimitives
internal import EthRLP
internal import EthTrie
internal import EthTypes
import Synchronization

/// The verified block data kept for proofs and re-indexing: every block's header RLP, and for blocks with watched
/// events, or whose receipts a proof of absence needs, a body as one zstd-compressed blob.
///
/// A body is whole (every transaction and receipt of the block), partial (only the transactions and receipts of the
/// watched events, held as the nodes of both tries on their paths), or partial with every receipt (the watched
/// transactions' trie nodes and the block's complete receipts). A partial body is what the index and event proofs
/// need and no more (ARCHITECTURE.md §7): each kept item is read by walking its trie from the header's root, so it is
/// proven on every read, and its proof comes out of the same nodes. Complete receipts are what a bundle needs to show
/// that a block whose bloom matches holds no later record of a token; they are checked against the receipts root on
/// every read. The store writes whichever allowed form compresses smaller.
///
/// Blob layout: one codec byte, then a zstd frame.
/// - codec 0: `rlp([[tx, …], [receipt, …]])`, plain zstd
/// - codec 1: the same with the dictionary stored under `meta/zstdDictionary`
/// - codec 2: `rlp([[[index, firstLogIndex], …], [txNode, …], [receiptNode, …]])`, plain zstd; `firstLogIndex` is
///   the block-wide index of the receipt's first log, which the block's other receipts would otherwise give.
/// - codec 3: `rlp([[index, …], [txNode, …], [receipt, …]])`, plain zstd: every receipt of the block, and the kept
///   transactions as trie nodes.
public struct BlockStore: Sendable {
    public let store: KeyValueStore
    /// The dictionary whole bodies are written with, if any (reading uses the one stored in the database).
    public let dictionary: ZstdDictionary?

    static let dictionaryKey = Schema.Meta.zstdDictionary.key

    /// The first byte of a body blob: how the rest is encoded (see the layouts above).
    enum Codec: UInt8 {
        case whole = 0
        case wholeWithDictionary = 1
        case partial = 2
        case allReceipts = 3
    }

    public init(store: KeyValueStore, dictionary: ZstdDictionary? = nil) {
        self.store = store
        self.dictionary = dictionary
    }

    /// The zstd context bodies are compressed with, kept across blocks and shared by this store's copies: a fresh
    /// context for each body cost more than compressing a 4 KB body itself (`provenant-bench compression`).
    private let compressor = BodyCompressor()

    final class BodyCompressor: Sendable {
        private let context = Mutex(ZstdCompressor(level: 3))

        func compress(_ bytes: [UInt8]) throws(StoreError) -> [UInt8] {
            try context.withLock { compressor throws(StoreError) in try compressor.compress(bytes) }
        }
    }

    /// A verified block's transactions and receipts (canonical encodings), and which of them the store keeps.
    public struct NewBody: Sendable {
        public var transactions: [[UInt8]]
        public var receipts: [[UInt8]]
        /// Indices of the transactions (and receipts) the index uses, ascending.
        public var kept: [Int]
        /// Whether every receipt must be kept: the block's bloom may hold a record that a bundle must show absent.
        public var keepsAllReceipts: Bool

        public init(transactions: [[UInt8]], receipts: [[UInt8]], kept: [Int], keepsAllReceipts: Bool = false) {
            self.transactions = transactions
            self.receipts = receipts
            self.kept = kept
            self.keepsAllReceipts = keepsAllReceipts
        }
    }

    /// One stored transaction with its receipt.
    public struct Item: Sendable, Equatable {
        public var index: Int
        public var transaction: [UInt8]
        public var receipt: [UInt8]
        /// The block-wide log index of the receipt's first log.
        public var firstLogIndex: Int
    }

    /// A stored body as read back: its items, and the proofs of any of them.
    public struct Body: Sendable {
        /// The stored items by ascending index: every one of the block for a whole body.
        public let items: [Item]
        /// Every receipt of the block, when the body holds them (whole bodies and codec 3), checked against the root.
        public let receipts: [[UInt8]]?
        /// A partial body's transaction trie nodes and root; `nil` for a whole body, whose proofs are built from all
        /// its items.
        let transactionNodes: (nodes: TrieNodeSet, root: Hash32)?
        /// A codec-2 body's receipt trie nodes and root.
        let receiptNodes: (nodes: TrieNodeSet, root: Hash32)?

        /// Whether the body holds every transaction of the block.
        public var isWhole: Bool { transactionNodes == nil }

        /// The item at block index `index`, if the body holds it.
        public func item(at index: Int) -> Item? {
            var low = 0, high = items.count
            while low < high {
                let mid = (low + high) / 2
                if items[mid].index < index { low = mid + 1 } else { high = mid }
            }
            return low < items.count && items[low].index == index ? items[low] : nil
        }

        /// The Merkle-Patricia proof of transaction `index` against the header's transactions root.
        public func transactionProof(of index: Int) throws(StoreError) -> [[UInt8]] {
            guard let transactionNodes else { return OrderedTrie.proof(items.map(\.transaction), index: index) }
            return try Self.proof(of: index, in: transactionNodes.nodes, root: transactionNodes.root)
        }

        /// The Merkle-Patricia proof of receipt `index` against the header's receipts root.
        public func receiptProof(of index: Int) throws(StoreError) -> [[UInt8]] {
            if let receipts { return OrderedTrie.proof(receipts, index: index) }
            guard let receiptNodes else { throw .corrupt("a body with neither its receipts nor their trie nodes") }
            return try Self.proof(of: index, in: receiptNodes.nodes, root: receiptNodes.root)
        }

        private static func proof(of index: Int, in nodes: TrieNodeSet, root: Hash32) throws(StoreError) -> [[UInt8]] {
            do throws(TrieError) {
                return try nodes.proof(root: root, key: OrderedTrie.key(index))
            } catch {
                throw .corrupt("the stored trie nodes of item \(index): \(error)")
            }
        }
    }

    /// Whether a stored body blob holds every transaction of its block, told without decoding it. A blob of no known
    /// codec counts as whole, so that reading it fails as damage rather than passing for a partial body.
    public static func isWhole(_ blob: [UInt8]) -> Bool {
        blob.first != Codec.partial.rawValue && blob.first != Codec.allReceipts.rawValue
    }

    /// The pairs to write for one block: the caller puts them in the block's single index batch.
    public func entries(number: UInt64, hash: Hash32, header: [UInt8], body: NewBody?) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] {
        Self.entries(number: number, hash: hash, header: header, bodyBlob: try body.map { b throws(StoreError) in try encodeBody(b) })
    }

    /// The pairs that rewrite a stored block as it is (a reindex replays it in the block's index batch).
    public static func entries(number: UInt64, hash: Hash32, header: [UInt8], bodyBlob: [UInt8]?) -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = [(Schema.headerKey(number), header), (Schema.numberByHashKey(hash), KeyCoding.be64(number))]
        if let bodyBlob { out.append((Schema.bodyKey(number), bodyBlob)) }
        return out
    }

    /// The blob of a body: partial (codec 2, or 3 when every receipt must be kept) when the block has transactions
    /// the index does not use and keeping only the used ones with their trie nodes compresses smaller than the whole
    /// body, whole otherwise.
    public func encodeBody(_ body: NewBody) throws(StoreError) -> [UInt8] {
        guard body.kept.count < body.transactions.count else { return try encodeWhole(transactions: body.transactions, receipts: body.receipts) }
        let partial = body.keepsAllReceipts ? try encodeAllReceipts(body) : try encodePartial(body)
        // Whole bodies compress 2.7-2.9× (benchmarks/RESULTS.md, the real blocks): a partial body under an eighth
        // of the whole's raw bytes is the smaller, and compressing half a megabyte of a mainnet block to learn so
        // was the largest cost of writing it. Either form verifies; a wrong guess would cost bytes, not answers.
        let raw = body.transactions.reduce(0) { $0 + $1.count } + body.receipts.reduce(0) { $0 + $1.count }
        if partial.count * 8 < raw { return partial }
        let whole = try encodeWhole(transactions: body.transactions, receipts: body.receipts)
        return partial.count < whole.count ? partial : whole
    }

    /// The blob of a body that keeps the kept transactions as trie nodes and every receipt (codec 3).
    public func encodeAllReceipts(_ body: NewBody) throws(StoreError) -> [UInt8] {
        let transactionNodes = OrderedTrie.proof(body.transactions, indices: body.kept)
        var e = RLPEncoder(capacity: (transactionNodes + body.receipts).reduce(0) { $0 + $1.count } + 64)
        e.appendList { e in
            e.appendList { e in for index in body.kept { e.append(UInt64(index)) } }
            e.appendList { e in for node in transactionNodes { e.append(bytes: node) } }
            e.appendList { e in for receipt in body.receipts { e.append(bytes: receipt) } }
        }
        return [Codec.allReceipts.rawValue] + (try compressor.compress(e.bytes))
    }

    /// The blob of a whole body (codec 0, or 1 with a dictionary).
    public func encodeWhole(transactions: [[UInt8]], receipts: [[UInt8]]) throws(StoreError) -> [UInt8] {
        var e = RLPEncoder(capacity: transactions.reduce(0) { $0 + $1.count } + receipts.reduce(0) { $0 + $1.count } + 64)
        e.appendList { e in
            e.appendList { e in for tx in transactions { e.append(bytes: tx) } }
            e.appendList { e in for receipt in receipts { e.append(bytes: receipt) } }
        }
        if let dictionary { return [Codec.wholeWithDictionary.rawValue] + (try Zstd.compress(e.bytes, dictionary: dictionary)) }
        return [Codec.whole.rawValue] + (try compressor.compress(e.bytes))
    }

    /// The blob of a partial body (codec 2): the kept items' indices and first log indices, and the nodes of both
    /// tries on their paths.
    public func encodePartial(_ body: NewBody) throws(StoreError) -> [UInt8] {
        var firstLogs: [Int] = []
        var logs = 0
        for receipt in body.receipts {
            firstLogs.append(logs)
            logs += try Self.logCount(ofReceipt: receipt)
        }
        let transactionNodes = OrderedTrie.proof(body.transactions, indices: body.kept)
        let receiptNodes = OrderedTrie.proof(body.receipts, indices: body.kept)
        var e = RLPEncoder(capacity: (transactionNodes + receiptNodes).reduce(0) { $0 + $1.count } + 64)
        e.appendList { e in
            e.appendList { e in
                for index in body.kept { e.appendList { e in e.append(UInt64(index)); e.append(UInt64(firstLogs[index])) } }
            }
            e.appendList { e in for node in transactionNodes { e.append(bytes: node) } }
            e.appendList { e in for node in receiptNodes { e.append(bytes: node) } }
        }
        return [Codec.partial.rawValue] + (try compressor.compress(e.bytes))
    }

    /// Reads a body blob of the block whose header holds these roots. A partial body's items are read through its
    /// trie nodes from the roots, so an item that is not in that block's tries is an error, never an answer.
    public func decodeBody(_ blob: [UInt8], transactionsRoot: Hash32, receiptsRoot: Hash32) throws(StoreError) -> Body {
        guard let first = blob.first else { throw .corrupt("empty block body") }
        guard let codec = Codec(rawValue: first) else { throw .corrupt("unknown body codec \(first)") }
        let raw: [UInt8]
        switch codec {
        case .whole, .partial, .allReceipts: raw = try Zstd.decompress(Array(blob.dropFirst()))
        case .wholeWithDictionary:
            guard let stored = try store.get(Self.dictionaryKey) else { throw .corrupt("a body needs the zstd dictionary, which is missing") }
            raw = try Zstd.decompress(Array(blob.dropFirst()), dictionary: ZstdDictionary(bytes: stored))
        }
        do {
            var reader = RLPReader(raw)
            var list = try reader.readList()
            try reader.finish()
            let body: Body
            if codec == .partial {
                var itemList = try list.readList()
                let positions = try itemList.readAll { (r: inout RLPReader) throws(RLPError) in
                    var pair = try r.readList()
                    let index = try pair.readUInt64(), firstLog = try pair.readUInt64()
                    try pair.finish()
                    return (index: Int(clamping: index), firstLog: Int(clamping: firstLog))
                }
                let transactionNodes = TrieNodeSet(try Self.readByteStrings(&list))
                let receiptNodes = TrieNodeSet(try Self.readByteStrings(&list))
                try list.finish()
                var items: [Item] = []
                for (index, firstLog) in positions {
                    guard items.last.map({ $0.index < index }) ?? true else { throw StoreError.corrupt("partial body: item \(index) out of order") }
                    let key = OrderedTrie.key(index)
                    let transaction: [UInt8]?, receipt: [UInt8]?
                    do throws(TrieError) {
                        transaction = try transactionNodes.value(root: transactionsRoot, key: key)
                        receipt = try receiptNodes.value(root: receiptsRoot, key: key)
                    } catch {
                        throw StoreError.corrupt("partial body: item \(index) is not in the header's tries: \(error)")
                    }
                    guard let transaction, let receipt else { throw StoreError.corrupt("partial body: the header's tries have no item \(index)") }
                    items.append(Item(index: index, transaction: transaction, receipt: receipt, firstLogIndex: firstLog))
                }
                body = Body(items: items, receipts: nil, transactionNodes: (transactionNodes, transactionsRoot), receiptNodes: (receiptNodes, receiptsRoot))
            } else if codec == .allReceipts {
                var indexList = try list.readList()
                let kept = try indexList.readAll { (r: inout RLPReader) throws(RLPError) in Int(clamping: try r.readUInt64()) }
                let transactionNodes = TrieNodeSet(try Self.readByteStrings(&list))
                let receipts = try Self.readByteStrings(&list)
                try list.finish()
                // The receipts are proven as a whole: they must rebuild the header's root.
                guard OrderedTrie.root(receipts) == receiptsRoot else {
                    throw StoreError.corrupt("the stored receipts do not rebuild the header's receipts root")
                }
                var firstLogs: [Int] = []
                var logs = 0
                for receipt in receipts {
                    firstLogs.append(logs)
                    logs += try Self.logCount(ofReceipt: receipt)
                }
                var items: [Item] = []
                for index in kept {
                    guard items.last.map({ $0.index < index }) ?? true, index < receipts.count else {
                        throw StoreError.corrupt("body with receipts: item \(index) out of order or past the \(receipts.count) receipts")
                    }
                    let transaction: [UInt8]?
                    do throws(TrieError) { transaction = try transactionNodes.value(root: transactionsRoot, key: OrderedTrie.key(index)) } catch {
                        throw StoreError.corrupt("body with receipts: transaction \(index) is not in the header's trie: \(error)")
                    }
                    guard let transaction else { throw StoreError.corrupt("body with receipts: the header's trie has no transaction \(index)") }
                    items.append(Item(index: index, transaction: transaction, receipt: receipts[index], firstLogIndex: firstLogs[index]))
                }
                body = Body(items: items, receipts: receipts, transactionNodes: (transactionNodes, transactionsRoot), receiptNodes: nil)
            } else {
                let transactions = try Self.readByteStrings(&list)
                let receipts = try Self.readByteStrings(&list)
                try list.finish()
                guard transactions.count == receipts.count else {
                    throw StoreError.corrupt("whole body: \(transactions.count) transactions and \(receipts.count) receipts")
                }
                var items: [Item] = []
                items.reserveCapacity(transactions.count)
                var logs = 0
                for (index, (transaction, receipt)) in zip(transactions, receipts).enumerated() {
                    items.append(Item(index: index, transaction: transaction, receipt: receipt, firstLogIndex: logs))
                    logs += try Self.logCount(ofReceipt: receipt)
                }
                body = Body(items: items, receipts: receipts, transactionNodes: nil, receiptNodes: nil)
            }
            return body
        } catch let error as StoreError {
            throw error
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
        try store.get(Schema.headerKey(number))
    }

    /// Stored headers from block `first` on, ascending, at most `limit` of them.
    public func headers(from first: UInt64, limit: Int) throws(StoreError) -> [(number: UInt64, rlp: [UInt8])] {
        try store.scan(KeyRange(lower: Schema.headerKey(first), upper: Schema.header.range.upper), reverse: false, limit: limit)
            .map { (KeyCoding.readBE64($0.key.dropFirst()), $0.value) }
    }

    /// The highest stored block known final (`Schema.Meta.finalized`), if any.
    public func finalized() throws(StoreError) -> (number: UInt64, hash: Hash32)? {
        guard let bytes = try store.get(Schema.Meta.finalized.key) else { return nil }
        guard bytes.count == 40, let hash = Hash32(bytes: bytes[8...]) else { throw .corrupt("the finalized block record is \(bytes.count) bytes") }
        return (KeyCoding.readBE64(bytes), hash)
    }

    /// Records block `number`, stored with `hash`, as final.
    public func recordFinalized(number: UInt64, hash: Hash32) throws(StoreError) {
        try store.put(Schema.Meta.finalized.key, KeyCoding.be64(number) + hash.bytes)
    }

    /// The highest block with a stored header.
    public func lastHeaderNumber() throws(StoreError) -> UInt64? {
        try store.last(in: Schema.header.range).map { KeyCoding.readBE64($0.key.dropFirst()) }
    }

    /// The number of the stored block with this hash; `nil` when no stored block has it.
    public func number(ofHash hash: Hash32) throws(StoreError) -> UInt64? {
        guard let bytes = try store.get(Schema.numberByHashKey(hash)) else { return nil }
        guard bytes.count == 8 else { throw .corrupt("the number stored for block \(hash.hex) is \(bytes.count) bytes") }
        return KeyCoding.readBE64(bytes)
    }

    /// The body stored under `number`, read against its header's roots; `nil` when the block has none stored.
    public func body(number: UInt64, transactionsRoot: Hash32, receiptsRoot: Hash32) throws(StoreError) -> Body? {
        guard let blob = try bodyBlob(number: number) else { return nil }
        return try decodeBody(blob, transactionsRoot: transactionsRoot, receiptsRoot: receiptsRoot)
    }

    /// The stored body blob of block `number`, undecoded (`isWhole` tells its kind).
    public func bodyBlob(number: UInt64) throws(StoreError) -> [UInt8]? {
        try store.get(Schema.bodyKey(number))
    }

    /// Numbers of the stored blocks that have a body, ascending, within `[first, last]`.
    public func numbersWithBodies(from first: UInt64 = 0, through last: UInt64 = .max) throws(StoreError) -> [UInt64] {
        let upper = last == .max ? Schema.blockBody.range.upper : Schema.bodyKey(last + 1)
        return try store.scan(KeyRange(lower: Schema.bodyKey(first), upper: upper), reverse: false, limit: .max)
            .map { KeyCoding.readBE64($0.key.dropFirst()) }
    }

    private static func readByteStrings(_ list: inout RLPReader) throws(RLPError) -> [[UInt8]] {
        var items = try list.readList()
        return try items.readAll { (r: inout RLPReader) throws(RLPError) in Array(try r.readBytes()) }
    }

    /// The number of logs in a receipt's consensus encoding (EthTypes reads the receipt's grammar).
    static func logCount(ofReceipt encoded: [UInt8]) throws(StoreError) -> Int {
        do throws(RLPError) { return try Receipt.logCount(encoded: encoded) } catch { throw .corrupt("a stored receipt does not decode: \(error)") }
    }
}
