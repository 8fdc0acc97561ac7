import EthRPC
import Testing

@testable import Server

/// What a syncing node reports of its upstreams and its quorum: in `/metrics` and `asset_status`.
@Suite("Sync report")
struct SyncReportTests {
    static func report(quorum: Int, waiting: String?) -> SyncReport {
        SyncReport(
            phase: "paused", head: 120, indexed: 100, isCurrent: false, message: waiting,
            upstreams: [
                .init(label: "http://a/", trusted: true, evidence: nil, faultKind: nil, requests: 40, errors: ["batch_refused": 3], batchSize: 12),
                .init(label: "http://b/", trusted: false, evidence: "block 7 hash: …", faultKind: "outvoted", requests: 9, errors: [:], batchSize: 100),
                .init(label: "http://c/", trusted: true, evidence: nil, faultKind: nil, requests: 40, errors: [:], batchSize: 100),
            ],
            verificationFailures: [:], reorgs: 0, quorum: quorum, quorumWait: waiting)
    }

    @Test func metricsShowBatchSizesFaultKindsAndTheQuorumWait() {
        let text = ServerMetrics().render(Self.report(quorum: 2, waiting: "no 2 upstreams agree on block 101").metricFamilies)
        for line in [
            #"provenant_upstream_batch_size{upstream="http://a/"} 12.0"#, #"provenant_upstream_faults{kind="outvoted"} 1.0"#,
            "provenant_sync_quorum 2.0", "provenant_sync_waiting_for_quorum 1.0", #"provenant_upstream_errors_total{upstream="http://a/",kind="batch_refused"} 3.0"#,
        ] {
            #expect(text.contains(line), "\(line) in\n\(text)")
        }
        #expect(ServerMetrics().render(Self.report(quorum: 2, waiting: nil).metricFamilies).contains("provenant_sync_waiting_for_quorum 0.0"))
    }

    /// A quorum of 1 over several upstreams is allowed, and said.
    @Test func asset_statusWarnsOfASingleVoice() {
        #expect(Self.report(quorum: 2, waiting: nil).quorumJSON == ["required": 2, "upstreams": 3])
        let single = Self.report(quorum: 1, waiting: nil).quorumJSON
        guard case .string(let warning)? = single["warning"] else { Issue.record("\(single)"); return }
        #expect(warning.contains("any one upstream alone decides"))
        #expect(Self.report(quorum: 2, waiting: "why").json["waitingForQuorum"] == "why")
    }
}
