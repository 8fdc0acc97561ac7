internal import EthPrimitives
internal import Logging
internal import NIOCore
internal import PostgresNIO
internal import TokenEvents

/// The statements the sink runs on one connection, over the tables of `SinkSchema`. Keys go to the server as
/// arrays of hex and decimal text (`unnest`), rows as COPY text; everything read back is text.
struct SinkTables {
    let schema: SinkSchema
    let connection: PostgresConnection
    let logger: Logger

    /// The sink's row of `sinks`.
    struct Registration {
        var cursor: (number: UInt64, hash: Hash32)?
    }

    func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws(SinkError) {
        do { try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) } catch { throw SinkError.database(error) }
    }

    /// Every row of a query whose columns are all text (nil for NULL).
    func texts(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws(SinkError) -> [[String?]] {
        do {
            var rows: [[String?]] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                rows.append(try row.makeRandomAccess().map { try $0.decode(String?.self) })
            }
            return rows
        } catch {
            throw SinkError.database(error)
        }
    }

    /// COPYs `text` into `table` of the schema (PostgresNIO quotes the name it is given whole, so the schema comes
    /// from the connection's `search_path`, which `register` sets).
    func copy(_ table: String, columns: [String], _ text: CopyText) async throws(SinkError) {
        guard text.buffer.readableBytes > 0 else { return }
        do {
            try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                try await writer.write(text.buffer)
            }
        } catch {
            throw SinkError.database(error)
        }
    }

    /// Creates the schema's tables if missing, and registers this sink (or finds its row): a row of another layout,
    /// chain or set of contracts is a conflict.
    func register(name: String, chainId: UInt64, contracts: [Address]) async throws(SinkError) -> Registration {
        for statement in schema.create { try await run(statement) }
        try await run("SET search_path TO \"\(schema.name)\"")
        let listed = contracts.map { Hex.encode($0.bytes) }.sorted()
        var binds = PostgresBindings()
        binds.append(name)
        let rows = try await texts(
            "SELECT layout::text, chain_id::text, array_to_string(contracts, ','), block_number::text, '0x' || encode(block_hash, 'hex') FROM \(schema.table("sinks")) WHERE name = $1",
            binds)
        guard let row = rows.first else {
            var insert = PostgresBindings()
            insert.append(name)
            insert.append(SinkSchema.layout)
            insert.append(String(chainId))
            insert.append(listed)
            try await run("INSERT INTO \(schema.table("sinks")) (name, layout, chain_id, contracts) VALUES ($1, $2, $3::numeric, $4)", insert)
            return Registration(cursor: nil)
        }
        guard row[0] == String(SinkSchema.layout) else {
            throw .conflict("schema \"\(schema.name)\" holds layout \(row[0] ?? "?"), this build writes layout \(SinkSchema.layout): export into a new schema")
        }
        guard row[1] == String(chainId) else {
            throw .conflict("sink \"\(name)\" in schema \"\(schema.name)\" holds chain \(row[1] ?? "?"), this node is on chain \(chainId)")
        }
        guard row[2] == listed.joined(separator: ",") else {
            throw .conflict("sink \"\(name)\" in schema \"\(schema.name)\" is written by a node watching \(row[2] ?? "nothing"); give this node's sink another name (sinks[].postgres.name)")
        }
        return Registration(cursor: try Self.cursor(number: row[3], hash: row[4]))
    }

    static func cursor(number: String?, hash: String?) throws(SinkError) -> (number: UInt64, hash: Hash32)? {
        guard let number, let hash else { return nil }
        guard let n = UInt64(number), let h = try? Hash32(hex: hash) else { throw .conflict("the sink's cursor (\(number), \(hash)) does not read") }
        return (n, h)
    }

    /// Takes the sink's row for this transaction and checks it still holds `expected`: a second process writing the
    /// same sink is refused instead of interleaved.
    func lockCursor(name: String, expected: (number: UInt64, hash: Hash32)?) async throws(SinkError) {
        var binds = PostgresBindings()
        binds.append(name)
        let rows = try await texts(
            "SELECT block_number::text, '0x' || encode(block_hash, 'hex') FROM \(schema.table("sinks")) WHERE name = $1 FOR UPDATE", binds)
        guard let row = rows.first else { throw .conflict("the sink \"\(name)\" was removed from \(schema.table("sinks"))") }
        let stored = try Self.cursor(number: row[0], hash: row[1])
        guard stored?.number == expected?.number, stored?.hash == expected?.hash else {
            throw .conflict("the sink \"\(name)\" moved to block \(stored.map { String($0.number) } ?? "none") under this writer: is another node writing it?")
        }
    }

    func setCursor(name: String, number: UInt64, hash: Hash32) async throws(SinkError) {
        var binds = PostgresBindings()
        binds.append(Int64(number))
        binds.append(ByteBuffer(bytes: hash.bytes))
        binds.append(name)
        try await run("UPDATE \(schema.table("sinks")) SET block_number = $1, block_hash = $2, updated_at = now() WHERE name = $3", binds)
    }

    // MARK: Events

    static func hex(_ bytes: some Sequence<UInt8>) -> String { String(Hex.encode(bytes).dropFirst(2)) }

    func copyEvents(_ rows: [EventRow]) async throws(SinkError) {
        guard !rows.isEmpty else { return }
        var text = CopyText(capacity: rows.count * 400)
        for row in rows { Self.write(row, to: &text) }
        try await copy("token_events", columns: SinkSchema.eventColumns, text)
    }

    static func write(_ row: EventRow, to text: inout CopyText) {
        text.number(row.block)
        text.bytes(row.blockHash.bytes)
        text.number(row.timestamp)
        text.bytes(row.transactionHash.bytes)
        text.number(row.transactionIndex)
        text.number(row.logIndex)
        text.number(row.batchIndex)
        text.bytes(row.contract.bytes)
        text.plain(row.kind.rawValue)
        text.plain(row.change)
        text.plain(row.tokenId?.description)
        text.bytes(row.operator?.bytes)
        text.bytes(row.from?.bytes)
        text.bytes(row.to?.bytes)
        text.plain(row.value?.description)
        text.bytes(row.user?.bytes)
        text.number(row.expires)
        text.bytes(row.promptHash?.bytes)
        text.bytes(row.aigcDataHash?.bytes)
        text.bytes(row.proof)
        text.bytes(row.prompt)
        text.bytes(row.aigcData)
        text.bytes(row.sender?.bytes)
        text.endRow()
    }

    /// The columns of `token_events` as text, in `eventColumns` order, for `eventRow(_:)`.
    private var eventSelect: String {
        SinkSchema.eventColumns.map { column in
            ["event", "change"].contains(column) ? "e.\(column)"
                : ["block_hash", "transaction_hash", "contract", "operator", "from_address", "to_address", "user_address", "prompt_hash",
                   "aigc_data_hash", "proof", "prompt", "aigc_data", "sender"].contains(column) ? "'0x' || encode(e.\(column), 'hex')"
                : "e.\(column)::text"
        }.joined(separator: ", ")
    }

    static func eventRow(_ c: [String?]) throws(SinkError) -> EventRow {
        func bad(_ column: Int) -> SinkError { .conflict("a token_events row holds \(SinkSchema.eventColumns[column]) = \(c[column] ?? "NULL")") }
        func number<T: FixedWidthInteger>(_ i: Int) throws(SinkError) -> T { guard let text = c[i], let v = T(text) else { throw bad(i) }; return v }
        func optionalNumber<T: FixedWidthInteger>(_ i: Int) throws(SinkError) -> T? { c[i] == nil ? nil : try number(i) as T }
        func bytes(_ i: Int) throws(SinkError) -> [UInt8]? { guard let text = c[i] else { return nil }; guard let b = try? Hex.decode(text) else { throw bad(i) }; return b }
        func address(_ i: Int) throws(SinkError) -> Address? { guard let b = try bytes(i) else { return nil }; guard let a = Address(bytes: b) else { throw bad(i) }; return a }
        func hash(_ i: Int) throws(SinkError) -> Hash32? { guard let b = try bytes(i) else { return nil }; guard let h = Hash32(bytes: b) else { throw bad(i) }; return h }
        func word(_ i: Int) throws(SinkError) -> UInt256? { guard let text = c[i] else { return nil }; guard let v = UInt256(decimal: text) else { throw bad(i) }; return v }
        guard c.count == SinkSchema.eventColumns.count else { throw .conflict("a token_events row has \(c.count) columns") }
        guard let blockHash = try hash(1) else { throw bad(1) }
        guard let transactionHash = try hash(3) else { throw bad(3) }
        guard let contract = try address(7) else { throw bad(7) }
        guard let kind = c[8].flatMap(EventRow.Kind.init(rawValue:)) else { throw bad(8) }
        var row = EventRow(block: try number(0), blockHash: blockHash, timestamp: try number(2), transactionHash: transactionHash,
                           transactionIndex: try number(4), logIndex: try number(5), batchIndex: try number(6), contract: contract, kind: kind)
        row.tokenId = try word(10)
        row.operator = try address(11)
        row.from = try address(12)
        row.to = try address(13)
        row.value = try word(14)
        row.user = try address(15)
        row.expires = try optionalNumber(16)
        row.promptHash = try hash(17)
        row.aigcDataHash = try hash(18)
        row.proof = try bytes(19)
        row.prompt = try bytes(20)
        row.aigcData = try bytes(21)
        row.sender = try address(22)
        return row
    }

    /// The sink's rows above `block` (all of them for nil), in chain order.
    func events(above block: UInt64?, contracts: [Address]) async throws(SinkError) -> [EventRow] {
        var binds = PostgresBindings()
        binds.append(Int64(block.map { Int64($0) } ?? -1))
        binds.append(contracts.map { Self.hex($0.bytes) })
        let rows = try await texts(
            """
            SELECT \(eventSelect) FROM \(schema.table("token_events")) e
            WHERE e.block_number > $1 AND e.contract IN (SELECT decode(c, 'hex') FROM unnest($2::text[]) AS c)
            ORDER BY e.block_number, e.log_index, e.batch_index
            """, binds)
        var events: [EventRow] = []
        for row in rows { events.append(try Self.eventRow(row)) }
        return events
    }

    func deleteEvents(above block: UInt64?, contracts: [Address]) async throws(SinkError) {
        var binds = PostgresBindings()
        binds.append(Int64(block.map { Int64($0) } ?? -1))
        binds.append(contracts.map { Self.hex($0.bytes) })
        try await run(
            "DELETE FROM \(schema.table("token_events")) WHERE block_number > $1 AND contract IN (SELECT decode(c, 'hex') FROM unnest($2::text[]) AS c)",
            binds)
    }

    /// Every remaining row that decides a state value of `keys`: all rows of their tokens, and the ERC-20 transfers
    /// of their ERC-20 holders, in chain order.
    func events(deciding keys: SinkState) async throws(SinkError) -> [EventRow] {
        var tokens = Set<TokenKey>()
        tokens.formUnion(keys.owners.keys)
        tokens.formUnion(keys.rentals.keys)
        tokens.formUnion(keys.provenance.keys)
        var holders: [(contract: Address, holder: Address)] = []
        for key in keys.balances.keys {
            if let id = key.tokenId { tokens.insert(TokenKey(contract: key.contract, tokenId: id)) } else { holders.append((key.contract, key.holder)) }
        }
        var binds = PostgresBindings()
        binds.append(tokens.map { Self.hex($0.contract.bytes) })
        binds.append(tokens.map { $0.tokenId.description })
        binds.append(holders.map { Self.hex($0.contract.bytes) })
        binds.append(holders.map { Self.hex($0.holder.bytes) })
        let rows = try await texts(
            """
            SELECT \(eventSelect) FROM \(schema.table("token_events")) e
            JOIN unnest($1::text[], $2::text[]) AS k(c, t) ON e.contract = decode(k.c, 'hex') AND e.token_id = k.t::numeric
            UNION
            SELECT \(eventSelect) FROM \(schema.table("token_events")) e
            JOIN unnest($3::text[], $4::text[]) AS k(c, h) ON e.contract = decode(k.c, 'hex') AND e.event = 'erc20_transfer'
              AND (e.from_address = decode(k.h, 'hex') OR e.to_address = decode(k.h, 'hex'))
            """, binds)
        var events: [EventRow] = []
        for row in rows { events.append(try Self.eventRow(row)) }
        return events.sorted { $0.position < $1.position }
    }

    /// The standards each contract's rows show, up to `block` inclusive: what the index had detected by then.
    func standards(through block: UInt64?, contracts: [Address]) async throws(SinkError) -> [Address: Standards] {
        guard let block else { return [:] }
        var binds = PostgresBindings()
        binds.append(Int64(block))
        binds.append(contracts.map { Self.hex($0.bytes) })
        let rows = try await texts(
            """
            SELECT DISTINCT '0x' || encode(contract, 'hex'), event FROM \(schema.table("token_events"))
            WHERE block_number <= $1 AND contract IN (SELECT decode(c, 'hex') FROM unnest($2::text[]) AS c)
            """, binds)
        var known: [Address: Standards] = [:]
        for row in rows {
            guard let text = row[0], let bytes = try? Hex.decode(text), let contract = Address(bytes: bytes),
                  let kind = row[1].flatMap(EventRow.Kind.init(rawValue:)) else { throw .conflict("token_events holds an event of unknown kind \(row[1] ?? "NULL")") }
            known[contract, default: []].formUnion(kind.standard)
        }
        return known
    }

    /// The highest of the sink's blocks with rows at or below `block`, with the hash each row was written under,
    /// newest first, at most `limit`.
    func eventBlocks(through block: UInt64, contracts: [Address], limit: Int) async throws(SinkError) -> [(number: UInt64, hash: Hash32)] {
        var binds = PostgresBindings()
        binds.append(Int64(block))
        binds.append(contracts.map { Self.hex($0.bytes) })
        binds.append(limit)
        let rows = try await texts(
            """
            SELECT DISTINCT block_number::text, '0x' || encode(block_hash, 'hex') FROM \(schema.table("token_events"))
            WHERE block_number <= $1 AND contract IN (SELECT decode(c, 'hex') FROM unnest($2::text[]) AS c)
            ORDER BY 1 DESC LIMIT $3
            """, binds)
        var blocks: [(number: UInt64, hash: Hash32)] = []
        for row in rows {
            guard let cursor = try Self.cursor(number: row[0], hash: row[1]) else { continue }
            blocks.append(cursor)
        }
        return blocks.sorted { $0.number > $1.number }
    }

    // MARK: State

    /// Fills the balances and provenance of `state`'s keys from their rows; owners and rentals need no reading,
    /// since a group's last event for a token decides them whole.
    func load(into state: inout SinkState) async throws(SinkError) {
        let ids = state.balances.keys.filter { $0.tokenId != nil }, shares = state.balances.keys.filter { $0.tokenId == nil }
        if !ids.isEmpty {
            var binds = PostgresBindings()
            binds.append(ids.map { Self.hex($0.contract.bytes) })
            binds.append(ids.map { $0.tokenId!.description })
            binds.append(ids.map { Self.hex($0.holder.bytes) })
            for row in try await texts(
                """
                SELECT '0x' || encode(b.contract, 'hex'), b.token_id::text, '0x' || encode(b.holder, 'hex'), b.balance::text FROM \(schema.table("balances")) b
                JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(c, t, h)
                  ON b.token_id IS NOT NULL AND b.contract = decode(k.c, 'hex') AND b.token_id = k.t::numeric AND b.holder = decode(k.h, 'hex')
                """, binds) {
                let (key, balance) = try Self.balance(row)
                state.balances[key] = balance
            }
        }
        if !shares.isEmpty {
            var binds = PostgresBindings()
            binds.append(shares.map { Self.hex($0.contract.bytes) })
            binds.append(shares.map { Self.hex($0.holder.bytes) })
            for row in try await texts(
                """
                SELECT '0x' || encode(b.contract, 'hex'), NULL, '0x' || encode(b.holder, 'hex'), b.balance::text FROM \(schema.table("balances")) b
                JOIN unnest($1::text[], $2::text[]) AS k(c, h) ON b.token_id IS NULL AND b.contract = decode(k.c, 'hex') AND b.holder = decode(k.h, 'hex')
                """, binds) {
                let (key, balance) = try Self.balance(row)
                state.balances[key] = balance
            }
        }
        let tokens = Array(state.provenance.keys)
        if !tokens.isEmpty {
            var binds = PostgresBindings()
            binds.append(tokens.map { Self.hex($0.contract.bytes) })
            binds.append(tokens.map { $0.tokenId.description })
            for row in try await texts(
                """
                SELECT \(Self.provenanceSelect) FROM \(schema.table("provenance")) p
                JOIN unnest($1::text[], $2::text[]) AS k(c, t) ON p.contract = decode(k.c, 'hex') AND p.token_id = k.t::numeric
                """, binds) {
                let (key, value) = try Self.provenance(row)
                state.provenance[key] = .some(value)
            }
        }
    }

    static func balance(_ row: [String?]) throws(SinkError) -> (BalanceKey, UInt256) {
        guard let c = row[0].flatMap({ try? Hex.decode($0) }).flatMap(Address.init(bytes:)),
              let h = row[2].flatMap({ try? Hex.decode($0) }).flatMap(Address.init(bytes:)),
              let balance = row[3].flatMap(UInt256.init(decimal:)) else { throw .conflict("a balances row does not read: \(row)") }
        let id: UInt256?
        if let text = row[1] {
            guard let value = UInt256(decimal: text) else { throw .conflict("a balances row's token_id does not read: \(text)") }
            id = value
        } else {
            id = nil
        }
        return (BalanceKey(contract: c, tokenId: id, holder: h), balance)
    }

    /// The columns of `provenance` (as `p`) as text, for `provenance(_:)`.
    static let provenanceSelect = """
        '0x' || encode(p.contract, 'hex'), p.token_id::text, '0x' || encode(p.minter, 'hex'), p.mint_block::text,
        '0x' || encode(p.mint_transaction, 'hex'), p.aigc_records::text, '0x' || encode(p.prompt_hash, 'hex'),
        '0x' || encode(p.aigc_data_hash, 'hex'), '0x' || encode(p.prompt, 'hex'), '0x' || encode(p.aigc_data, 'hex'),
        p.aigc_block::text, p.aigc_log_index::text, '0x' || encode(p.aigc_transaction, 'hex')
        """

    static func provenance(_ row: [String?]) throws(SinkError) -> (TokenKey, ProvenanceValue) {
        func bytes(_ i: Int) -> [UInt8]? { row[i].flatMap { try? Hex.decode($0) } }
        guard let c = bytes(0).flatMap(Address.init(bytes:)), let id = row[1].flatMap(UInt256.init(decimal:)),
              let records = row[5].flatMap({ Int($0) }) else { throw .conflict("a provenance row does not read: \(row)") }
        var value = ProvenanceValue()
        value.minter = bytes(2).flatMap(Address.init(bytes:))
        value.mintBlock = row[3].flatMap { UInt64($0) }
        value.mintTransaction = bytes(4).flatMap(Hash32.init(bytes:))
        value.aigcRecords = records
        if let promptHash = bytes(6).flatMap(Hash32.init(bytes:)), let dataHash = bytes(7).flatMap(Hash32.init(bytes:)),
           let block = row[10].flatMap({ UInt64($0) }), let log = row[11].flatMap({ UInt32($0) }), let tx = bytes(12).flatMap(Hash32.init(bytes:)) {
            value.latest = ProvenanceValue.AigcLatest(promptHash: promptHash, aigcDataHash: dataHash, prompt: bytes(8), aigcData: bytes(9),
                                                      block: block, logIndex: log, transactionHash: tx)
        }
        return (TokenKey(contract: c, tokenId: id), value)
    }

    /// Replaces the rows of `state`'s keys with its values: deletes every key, then copies the ones that have a row.
    func write(_ state: SinkState) async throws(SinkError) {
        try await delete(tokens: Array(state.owners.keys), from: "owners")
        try await delete(tokens: Array(state.rentals.keys), from: "rentals")
        try await delete(tokens: Array(state.provenance.keys), from: "provenance")
        let ids = state.balances.keys.filter { $0.tokenId != nil }, shares = state.balances.keys.filter { $0.tokenId == nil }
        if !ids.isEmpty {
            var binds = PostgresBindings()
            binds.append(ids.map { Self.hex($0.contract.bytes) })
            binds.append(ids.map { $0.tokenId!.description })
            binds.append(ids.map { Self.hex($0.holder.bytes) })
            try await run(
                """
                DELETE FROM \(schema.table("balances")) b USING unnest($1::text[], $2::text[], $3::text[]) AS k(c, t, h)
                WHERE b.token_id IS NOT NULL AND b.contract = decode(k.c, 'hex') AND b.token_id = k.t::numeric AND b.holder = decode(k.h, 'hex')
                """, binds)
        }
        if !shares.isEmpty {
            var binds = PostgresBindings()
            binds.append(shares.map { Self.hex($0.contract.bytes) })
            binds.append(shares.map { Self.hex($0.holder.bytes) })
            try await run(
                """
                DELETE FROM \(schema.table("balances")) b USING unnest($1::text[], $2::text[]) AS k(c, h)
                WHERE b.token_id IS NULL AND b.contract = decode(k.c, 'hex') AND b.holder = decode(k.h, 'hex')
                """, binds)
        }
        try await copyState(state)
    }

    /// Copies `state`'s values into the state tables (for keys that have no row now).
    func copyState(_ state: SinkState) async throws(SinkError) {
        var owners = CopyText()
        for (key, value) in state.owners {
            guard let value else { continue }
            owners.bytes(key.contract.bytes); owners.plain(key.tokenId.description); owners.bytes(value.owner.bytes); owners.number(value.block)
            owners.endRow()
        }
        try await copy("owners", columns: SinkSchema.ownerColumns, owners)
        var balances = CopyText()
        for (key, balance) in state.balances where !balance.isZero {
            balances.bytes(key.contract.bytes); balances.plain(key.tokenId == nil ? "erc20" : "erc1155"); balances.plain(key.tokenId?.description)
            balances.bytes(key.holder.bytes); balances.plain(balance.description)
            balances.endRow()
        }
        try await copy("balances", columns: SinkSchema.balanceColumns, balances)
        var rentals = CopyText()
        for (key, value) in state.rentals {
            guard let value else { continue }
            rentals.bytes(key.contract.bytes); rentals.plain(key.tokenId.description); rentals.bytes(value.user.bytes); rentals.number(value.expires)
            rentals.number(value.block)
            rentals.endRow()
        }
        try await copy("rentals", columns: SinkSchema.rentalColumns, rentals)
        var provenance = CopyText()
        for (key, value) in state.provenance {
            guard let value, value.minter != nil || value.aigcRecords > 0 else { continue }
            provenance.bytes(key.contract.bytes); provenance.plain(key.tokenId.description); provenance.bytes(value.minter?.bytes)
            provenance.number(value.mintBlock); provenance.bytes(value.mintTransaction?.bytes); provenance.number(value.aigcRecords)
            let latest = value.latest
            provenance.bytes(latest?.promptHash.bytes); provenance.bytes(latest?.aigcDataHash.bytes); provenance.bytes(latest?.prompt)
            provenance.bytes(latest?.aigcData); provenance.number(latest?.block); provenance.number(latest?.logIndex)
            provenance.bytes(latest?.transactionHash.bytes)
            provenance.endRow()
        }
        try await copy("provenance", columns: SinkSchema.provenanceColumns, provenance)
    }

    private func delete(tokens: [TokenKey], from table: String) async throws(SinkError) {
        guard !tokens.isEmpty else { return }
        var binds = PostgresBindings()
        binds.append(tokens.map { Self.hex($0.contract.bytes) })
        binds.append(tokens.map { $0.tokenId.description })
        try await run(
            """
            DELETE FROM \(schema.table(table)) x USING unnest($1::text[], $2::text[]) AS k(c, t)
            WHERE x.contract = decode(k.c, 'hex') AND x.token_id = k.t::numeric
            """, binds)
    }
}
