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

    static func q(_ value: UInt64) -> JSONValue { .string(Hex.quantity(value)) }
    static func q(_ value: UInt256) -> JSONValue { .string(value.quantity) }
    static func d(_ bytes: [UInt8]) -> JSONValue { .string(Hex.encode(bytes)) }
    static func h<T: FixedBytes>(_ value: T) -> JSONValue { .string(value.hex) }

    /// A block object. `transactions` are full objects (with their recovered or claimed senders) or hashes only.
    public static func block(
        header: Header, transactions: [Transaction], senders: [Address], full: Bool, withdrawals: [Withdrawal]?
    ) -> JSONValue {
        let f = header.fields
        var o: [String: JSONValue] = [
            "hash": h(header.hash), "parentHash": h(f.parentHash), "sha3Uncles": h(f.ommersHash), "miner": h(f.beneficiary),
            "stateRoot": h(f.stateRoot), "transactionsRoot": h(f.transactionsRoot), "receiptsRoot": h(f.receiptsRoot),
            "logsBloom": h(f.logsBloom), "difficulty": q(f.difficulty), "number": q(f.number), "gasLimit": q(f.gasLimit),
            "gasUsed": q(f.gasUsed), "timestamp": q(f.timestamp), "extraData": d(f.extraData), "mixHash": h(f.mixHash),
            "nonce": d(f.nonce), "size": q(UInt64(header.encoded.count)), "uncles": [],
        ]
        if let v = f.baseFeePerGas { o["baseFeePerGas"] = q(v) }
        if let v = f.withdrawalsRoot { o["withdrawalsRoot"] = h(v) }
        if let v = f.blobGasUsed { o["blobGasUsed"] = q(v) }
        if let v = f.excessBlobGas { o["excessBlobGas"] = q(v) }
        if let v = f.parentBeaconBlockRoot { o["parentBeaconBlockRoot"] = h(v) }
        if let v = f.requestsHash { o["requestsHash"] = h(v) }
        if let withdrawals {
            o["withdrawals"] = .array(withdrawals.map { w in
                ["index": q(w.index), "validatorIndex": q(w.validatorIndex), "address": h(w.address), "amount": q(w.amount)]
            })
        }
        if full {
            o["transactions"] = .array(transactions.indices.map { i in
                transaction(
                    transactions[i], from: senders[i],
                    at: Position(blockHash: header.hash, blockNumber: f.number, transactionIndex: UInt64(i), transactionHash: transactions[i].hash))
            })
        } else {
            o["transactions"] = .array(transactions.map { h($0.hash) })
        }
        return .object(o)
    }

    /// A transaction object: the fields of its type (EIP-2718 envelope types 0–4), the signature, and its place.
    public static func transaction(_ tx: Transaction, from: Address, at p: Position) -> JSONValue {
        let f = tx.fields
        var o: [String: JSONValue] = [
            "type": q(UInt64(f.type.rawValue)), "nonce": q(f.nonce), "gas": q(f.gasLimit), "value": q(f.value),
            "input": d(f.data), "to": f.to.map(h) ?? .null, "v": q(tx.v), "r": q(tx.r), "s": q(tx.s), "from": h(from),
            "hash": h(p.transactionHash), "blockHash": h(p.blockHash), "blockNumber": q(p.blockNumber),
            "transactionIndex": q(p.transactionIndex),
        ]
        if let chainId = f.chainId { o["chainId"] = q(chainId) }
        switch f.type {
        case .legacy, .accessList: o["gasPrice"] = q(f.gasPrice)
        default:
            o["maxFeePerGas"] = q(f.maxFeePerGas)
            o["maxPriorityFeePerGas"] = q(f.maxPriorityFeePerGas)
        }
        if f.type != .legacy {
            o["yParity"] = q(tx.v)
            o["accessList"] = .array(f.accessList.map { ["address": h($0.address), "storageKeys": .array($0.storageKeys.map(h))] })
        }
        if f.type == .blob {
            o["maxFeePerBlobGas"] = q(f.maxFeePerBlobGas)
            o["blobVersionedHashes"] = .array(f.blobVersionedHashes.map(h))
        }
        if f.type == .setCode {
            o["authorizationList"] = .array(f.authorizationList.map { a in
                ["chainId": q(a.chainId), "address": h(a.address), "nonce": q(a.nonce), "yParity": q(UInt64(a.yParity)),
                 "r": q(a.r), "s": q(a.s)]
            })
        }
        return .object(o)
    }

    /// A receipt object. `firstLogIndex` is the block-wide index of its first log.
    public static func receipt(_ r: Receipt, from: Address, to: Address?, gasUsed: UInt64, firstLogIndex: UInt64, at p: Position) -> JSONValue {
        var o: [String: JSONValue] = [
            "type": q(UInt64(r.type.rawValue)), "cumulativeGasUsed": q(r.cumulativeGasUsed), "gasUsed": q(gasUsed),
            "logsBloom": h(r.logsBloom), "from": h(from), "to": to.map(h) ?? .null, "contractAddress": .null,
            "transactionHash": h(p.transactionHash), "transactionIndex": q(p.transactionIndex), "blockHash": h(p.blockHash),
            "blockNumber": q(p.blockNumber),
            "logs": .array(r.logs.enumerated().map { log($0.element, index: firstLogIndex + UInt64($0.offset), at: p) }),
        ]
        switch r.outcome {
        case .status(let ok): o["status"] = q(UInt64(ok ? 1 : 0))
        case .postState(let root): o["root"] = h(root)
        }
        return .object(o)
    }

    /// A log object as `eth_getLogs` and receipts carry it.
    public static func log(_ log: Log, index: UInt64, at p: Position) -> JSONValue {
        [
            "address": h(log.address), "topics": .array(log.topics.map(h)), "data": d(log.data),
            "blockNumber": q(p.blockNumber), "blockHash": h(p.blockHash), "transactionHash": h(p.transactionHash),
            "transactionIndex": q(p.transactionIndex), "logIndex": q(index), "removed": false,
        ]
    }
}
