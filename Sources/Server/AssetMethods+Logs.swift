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
            guard case .string(let s) = hash, let h = try? Hash32(hex: s) else { throw .invalidParams("filter.blockHash", "expected a 32-byte hash") }
            guard let numberBytes = try storeGet(Schema.numberByHash.key(h.bytes)) else { throw .notFound("block \(h.hex) is not in the verified store") }
            from = KeyCoding.readBE64(numberBytes)
            to = from
        }
        guard from <= to else { throw .invalidParams("filter.fromBlock", "is after filter.toBlock") }
        guard to <= tip.number else { throw .notFound("filter.toBlock: block \(to) is beyond the indexed head \(tip.number)") }

        let conditions = try LogFilter(filter)

        let bodies = KeyRange(lower: Schema.blockBody.key(KeyCoding.be64(from)), upper: Schema.blockBody.key(KeyCoding.be64(to &+ 1)))
        let rows = try run { () throws(IndexError) in
            do throws(StoreError) { return try index.store.scan(bodies, reverse: false, limit: .max) } catch { throw .store(error) }
        }
        let store = BlockStore(store: index.store)
        var logs: [JSONValue] = []
        for (key, blob) in rows {
            let number = KeyCoding.readBE64(key.dropFirst())
            guard let header = try header(number) else {
                throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("block \(number) has a body and no header"))
            }
            let body = try run { () throws(IndexError) in
                do throws(StoreError) {
                    return try store.decodeBody(blob, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
                } catch { throw .store(error) }
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

    func storeGet(_ key: [UInt8]) throws(RPCError) -> [UInt8]? {
        try run { () throws(IndexError) in
            do throws(StoreError) { return try index.store.get(key) } catch { throw .store(error) }
        }
    }
}

internal import EthCrypto
