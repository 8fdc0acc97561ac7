import EthCrypto
import EthPrimitives
import EthRLP
import EthTypes
import EthTrie
import Foundation

// Every figure is printed next to the limit it is judged against, measured in the same run.
// Arguments name the sections to run (keccak, recovery, rlp, block, index, compression, sync, server, page); none runs all.
// `index-cpu` runs the index over an empty store alone, for profiling its own CPU time.
let sections = Set(CommandLine.arguments.dropFirst())
func wanted(_ name: String) -> Bool { sections.isEmpty || sections.contains(name) }

print("# Provenant benchmarks")
print("")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; vectors: \(BenchVectors.root.path)")

// MARK: Keccak-256 vs OpenSSL EVP SHA3-256 (same Keccak-f[1600] permutation, assembly)

if wanted("keccak") {
print("")
print("## Keccak-256 vs OpenSSL SHA3-256 (EVP, reused context)")
print("")
print("| input | ours | OpenSSL | ours MB/s | OpenSSL MB/s | speed ratio (ours/OpenSSL) |")
print("|---|---|---|---|---|---|")
let sha3 = Baselines.SHA3()
for size in [32, 64, 136, 1024, 16384] {
    let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let oursBody = {
        input.withUnsafeBytes { Harness.sink &+= Keccak256.hash($0.baseAddress, count: $0.count).bytes[0] == 0 ? 1 : 0 }
    }
    let opensslBody = { sha3.hash(input) }
    let iterations = Harness.calibrate(oursBody)
    let (ours, openssl) = Harness.pair(iterations: iterations, oursBody, opensslBody)
    let mbps = { (ns: Double) in String(format: "%.0f", Double(size) / ns * 1e3) }
    print("| \(size) B | \(Harness.format(ours)) | \(Harness.format(openssl)) | \(mbps(ours)) | \(mbps(openssl)) | \(String(format: "%.2f×", openssl / ours)) |")
}

}

// MARK: Sender recovery vs the bare libsecp256k1 call

if wanted("recovery") {
let signatureFile = try BenchVectors.json("secp256k1/mainnet-tx-signatures.json") as! [String: Any]
let vectors = signatureFile["vectors"] as! [[String: Any]]
let transactions = try vectors.map { try Transaction(encoded: BenchVectors.hex($0["rawTransaction"] as! String)) }
let prepared = try transactions.map { tx in (try tx.signature, tx.signingHash) }

print("")
print("## Sender recovery (\(transactions.count) real signatures, types 0-4)")
print("")
print("| what | per signature | ratio to bare libsecp256k1 |")
print("|---|---|---|")
let bareBody = { Baselines.recover(prepared) }
let oursBody = {
    for (signature, hash) in prepared {
        Harness.sink &+= (try? Secp256k1.recoverAddress(signature, hash: hash)) == nil ? 1 : 0
    }
}
let transactionBody = {
    for tx in transactions { Harness.sink &+= (try? tx.recoverSender()) == nil ? 1 : 0 }
}
let parallelBody = { Harness.sink &+= UInt64(Transaction.recoverSenders(transactions).count) }
let perSignature = Double(prepared.count)
let (ours, bare) = Harness.pair(iterations: 20, oursBody, bareBody)
let (fullTransaction, bareAgain) = Harness.pair(iterations: 20, transactionBody, bareBody)
let (parallel, oneCore) = Harness.pair(iterations: 20, parallelBody, transactionBody)
print("| bare `parse_compact` + `secp256k1_ecdsa_recover` | \(Harness.format(bare / perSignature)) | 1.00× |")
print("| `Secp256k1.recoverAddress` (checks, recover, serialize, Keccak-256 → address) | \(Harness.format(ours / perSignature)) | \(String(format: "%.3f×", ours / bare)) |")
print("| `Transaction.recoverSender` (plus signing hash from the encoding) | \(Harness.format(fullTransaction / perSignature)) | \(String(format: "%.3f×", fullTransaction / bareAgain)) |")
print("| `Transaction.recoverSenders`, all cores (per signature) | \(Harness.format(parallel / perSignature)) | speed-up over one core \(String(format: "%.2f×", oneCore / parallel)) |")

}

// MARK: RLP decode of a real mainnet block

if wanted("rlp") {
let blockFile = try BenchVectors.json("blocks/mainnet-17034870-shanghai.json") as! [String: Any]
let raw = blockFile["raw"] as! [String: Any]
var blockEncoder = RLPEncoder(capacity: 1 << 18)
blockEncoder.appendList { e in
    e.append(raw: BenchVectors.hex(raw["header"] as! String))
    e.appendList { e in
        for tx in raw["transactions"] as! [String] {
            let bytes = BenchVectors.hex(tx)
            // In a block body a typed transaction is an RLP string holding `type ‖ payload`.
            if bytes[0] >= 0xc0 { e.append(raw: bytes) } else { e.append(bytes: bytes) }
        }
    }
    e.append(raw: BenchVectors.hex(raw["ommers"] as! String))
    e.appendList { e in for w in raw["withdrawals"] as! [String] { e.append(raw: BenchVectors.hex(w)) } }
}
let block = blockEncoder.bytes
print("")
print("## RLP decode of mainnet block 17034870 (\(block.count) bytes, \((raw["transactions"] as! [String]).count) transactions)")
print("")
print("| what | per block | MB/s | ratio to memcpy of the block |")
print("|---|---|---|---|")
var copyTarget = [UInt8](repeating: 0, count: block.count)
let copy = Harness.nanosPerOp(iterations: 2000) {
    copyTarget.withUnsafeMutableBytes { d in block.withUnsafeBytes { d.copyMemory(from: $0) } }
    Harness.sink &+= UInt64(copyTarget[100])
}
let walk = Harness.nanosPerOp(iterations: 300) {
    // Structural walk: every item's header checked, no tree built (what typed decoders do).
    var reader = RLPReader(block)
    var list = try! reader.readList()
    _ = try! list.readRaw()
    var txs = try! list.readList()
    while !txs.isAtEnd { Harness.sink &+= UInt64(try! txs.readRaw().count) }
}
let tree = Harness.nanosPerOp(iterations: 100) {
    Harness.sink &+= (try? RLPItem(decoding: block)) == nil ? 1 : 0
}
let typed = Harness.nanosPerOp(iterations: 100) {
    var reader = RLPReader(block)
    var list = try! reader.readList()
    _ = try! list.readRaw()
    var txs = try! list.readList()
    while !txs.isAtEnd {
        let item = try! txs.nextIsList() ? Array(try! txs.readRaw()) : Array(try! txs.readBytes())
        Harness.sink &+= (try? Transaction(encoded: item))?.nonce ?? 0
    }
}
let mb = { (ns: Double) in String(format: "%.0f", Double(block.count) / ns * 1e3) }
print("| memcpy of the block bytes (limit) | \(Harness.format(copy)) | \(mb(copy)) | 1.00× |")
print("| `RLPReader` walk of the transaction list (item headers only; payloads untouched) | \(Harness.format(walk)) | \(mb(walk)) | \(String(format: "%.1f×", walk / copy)) |")
print("| `RLPItem` full tree | \(Harness.format(tree)) | \(mb(tree)) | \(String(format: "%.1f×", tree / copy)) |")
print("| every transaction decoded to `Transaction` | \(Harness.format(typed)) | \(mb(typed)) | \(String(format: "%.1f×", typed / copy)) |")

}

// MARK: Verifying a real post-merge block with receipts

if wanted("block") { try BlockVerificationBenchmark.run() }

// MARK: Indexing and storage

if wanted("index") { try IndexBenchmark.run() }
if sections.contains("index-cpu") { IndexBenchmark.cpuOnly() }
if wanted("compression") { try CompressionBenchmark.run() }

if wanted("sync") { try await SyncBenchmark.run() }
if wanted("sync-stages") { try await SyncStages.run() }
if sections.contains("read-headers") { try await ReadHeaders.run() }
// `catchup` alone (not in the default run: it builds and crosses a million headers); `catchup N` for N headers.
if sections.contains("catchup") { try await HeaderCatchUp.run(blocks: CommandLine.arguments.dropFirst().compactMap { UInt64($0) }.first ?? 1_000_000) }

if wanted("server") { try await ServerBenchmark.run() }

if wanted("page") { try PageBenchmark.run() }

print("")
print("(sink \(Harness.sink % 10))")
