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
        print("| trial | raw serving | sync | raw blocks/s | sync blocks/s | ratio (sync/raw) | CPU per header, raw / sync (both sides, 2 cores) | sync's resident memory: at 10%, 50%, 100% of the run |")
        print("|---|---|---|---|---|---|---|---|")
        var best = (raw: Double.infinity, sync: Double.infinity)
        for trial in 1...2 {
            let cpu0 = cpuSeconds()
            let raw = try await SyncBenchmark.seconds { try await SyncBenchmark.raw(url: urls[0], blocks: blocks, matching: [:]) }
            let cpu1 = cpuSeconds()
            let (sync, memory) = try await syncSampling(url: urls[0], blocks: blocks, spec: spec, watched: watched)
            let cpu2 = cpuSeconds()
            best = (min(best.raw, raw), min(best.sync, sync))
            let n = Double(blocks + 1)
            let rss = memory.map { String(format: "%.0f MiB", Double($0) / 1_048_576) }.joined(separator: ", ")
            print("| \(trial) | \(String(format: "%.1f s", raw)) | \(String(format: "%.1f s", sync)) | \(String(format: "%.0f", n / raw)) | "
                + "\(String(format: "%.0f", n / sync)) | \(String(format: "%.2f×", raw / sync)) | "
                + "\(String(format: "%.1f / %.1f µs", (cpu1 - cpu0) / n * 1e6, (cpu2 - cpu1) / n * 1e6)) | \(rss) |")
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

    /// User and system CPU time of the whole process so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// The process's resident set size, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
