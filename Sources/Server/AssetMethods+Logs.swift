internal import AssetIndex
internal import EthPrimitives
internal import EthRPC
internal import EthTypes
internal import Store
internal import TokenEvents

extension AssetMethods {
    /// `eth_getLogs(filter)` from the verified blocks in the store: `{fromBlock?, toBlock?, address?, topics?,
    /// blockHash?}` as the execution APIs define it, for the filters whose answer the node can prove complete (see
    /// `requireProvable`). A block whose verified bloom showed no watched event has no stored body and provably holds
    /// no log of an indexed event of a watched contract.
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
        try requireProvable(conditions, from: from)

        let candidates = try candidateBlocks(conditions, from: from, through: to)
        var logs: [JSONValue] = []
        for number in candidates {
            guard let header = try header(number) else {
                throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("block \(number) has indexed events and no header"))
            }
            let body = try blocks { store throws(StoreError) in
                try store.body(number: number, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot)
            }
            guard let body else {
                throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("block \(number) has indexed events and no body"))
            }
            for item in body.items {
                guard let receipt = try? Receipt(encoded: item.receipt) else { throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("stored receipt of block \(number) does not decode")) }
                let txHash = keccak256(item.transaction)
                for (offset, log) in receipt.logs.enumerated() where watched.contains(log.address) && conditions.matches(log) {
                    guard logs.count < limits.logs else { throw .limitExceeded("more than \(limits.logs) logs match; narrow the block range") }
                    logs.append(RPCEncoding.log(
                        log, index: UInt64(item.firstLogIndex + offset),
                        at: .init(blockHash: header.hash, blockNumber: number, transactionIndex: UInt64(item.index), transactionHash: txHash)))
                }
            }
        }
        return .array(logs)
    }

    /// The blocks of the range whose bodies may hold a matching log, from the index (`AssetIndex.logBlocks`): a
    /// topic that matches nothing costs index rows, not bodies. Past `QueryLimits.logBlocks` blocks or `logIndexRows` rows
    /// the call is refused with -32005, naming the block up to which a narrower range would be answered.
    func candidateBlocks(_ filter: LogFilter, from: UInt64, through to: UInt64) throws(RPCError) -> [UInt64] {
        let mask = AssetIndex.logMask(filter.topics.first.flatMap { $0 } ?? [])
        var candidates = Set<UInt64>()
        for contract in Set(filter.addresses ?? []) {
            let found = try run { () throws(IndexError) in
                try index.logBlocks(contract: contract, from: from, through: to, mask: mask, maxRows: limits.logIndexRows, maxBlocks: limits.logBlocks)
            }
            candidates.formUnion(found.blocks)
            if let covered = found.coveredThrough {
                throw .limitExceeded(
                    "the range holds more than \(limits.logBlocks) blocks with matching events of \(contract.hex), or more than \(limits.logIndexRows) with any; narrow toBlock to at most \(covered)")
            }
            guard candidates.count <= limits.logBlocks else {
                throw .limitExceeded("the range holds more than \(limits.logBlocks) blocks with matching events; narrow the block range or the addresses")
            }
        }
        return candidates.sorted()
    }

    /// Refuses a filter whose complete answer the store cannot hold: bodies are kept only for blocks whose bloom may
    /// hold an indexed event of a watched contract, from that contract's start block. So the filter must name
    /// watched contracts (`address`) and indexed events (`topics[0]`), over blocks from their start; any other
    /// answer would be silently partial.
    func requireProvable(_ filter: LogFilter, from: UInt64) throws(RPCError) {
        let incomplete = "the answer could not be proven complete: this node keeps only the indexed events of the contracts it watches"
        guard let addresses = filter.addresses, !addresses.isEmpty else {
            throw .invalidParams("filter.address", "required: \(incomplete) (\(watched.map(\.hex).sorted().joined(separator: ", ")))")
        }
        if let other = addresses.first(where: { !watched.contains($0) }) {
            throw .invalidParams("filter.address", "\(other.hex) is not watched by this node; \(incomplete)")
        }
        guard let events = filter.topics.first ?? nil, !events.isEmpty else {
            throw .invalidParams("filter.topics[0]", "required, the topic0 of one or more indexed events (Transfer, TransferSingle, UpdateUser, AigcData, …): \(incomplete)")
        }
        if let other = events.first(where: { !TokenEvent.Topic.all.contains($0) }) {
            throw .invalidParams("filter.topics[0]", "\(other.hex) is not an indexed event; \(incomplete)")
        }
        for address in addresses.sorted(by: { $0.hex < $1.hex }) {
            let start = startBlocks[address, default: 0]
            if from < start {
                throw .invalidParams("filter.fromBlock", "block \(from) is before block \(start), where \(address.hex) is indexed from; \(incomplete)")
            }
        }
    }

    /// Reads the verified block store; a store failure is an internal error.
    func blocks<T>(_ read: (BlockStore) throws(StoreError) -> T) throws(RPCError) -> T {
        try run { () throws(IndexError) in
            do throws(StoreError) { return try read(BlockStore(store: index.store)) } catch { throw .store(error) }
        }
    }
}

internal import EthCrypto
