public import EthPrimitives
public import EthTypes

/// Chain data as the execution APIs return it (`eth_getBlockByNumber`, `eth_getBlockReceipts`, `eth_getLogs`):
/// QUANTITY fields as minimal hex, DATA fields as 0x-prefixed hex, field names as geth spells them. The inverse of
/// the decoders in `EthTypes/Block+JSON.swift`, so what one side writes the other reads back to the same bytes.
public enum RPCEncoding {
    /// Where a transaction, receipt or log sits: the fields every such object repeats.
    public struct Position: Sendable {
        public var blockHash: Hash32
        public var blockNumber: UInt64
        public var transactionIndex: UInt64
        public var transactionHash: Hash32

        public init(blockHash: Hash32, blockNumber: UInt64, transactionIndex: UInt64, transactionHash: Hash32) {
            self.blockHash = blockHash
            self.blockNumber = blockNumber
            self.transactionIndex = transactionIndex
            self.transactionHash = transactionHash
        }
    }

    /// A block object. `transactions` are full objects (with their recovered or claimed senders) or hashes only.
    public static func block(
        header: Header, transactions: [Transaction], senders: [Address], full: Bool, withdrawals: [Withdrawal]?
    ) -> JSONValue {
        let f = header.fields
        var o: [String: JSONValue] = [
            "hash": .data(header.hash), "parentHash": .data(f.parentHash), "sha3Uncles": .data(f.ommersHash), "miner": .data(f.beneficiary),
            "stateRoot": .data(f.stateRoot), "transactionsRoot": .data(f.transactionsRoot), "receiptsRoot": .data(f.receiptsRoot),
            "logsBloom": .data(f.logsBloom), "difficulty": .quantity(f.difficulty), "number": .quantity(f.number), "gasLimit": .quantity(f.gasLimit),
            "gasUsed": .quantity(f.gasUsed), "timestamp": .quantity(f.timestamp), "extraData": .data(f.extraData), "mixHash": .data(f.mixHash),
            "nonce": .data(f.nonce), "size": .quantity(UInt64(header.encoded.count)), "uncles": [],
        ]
        if let v = f.baseFeePerGas { o["baseFeePerGas"] = .quantity(v) }
        if let v = f.withdrawalsRoot { o["withdrawalsRoot"] = .data(v) }
        if let v = f.blobGasUsed { o["blobGasUsed"] = .quantity(v) }
        if let v = f.excessBlobGas { o["excessBlobGas"] = .quantity(v) }
        if let v = f.parentBeaconBlockRoot { o["parentBeaconBlockRoot"] = .data(v) }
        if let v = f.requestsHash { o["requestsHash"] = .data(v) }
        if let withdrawals {
            o["withdrawals"] = .array(withdrawals.map { w in
                ["index": .quantity(w.index), "validatorIndex": .quantity(w.validatorIndex), "address": .data(w.address), "amount": .quantity(w.amount)]
            })
        }
        if full {
            o["transactions"] = .array(transactions.indices.map { i in
                transaction(
                    transactions[i], from: senders[i],
                    at: Position(blockHash: header.hash, blockNumber: f.number, transactionIndex: UInt64(i), transactionHash: transactions[i].hash))
            })
        } else {
            o["transactions"] = .array(transactions.map { .data($0.hash) })
        }
        return .object(o)
    }

    /// A transaction object: the fields of its type (EIP-2718 envelope types 0–4, or an OP Stack deposit), the
    /// signature, and its place.
    public static func transaction(_ tx: Transaction, from: Address, at p: Position) -> JSONValue {
        let f = tx.fields
        var o: [String: JSONValue] = [
            "type": .quantity(UInt64(f.type.rawValue)), "nonce": .quantity(f.nonce), "gas": .quantity(f.gasLimit), "value": .quantity(f.value),
            "input": .data(f.data), "to": f.to.map { .data($0) } ?? .null, "v": .quantity(tx.v), "r": .quantity(tx.r), "s": .quantity(tx.s), "from": .data(from),
            "hash": .data(p.transactionHash), "blockHash": .data(p.blockHash), "blockNumber": .quantity(p.blockNumber),
            "transactionIndex": .quantity(p.transactionIndex),
        ]
        if let chainId = f.chainId { o["chainId"] = .quantity(chainId) }
        if let deposit = f.deposit {
            // op-geth's shape: no signature (zeros), a zero gas price, the deposit's own fields.
            o["sourceHash"] = .data(deposit.sourceHash)
            o["mint"] = .quantity(deposit.mint)
            o["isSystemTx"] = .bool(deposit.isSystemTransaction)
            o["gasPrice"] = .quantity(0 as UInt64)
            return .object(o)
        }
        switch f.type {
        case .legacy, .accessList: o["gasPrice"] = .quantity(f.gasPrice)
        default:
            o["maxFeePerGas"] = .quantity(f.maxFeePerGas)
            o["maxPriorityFeePerGas"] = .quantity(f.maxPriorityFeePerGas)
        }
        if f.type != .legacy {
            o["yParity"] = .quantity(tx.v)
            o["accessList"] = .array(f.accessList.map { ["address": .data($0.address), "storageKeys": .array($0.storageKeys.map { .data($0) })] })
        }
        if f.type == .blob {
            o["maxFeePerBlobGas"] = .quantity(f.maxFeePerBlobGas)
            o["blobVersionedHashes"] = .array(f.blobVersionedHashes.map { .data($0) })
        }
        if f.type == .setCode {
            o["authorizationList"] = .array(f.authorizationList.map { a in
                ["chainId": .quantity(a.chainId), "address": .data(a.address), "nonce": .quantity(a.nonce), "yParity": .quantity(UInt64(a.yParity)),
                 "r": .quantity(a.r), "s": .quantity(a.s)]
            })
        }
        return .object(o)
    }

    /// A receipt object. `firstLogIndex` is the block-wide index of its first log.
    public static func receipt(_ r: Receipt, from: Address, to: Address?, gasUsed: UInt64, firstLogIndex: UInt64, at p: Position) -> JSONValue {
        var o: [String: JSONValue] = [
            "type": .quantity(UInt64(r.type.rawValue)), "cumulativeGasUsed": .quantity(r.cumulativeGasUsed), "gasUsed": .quantity(gasUsed),
            "logsBloom": .data(r.logsBloom), "from": .data(from), "to": to.map { .data($0) } ?? .null, "contractAddress": .null,
            "transactionHash": .data(p.transactionHash), "transactionIndex": .quantity(p.transactionIndex), "blockHash": .data(p.blockHash),
            "blockNumber": .quantity(p.blockNumber),
            "logs": .array(r.logs.enumerated().map { log($0.element, index: firstLogIndex + UInt64($0.offset), at: p) }),
        ]
        switch r.outcome {
        case .status(let ok): o["status"] = .quantity(UInt64(ok ? 1 : 0))
        case .postState(let root): o["root"] = .data(root)
        }
        if let nonce = r.depositNonce { o["depositNonce"] = .quantity(nonce) }
        if let version = r.depositReceiptVersion { o["depositReceiptVersion"] = .quantity(version) }
        return .object(o)
    }

    /// A log object as `eth_getLogs` and receipts carry it.
    public static func log(_ log: Log, index: UInt64, at p: Position) -> JSONValue {
        [
            "address": .data(log.address), "topics": .array(log.topics.map { .data($0) }), "data": .data(log.data),
            "blockNumber": .quantity(p.blockNumber), "blockHash": .data(p.blockHash), "transactionHash": .data(p.transactionHash),
            "transactionIndex": .quantity(p.transactionIndex), "logIndex": .quantity(index), "removed": false,
        ]
    }
}
