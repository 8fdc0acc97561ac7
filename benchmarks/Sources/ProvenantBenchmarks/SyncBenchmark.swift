import AssetIndex
import DevChain
import DevNet
import EthCrypto
import EthPrimitives
import EthRPC
import EthTypes
import EthUpstream
import Foundation
import Ingest
import Store
import Sync
import Synchronization

/// Sync over HTTP from the dev chain on loopback, next to the dev chain's raw serving rate: the same requests sync
/// makes (header batches of 100, then full blocks and receipts by hash where the bloom matches, four ranges in
/// flight), their answers read and thrown away. Both run in this process, against the same server, trials
/// interleaved; beside them the floor (`Floor`), the least work any verifying sync adds to the raw client's.
enum SyncBenchmark {
    static func run() async throws {
        print("")
        print("## Sync over HTTP vs the dev chain's raw serving rate (loopback, same process)")
        print("")
        print("| blocks with watched events | blocks | sync | raw serving | floor | sync blocks/s | raw blocks/s | ratio (sync/raw) | ratio (floor/raw) | events/s | CPU a block, raw / floor / sync (both sides, 2 cores) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        let spec = try SyncBenchmark.devSpec()
        let watched = Set(DevChain.Contract.allCases.map(\.address))
        // The dev chain's own small blocks, then mainnet-sized ones (`Traffic.mainnet`: 150-300 unwatched
        // transactions a block besides the watched ones).
        for (share, blocks, traffic) in [(0.01, 40_000 as UInt64, nil), (1.0, 4_000 as UInt64, nil), (0.1, 2_000, Traffic.mainnet)] {
            let devnet = DevNet(seed: 5, blocks: blocks, eventBlockShare: share, traffic: traffic)
            let port = BoundPort()
            let server = Task { try await devnet.run(port: 0) { p in port.value.withLock { $0 = p } } }
            defer { server.cancel() }
            while port.value.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
            let url = "http://127.0.0.1:\(port.value.withLock { $0! })/"
            let chain = devnet.chain
            let probe = Ingestor(index: AssetIndex(store: MemoryStore()), spec: spec, watched: watched)
            let matching = Dictionary(uniqueKeysWithValues: chain.blocks.filter { probe.mayHaveWatchedEvents($0.header) }.map { ($0.header.number, $0.header.hash) })
            if traffic != nil {
                let fill = chain.blocks.dropFirst().map { Double($0.header.logsBloom.bytes.reduce(0) { $0 + $1.nonzeroBitCount }) / 2048 }.reduce(0, +) / Double(blocks)
                let logs = chain.blocks.reduce(0) { $0 + $1.receipts.reduce(0) { $0 + $1.logs.count } }
                print("  (mainnet-sized: mean bloom fill \(String(format: "%.2f", fill)), \(logs / Int(blocks)) logs a block)")
            }
            let events = chain.blocks.reduce(0) { $0 + $1.receipts.reduce(0) { $0 + $1.logs.filter { watched.contains($0.address) }.count } }

            // Each case's fastest trial, with the process's CPU time during it.
            var bestSync = (Double.infinity, 0.0), bestRaw = (Double.infinity, 0.0), bestFloor = (Double.infinity, 0.0)
            func timed(_ best: inout (Double, Double), _ body: () async throws -> Void) async rethrows {
                let cpu = Harness.cpuSeconds()
                let elapsed = try await seconds(body)
                if elapsed < best.0 { best = (elapsed, Harness.cpuSeconds() - cpu) }
            }
            let headers = chain.blocks.map(\.header)
            for _ in 0..<3 {
                // Whole mainnet-sized blocks go 40 a request, under the dev net's 25 MB answer limit (sync finds its
                // own size from the limit's refusals).
                let perRequest = traffic == nil ? 100 : 40
                try await timed(&bestRaw) { try await raw(url: url, blocks: blocks, matching: matching, wholePerRequest: perRequest) }
                let floor = try Floor(headers: headers)
                try await timed(&bestFloor) { try await raw(url: url, blocks: blocks, matching: matching, wholePerRequest: perRequest, floor: floor) }
                try await timed(&bestSync) { try await sync(urls: [url], spec: spec, watched: watched) }
            }
            let n = Double(blocks + 1)
            let cpu = [bestRaw.1, bestFloor.1, bestSync.1].map { String(format: "%.1f", $0 / n * 1e6) }.joined(separator: " / ")
            let (syncTime, rawTime, floorTime) = (bestSync.0, bestRaw.0, bestFloor.0)
            print("| \(traffic == nil ? "" : "mainnet-sized, ")\(Int(share * 100))% (\(matching.count) fetched whole) | \(blocks + 1) | \(String(format: "%.2f s", syncTime)) | \(String(format: "%.2f s", rawTime)) | "
                + "\(String(format: "%.2f s", floorTime)) | \(String(format: "%.0f", n / syncTime)) | \(String(format: "%.0f", n / rawTime)) | "
                + "\(String(format: "%.2f×", rawTime / syncTime)) | \(String(format: "%.2f×", rawTime / floorTime)) | \(String(format: "%.0f", Double(events) / syncTime)) | \(cpu) µs |")
        }
        try await quorum(spec: spec, watched: watched)
        try await hostile(spec: spec, watched: watched)
    }

    /// Dev nets on loopback ports, running until the returned task is cancelled.
    static func serve(_ devnets: [DevNet]) async throws -> (urls: [String], task: Task<Void, Error>) {
        let ports = BoundPorts()
        let task = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, devnet) in devnets.enumerated() { group.addTask { try await devnet.run(port: 0) { p in ports.value.withLock { $0[i] = p } } } }
                try await group.waitForAll()
            }
        }
        while ports.value.withLock({ $0.count }) < devnets.count { try await Task.sleep(for: .milliseconds(5)) }
        return (ports.value.withLock { p in devnets.indices.map { "http://127.0.0.1:\(p[$0]!)/" } }, task)
    }

    /// The commit rule's cost: three upstreams of the same chain, each range committed once two of them give its
    /// last block's hash, against the same three with a quorum of 1 (no confirmation calls). Trials interleaved.
    static func quorum(spec: Chainspec, watched: Set<Address>) async throws {
        print("")
        print("## Sync with a quorum of 2 of 3 upstreams vs a quorum of 1 (loopback, same process)")
        print("")
        print("| blocks with watched events | blocks | quorum 1 | quorum 2 of 3 | quorum 1 blocks/s | quorum 2 blocks/s | ratio (2/1) |")
        print("|---|---|---|---|---|---|---|")
        for (share, blocks) in [(0.01, 4_000 as UInt64), (1.0, 1_000 as UInt64)] {
            let (urls, server) = try await serve((0..<3).map { _ in DevNet(seed: 5, blocks: blocks, eventBlockShare: share) })
            defer { server.cancel() }
            var best1 = Double.infinity, best2 = Double.infinity
            for _ in 0..<3 {
                best1 = min(best1, try await seconds { try await sync(urls: urls, quorum: 1, spec: spec, watched: watched) })
                best2 = min(best2, try await seconds { try await sync(urls: urls, quorum: 2, spec: spec, watched: watched) })
            }
            let n = Double(blocks + 1)
            print("| \(Int(share * 100))% | \(blocks + 1) | \(String(format: "%.2f s", best1)) | \(String(format: "%.2f s", best2)) | "
                + "\(String(format: "%.0f", n / best1)) | \(String(format: "%.0f", n / best2)) | \(String(format: "%.2f×", best1 / best2)) |")
        }
    }

    /// A provider that refuses 5% of batch items with -32005, drops 5% of connections mid-answer and fails 2% of
    /// requests with HTTP 503, against a clean one serving the same chain. Trials interleaved.
    static func hostile(spec: Chainspec, watched: Set<Address>) async throws {
        print("")
        print("## Sync from a hostile provider vs a clean one (loopback, same process)")
        print("")
        print("| blocks | clean | hostile | clean blocks/s | hostile blocks/s | ratio (hostile/clean) |")
        print("|---|---|---|---|---|---|")
        var faults = DevNetFaults()
        faults.itemRateLimitRate = 0.05
        faults.dropRate = 0.05
        faults.serverErrorRate = 0.02
        let blocks: UInt64 = 2_000
        let (urls, server) = try await serve([DevNet(seed: 5, blocks: blocks, eventBlockShare: 0.1), DevNet(seed: 5, blocks: blocks, faults: faults, eventBlockShare: 0.1)])
        defer { server.cancel() }
        var bestClean = Double.infinity, bestHostile = Double.infinity
        for _ in 0..<3 {
            bestClean = min(bestClean, try await seconds { try await sync(urls: [urls[0]], spec: spec, watched: watched) })
            bestHostile = min(bestHostile, try await seconds { try await sync(urls: [urls[1]], spec: spec, watched: watched) })
        }
        let n = Double(blocks + 1)
        print("| \(blocks + 1) | \(String(format: "%.2f s", bestClean)) | \(String(format: "%.2f s", bestHostile)) | \(String(format: "%.0f", n / bestClean)) | "
            + "\(String(format: "%.0f", n / bestHostile)) | \(String(format: "%.2f×", bestClean / bestHostile)) |")
    }

    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A full sync into a fresh LevelDB directory, until the head; `quorum` nil: a majority of `urls`.
    static func sync(urls: [String], quorum: Int? = nil, spec: Chainspec, watched: Set<Address>) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-bench-sync-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: try LevelDB(path: path))
        var options = SyncOptions()
        options.exitWhenCurrent = true
        let syncer = Syncer(
            pool: UpstreamPool(upstreams: try urls.map { Upstream(endpoint: try UpstreamEndpoint($0)) }, quorum: quorum),
            ingestor: Ingestor(index: index, spec: spec, watched: watched), options: options, log: { print("  sync: \($0)") })
        try await syncer.run()
    }

    /// The requests sync makes, range by range (headers, then full blocks and receipts of the range's matching
    /// blocks), four ranges in flight; answers discarded unread, or, given a `Floor`, put through the floor's work.
    static func raw(url: String, blocks: UInt64, matching: [UInt64: Hash32], wholePerRequest: Int = 100, floor: Floor? = nil) async throws {
        let transport = HTTPClientTransport(endpoint: try UpstreamEndpoint(url))
        func body(_ calls: [RPCCall]) -> [UInt8] {
            JSONValue.array(calls.enumerated().map { i, c in
                ["jsonrpc": "2.0", "id": .int(Int64(i)), "method": .string(c.method), "params": .array(c.params)]
            }).serialized()
        }
        let requests: [(range: ClosedRange<UInt64>, steps: [[UInt8]])] = stride(from: UInt64(0), through: blocks, by: 100).map { first in
            let range = first...min(first + 99, blocks)
            var steps = [body(range.map { RPCCall("eth_getBlockByNumber", [.string(Hex.quantity($0)), false]) })]
            let hashes = range.compactMap { matching[$0] }.map { JSONValue.string($0.hex) }
            for start in stride(from: 0, to: hashes.count, by: wholePerRequest) {
                let chunk = hashes[start..<min(start + wholePerRequest, hashes.count)]
                steps.append(body(chunk.map { RPCCall("eth_getBlockByHash", [$0, true]) }))
                steps.append(body(chunk.map { RPCCall("eth_getBlockReceipts", [$0]) }))
            }
            return (range, steps)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                guard next < requests.count else { return }
                let (range, steps) = requests[next]
                next += 1
                group.addTask {
                    for (i, step) in steps.enumerated() {
                        let answer = try await transport.post(step, timeout: .seconds(60))
                        try floor?.take(answer, headersOf: i == 0 ? range : nil)
                    }
                }
            }
            for _ in 0..<4 { launch() }
            while try await group.next() != nil { launch() }
        }
    }

    /// The least any sync that verifies and keeps every header must do with the raw client's answers: parse each
    /// answer (`JSONTape`), compute Keccak-256 of each header's encoding and compare it with the block's hash, and
    /// write each header and its hash key in one batch per answer to a fresh LevelDB (the keys and values sync
    /// writes for a header the bloom rules out). Nothing else: no field read, no other check, no undo record, no
    /// block body verified or kept. The headers' encodings come from the dev chain itself, so the floor pays
    /// nothing to rebuild them from the answer's fields, which sync must.
    final class Floor: Sendable {
        let headers: [Header]
        let store: LevelDB
        let path: String

        init(headers: [Header]) throws {
            self.headers = headers
            path = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-bench-floor-\(UUID().uuidString)").path
            store = try LevelDB(path: path)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        func take(_ answer: [UInt8], headersOf range: ClosedRange<UInt64>?) throws {
            let items = try JSONReader(JSONTape(parsing: answer)).array().count
            guard let range else { return }
            guard items == range.count else { throw Failure.shortAnswer }
            var batch = WriteBatch()
            for n in range {
                let header = headers[Int(n)]
                guard keccak256(header.encoded) == header.hash else { throw Failure.hashMismatch }
                batch.put([Schema.header.rawValue] + KeyCoding.be64(n), header.encoded)
                batch.put([Schema.numberByHash.rawValue] + header.hash.bytes, KeyCoding.be64(n))
            }
            try store.write(batch)
        }

        enum Failure: Error { case shortAnswer, hashMismatch }
    }
}

/// The ports dev nets bound, by their position.
final class BoundPorts: Sendable {
    let value = Mutex<[Int: Int]>([:])
}

extension SyncBenchmark {
    /// The dev chain's chainspec, from the repository's `chainspec/provenant-dev.json`.
    static func devSpec() throws -> Chainspec {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try Chainspec.decode(Array(Data(contentsOf: root.appendingPathComponent("chainspec/provenant-dev.json"))))
    }

    static func secondsSync(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
