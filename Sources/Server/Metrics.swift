internal import Synchronization

/// Counters for `GET /metrics`, in the Prometheus text format: JSON-RPC calls by method and outcome, and their
/// latency as a histogram.
public final class ServerMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1]

    private struct State {
        var calls: [String: [Int: UInt64]] = [:]
        var bucketCounts = [UInt64](repeating: 0, count: ServerMetrics.buckets.count)
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func record(method: String, code: Int, duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        state.withLock { s in
            s.calls[method, default: [:]][code, default: 0] += 1
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { s.bucketCounts[i] += 1 }
            s.count += 1
            s.sum += seconds
        }
    }

    /// The exposition text, with `families` (sync, index and upstream figures read at scrape time) appended.
    public func render(_ families: [MetricFamily]) -> String {
        let s = state.withLock { $0 }
        var out = "# HELP provenant_rpc_requests_total JSON-RPC calls by method and outcome (code 0: success).\n"
        out += "# TYPE provenant_rpc_requests_total counter\n"
        for method in s.calls.keys.sorted() {
            for (code, n) in s.calls[method]!.sorted(by: { $0.key < $1.key }) {
                out += "provenant_rpc_requests_total{method=\"\(method)\",code=\"\(code)\"} \(n)\n"
            }
        }
        out += "# HELP provenant_rpc_request_seconds Time spent answering JSON-RPC calls.\n"
        out += "# TYPE provenant_rpc_request_seconds histogram\n"
        for (i, bound) in Self.buckets.enumerated() {
            out += "provenant_rpc_request_seconds_bucket{le=\"\(bound)\"} \(s.bucketCounts[i])\n"
        }
        out += "provenant_rpc_request_seconds_bucket{le=\"+Inf\"} \(s.count)\n"
        out += "provenant_rpc_request_seconds_sum \(s.sum)\n"
        out += "provenant_rpc_request_seconds_count \(s.count)\n"
        for family in families {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type.rawValue)\n"
            for sample in family.samples {
                let labels = sample.labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
                out += "\(family.name)\(labels.isEmpty ? "" : "{\(labels)}") \(sample.value)\n"
            }
        }
        return out
    }

    /// Label values as the text format wants them: backslash, quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// One metric of `/metrics` with its samples, each with its labels in order.
public struct MetricFamily: Sendable {
    public enum Kind: String, Sendable { case gauge, counter }

    public var name: String
    public var help: String
    public var type: Kind
    public var samples: [(labels: [(String, String)], value: Double)]

    public init(name: String, help: String, type: Kind, samples: [(labels: [(String, String)], value: Double)]) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    /// A gauge with one unlabelled value.
    public static func gauge(_ name: String, _ help: String, _ value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, samples: [([], value)])
    }
}
