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
        var f = TransactionFields(type: type, chainId: type == .legacy ? nil : try c.field("chainId").uint256())
        f.nonce = try c.field("nonce").quantity()
        f.gasLimit = try c.field("gas").quantity()
        if type == .legacy || type == .accessList {
            f.gasPrice = try c.field("gasPrice").uint256()
        } else {
            f.maxFeePerGas = try c.field("maxFeePerGas").uint256()
            f.maxPriorityFeePerGas = try c.field("maxPriorityFeePerGas").uint256()
        }
        f.to = try c.optionalField("to")?.address()
        f.value = try c.field("value").uint256()
        f.data = try c.field("input").data()
        if type != .legacy {
            f.accessList = try c.optionalField("accessList")?.array { entry throws(JSONReadError) in
                AccessListEntry(
                    address: try entry.field("address").address(),
                    storageKeys: try entry.field("storageKeys").array { key throws(JSONReadError) in try key.hash() })
            } ?? []
        }
        if type == .blob {
            f.maxFeePerBlobGas = try c.field("maxFeePerBlobGas").uint256()
            f.blobVersionedHashes = try c.field("blobVersionedHashes").array { h throws(JSONReadError) in try h.hash() }
        }
        if type == .setCode {
            f.authorizationList = try c.field("authorizationList").array { a throws(JSONReadError) in
                // Some servers name the authorization's parity `v`.
                let parity = try a.either("yParity", "v").quantity(max: 1)
                return Authorization(
                    chainId: try a.field("chainId").uint256(), address: try a.field("address").address(),
                    nonce: try a.field("nonce").quantity(), yParity: UInt8(parity), r: try a.field("r").uint256(),
                    s: try a.field("s").uint256())
            }
        }
        // Typed transactions sign with the y parity; some servers send only `v` (equal to it for typed ones).
        let v = try (type == .legacy ? c.field("v") : c.either("yParity", "v")).uint256()
        let encoded = f.encode(v: v, r: try c.field("r").uint256(), s: try c.field("s").uint256())
        let transaction: Transaction
        do throws(TransactionError) { transaction = try Transaction(encoded: encoded) } catch {
            throw c.error("transaction fields do not form a valid transaction: \(error)")
        }
        self.init(transaction: transaction, claimedHash: try c.field("hash").hash(), claimedFrom: try c.field("from").address())
    }

    /// An OP Stack deposit as op-geth serves it: `sourceHash`, `from`, `to`, `mint` (absent: zero), `value`, `gas`,
    /// `isSystemTx` (absent: false), `input`. Its `nonce`, `v`, `r`, `s` and `gasPrice` are the server's additions,
    /// not part of the deposit, and are not read.
    private init(deposit c: JSONReader) throws(JSONReadError) {
        let from = try c.field("from").address()
        var f = TransactionFields(deposit: DepositFields(
            sourceHash: try c.field("sourceHash").hash(), from: from,
            mint: try c.optionalField("mint")?.uint256() ?? .zero,
            isSystemTransaction: try c.optionalField("isSystemTx")?.bool() ?? false))
        f.to = try c.optionalField("to")?.address()
        f.value = try c.field("value").uint256()
        f.gasLimit = try c.field("gas").quantity()
        f.data = try c.field("input").data()
        self.init(transaction: Transaction.deposit(f), claimedHash: try c.field("hash").hash(), claimedFrom: from)
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
        f.parentHash = try c.field("parentHash").hash()
        f.ommersHash = try c.field("sha3Uncles").hash()
        f.beneficiary = try c.field("miner").address()
        f.stateRoot = try c.field("stateRoot").hash()
        f.transactionsRoot = try c.field("transactionsRoot").hash()
        f.receiptsRoot = try c.field("receiptsRoot").hash()
        f.logsBloom = try c.field("logsBloom").bloom()
        f.difficulty = try c.field("difficulty").uint256()
        f.number = try c.field("number").quantity()
        f.gasLimit = try c.field("gasLimit").quantity()
        f.gasUsed = try c.field("gasUsed").quantity()
        f.timestamp = try c.field("timestamp").quantity()
        f.extraData = try c.field("extraData").data()
        f.mixHash = try c.field("mixHash").hash()
        f.nonce = try c.field("nonce").data()
        f.baseFeePerGas = try c.optionalField("baseFeePerGas")?.uint256()
        f.withdrawalsRoot = try c.optionalField("withdrawalsRoot")?.hash()
        f.blobGasUsed = try c.optionalField("blobGasUsed")?.quantity()
        f.excessBlobGas = try c.optionalField("excessBlobGas")?.quantity()
        f.parentBeaconBlockRoot = try c.optionalField("parentBeaconBlockRoot")?.hash()
        f.requestsHash = try c.optionalField("requestsHash")?.hash()
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
            header: header, claimedHash: try c.field("hash").hash(), transactions: transactions,
            uncles: try c.optionalField("uncles")?.array { h throws(JSONReadError) in try h.hash() } ?? [],
            withdrawals: try c.optionalField("withdrawals")?.array { w throws(JSONReadError) in
                Withdrawal(
                    index: try w.field("index").quantity(), validatorIndex: try w.field("validatorIndex").quantity(),
                    address: try w.field("address").address(), amount: try w.field("amount").quantity())
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
            outcome = .postState(try c.field("root").hash())
        }
        let logs = try c.field("logs").array { log throws(JSONReadError) in
            Log(address: try log.field("address").address(), topics: try log.field("topics").array { t throws(JSONReadError) in try t.hash() },
                data: try log.field("data").data())
        }
        // A deposit's receipt carries its nonce from Regolith and a version from Canyon; which of them the receipts
        // trie commits depends on the upgrade (`OPStack.consensusReceipt`). L1 fee fields are JSON-RPC's alone.
        let deposit = type == .deposit
        self.init(
            receipt: Receipt(type: type, outcome: outcome, cumulativeGasUsed: try c.field("cumulativeGasUsed").quantity(),
                             logsBloom: try c.field("logsBloom").bloom(), logs: logs,
                             depositNonce: deposit ? try c.optionalField("depositNonce")?.quantity() : nil,
                             depositReceiptVersion: deposit ? try c.optionalField("depositReceiptVersion")?.quantity() : nil),
            transactionHash: try c.optionalField("transactionHash")?.hash())
    }
}

extension JSONReader {
    /// The member `preferred`, or `fallback` when it is absent or null.
    func either(_ preferred: String, _ fallback: String) throws(JSONReadError) -> JSONReader {
        if let member = try optionalField(preferred) { return member }
        return try field(fallback)
    }
}
