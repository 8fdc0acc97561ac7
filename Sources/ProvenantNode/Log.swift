internal import Foundation
internal import Sync

/// Timestamped log lines on standard error, so they never mix into a command's answers on standard output.
public enum Log {
    @Sendable public static func line(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(stamp) \(message)\n".utf8))
    }
}

/// The sync progress line: blocks/s, events, lag and ETA; rewritten in place on a terminal, a log line every
/// 10 seconds otherwise.
struct SyncProgress {
    let status: SyncStatus
    let interactive = isatty(STDERR_FILENO) == 1

    func run() async {
        let start = ContinuousClock.now
        var lastLine = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: interactive ? .milliseconds(250) : .seconds(1))
            let s = status.snapshot
            let seconds = max(0.001, Double((ContinuousClock.now - start).components.seconds) + Double((ContinuousClock.now - start).components.attoseconds) / 1e18)
            let rate = Double(s.blocksThisRun) / seconds
            let eta = s.lag.map { lag in rate > 0 ? Self.duration(Double(lag) / rate) : "?" } ?? "?"
            let line = "sync \(s.phase.rawValue): block \(s.indexed.map(String.init) ?? "-")/\(s.head.map(String.init) ?? "?"), "
                + String(format: "%.0f blocks/s", rate) + ", \(s.eventsThisRun) events, lag \(s.lag.map(String.init) ?? "?"), ETA \(eta)"
            if interactive {
                FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
            } else if ContinuousClock.now - lastLine >= .seconds(10) {
                Log.line(line)
                lastLine = .now
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.0fs", seconds) : seconds < 3600 ? String(format: "%.0fm", seconds / 60) : String(format: "%.1fh", seconds / 3600)
    }
}
