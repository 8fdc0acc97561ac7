import Foundation
import Synchronization

/// Minimal timing harness: each case runs in trials of a fixed iteration count, after a warm-up, and reports the
/// fastest trial (the least disturbed by the other process on a 2-core machine) in nanoseconds per operation.
enum Harness {
    /// Folds results into a global so the optimizer cannot drop the measured work.
    nonisolated(unsafe) static var sink: UInt64 = 0

    static func nanosPerOp(iterations: Int, trials: Int = 7, _ body: () -> Void) -> Double {
        for _ in 0..<max(1, iterations / 10) { body() }
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<trials {
            let elapsed = clock.measure { for _ in 0..<iterations { body() } }
            best = min(best, (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(iterations))
        }
        return best
    }

    /// Times two cases with their trials interleaved (A B A B …), so a slow spell of the machine hits both
    /// alike and the ratio stays meaningful; returns each one's fastest trial in nanoseconds per operation.
    static func pair(iterations: Int, trials: Int = 9, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        for _ in 0..<max(1, iterations / 10) { a(); b() }
        var best = (Double.infinity, Double.infinity)
        let clock = ContinuousClock()
        func time(_ body: () -> Void) -> Double {
            let elapsed = clock.measure { for _ in 0..<iterations { body() } }
            return (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(iterations)
        }
        for _ in 0..<trials {
            best.0 = min(best.0, time(a))
            best.1 = min(best.1, time(b))
        }
        return best
    }

    /// Iterations so one trial takes about `target` seconds, from a short calibration run.
    static func calibrate(target: Double = 0.05, _ body: () -> Void) -> Int {
        let probe = nanosPerOp(iterations: 3, trials: 1, body)
        return max(3, Int(target * 1e9 / max(probe, 1)))
    }

    static func format(_ nanos: Double) -> String {
        nanos >= 1e6 ? String(format: "%.2f ms", nanos / 1e6) : nanos >= 1e3 ? String(format: "%.2f µs", nanos / 1e3) : String(format: "%.1f ns", nanos)
    }

    /// User and system CPU time of the whole process so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}

/// The shared vectors, located as the tests locate them.
enum BenchVectors {
    static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["PROVENANT_VECTORS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/vectors")
    }()

    static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func hex(_ s: String) -> [UInt8] {
        let digits = Array(s.utf8.dropFirst(s.hasPrefix("0x") ? 2 : 0))
        func v(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        return stride(from: 0, to: digits.count, by: 2).map { v(digits[$0]) << 4 | v(digits[$0 + 1]) }
    }
}

/// The port a server bound, set from its `onReady` callback.
final class BoundPort: Sendable {
    let value = Mutex<Int?>(nil)
}
