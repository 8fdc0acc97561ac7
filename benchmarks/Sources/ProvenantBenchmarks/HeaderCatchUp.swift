import AssetIndex
import DevChain
import DevNet
import EthPrimitives
import EthTypes
import EthUpstream
import Foundation
import Ingest
import Store
import Sync
import Synchronization

/// Header-only catch-up: a watched contract deployed long after the checkpoint, so sync crosses `blocks` headers
/// whose blooms rule every one out (the dev chain with no transactions), next to the raw serving rate of the same
/// header batches; the process's resident memory is sampled as sync goes, to show it does not grow with the run.
/// Beside them, the floor (`SyncBenchmark.Floor`): the least any sync that verifies and keeps every header must do
/// with the same answers. Its ratio bounds what sync can reach with the server on the same two cores.
enum HeaderCatchUp {
    static func run(blocks: UInt64) async throws {
        print("")
        print("## Header-only catch-up over \(blocks) headers (loopback, same process)")
        print("")
        let spec = try SyncBenchmark.devSpec()
        let watched = Set(DevChain.Contract.allCases.map(\.address))
        let built = ContinuousClock.now
        let devnet = DevNet(seed: 7, blocks: blocks, eventBlockShare: 0)
        print("dev chain of \(blocks + 1) empty blocks built in \(String(format: "%.1f s", seconds(since: built)))")
        let (urls, server) = try await SyncBenchmark.serve([devnet])
        defer { server.cancel() }
        print("")
        let headers = devnet.chain.blocks.map(\.header)
        print("| trial | raw serving | floor | sync | raw blocks/s | floor blocks/s | sync blocks/s | ratio floor/raw | ratio sync/raw | CPU per header, raw / floor / sync (both sides, 2 cores) | sync's resident memory: at 10%, 50%, 100% of the run |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for trial in 1...2 {
            let cpu0 = Harness.cpuSeconds()
            let raw = try await SyncBenchmark.seconds { try await SyncBenchmark.raw(url: urls[0], blocks: blocks, matching: [:]) }
            let cpu1 = Harness.cpuSeconds()
            let floor = try await SyncBenchmark.seconds { try await SyncBenchmark.raw(url: urls[0], blocks: blocks, matching: [:], floor: try SyncBenchmark.Floor(headers: headers)) }
            let cpu2 = Harness.cpuSeconds()
            let (sync, memory) = try await syncSampling(url: urls[0], blocks: blocks, spec: spec, watched: watched)
            let cpu3 = Harness.cpuSeconds()
            let n = Double(blocks + 1)
            let rss = memory.map { String(format: "%.0f MiB", Double($0) / 1_048_576) }.joined(separator: ", ")
            let rate = { (s: Double) in String(format: "%.0f", n / s) }
            let perHeader = [cpu1 - cpu0, cpu2 - cpu1, cpu3 - cpu2].map { String(format: "%.1f", $0 / n * 1e6) }.joined(separator: " / ")
            print("| \(trial) | \(String(format: "%.1f s", raw)) | \(String(format: "%.1f s", floor)) | \(String(format: "%.1f s", sync)) | "
                + "\(rate(raw)) | \(rate(floor)) | \(rate(sync)) | \(String(format: "%.2f×", raw / floor)) | \(String(format: "%.2f×", raw / sync)) | "
                + "\(perHeader) µs | \(rss) |")
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A full sync into a fresh LevelDB directory; the resident set size when it passes 10%, 50% and 100% of the chain.
    static func syncSampling(url: String, blocks: UInt64, spec: Chainspec, watched: Set<Address>) async throws -> (Double, [Int]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-bench-catchup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = AssetIndex(store: try LevelDB(path: path))
        var options = SyncOptions()
        options.exitWhenCurrent = true
        let syncer = Syncer(
            pool: UpstreamPool(upstreams: [Upstream(endpoint: try UpstreamEndpoint(url))]),
            ingestor: Ingestor(index: index, spec: spec, watched: watched), options: options, log: { _ in })
        let samples = Mutex<[Int]>([])
        let sampler = Task {
            for mark in [blocks / 10, blocks / 2] {
                while (syncer.status.snapshot.indexed ?? 0) < mark, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                samples.withLock { $0.append(residentBytes()) }
            }
        }
        let start = ContinuousClock.now
        try await syncer.run()
        let elapsed = seconds(since: start)
        sampler.cancel()
        _ = await sampler.value
        return (elapsed, samples.withLock { $0 } + [residentBytes()])
    }

    /// The process's resident set size, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
