internal import AssetIndex
internal import EthPrimitives
internal import EthRPC
internal import EthTrie
internal import EthTypes
internal import Store

extension AssetMethods {
    /// `eth_getBlockByNumber(block, fullTransactions)` and `eth_getBlockByHash(hash, fullTransactions)` from the
    /// verified store: null for a block not stored (beyond the head, before the checkpoint, on another branch).
    ///
    /// Every block keeps its verified header, but all its transactions only when they all emitted watched events (or
    /// it has none, which its transactions root proves) or keeping them all compressed smaller than keeping those
    /// that did. For the other blocks the answer has every header field and no `transactions` member: the node
    /// never fetched or never kept them, and a shorter list would be a claim it cannot back. Withdrawals are not
    /// stored; `withdrawalsRoot` is.
    func getBlock(_ raw: JSONValue?, byHash: Bool) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: [byHash ? "blockHash" : "block", "fullTransactions"], required: 2)
        let full = try p.bool(1)
        let number: UInt64
        if byHash {
            let hash = try p.hash(0)
            guard let stored = try blocks({ store throws(StoreError) in try store.number(ofHash: hash) }) else { return .null }
            number = stored
        } else {
            let tip = try head()
            number = try p.block(0) ?? tip.number
            guard number <= tip.number else { return .null }
        }
        guard let header = try header(number) else { return .null }
        let blob = try blocks { store throws(StoreError) in try store.bodyBlob(number: number) }
        let transactions: [Transaction]?
        if let blob, BlockStore.isWhole(blob) {
            let body = try blocks { store throws(StoreError) in
                try store.decodeBody(blob, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
            }
            transactions = body.items.compactMap { try? Transaction(encoded: $0.transaction) }
            guard transactions?.count == body.items.count else {
                throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("stored transactions of block \(number) do not decode"))
            }
        } else if blob != nil {
            transactions = nil  // a partial body: only the watched transactions were kept
        } else {
            transactions = header.transactionsRoot == MerklePatriciaTrie.emptyRoot ? [] : nil
        }
        var senders: [Address] = []
        if full, let transactions {
            // Recovered again: verified at ingest, deterministic, and not worth a column of its own.
            for result in Transaction.recoverSenders(transactions) {
                guard case .success(let sender) = result else {
                    throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("a stored transaction of block \(number) has no sender"))
                }
                senders.append(sender)
            }
        }
        let json = RPCEncoding.block(header: header, transactions: transactions ?? [], senders: senders, full: full, withdrawals: nil)
        guard transactions == nil, case .object(var object) = json else { return json }
        object["transactions"] = nil
        return .object(object)
    }
}
