internal import AssetIndex
public import EthPrimitives
public import Ingest
internal import Logging
internal import EthTypes
internal import PostgresNIO
internal import Store
internal import Synchronization
internal import TokenEvents

/// The verified index streamed into PostgreSQL (ARCHITECTURE.md §12). The sink follows the store from behind: it
/// reads the blocks the node has committed, with their events decoded by the index's rules, and writes each group
/// of whole blocks, the state they change and its own cursor in one PostgreSQL transaction. A reorg (the cursor's
/// block no longer in the store) rolls back to the highest block it wrote whose hash the store still holds, in the
/// same transaction as the new branch. It never holds up the node: sync commits to LevelDB and moves on, and the
/// sink catches up from the store when it falls behind, or when PostgreSQL comes back.
public final class PostgresSink: Sendable {
    /// Where and how the sink writes.
    public struct Settings: Sendable {
        public var url: PostgresURL
        /// The PostgreSQL schema of the tables.
        public var schema: String
        /// The sink's row in `sinks`: one per node (or per data directory) writing into the schema.
        public var name: String
        /// A transaction holds whole blocks, up to about this many event rows...
        public var maxRows = 20_000
        /// ...and at most this many blocks...
        public var maxBlocks: UInt64 = 20_000
        /// ...and what can be read from the store in about this long, so that a sink far behind commits steadily.
        public var maxReadTime: Duration = .seconds(1)
        /// How long to wait when the sink has caught up with the store.
        public var poll: Duration = .milliseconds(200)
        /// The longest one transaction (or `export`) may take before the connection is given up and opened again.
        public var timeout: Duration = .seconds(300)

        public init(url: PostgresURL, schema: String = "provenant", name: String = "provenant") {
            (self.url, self.schema, self.name) = (url, schema, name)
        }
    }

    /// What the sink last did, for status and logs.
    public struct Status: Sendable, Equatable {
        /// The last block written, with its hash.
        public var block: UInt64?
        public var hash: Hash32?
        /// Event rows written by this process.
        public var rows = 0
        /// Blocks rolled back by reorgs in this process.
        public var rolledBack = 0
        /// Why the last attempt failed, while the sink waits to try again.
        public var lastError: String?
    }

    public let settings: Settings
    let ingestor: Ingestor
    let contracts: [Address]
    /// Lines for the node's log.
    let log: @Sendable (String) -> Void
    /// PostgresNIO's own logging stays silent: its errors reach the sink, which says what failed.
    let logger = Logger(label: "provenant.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private let state = Mutex(Status())

    public var status: Status { state.withLock { $0 } }

    public init(settings: Settings, ingestor: Ingestor, log: @escaping @Sendable (String) -> Void) throws(SinkError) {
        if let problem = SinkSchema.check(settings.schema) { throw .settings(problem) }
        guard !settings.name.isEmpty, settings.name.count <= 200 else { throw .settings("a sink name is 1 to 200 characters") }
        self.settings = settings
        self.ingestor = ingestor
        contracts = ingestor.watched.sorted { $0.hex < $1.hex }
        self.log = log
    }

    var schema: SinkSchema { SinkSchema(name: settings.schema) }

    func connect() async throws(SinkError) -> PostgresConnection {
        let configuration: PostgresConnection.Configuration
        do throws(PostgresURL.Problem) { configuration = try settings.url.configuration() } catch { throw .settings(error.description) }
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw SinkError.database(error)
        }
    }

    /// Checks that the database takes this sink (it answers, the schema's layout, chain and sink name agree):
    /// what the node asks before it starts, so that a wrong setting stops it at once.
    public func prepare() async throws(SinkError) {
        let connection = try await connect()
        defer { Task { try? await connection.close() } }
        _ = try await SinkTables(schema: schema, connection: connection, logger: logger)
            .register(name: settings.name, chainId: ingestor.spec.chainId, contracts: contracts)
    }

    /// Follows the store until the task is cancelled. A database that cannot be reached, or a statement it refuses,
    /// is logged and tried again after a wait that doubles up to 30 s; a conflict (`SinkError.conflict`) stops the
    /// sink, since writing on would be wrong.
    public func run() async throws(SinkError) {
        var wait = Duration.milliseconds(500)
        while !Task.isCancelled {
            do throws(SinkError) {
                try await session(untilCaughtUp: false) { wait = .milliseconds(500) }
                return
            } catch {
                if case .conflict = error {
                    state.withLock { $0.lastError = error.description }
                    log("\(error); the sink stops")
                    throw error
                }
                if Task.isCancelled { return }
                state.withLock { $0.lastError = error.description }
                log("PostgreSQL sink \"\(settings.name)\": \(error); retrying in \(wait)")
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(30))
            }
        }
    }

    /// Writes everything the store holds beyond the sink's cursor, then returns.
    public func catchUp() async throws(SinkError) {
        try await session(untilCaughtUp: true) {}
    }

    /// One connection's work: register, then write groups of blocks until cancelled (or caught up).
    private func session(untilCaughtUp: Bool, progressed: () -> Void) async throws(SinkError) {
        let connection = try await connect()
        defer { Task { try? await connection.close() } }
        let tables = SinkTables(schema: schema, connection: connection, logger: logger)
        let calls = ConnectionGuard(connection)
        var cursor = try await tables.register(name: settings.name, chainId: ingestor.spec.chainId, contracts: contracts).cursor
        var known = try await tables.standards(through: cursor?.number, contracts: contracts)
        var reader = try wrapIndex { () throws(IndexError) in try ingestor.index.eventReader(known: known) }
        state.withLock { $0.block = cursor?.number; $0.hash = cursor?.hash; $0.lastError = nil }
        log("PostgreSQL sink \"\(settings.name)\" at \(settings.url.redacted) schema \(settings.schema): from block \(cursor.map { String($0.number) } ?? "none")")

        while !Task.isCancelled {
            guard let tip = try wrapIndex({ () throws(IndexError) in try ingestor.index.cursor() }) else {
                if untilCaughtUp { return }
                try? await Task.sleep(for: settings.poll)
                continue
            }
            // A cursor whose block the store no longer holds was reorged away: roll back to the highest block with
            // rows that the store still holds, in the transaction that writes the new branch.
            var rollback: UInt64?? = nil
            var base = cursor
            if let c = cursor, try storedHash(c.number) != c.hash {
                let ancestor = try await findAncestor(below: c, tip: tip.number, tables: tables)
                rollback = .some(ancestor?.number)
                base = ancestor
                known = try await tables.standards(through: ancestor?.number, contracts: contracts)
                reader = try wrapIndex { () throws(IndexError) in try ingestor.index.eventReader(known: known) }
            }
            var next = reader
            guard let group = try readGroup(after: base, tip: tip.number, reader: &next) else {
                // The store moved while the group was read: look again.
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            if rollback == nil && group.last?.number == cursor?.number {
                if untilCaughtUp { return }
                try? await Task.sleep(for: settings.poll)
                continue
            }
            let expected = cursor
            let (logger, schema, undo) = (logger, schema, rollback)
            try await calls.run(timeout: settings.timeout) { [self] in
                try await connection.withTransaction(logger: logger) { connection in
                    let tables = SinkTables(schema: schema, connection: connection, logger: logger)
                    try await write(group, rollback: undo, expected: expected, tables: tables)
                }
            }
            cursor = group.last
            reader = next
            progressed()
            let rolledBack = rollback.map { ancestor in Int((expected?.number ?? 0) - (ancestor ?? 0)) } ?? 0
            state.withLock {
                $0.block = cursor?.number
                $0.hash = cursor?.hash
                $0.rows += group.rows.count
                $0.rolledBack += rolledBack
                $0.lastError = nil
            }
            if rollback != nil {
                log("PostgreSQL sink \"\(settings.name)\": reorg, rolled back to block \(base.map { String($0.number) } ?? "none") and wrote the new branch to \(cursor.map { String($0.number) } ?? "none")")
            }
        }
    }

    /// Blocks read from the store for one transaction: their rows, and the last block (number and hash) they
    /// reach. `last` is nil only when the store holds nothing after `base`'s rollback to before every row.
    struct Group: Sendable {
        var rows: [EventRow]
        var last: (number: UInt64, hash: Hash32)?
    }

    /// Reads the blocks after `base` up to `tip` (or fewer, by the group limits), checking that their headers link
    /// to `base` and to each other and that each body's header is the one linked: nil when the store moved meanwhile.
    func readGroup(after base: (number: UInt64, hash: Hash32)?, tip: UInt64, reader: inout BlockEventReader) throws(SinkError) -> Group? {
        let blocks = ingestor.blocks
        let first: UInt64
        if let base {
            first = base.number + 1
        } else {
            guard let lowest = try wrapStore({ () throws(StoreError) in try blocks.headers(from: 0, limit: 1) }).first else { return Group(rows: [], last: nil) }
            first = lowest.number
        }
        guard first <= tip else { return Group(rows: [], last: base) }
        let last = min(tip, first + settings.maxBlocks - 1)
        let headers = try wrapStore { () throws(StoreError) in try blocks.headers(from: first, limit: Int(last - first + 1)) }
        var hashes: [Hash32] = []
        hashes.reserveCapacity(headers.count)
        var parent = base?.hash
        for (offset, stored) in headers.enumerated() {
            guard stored.number == first + UInt64(offset), let header = try? Header(rlp: stored.rlp) else { return nil }
            if let parent, header.parentHash != parent { return nil }
            hashes.append(header.hash)
            parent = header.hash
        }
        guard !hashes.isEmpty else { return nil }
        var rows: [EventRow] = []
        var end = first + UInt64(hashes.count) - 1
        let started = ContinuousClock.now
        for number in try wrapStore({ () throws(StoreError) in try blocks.numbersWithBodies(from: first, through: end) }) {
            let block: StoredBlock?
            do throws(IngestError) { block = try ingestor.storedBlock(number: number, senders: .watched) } catch {
                // A body read while a reorg replaced it does not match its header; a block that still holds its
                // hash and fails is damage.
                if try storedHash(number) != hashes[Int(number - first)] { return nil }
                throw .store(error)
            }
            guard let block, block.header.hash == hashes[Int(number - first)] else { return nil }
            for event in reader.events(of: block.indexed).events {
                rows += EventRow.rows(of: event, block: number, hash: block.header.hash, timestamp: block.header.timestamp)
            }
            if rows.count >= settings.maxRows || ContinuousClock.now - started > settings.maxReadTime {
                end = number
                break
            }
        }
        return Group(rows: rows, last: (end, hashes[Int(end - first)]))
    }

    /// One transaction: the rollback (if any), the group's rows, the state they change, the cursor.
    private func write(_ group: Group, rollback: UInt64??, expected: (number: UInt64, hash: Hash32)?, tables: SinkTables) async throws(SinkError) {
        try await tables.lockCursor(name: settings.name, expected: expected)
        var state = SinkState()
        if let ancestor = rollback {
            let removed = try await tables.events(above: ancestor, contracts: contracts)
            try await tables.deleteEvents(above: ancestor, contracts: contracts)
            let touched = SinkState.touched(by: removed)
            var fresh = SinkState()
            for row in try await tables.events(deciding: touched) { fresh.apply(row) }
            state = touched.taking(fresh)
        }
        var added = SinkState.touched(by: group.rows).excluding(state)
        try await tables.load(into: &added)
        state.merge(added)
        for row in group.rows { state.apply(row) }
        try await tables.copyEvents(group.rows)
        try await tables.write(state)
        if let last = group.last { try await tables.setCursor(name: settings.name, number: last.number, hash: last.hash) }
    }

    /// The highest block with the sink's rows whose hash the store still holds at that height; nil when none of its
    /// rows is on the store's chain. A block that differs deeper than the store can reorg means the schema holds
    /// another chain's (or another data directory's) rows: a conflict.
    private func findAncestor(below cursor: (number: UInt64, hash: Hash32), tip: UInt64, tables: SinkTables) async throws(SinkError) -> (number: UInt64, hash: Hash32)? {
        var through = cursor.number
        let page = 256
        while true {
            let blocks = try await tables.eventBlocks(through: through, contracts: contracts, limit: page)
            for block in blocks {
                if try storedHash(block.number) == block.hash { return block }
                if block.number + ingestor.index.undoWindow + 1 < tip {
                    throw .conflict("the sink's rows of block \(block.number) carry hash \(block.hash.hex), which the store does not hold, deeper than a reorg can reach: the schema holds another chain's or another data directory's rows")
                }
            }
            guard blocks.count == page, let lowest = blocks.last, lowest.number > 0 else { return nil }
            through = lowest.number - 1
        }
    }

    private func storedHash(_ number: UInt64) throws(SinkError) -> Hash32? {
        guard let rlp = try wrapStore({ () throws(StoreError) in try ingestor.blocks.header(number: number) }) else { return nil }
        do throws(HeaderError) { return try Header(rlp: rlp).hash } catch { throw .store(.corrupt("header \(number): \(error)")) }
    }

    func wrapStore<T>(_ body: () throws(StoreError) -> T) throws(SinkError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(.store(error)) }
    }

    func wrapIndex<T>(_ body: () throws(IndexError) -> T) throws(SinkError) -> T {
        do throws(IndexError) { return try body() } catch { throw .store(.index(error)) }
    }
}

extension SinkState {
    /// This state's keys with `fresh`'s values for them (none, or zero, where `fresh` has no value).
    func taking(_ fresh: SinkState) -> SinkState {
        var result = SinkState()
        for key in owners.keys { result.owners[key] = .some(fresh.owners[key] ?? nil) }
        for key in balances.keys { result.balances[key] = fresh.balances[key] ?? .zero }
        for key in rentals.keys { result.rentals[key] = .some(fresh.rentals[key] ?? nil) }
        for key in provenance.keys { result.provenance[key] = .some(fresh.provenance[key] ?? nil) }
        return result
    }

    /// This state without the keys `other` has.
    func excluding(_ other: SinkState) -> SinkState {
        var result = self
        for key in other.owners.keys { result.owners[key] = nil }
        for key in other.balances.keys { result.balances[key] = nil }
        for key in other.rentals.keys { result.rentals[key] = nil }
        for key in other.provenance.keys { result.provenance[key] = nil }
        return result
    }

    /// Adds `other`'s keys and values.
    mutating func merge(_ other: SinkState) {
        owners.merge(other.owners) { _, new in new }
        balances.merge(other.balances) { _, new in new }
        rentals.merge(other.rentals) { _, new in new }
        provenance.merge(other.provenance) { _, new in new }
    }
}
