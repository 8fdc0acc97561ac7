internal import AssetIndex
internal import EthPrimitives
internal import EthTypes
internal import Ingest
internal import NIOCore
internal import PostgresNIO
internal import Store

extension PostgresSink {
    /// What `check` compared, and every difference it found (at most `maxDifferences` are listed).
    public struct CheckReport: Sendable {
        public var block: UInt64?
        public var eventRows = 0, owners = 0, balances = 0, rentals = 0, provenance = 0
        public var differences: [String] = []
        /// Differences found past the listed ones.
        public var unlisted = 0
    }

    static let maxDifferences = 50

    /// Compares the sink's rows with the data directory (`provenant export --check`): the cursor with the indexed
    /// tip; `token_events` with the events of every stored block, read again by the index's rules, and their count
    /// with the index's event count; every owner, balance, rental and provenance row, and every key the events give
    /// one, with the index's own answer (`ownerOf`, `holdersOf`, `balanceOf`, `userOf`, `provenance`).
    public func check() async throws(SinkError) -> CheckReport {
        let connection = try await connect()
        defer { Task { try? await connection.close() } }
        let tables = SinkTables(schema: schema, connection: connection, logger: logger)
        let cursor = try await tables.register(name: settings.name, chainId: ingestor.spec.chainId, contracts: contracts).cursor
        let index = ingestor.index
        var report = CheckReport()
        func differ(_ text: String) {
            if report.differences.count < Self.maxDifferences { report.differences.append(text) } else { report.unlisted += 1 }
        }
        let tip = try wrapIndex { () throws(IndexError) in try index.cursor() }
        report.block = tip?.number
        if cursor?.number != tip?.number || cursor?.hash != tip?.hash {
            differ("the sink's cursor is \(cursor.map { "\($0.number) \($0.hash.hex)" } ?? "none"), the index's tip \(tip.map { "\($0.number) \($0.hash.hex)" } ?? "none")")
        }

        // Events: what the store's blocks hold, read again, against the rows.
        var expected: [EventRow] = []
        var reader = try wrapIndex { () throws(IndexError) in try index.eventReader() }
        let numbers = try wrapStore { () throws(StoreError) in try ingestor.blocks.numbersWithBodies(through: tip?.number ?? 0) }
        for number in tip == nil ? [] : numbers {
            let block: StoredBlock?
            do throws(IngestError) { block = try ingestor.storedBlock(number: number, senders: .watched) } catch { throw .store(error) }
            guard let block else { continue }
            for event in reader.events(of: block.indexed).events {
                expected += EventRow.rows(of: event, block: number, hash: block.header.hash, timestamp: block.header.timestamp)
            }
        }
        let actual = try await tables.events(above: nil, contracts: contracts)
        report.eventRows = actual.count
        var byPosition: [String: EventRow] = [:]
        for row in actual {
            let key = "\(row.block)/\(row.logIndex)/\(row.batchIndex)"
            if byPosition.updateValue(row, forKey: key) != nil { differ("token_events has block \(row.block) log \(row.logIndex) item \(row.batchIndex) twice") }
        }
        for row in expected {
            let key = "\(row.block)/\(row.logIndex)/\(row.batchIndex)"
            guard let found = byPosition.removeValue(forKey: key) else {
                differ("token_events lacks block \(row.block) log \(row.logIndex) item \(row.batchIndex) (\(row.kind.rawValue))")
                continue
            }
            if found != row { differ("token_events row of block \(row.block) log \(row.logIndex) item \(row.batchIndex) differs from the stored block's event") }
        }
        for row in byPosition.values.sorted(by: { $0.position < $1.position }) {
            differ("token_events has block \(row.block) log \(row.logIndex) item \(row.batchIndex) (\(row.kind.rawValue)), which no stored block holds")
        }
        let logs = Set(actual.map { "\($0.block)/\($0.logIndex)" }).count
        let events = try wrapIndex { () throws(IndexError) in try index.eventCount() }
        if UInt64(logs) != events { differ("token_events holds \(logs) events, the index counted \(events)") }

        // State: each row and each key the events touch, against the index's answers.
        var keys = SinkState()
        for row in expected { keys.apply(row) }
        let rows = try await tables.state(contracts: contracts)
        (report.owners, report.balances, report.rentals, report.provenance) = (rows.owners.count, rows.balances.count, rows.rentals.count, rows.provenance.count)
        let head: Header?
        do throws(IngestError) { head = try tip.flatMap { t throws(IngestError) in try ingestor.header(at: t.number) } } catch { throw .store(error) }
        let now = head?.timestamp ?? 0
        for key in Set(keys.owners.keys).union(rows.owners.keys) {
            let answer = try wrapIndex { () throws(IndexError) in try index.ownerOf(contract: key.contract, tokenId: key.tokenId) }
            var indexed: OwnerValue?
            if case .owned(let owner, let since)? = answer { indexed = OwnerValue(owner: owner, block: since) }
            let row = rows.owners[key] ?? nil
            if row != indexed { differ("owners \(key.contract.hex) #\(key.tokenId): row \(Self.show(row)), index \(Self.show(indexed))") }
        }
        for contract in contracts {
            var cursor: [UInt8]?
            repeat {
                let page = try wrapIndex { () throws(IndexError) in try index.tokens(contract: contract, cursor: cursor, limit: 1000) }
                for token in page.items where rows.owners[TokenKey(contract: contract, tokenId: token.tokenId)] == nil {
                    differ("owners lacks \(contract.hex) #\(token.tokenId), which the index says \(token.owner.hex) owns")
                }
                cursor = page.next
            } while cursor != nil
        }
        for key in Set(keys.balances.keys).union(rows.balances.keys) {
            let indexed = try wrapIndex { () throws(IndexError) in try index.balanceOf(contract: key.contract, holder: key.holder, tokenId: key.tokenId) }
            let row = rows.balances[key] ?? .zero
            if row != indexed {
                differ("balances \(key.contract.hex) \(key.tokenId.map { "#\($0)" } ?? "erc20") \(key.holder.hex): row \(row), index \(indexed)")
            }
        }
        for key in Set(keys.rentals.keys).union(rows.rentals.keys) {
            let answer = try wrapIndex { () throws(IndexError) in try index.userOf(contract: key.contract, tokenId: key.tokenId, timestamp: now) }
            let row = rows.rentals[key] ?? nil
            let rowActive = row.map { $0.user != .zero && $0.expires >= now } ?? false
            let same = row?.block == answer?.block && row?.expires == answer?.expires && rowActive == (answer?.active ?? false)
                && (rowActive ? row?.user : nil) == answer?.user
            if !same { differ("rentals \(key.contract.hex) #\(key.tokenId): row \(Self.show(row)), index \(Self.show(answer))") }
        }
        for key in Set(keys.provenance.keys).union(rows.provenance.keys) {
            let answer = try wrapIndex { () throws(IndexError) in try index.provenance(contract: key.contract, tokenId: key.tokenId) }
            var indexed = ProvenanceValue()
            if let mint = answer?.mint { (indexed.minter, indexed.mintBlock, indexed.mintTransaction) = (mint.minter, mint.block, mint.transactionHash) }
            let records = answer?.aigc ?? []
            indexed.aigcRecords = records.count
            if let last = records.last {
                indexed.latest = ProvenanceValue.AigcLatest(
                    promptHash: last.record.promptHash, aigcDataHash: last.record.aigcDataHash, prompt: last.record.prompt, aigcData: last.record.aigcData,
                    block: last.block, logIndex: last.logIndex, transactionHash: last.record.transactionHash)
            }
            let row = (rows.provenance[key] ?? nil) ?? ProvenanceValue()
            if row != indexed { differ("provenance \(key.contract.hex) #\(key.tokenId): row \(Self.show(row)), index \(Self.show(indexed))") }
        }
        return report
    }

    private static func show<T>(_ value: T?) -> String { value.map { String(describing: $0) } ?? "none" }
}

extension SinkTables {
    /// Every state row of these contracts.
    func state(contracts: [Address]) async throws(SinkError) -> SinkState {
        var state = SinkState()
        var binds = PostgresBindings()
        binds.append(contracts.map { Self.hex($0.bytes) })
        let ours = "contract IN (SELECT decode(c, 'hex') FROM unnest($1::text[]) AS c)"
        func address(_ text: String?) -> Address? { text.flatMap { try? Hex.decode($0) }.flatMap(Address.init(bytes:)) }
        for row in try await texts("SELECT '0x' || encode(contract, 'hex'), token_id::text, '0x' || encode(owner, 'hex'), block_number::text FROM \(schema.table("owners")) WHERE \(ours)", binds) {
            guard let c = address(row[0]), let id = row[1].flatMap(UInt256.init(decimal:)), let owner = address(row[2]), let block = row[3].flatMap({ UInt64($0) }) else {
                throw .conflict("an owners row does not read: \(row)")
            }
            state.owners[TokenKey(contract: c, tokenId: id)] = .some(OwnerValue(owner: owner, block: block))
        }
        for row in try await texts("SELECT '0x' || encode(contract, 'hex'), token_id::text, '0x' || encode(holder, 'hex'), balance::text FROM \(schema.table("balances")) WHERE \(ours)", binds) {
            let (key, balance) = try Self.balance(row)
            state.balances[key] = balance
        }
        for row in try await texts("SELECT '0x' || encode(contract, 'hex'), token_id::text, '0x' || encode(user_address, 'hex'), expires::text, block_number::text FROM \(schema.table("rentals")) WHERE \(ours)", binds) {
            guard let c = address(row[0]), let id = row[1].flatMap(UInt256.init(decimal:)), let user = address(row[2]), let expires = row[3].flatMap({ UInt64($0) }),
                  let block = row[4].flatMap({ UInt64($0) }) else {
                throw .conflict("a rentals row does not read: \(row)")
            }
            state.rentals[TokenKey(contract: c, tokenId: id)] = .some(RentalValue(user: user, expires: expires, block: block))
        }
        for row in try await texts("SELECT \(Self.provenanceSelect) FROM \(schema.table("provenance")) p WHERE p.\(ours)", binds) {
            let (key, value) = try Self.provenance(row)
            state.provenance[key] = .some(value)
        }
        return state
    }
}
