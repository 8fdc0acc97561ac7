internal import AssetIndex
internal import EthPrimitives
internal import Ingest
internal import NIOCore
internal import PostgresNIO
internal import Store

extension PostgresSink {
    /// What `export` wrote.
    public struct ExportSummary: Sendable {
        /// The last block exported (the store's indexed tip), nil for an empty store.
        public var block: UInt64?
        public var blocks: Int
        public var rows: Int
    }

    /// Backfills the schema from the data directory alone (`provenant export`): every stored block's rows by one
    /// `COPY`, the state tables computed from them in memory and copied after, and the sink's cursor at the store's
    /// tip, all in one transaction, so a node with the same sink continues from there. A sink that already has a
    /// cursor is refused unless `replace`, which deletes its rows in the same transaction.
    public func export(replace: Bool, progress: @escaping @Sendable (_ block: UInt64, _ tip: UInt64, _ rows: Int) -> Void = { _, _, _ in }) async throws(SinkError) -> ExportSummary {
        let connection = try await connect()
        defer { Task { try? await connection.close() } }
        let tables = SinkTables(schema: schema, connection: connection, logger: logger)
        let registered = try await tables.register(name: settings.name, chainId: ingestor.spec.chainId, contracts: contracts).cursor
        if let registered, !replace {
            throw .conflict("sink \"\(settings.name)\" in schema \"\(settings.schema)\" already holds blocks up to \(registered.number); a node with this sink continues it, --replace starts it over")
        }
        guard let tip = try wrapIndex({ () throws(IndexError) in try ingestor.index.cursor() }) else {
            return ExportSummary(block: nil, blocks: 0, rows: 0)
        }
        let numbers = try wrapStore { () throws(StoreError) in try ingestor.blocks.numbersWithBodies(through: tip.number) }
        let reader = try wrapIndex { () throws(IndexError) in try ingestor.index.eventReader() }
        let (logger, schema, contracts, name) = (logger, schema, contracts, settings.name)
        // A backfill takes as long as it takes; only a closed connection ends it early.
        let rows = try await ConnectionGuard(connection).run(timeout: .seconds(7 * 24 * 3600)) { [self] in
            try await connection.withTransaction(logger: logger) { connection in
                let tables = SinkTables(schema: schema, connection: connection, logger: logger)
                try await tables.lockCursor(name: name, expected: registered)
                if replace { try await tables.deleteAll(contracts: contracts) }
                var state = SinkState()
                var reader = reader
                var rows = 0
                try await connection.copyFrom(table: "token_events", columns: SinkSchema.eventColumns, logger: logger) { writer in
                    var text = CopyText(capacity: 1 << 20)
                    var reported = ContinuousClock.now
                    for number in numbers {
                        let block: StoredBlock?
                        do throws(IngestError) { block = try ingestor.storedBlock(number: number, senders: .watched) } catch { throw SinkError.store(error) }
                        guard let block else { continue }
                        for event in reader.events(of: block.indexed).events {
                            for row in EventRow.rows(of: event, block: number, hash: block.header.hash, timestamp: block.header.timestamp) {
                                SinkTables.write(row, to: &text)
                                state.apply(row)
                                rows += 1
                            }
                        }
                        if text.buffer.readableBytes >= 1 << 20 {
                            try await writer.write(text.buffer)
                            text = CopyText(capacity: 1 << 20)
                        }
                        if ContinuousClock.now - reported > .seconds(2) {
                            progress(number, tip.number, rows)
                            reported = .now
                        }
                    }
                    if text.buffer.readableBytes > 0 { try await writer.write(text.buffer) }
                }
                try await tables.copyState(state)
                try await tables.setCursor(name: name, number: tip.number, hash: tip.hash)
                return rows
            }
        }
        progress(tip.number, tip.number, rows)
        return ExportSummary(block: tip.number, blocks: numbers.count, rows: rows)
    }
}

extension SinkTables {
    /// Deletes every row of these contracts from the event and state tables.
    func deleteAll(contracts: [Address]) async throws(SinkError) {
        for table in ["token_events", "owners", "balances", "rentals", "provenance"] {
            var binds = PostgresBindings()
            binds.append(contracts.map { Self.hex($0.bytes) })
            try await run("DELETE FROM \(schema.table(table)) WHERE contract IN (SELECT decode(c, 'hex') FROM unnest($1::text[]) AS c)", binds)
        }
    }
}
