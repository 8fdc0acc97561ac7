public import EthPrimitives
public import EthTypes

/// The outcome of one named check on a block.
public struct CheckOutcome: Sendable {
    public enum Result: Sendable {
        case passed
        case failed(VerificationError)
        /// The data needed for the check was not given (the reason says what is missing).
        case notRun(String)
    }

    public let name: String
    public let result: Result

    public init(name: String, result: Result) { (self.name, self.result) = (name, result) }

    public var failure: VerificationError? {
        if case .failed(let error) = result { return error }
        return nil
    }
}

/// Which transactions' senders a report recovers.
public enum SenderScope: Sendable {
    /// Every transaction's: what `provenant verify-block` reports.
    case all
    /// These transactions' alone (by index): what sync checks. The index keeps a sender only as a mint's minter, and
    /// neither stores nor serves the upstream's `from` of any other transaction, so recovering those (the largest
    /// cost of a busy block) would check a claim nothing uses. Their signatures are still bound to the header by the
    /// transactions root like every other byte of the transaction.
    case only([Int])
}

/// Runs every check a JSON-RPC block (and, when given, its receipts) allows, in order, and reports each.
public enum BlockReport {
    public static func run(block: RPCBlock, receipts: [Receipt]?, spec: Chainspec, senders: SenderScope = .all) -> [CheckOutcome] {
        let header = block.header
        let fork = spec.fork(number: header.number, timestamp: header.timestamp)
        let upgrade = spec.opFork(number: header.number, timestamp: header.timestamp)
        var outcomes: [CheckOutcome] = []
        func check(_ name: String, _ body: () throws(VerificationError) -> Void) {
            do throws(VerificationError) {
                try body()
                outcomes.append(CheckOutcome(name: name, result: .passed))
            } catch {
                outcomes.append(CheckOutcome(name: name, result: .failed(error)))
            }
        }
        func skip(_ name: String, _ reason: String) { outcomes.append(CheckOutcome(name: name, result: .notRun(reason))) }

        check("block hash = keccak256(rlp(header))") { () throws(VerificationError) in try Verify.hash(of: header, equals: block.claimedHash) }
        check("header fields for \(spec.forkName(number: header.number, timestamp: header.timestamp))") { () throws(VerificationError) in try Verify.forkFields(of: header, spec: spec) }
        if block.uncles.isEmpty {
            check("ommers hash (no ommers)") { () throws(VerificationError) in try Verify.ommers(of: header, encodedList: [0xc0]) }
        } else {
            skip("ommers hash", "the block has \(block.uncles.count) ommers and JSON-RPC gives only their hashes")
        }
        switch block.transactions {
        case .full(let txs):
            check("transactions root (\(txs.count) transactions)") { () throws(VerificationError) in
                try Verify.transactionsRoot(of: header, encodings: txs.map(\.transaction.encoded))
            }
            check("transaction hashes") { () throws(VerificationError) in try Verify.transactionHashes(in: header, txs) }
            let deposits = txs.count { $0.transaction.type == .deposit }
            if spec.family == .opStack || deposits > 0 {
                check(spec.family == .opStack ? "transaction types (the L1 attributes deposit first, deposits before the rest)" : "transaction types (no OP Stack deposits)") { () throws(VerificationError) in
                    try Verify.transactionTypes(in: header, txs.map(\.transaction), spec: spec)
                }
            }
            // A deposit is not signed: its `from` is part of the encoding the transaction hash and root cover.
            let unsigned = switch deposits {
            case 0: ""
            case 1: " (1 deposit: its `from` is in its hashed encoding, no signature)"
            default: " (\(deposits) deposits: their `from` is in their hashed encoding, no signature)"
            }
            switch senders {
            case .all:
                check("senders recovered with secp256k1\(unsigned)") { () throws(VerificationError) in try Verify.senders(in: header, txs, fork: fork) }
            case .only(let indices):
                check("senders recovered with secp256k1 (\(indices.count) of \(txs.count): transactions with a watched mint)\(unsigned)") { () throws(VerificationError) in
                    try Verify.senders(in: header, txs, fork: fork, only: indices)
                }
                if indices.count < txs.count {
                    skip("senders of the other \(txs.count - indices.count) transactions", "unused: only a mint's sender is kept; no other transaction's `from` is stored or served")
                }
            }
        case .hashes:
            for name in ["transactions root", "transaction hashes", "senders recovered with secp256k1"] {
                skip(name, "the block lists transaction hashes only (request it with full transactions)")
            }
        }
        if header.withdrawalsRoot != nil {
            if let upgrade, upgrade >= .isthmus {
                skip("withdrawals root", "OP Stack \(upgrade): it is the L2ToL1MessagePasser's storage root, which no block body shows (an eth_getProof of that account shows it)")
            } else if let withdrawals = block.withdrawals {
                check("withdrawals root (\(withdrawals.count) withdrawals)") { () throws(VerificationError) in
                    try Verify.withdrawals(of: header, withdrawals)
                }
            } else {
                skip("withdrawals root", "the block has a withdrawals root but no withdrawals list")
            }
        }
        if let upgrade, upgrade >= .jovian {
            skip("blobGasUsed", "OP Stack \(upgrade): the block's data-availability footprint, from its transactions' compressed sizes; not recomputed")
        }
        if let receipts {
            let consensus = spec.consensusReceipts(receipts, number: header.number, timestamp: header.timestamp)
            check("receipts: blooms, logsBloom, receiptsRoot, gasUsed (\(receipts.count) receipts)") { () throws(VerificationError) in
                try Verify.receipts(of: header, consensus, transactionCount: block.transactions.count)
            }
        } else {
            skip("receipts: blooms, logsBloom, receiptsRoot, gasUsed", "no receipts given")
        }
        return outcomes
    }
}
