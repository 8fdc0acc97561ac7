import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthRPC
import EthTypes
import EthUpstream
import EthVerify
import Foundation
import Ingest
import Store
import TokenEvents

/// Where sync's own CPU goes, block by block, on answers fetched once from the dev chain and kept as bytes: the
/// JSON parse (`JSONTape`), reading the typed values, sync's checks, and `Ingestor` (the same checks again, then
/// the write into LevelDB), each timed alone on one core. "total" is parse, read, verify
/// and write: sync's client-side work, without counting the checks twice.
enum SyncStages {
    static func run() async throws {
        print("")
        print("## Sync's client-side work per block, by stage (one core, answers fetched once)")
        print("")
        print("| blocks with watched events | blocks | answer bytes/block | parse JSON | read values | verify | verify and write | total | raw answers/s bound |")
        print("|---|---|---|---|---|---|---|---|---|")
        let spec = try SyncBenchmark.devSpec()
        let watched = Set(DevChain.Contract.allCases.map(\.address))
        for (share, blocks, traffic) in [(0.01, 4_000 as UInt64, nil), (1.0, 1_000 as UInt64, nil), (0.1, 300, Traffic.mainnet)] {
            let devnet = DevNet(seed: 5, blocks: blocks, eventBlockShare: share, traffic: traffic)
            let (urls, server) = try await SyncBenchmark.serve([devnet])
            defer { server.cancel() }
            let transport = HTTPClientTransport(endpoint: try UpstreamEndpoint(urls[0]))
            let probe = Ingestor(index: AssetIndex(store: MemoryStore()), spec: spec, watched: watched)
            func body(_ calls: [RPCCall]) -> [UInt8] {
                JSONValue.array(calls.enumerated().map { i, c in
                    ["jsonrpc": "2.0", "id": .int(Int64(i)), "method": .string(c.method), "params": .array(c.params)]
                }).serialized()
            }
            var headerBodies: [[UInt8]] = [], blockBodies: [[UInt8]] = [], receiptBodies: [[UInt8]] = []
            for first in stride(from: UInt64(0), through: blocks, by: 100) {
                let range = first...min(first + 99, blocks)
                headerBodies.append(try await transport.post(body(range.map { RPCCall("eth_getBlockByNumber", [.quantity($0), false]) }), timeout: .seconds(60)))
                let hashes = devnet.chain.blocks[Int(range.lowerBound)...Int(range.upperBound)].filter { probe.mayHaveWatchedEvents($0.header) }.map { JSONValue.string($0.header.hash.hex) }
                // Ten whole blocks a request at most: the dev net, like a provider, limits an answer's size.
                for chunk in stride(from: 0, to: hashes.count, by: 10).map({ Array(hashes[$0..<min($0 + 10, hashes.count)]) }) {
                    blockBodies.append(try await transport.post(body(chunk.map { RPCCall("eth_getBlockByHash", [$0, true]) }), timeout: .seconds(60)))
                    receiptBodies.append(try await transport.post(body(chunk.map { RPCCall("eth_getBlockReceipts", [$0]) }), timeout: .seconds(60)))
                }
            }
            let all = headerBodies + blockBodies + receiptBodies
            func results(_ bodies: [[UInt8]]) throws -> [JSONReader] {
                try bodies.flatMap { b in try JSONReader(try JSONTape(parsing: b)).array().map { try $0.field("result") } }
            }
            func parse() throws { for b in all { _ = try JSONTape(parsing: b) } }
            let headerValues = try results(headerBodies), blockValues = try results(blockBodies), receiptValues = try results(receiptBodies)
            func read() throws -> ([RPCBlock], [RPCBlock], [[Receipt]]) {
                (try headerValues.map { try RPCBlock(json: $0) }, try blockValues.map { try RPCBlock(json: $0) },
                 try receiptValues.map { try $0.array { r throws(JSONReadError) in try RPCReceipt(json: r).receipt } })
            }
            let (headers, full, receipts) = try read()
            let fullByNumber = Dictionary(uniqueKeysWithValues: zip(full, receipts).map { ($0.0.header.number, $0) })
            func verify() throws {
                var parent: Header?
                for h in headers {
                    try Verify.hash(of: h.header, equals: h.claimedHash)
                    try Verify.forkFields(of: h.header, spec: spec)
                    if let parent { try Verify.link(h.header, toParent: parent) }
                    parent = h.header
                }
                for (block, list) in zip(full, receipts) {
                    // Sync's checks: the senders of transactions with a watched mint only.
                    let minting = list.indices.filter { list[$0].logs.contains { watched.contains($0.address) && TokenEvent.mayMint($0) } }
                    for outcome in BlockReport.run(block: block, receipts: list, spec: spec, senders: .only(minting)) where outcome.failure != nil {
                        throw Failure("\(outcome.name)")
                    }
                }
            }
            func write() throws {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-bench-stages-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: path) }
                let ingestor = Ingestor(index: AssetIndex(store: try LevelDB(path: path)), spec: spec, watched: watched)
                // As sync writes them: each run of header-only blocks checked one by one and written at once.
                var run: [Header] = []
                for h in headers {
                    if let (block, list) = fullByNumber[h.header.number] {
                        try ingestor.writeHeaders(run)
                        run = []
                        try ingestor.ingest(block, receipts: list, parent: try ingestor.tipHeader())
                    } else {
                        try ingestor.checkHeader(h, parent: try run.last ?? ingestor.tipHeader())
                        run.append(h.header)
                    }
                }
                try ingestor.writeHeaders(run)
            }
            var best = [Double](repeating: .infinity, count: 4)
            for _ in 0..<3 {
                best[0] = min(best[0], try SyncBenchmark.secondsSync(parse))
                best[1] = min(best[1], try SyncBenchmark.secondsSync { _ = try read() })
                best[2] = min(best[2], try SyncBenchmark.secondsSync(verify))
                best[3] = min(best[3], try SyncBenchmark.secondsSync(write))
            }
            let n = Double(blocks + 1)
            let us = best.map { String(format: "%.1f µs", $0 / n * 1e6) }
            let total = best[0] + best[1] + best[3]
            print("| \(traffic == nil ? "" : "mainnet-sized, ")\(Int(share * 100))% (\(full.count) whole) | \(blocks + 1) | \(all.reduce(0) { $0 + $1.count } / Int(n)) | \(us.joined(separator: " | ")) | "
                + "\(String(format: "%.1f µs", total / n * 1e6)) | \(String(format: "%.0f", n / total)) |")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

/// Profiling aid: reads the same batch of 100 header answers again and again (`provenant-bench read-headers`).
enum ReadHeaders {
    static func run() async throws {
        let devnet = DevNet(seed: 5, blocks: 200, eventBlockShare: 0)
        let (urls, server) = try await SyncBenchmark.serve([devnet])
        defer { server.cancel() }
        let transport = HTTPClientTransport(endpoint: try UpstreamEndpoint(urls[0]))
        let request = JSONValue.array((0..<100).map { i in
            ["jsonrpc": "2.0", "id": .int(Int64(i)), "method": "eth_getBlockByNumber", "params": [.quantity(UInt64(i)), false]]
        }).serialized()
        let body = try await transport.post(request, timeout: .seconds(10))
        let tape = try JSONTape(parsing: body)
        let answers = try JSONReader(tape).array().map { try $0.field("result") }
        var parse = Double.infinity, read = Double.infinity
        for _ in 0..<5 {
            parse = min(parse, SyncBenchmark.secondsSync { for _ in 0..<200 { _ = try? JSONTape(parsing: body) } })
            read = min(read, SyncBenchmark.secondsSync { for _ in 0..<200 { for a in answers { _ = try? RPCBlock(json: a) } } })
        }
        print("per header: parse \(String(format: "%.2f µs", parse / 20_000 * 1e6)), read \(String(format: "%.2f µs", read / 20_000 * 1e6))")
    }
}
