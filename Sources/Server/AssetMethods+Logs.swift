internal import AssetIndex
internal import EthPrimitives
internal import EthRPC
internal import EthTypes
internal import Store

extension AssetMethods {
    /// `eth_getLogs(filter)` from the verified blocks in the store, for the watched contracts:
    /// `{fromBlock?, toBlock?, address?, topics?, blockHash?}` as the execution APIs define it. A block whose
    /// verified bloom showed no watched event has no stored body and provably holds no watched log.
    func getLogs(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["filter"], required: 1)
        let filter = try p.options(0, allowed: ["fromBlock", "toBlock", "address", "topics", "blockHash"])
        let tip = try head()
        func block(_ key: String, default value: UInt64) throws(RPCError) -> UInt64 {
            guard let v = filter[key], v != .null else { return value }
            guard let n = try Params([v], names: ["filter.\(key)"], required: 1).block(0) else { return tip.number }
            return n
        }
        var from = try block("fromBlock", default: tip.number), to = try block("toBlock", default: tip.number)
        if let hash = filter["blockHash"], hash != .null {
            guard filter["fromBlock"] == nil && filter["toBlock"] == nil else {
                throw .invalidParams("filter.blockHash", "cannot be combined with fromBlock/toBlock")
            }
            let h = try Params([hash], names: ["filter.blockHash"], required: 1).hash(0)
            guard let number = try blocks({ store throws(StoreError) in try store.number(ofHash: h) }) else {
                throw .notFound("block \(h.hex) is not in the verified store")
            }
            from = number
            to = number
        }
        guard from <= to else { throw .invalidParams("filter.fromBlock", "is after filter.toBlock") }
        guard to <= tip.number else { throw .notFound("filter.toBlock: block \(to) is beyond the indexed head \(tip.number)") }

        let conditions = try LogFilter(filter)

        let rows = try blocks { store throws(StoreError) in try store.bodyBlobs(from: from, through: to) }
        var logs: [JSONValue] = []
        for (number, blob) in rows {
            guard let header = try header(number) else {
                throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("block \(number) has a body and no header"))
            }
            let body = try blocks { store throws(StoreError) in
                try store.decodeBody(blob, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
            }
            for item in body.items {
                guard let receipt = try? Receipt(encoded: item.receipt) else { throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("stored receipt of block \(number) does not decode")) }
                let txHash = keccak256(item.transaction)
                for (offset, log) in receipt.logs.enumerated() where watched.contains(log.address) && conditions.matches(log) {
                    guard logs.count < Self.maxLogs else { throw .limitExceeded("more than \(Self.maxLogs) logs match; narrow the block range") }
                    logs.append(RPCEncoding.log(
                        log, index: UInt64(item.firstLogIndex + offset),
                        at: .init(blockHash: header.hash, blockNumber: number, transactionIndex: UInt64(item.index), transactionHash: txHash)))
                }
            }
        }
        return .array(logs)
    }

    /// Reads the verified block store; a store failure is an internal error.
    func blocks<T>(_ read: (BlockStore) throws(StoreError) -> T) throws(RPCError) -> T {
        try run { () throws(IndexError) in
            do throws(StoreError) { return try read(BlockStore(store: index.store)) } catch { throw .store(error) }
        }
    }
}

internal import EthCrypto
