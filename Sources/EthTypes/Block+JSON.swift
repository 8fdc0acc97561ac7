public import EthPrimitives
public import Foundation

// Decoding of the JSON-RPC results the verifier takes, as geth and other clients return them:
// `eth_getBlockByNumber`/`eth_getBlockByHash` (full transactions or hashes only), `eth_getBlockReceipts` and
// `eth_getTransactionReceipt`. Everything an upstream claims besides the data itself (a block's `hash`, a
// transaction's `hash` and `from`) is kept apart, as a claim for the verifier to check.

/// A transaction object from JSON-RPC: the transaction re-encoded from its fields, and the upstream's claims.
public struct RPCTransaction: Sendable, Decodable {
    public let transaction: Transaction
    /// The hash the upstream reports.
    public let claimedHash: Hash32
    /// The sender the upstream reports.
    public let claimedFrom: Address

    public init(transaction: Transaction, claimedHash: Hash32, claimedFrom: Address) {
        self.transaction = transaction
        self.claimedHash = claimedHash
        self.claimedFrom = claimedFrom
    }

    private enum Keys: String, CodingKey {
        case type, chainId, nonce, gas, gasPrice, maxFeePerGas, maxPriorityFeePerGas, to, value, input, accessList
        case maxFeePerBlobGas, blobVersionedHashes, authorizationList, v, r, s, yParity, hash, from
    }

    private struct AccessListJSON: Decodable {
        let address: String
        let storageKeys: [String]
    }

    private struct AuthorizationJSON: Decodable {
        let chainId: String
        let address: String
        let nonce: String
        let yParity: String?
        let v: String?
        let r: String
        let s: String
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.transactionType(.type)
        var f = TransactionFields(type: type, chainId: type == .legacy ? nil : try c.uint256(.chainId))
        f.nonce = try c.quantity(.nonce)
        f.gasLimit = try c.quantity(.gas)
        if type == .legacy || type == .accessList {
            f.gasPrice = try c.uint256(.gasPrice)
        } else {
            f.maxFeePerGas = try c.uint256(.maxFeePerGas)
            f.maxPriorityFeePerGas = try c.uint256(.maxPriorityFeePerGas)
        }
        f.to = try c.addressIfPresent(.to)
        f.value = try c.uint256(.value)
        f.data = try c.data(.input)
        if type != .legacy {
            f.accessList = try (c.decodeIfPresent([AccessListJSON].self, forKey: .accessList) ?? []).map { entry in
                AccessListEntry(address: try Address(hex: entry.address), storageKeys: try entry.storageKeys.map { try Hash32(hex: $0) })
            }
        }
        if type == .blob {
            f.maxFeePerBlobGas = try c.uint256(.maxFeePerBlobGas)
            f.blobVersionedHashes = try c.decode([String].self, forKey: .blobVersionedHashes).map { try Hash32(hex: $0) }
        }
        if type == .setCode {
            f.authorizationList = try c.decode([AuthorizationJSON].self, forKey: .authorizationList).map { a in
                let parity = try Hex.quantity(a.yParity ?? a.v ?? "0x")
                guard parity <= 1 else { throw HexError.overflow }
                return Authorization(
                    chainId: try UInt256(quantity: a.chainId), address: try Address(hex: a.address),
                    nonce: try Hex.quantity(a.nonce), yParity: UInt8(parity), r: try UInt256(quantity: a.r),
                    s: try UInt256(quantity: a.s))
            }
        }
        // Typed transactions sign with the y parity; some servers send only `v` (equal to it for typed ones).
        let v = type == .legacy ? try c.uint256(.v) : try (c.uint256IfPresent(.yParity) ?? c.uint256(.v))
        let encoded = f.encode(v: v, r: try c.uint256(.r), s: try c.uint256(.s))
        do {
            transaction = try Transaction(encoded: encoded)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "transaction fields do not form a valid transaction: \(error)"))
        }
        claimedHash = try c.hash(.hash)
        claimedFrom = try c.address(.from)
    }
}

/// The transactions of a JSON-RPC block: full objects, or only their hashes (`eth_getBlockByNumber(n, false)`).
public enum RPCBlockTransactions: Sendable {
    case full([RPCTransaction])
    case hashes([Hash32])

    public var count: Int {
        switch self {
        case .full(let txs): return txs.count
        case .hashes(let hashes): return hashes.count
        }
    }
}

/// An `eth_getBlockByNumber` / `eth_getBlockByHash` result.
public struct RPCBlock: Sendable, Decodable {
    public let header: Header
    /// The block hash the upstream reports.
    public let claimedHash: Hash32
    public let transactions: RPCBlockTransactions
    /// Hashes of the ommer headers (the headers themselves are not in the result).
    public let uncles: [Hash32]
    public let withdrawals: [Withdrawal]?

    public init(header: Header, claimedHash: Hash32, transactions: RPCBlockTransactions, uncles: [Hash32], withdrawals: [Withdrawal]?) {
        self.header = header
        self.claimedHash = claimedHash
        self.transactions = transactions
        self.uncles = uncles
        self.withdrawals = withdrawals
    }

    private enum Keys: String, CodingKey {
        case parentHash, sha3Uncles, miner, stateRoot, transactionsRoot, receiptsRoot, logsBloom, difficulty, number
        case gasLimit, gasUsed, timestamp, extraData, mixHash, nonce, baseFeePerGas, withdrawalsRoot, blobGasUsed
        case excessBlobGas, parentBeaconBlockRoot, requestsHash, hash, transactions, uncles, withdrawals
    }

    private struct WithdrawalJSON: Decodable {
        let index: String
        let validatorIndex: String
        let address: String
        let amount: String
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        var f = HeaderFields()
        f.parentHash = try c.hash(.parentHash)
        f.ommersHash = try c.hash(.sha3Uncles)
        f.beneficiary = try c.address(.miner)
        f.stateRoot = try c.hash(.stateRoot)
        f.transactionsRoot = try c.hash(.transactionsRoot)
        f.receiptsRoot = try c.hash(.receiptsRoot)
        f.logsBloom = try c.bloom(.logsBloom)
        f.difficulty = try c.uint256(.difficulty)
        f.number = try c.quantity(.number)
        f.gasLimit = try c.quantity(.gasLimit)
        f.gasUsed = try c.quantity(.gasUsed)
        f.timestamp = try c.quantity(.timestamp)
        f.extraData = try c.data(.extraData)
        f.mixHash = try c.hash(.mixHash)
        f.nonce = try c.data(.nonce)
        f.baseFeePerGas = try c.uint256IfPresent(.baseFeePerGas)
        f.withdrawalsRoot = try c.hashIfPresent(.withdrawalsRoot)
        f.blobGasUsed = try c.quantityIfPresent(.blobGasUsed)
        f.excessBlobGas = try c.quantityIfPresent(.excessBlobGas)
        f.parentBeaconBlockRoot = try c.hashIfPresent(.parentBeaconBlockRoot)
        f.requestsHash = try c.hashIfPresent(.requestsHash)
        do {
            header = try Header(f)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "header: \(error)"))
        }
        claimedHash = try c.hash(.hash)
        // An empty list is both forms; it is complete either way, so it counts as full.
        if let hashes = try? c.decode([String].self, forKey: .transactions), !hashes.isEmpty {
            transactions = .hashes(try hashes.map { try Hash32(hex: $0) })
        } else {
            transactions = .full(try c.decode([RPCTransaction].self, forKey: .transactions))
        }
        uncles = try (c.decodeIfPresent([String].self, forKey: .uncles) ?? []).map { try Hash32(hex: $0) }
        withdrawals = try c.decodeIfPresent([WithdrawalJSON].self, forKey: .withdrawals)?.map { w in
            Withdrawal(index: try Hex.quantity(w.index), validatorIndex: try Hex.quantity(w.validatorIndex),
                address: try Address(hex: w.address), amount: try Hex.quantity(w.amount))
        }
    }
}

/// An `eth_getTransactionReceipt` result, or one element of `eth_getBlockReceipts`. RPC-only fields (`gasUsed`,
/// `logIndex`, …) are not part of the consensus receipt and are not kept, except the transaction hash.
public struct RPCReceipt: Sendable, Decodable {
    public let receipt: Receipt
    public let transactionHash: Hash32?

    private enum Keys: String, CodingKey { case type, status, root, cumulativeGasUsed, logsBloom, logs, transactionHash }

    private struct LogJSON: Decodable {
        let address: String
        let topics: [String]
        let data: String
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        // Receipts from before EIP-2718 may lack `type`; they are legacy.
        let type = try c.transactionType(.type)
        let outcome: Receipt.Outcome
        if let status = try c.quantityIfPresent(.status) {
            guard status <= 1 else { throw DecodingError.dataCorruptedError(forKey: .status, in: c, debugDescription: "status: must be 0x0 or 0x1") }
            outcome = .status(status == 1)
        } else {
            outcome = .postState(try c.hash(.root))
        }
        let logs = try c.decode([LogJSON].self, forKey: .logs).map { log in
            Log(address: try Address(hex: log.address), topics: try log.topics.map { try Hash32(hex: $0) }, data: try Hex.decode(log.data))
        }
        receipt = Receipt(type: type, outcome: outcome, cumulativeGasUsed: try c.quantity(.cumulativeGasUsed), logsBloom: try c.bloom(.logsBloom), logs: logs)
        transactionHash = try c.hashIfPresent(.transactionHash)
    }
}
