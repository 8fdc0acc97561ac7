internal import EthPrimitives
public import EthRPC

/// What a syncing node says about its sync, for `asset_status`, `/health` and `/metrics`. The server knows nothing
/// of how sync works; the node fills this in at each read.
public struct SyncReport: Sendable {
    /// One upstream as sync sees it.
    public struct UpstreamState: Sendable {
        /// The URL as configured (placeholders unexpanded: no secret).
        public var label: String
        public var trusted: Bool
        /// Why it is not trusted: block, field, expected and actual.
        public var evidence: String?
        /// The evidence's kind (`verification`, `outvoted`, `wrong_chain`), for metrics.
        public var faultKind: String?
        public var requests: Int
        public var errors: [String: Int]
        /// Calls it is sent in one request now.
        public var batchSize: Int

        public init(label: String, trusted: Bool, evidence: String?, faultKind: String?, requests: Int, errors: [String: Int], batchSize: Int) {
            self.label = label
            self.trusted = trusted
            self.evidence = evidence
            self.faultKind = faultKind
            self.requests = requests
            self.errors = errors
            self.batchSize = batchSize
        }
    }

    /// A PostgreSQL sink's position, as `asset_status` and `/metrics` report it.
    public struct SinkState: Sendable {
        /// The sink's name and schema, and the database URL with its password hidden.
        public var name: String
        public var schema: String
        public var database: String
        /// The last block the sink wrote.
        public var block: UInt64?
        public var rows: Int
        public var rolledBack: Int
        /// Why the sink waits to try again, or why it stopped.
        public var lastError: String?

        public init(name: String, schema: String, database: String, block: UInt64?, rows: Int, rolledBack: Int, lastError: String?) {
            (self.name, self.schema, self.database, self.block, self.rows, self.rolledBack, self.lastError) =
                (name, schema, database, block, rows, rolledBack, lastError)
        }
    }

    public var phase: String
    /// The PostgreSQL sinks following the store.
    public var sinks: [SinkState] = []
    /// The head the upstreams agree on.
    public var head: UInt64?
    public var indexed: UInt64?
    public var isCurrent: Bool
    public var message: String?
    public var upstreams: [UpstreamState]
    /// Verification failures by field.
    public var verificationFailures: [String: Int]
    public var reorgs: Int
    /// Upstreams that must vouch for a block before it is committed.
    public var quorum: Int
    /// While sync waits for a quorum: the block and what each upstream gives.
    public var quorumWait: String?

    public init(phase: String, head: UInt64?, indexed: UInt64?, isCurrent: Bool, message: String?, upstreams: [UpstreamState],
                verificationFailures: [String: Int], reorgs: Int, quorum: Int, quorumWait: String?) {
        self.phase = phase
        self.head = head
        self.indexed = indexed
        self.isCurrent = isCurrent
        self.message = message
        self.upstreams = upstreams
        self.verificationFailures = verificationFailures
        self.reorgs = reorgs
        self.quorum = quorum
        self.quorumWait = quorumWait
    }

    var lag: UInt64? {
        guard let head, let indexed else { return nil }
        return head > indexed ? head - indexed : 0
    }

    /// The `sync` member of `/health` and `asset_status`.
    public var json: JSONValue {
        var o: [String: JSONValue] = ["phase": .string(phase), "current": .bool(isCurrent)]
        if let lag { o["lag"] = .quantity(lag) }
        if let message { o["message"] = .string(message) }
        if let quorumWait { o["waitingForQuorum"] = .string(quorumWait) }
        return .object(o)
    }

    /// `asset_status`'s `quorum`: how many upstreams vouch for each committed block, and a warning when one alone does
    /// while others are configured.
    public var quorumJSON: JSONValue {
        var o: [String: JSONValue] = ["required": .int(Int64(quorum)), "upstreams": .int(Int64(upstreams.count))]
        if quorum == 1 && upstreams.count > 1 {
            o["warning"] = .string("quorum 1 of \(upstreams.count): any one upstream alone decides which chain is indexed")
        }
        return .object(o)
    }

    /// `asset_status`'s `upstreams`.
    public var upstreamsJSON: JSONValue {
        .array(upstreams.map { u in
            ["url": .string(u.label), "status": .string(u.trusted ? "trusted" : "faulty"), "evidence": u.evidence.map(JSONValue.string) ?? .null]
        })
    }

    /// `asset_status`'s `sinks`: each sink's last block, how far it is behind the index, and its last error.
    public var sinksJSON: JSONValue {
        .array(sinks.map { sink in
            var o: [String: JSONValue] = [
                "name": .string(sink.name), "schema": .string(sink.schema), "database": .string(sink.database),
                "block": sink.block.map(JSONValue.quantity) ?? .null, "rows": .int(Int64(sink.rows)), "rolledBack": .int(Int64(sink.rolledBack)),
            ]
            if let indexed { o["lag"] = .quantity(indexed - min(indexed, sink.block ?? 0)) }
            if let error = sink.lastError { o["error"] = .string(error) }
            return .object(o)
        })
    }

    /// The sync figures of `/metrics`.
    public var metricFamilies: [MetricFamily] {
        var families: [MetricFamily] = []
        if !sinks.isEmpty {
            families.append(MetricFamily(
                name: "provenant_sink_block", help: "The last block each PostgreSQL sink wrote.", type: .gauge,
                samples: sinks.map { ([("sink", $0.name), ("schema", $0.schema)], Double($0.block ?? 0)) }))
            families.append(MetricFamily(
                name: "provenant_sink_rows_total", help: "Event rows each PostgreSQL sink wrote since start.", type: .counter,
                samples: sinks.map { ([("sink", $0.name), ("schema", $0.schema)], Double($0.rows)) }))
            families.append(MetricFamily(
                name: "provenant_sink_failing", help: "1 while a PostgreSQL sink waits to try again (or stopped) after an error.", type: .gauge,
                samples: sinks.map { ([("sink", $0.name), ("schema", $0.schema)], $0.lastError == nil ? 0 : 1) }))
        }
        if let head { families.append(.gauge("provenant_head_block", "The head block the upstreams agree on (quorum).", Double(head))) }
        if let lag { families.append(.gauge("provenant_sync_lag_blocks", "Blocks between the agreed head and the indexed block.", Double(lag))) }
        families.append(.gauge("provenant_sync_current", "1 when the index is at the head.", isCurrent ? 1 : 0))
        families.append(.gauge("provenant_reorgs_total", "Reorgs undone since start.", Double(reorgs)))
        families.append(.gauge("provenant_sync_quorum", "Upstreams that must give a block's hash before it is committed.", Double(quorum)))
        families.append(.gauge(
            "provenant_sync_waiting_for_quorum", "1 while no quorum of upstreams vouches for the next block and sync waits at the last vouched one.",
            quorumWait == nil ? 0 : 1))
        families.append(MetricFamily(
            name: "provenant_upstream_requests_total", help: "HTTP requests sent to each upstream.", type: .counter,
            samples: upstreams.map { ([("upstream", $0.label)], Double($0.requests)) }))
        families.append(MetricFamily(
            name: "provenant_upstream_errors_total", help: "Failed upstream requests by upstream and kind (each retry counts).", type: .counter,
            samples: upstreams.flatMap { u in u.errors.sorted { $0.key < $1.key }.map { ([("upstream", u.label), ("kind", $0.key)], Double($0.value)) } }))
        families.append(MetricFamily(
            name: "provenant_upstream_trusted", help: "1 while an upstream is trusted, 0 once it served data that failed verification.", type: .gauge,
            samples: upstreams.map { ([("upstream", $0.label)], $0.trusted ? 1 : 0) }))
        families.append(MetricFamily(
            name: "provenant_upstream_batch_size", help: "Calls sent to each upstream in one request now (it shrinks on refusals, grows back slowly).",
            type: .gauge, samples: upstreams.map { ([("upstream", $0.label)], Double($0.batchSize)) }))
        let faultKinds = Dictionary(grouping: upstreams.compactMap(\.faultKind), by: { $0 })
        families.append(MetricFamily(
            name: "provenant_upstream_faults", help: "Upstreams marked faulty, by the kind of evidence (verification, outvoted, wrong_chain).", type: .gauge,
            samples: faultKinds.keys.sorted().map { ([("kind", $0)], Double(faultKinds[$0]!.count)) }))
        families.append(MetricFamily(
            name: "provenant_verification_failures_total", help: "Upstream data refused by verification, by field.", type: .counter,
            samples: verificationFailures.sorted { $0.key < $1.key }.map { ([("field", $0.key)], Double($0.value)) }))
        return families
    }
}
