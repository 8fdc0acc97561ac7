import EthCrypto
import EthPrimitives
import EthRPC
import EthTrie
import EthTypes
import EthVerify
import Foundation

/// Verifying mainnet block 19426587 (Cancun, with receipts), part by part, each next to its limit measured here.
enum BlockVerificationBenchmark {
    static func run() throws {
        let file = try BenchVectors.json("blocks/mainnet-19426587-cancun.json") as! [String: Any]
        func read<T: JSONReadable>(_ type: T.Type, _ key: String) throws -> T {
            try JSONDocumentError.read(Array(JSONSerialization.data(withJSONObject: file[key] as Any))) { json throws(JSONReadError) in try T(json: json) }
        }
        let block = try read(RPCBlock.self, "block")
        let receipts = try read([RPCReceipt].self, "consensusReceipts").map(\.receipt)
        // benchmarks/Sources/ProvenantBenchmarks/ → the package root's chainspec/.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let spec = try Chainspec.decode(Array(Data(contentsOf: packageRoot.appendingPathComponent("chainspec/mainnet.json"))))
        guard case .full(let txs) = block.transactions else { fatalError("fixture has full transactions") }
        let transactions = txs.map(\.transaction)
        let txEncodings = transactions.map(\.encoded)
        let receiptEncodings = receipts.map(\.encoded)
        let hashedBytes = [block.header.encoded] + txEncodings

        let sha3 = Baselines.SHA3()
        func openssl(_ inputs: [[UInt8]]) { sha3.hash(inputs) }

        // Hashing: the header and every transaction encoding, ours vs OpenSSL over the same bytes.
        let (hashing, hashingLimit) = Harness.pair(
            iterations: 200, { for bytes in hashedBytes { Harness.sink &+= UInt64(keccak256(bytes).bytes[0]) } }, { openssl(hashedBytes) })

        // Tries: both roots rebuilt; the limit is hashing every leaf value once, which any trie must do.
        let leaves = txEncodings + receiptEncodings
        let (tries, triesLimit) = Harness.pair(
            iterations: 100, { Harness.sink &+= UInt64(OrderedTrie.root(txEncodings).bytes[0] ^ OrderedTrie.root(receiptEncodings).bytes[0]) },
            { openssl(leaves) })

        // Blooms: each receipt's bloom from its logs.
        let blooms = Harness.nanosPerOp(iterations: 100) { for r in receipts { Harness.sink &+= UInt64(Bloom(logs: r.logs).storage[0]) } }

        // Senders: ours on one core and on all, vs the bare recover call on the same signatures.
        let prepared = try transactions.map { (try $0.signature, $0.signingHash) }
        let bare = { Baselines.recover(prepared) }
        let (sendersOne, sendersLimit) = Harness.pair(
            iterations: 10, { for tx in transactions { Harness.sink &+= (try? tx.recoverSender()) == nil ? 1 : 0 } }, bare)
        let (sendersAll, sendersLimitAgain) = Harness.pair(
            iterations: 10, { Harness.sink &+= UInt64(Transaction.recoverSenders(transactions).count) }, bare)

        // The whole report, as `provenant verify-block` runs it (senders in parallel).
        let whole = Harness.nanosPerOp(iterations: 10) {
            Harness.sink &+= UInt64(BlockReport.run(block: block, receipts: receipts, spec: spec).count)
        }

        print("")
        print("## Verifying mainnet block 19426587 (Cancun): \(transactions.count) transactions, \(receipts.count) receipts, \(receipts.reduce(0) { $0 + $1.logs.count }) logs")
        print("")
        print("| part | ours | limit | ratio | limit measured as |")
        print("|---|---|---|---|---|")
        func row(_ name: String, _ ours: Double, _ limit: Double?, _ how: String) {
            let ratio = limit.map { String(format: "%.2f×", ours / $0) } ?? "–"
            print("| \(name) | \(Harness.format(ours)) | \(limit.map(Harness.format) ?? "–") | \(ratio) | \(how) |")
        }
        row("hashing: header + \(transactions.count) transactions", hashing, hashingLimit, "OpenSSL SHA3-256 over the same bytes")
        row("tries: transactions root + receipts root", tries, triesLimit, "OpenSSL SHA3-256 over every leaf value once")
        row("receipt blooms", blooms, nil, "")
        row("senders, one core", sendersOne, sendersLimit, "bare libsecp256k1 parse + recover, one core")
        row("senders, all cores", sendersAll, sendersLimitAgain, "bare libsecp256k1 parse + recover, one core")
        row("whole block (`BlockReport.run`)", whole, nil, "")
    }
}
