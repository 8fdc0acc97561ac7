public import EthPrimitives
public import EthTypes

// Reading the JSON-RPC results of `RPCBlock.swift` (EthTypes): each field by name, each value checked for its
// form, every error naming the path of the field that broke it.

extension RPCTransaction: JSONReadable {
    public init(json c: JSONReader) throws(JSONReadError) {
        let type = try Self.transactionType(c)
        if type == .deposit {
            try self.init(deposit: c)
            return
        }
        var f = TransactionFields(type: type, chainId: type == .legacy ? nil : try c.uint256("chainId"))
        f.nonce = try c.quantity("nonce")
        f.gasLimit = try c.quantity("gas")
        if type == .legacy || type == .accessList {
            f.gasPrice = try c.uint256("gasPrice")
        } else {
            f.maxFeePerGas = try c.uint256("maxFeePerGas")
            f.maxPriorityFeePerGas = try c.uint256("maxPriorityFeePerGas")
        }
        f.to = try c.optionalAddress("to")
        f.value = try c.uint256("value")
        f.data = try c.data("input")
        if type != .legacy {
            f.accessList = try c.optionalField("accessList")?.array { entry throws(JSONReadError) in
                AccessListEntry(
                    address: try entry.address("address"),
                    storageKeys: try entry.field("storageKeys").array { key throws(JSONReadError) in try key.hash() })
            } ?? []
        }
        if type == .blob {
            f.maxFeePerBlobGas = try c.uint256("maxFeePerBlobGas")
            f.blobVersionedHashes = try c.field("blobVersionedHashes").array { h throws(JSONReadError) in try h.hash() }
        }
        if type == .setCode {
            f.authorizationList = try c.field("authorizationList").array { a throws(JSONReadError) in
                // Some servers name the authorization's parity `v`.
                let parity = try a.either("yParity", "v").quantity(max: 1)
                return Authorization(
                    chainId: try a.uint256("chainId"), address: try a.address("address"),
                    nonce: try a.quantity("nonce"), yParity: UInt8(parity), r: try a.uint256("r"),
                    s: try a.uint256("s"))
            }
        }
        // Typed transactions sign with the y parity; some servers send only `v` (equal to it for typed ones).
        let v = try (type == .legacy ? c.field("v") : c.either("yParity", "v")).uint256()
        let (r, s) = (try c.uint256("r"), try c.uint256("s"))
        let transaction: Transaction
        do throws(TransactionError) { transaction = try Transaction(fields: f, v: v, r: r, s: s) } catch {
            throw c.error("transaction fields do not form a valid transaction: \(error)")
        }
        self.init(transaction: transaction, claimedHash: try c.hash("hash"), claimedFrom: try c.address("from"))
    }

    /// An OP Stack deposit as op-geth serves it: `sourceHash`, `from`, `to`, `mint` (absent: zero), `value`, `gas`,
    /// `isSystemTx` (absent: false), `input`. Its `nonce`, `v`, `r`, `s` and `gasPrice` are the server's additions,
    /// not part of the deposit, and are not read.
    private init(deposit c: JSONReader) throws(JSONReadError) {
        let from = try c.address("from")
        var f = TransactionFields(deposit: DepositFields(
            sourceHash: try c.hash("sourceHash"), from: from,
            mint: try c.optionalUInt256("mint") ?? .zero,
            isSystemTransaction: try c.optionalField("isSystemTx")?.bool() ?? false))
        f.to = try c.optionalAddress("to")
        f.value = try c.uint256("value")
        f.gasLimit = try c.quantity("gas")
        f.data = try c.data("input")
        self.init(transaction: Transaction.deposit(f), claimedHash: try c.hash("hash"), claimedFrom: from)
    }

    /// An EIP-2718 type field; absent means legacy (transactions and receipts from before typed transactions).
    static func transactionType(_ c: JSONReader) throws(JSONReadError) -> TransactionType {
        guard let field = try c.optionalField("type") else { return .legacy }
        let number = try field.quantity()
        guard number <= 0xff, let type = TransactionType(rawValue: UInt8(number)) else { throw field.error("unknown transaction type \(number)") }
        return type
    }
}

extension RPCBlock: JSONReadable {
    public init(json c: JSONReader) throws(JSONReadError) {
        var f = HeaderFields()
        f.parentHash = try c.hash("parentHash")
        f.ommersHash = try c.hash("sha3Uncles")
        f.beneficiary = try c.address("miner")
        f.stateRoot = try c.hash("stateRoot")
        f.transactionsRoot = try c.hash("transactionsRoot")
        f.receiptsRoot = try c.hash("receiptsRoot")
        f.logsBloom = try c.bloom("logsBloom")
        f.difficulty = try c.uint256("difficulty")
        f.number = try c.quantity("number")
        f.gasLimit = try c.quantity("gasLimit")
        f.gasUsed = try c.quantity("gasUsed")
        f.timestamp = try c.quantity("timestamp")
        f.extraData = try c.data("extraData")
        f.mixHash = try c.hash("mixHash")
        f.nonce = try c.data("nonce")
        f.baseFeePerGas = try c.optionalUInt256("baseFeePerGas")
        f.withdrawalsRoot = try c.optionalHash("withdrawalsRoot")
        f.blobGasUsed = try c.optionalQuantity("blobGasUsed")
        f.excessBlobGas = try c.optionalQuantity("excessBlobGas")
        f.parentBeaconBlockRoot = try c.optionalHash("parentBeaconBlockRoot")
        f.requestsHash = try c.optionalHash("requestsHash")
        let header: Header
        do throws(HeaderError) { header = try Header(f) } catch { throw c.error("header: \(error)") }
        // An empty list is both forms; it is complete either way, so it counts as full.
        let list = try c.field("transactions").array()
        let transactions: RPCBlockTransactions
        if let first = list.first, first.isString {
            transactions = .hashes(try list.map { h throws(JSONReadError) in try h.hash() })
        } else {
            transactions = .full(try list.map { t throws(JSONReadError) in try RPCTransaction(json: t) })
        }
        self.init(
            header: header, claimedHash: try c.hash("hash"), transactions: transactions,
            uncles: try c.optionalField("uncles")?.array { h throws(JSONReadError) in try h.hash() } ?? [],
            withdrawals: try c.optionalField("withdrawals")?.array { w throws(JSONReadError) in
                Withdrawal(
                    index: try w.quantity("index"), validatorIndex: try w.quantity("validatorIndex"),
                    address: try w.address("address"), amount: try w.quantity("amount"))
            })
    }
}

extension RPCReceipt: JSONReadable {
    public init(json c: JSONReader) throws(JSONReadError) {
        // Receipts from before EIP-2718 may lack `type`; they are legacy.
        let type = try RPCTransaction.transactionType(c)
        let outcome: Receipt.Outcome
        if let status = try c.optionalField("status") {
            outcome = .status(try status.quantity(max: 1) == 1)
        } else {
            outcome = .postState(try c.hash("root"))
        }
        let logs = try c.field("logs").array { log throws(JSONReadError) in
            Log(address: try log.address("address"), topics: try log.field("topics").array { t throws(JSONReadError) in try t.hash() },
                data: try log.data("data"))
        }
        // A deposit's receipt carries its nonce from Regolith and a version from Canyon; which of them the receipts
        // trie commits depends on the upgrade (`OPStack.consensusReceipt`). L1 fee fields are JSON-RPC's alone.
        let deposit = type == .deposit
        self.init(
            receipt: Receipt(type: type, outcome: outcome, cumulativeGasUsed: try c.quantity("cumulativeGasUsed"),
                             logsBloom: try c.bloom("logsBloom"), logs: logs,
                             depositNonce: deposit ? try c.optionalQuantity("depositNonce") : nil,
                             depositReceiptVersion: deposit ? try c.optionalQuantity("depositReceiptVersion") : nil),
            transactionHash: try c.optionalHash("transactionHash"))
    }
}

extension JSONReader {
    /// The member `preferred`, or `fallback` when it is absent or null.
    func either(_ preferred: String, _ fallback: String) throws(JSONReadError) -> JSONReader {
        if let member = try optionalField(preferred) { return member }
        return try field(fallback)
    }
}
