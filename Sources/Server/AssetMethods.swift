public import AssetIndex
public import EthRPC
public import EthPrimitives
internal import EthCrypto
public import EthTypes
internal import ProofVerify
public import Proofs
internal import TokenEvents
internal import Store
internal import Synchronization
internal import Dispatch

/// The ceilings of one call's work, each past which the call is answered -32005 naming it, before the work is
/// done: a small request cannot make the server read or build without end (beside `RPCLimits`, the transport's).
public struct QueryLimits: Sendable {
    /// Most logs one `eth_getLogs` call returns.
    public var logs = 10_000
    /// Most block bodies one `eth_getLogs` call decompresses (the blocks where a named contract logged a named event).
    public var logBlocks = 2_000
    /// Most index rows one `eth_getLogs` call reads to find those blocks (a row per block where a named contract
    /// logged any indexed event).
    public var logIndexRows = 1_000_000
    /// Most headers in a bundle `asset_proof` builds: about 1.2 KB each as hex, so a bundle stays under
    /// `RPCLimits.maxResponseBytes`. `provenant proof` writes files up to `ProofBundle.maxHeaders`.
    public var proofHeaders = 16_384
    /// Most records of one token that `asset_provenance` and `asset_proof` read; `asset_history` pages through any.
    public var tokenRecords = 10_000

    public init() {}
}

/// The query methods of ARCHITECTURE.md §5 over an index, as JSON-RPC handlers. Every answer comes from the verified
/// store; nothing here writes.
public struct AssetMethods: Sendable {
    public let index: AssetIndex
    public let chainId: UInt64
    /// The contracts whose logs are indexed: `eth_getLogs` answers for these only.
    public let watched: Set<Address>
    /// The first block indexed for each watched contract (0 when absent): `eth_getLogs` answers from there on.
    public let startBlocks: [Address: UInt64]
    /// The trusted checkpoint the indexed chain descends from.
    public let checkpoint: Chainspec.Checkpoint?
    public let clientVersion: String
    /// The node's sync, when it syncs (`provenant run`); nil when only serving a data directory.
    public let sync: (@Sendable () -> SyncReport)?
    /// The last head read, with its timestamp; valid while the cursor names the same block.
    let headCache = HeadCache()

    final class HeadCache: Sendable {
        let value = Mutex<(number: UInt64, hash: Hash32, timestamp: UInt64)?>(nil)
    }

    /// The ceilings of one call's work.
    public let limits: QueryLimits
    /// Where `asset_proof` gets state proofs for `{"present": "state" | "auto"}`: the node's upstreams when it syncs;
    /// nil when only serving a data directory.
    public let stateSource: (any StateSource)?

    public init(index: AssetIndex, chainId: UInt64, watched: Set<Address>, startBlocks: [Address: UInt64] = [:], checkpoint: Chainspec.Checkpoint? = nil,
                clientVersion: String = "provenant/0.1", sync: (@Sendable () -> SyncReport)? = nil, limits: QueryLimits = QueryLimits(),
                stateSource: (any StateSource)? = nil) {
        self.stateSource = stateSource
        self.sync = sync
        self.limits = limits
        self.index = index
        self.chainId = chainId
        self.watched = watched
        self.startBlocks = startBlocks
        self.checkpoint = checkpoint
        self.clientVersion = clientVersion
    }

    /// A dispatcher with every method registered.
    public func dispatcher() -> Dispatcher {
        var d = Dispatcher()
        d.register("asset_ownerOf") { p throws(RPCError) in try ownerOf(p) }
        d.register("asset_balanceOf") { p throws(RPCError) in try balanceOf(p) }
        d.register("asset_tokensOf") { p throws(RPCError) in try tokensOf(p) }
        d.register("asset_holdersOf") { p throws(RPCError) in try holdersOf(p) }
        d.register("asset_userOf") { p throws(RPCError) in try userOf(p) }
        d.register("asset_history") { p throws(RPCError) in try history(p) }
        d.register("asset_provenance", cost: .heavy) { p throws(RPCError) in try provenance(p) }
        d.register("asset_proof", cost: .heavy) { p throws(RPCError) in try proof(p) }
        d.register("eth_getLogs", cost: .heavy) { p throws(RPCError) in try getLogs(p) }
        d.register("eth_getBlockByNumber", cost: .heavy) { p throws(RPCError) in try getBlock(p, byHash: false) }
        d.register("eth_getBlockByHash", cost: .heavy) { p throws(RPCError) in try getBlock(p, byHash: true) }
        d.register("asset_status") { p throws(RPCError) in try status(p) }
        d.register("eth_chainId") { p throws(RPCError) in
            _ = try Params(p, names: [], required: 0)
            return .quantity(chainId)
        }
        d.register("net_version") { p throws(RPCError) in
            _ = try Params(p, names: [], required: 0)
            return .string(String(chainId))
        }
        d.register("web3_clientVersion") { p throws(RPCError) in
            _ = try Params(p, names: [], required: 0)
            return .string(clientVersion)
        }
        d.register("eth_blockNumber") { p throws(RPCError) in
            _ = try Params(p, names: [], required: 0)
            return .quantity(try head().number)
        }
        return d
    }

    // MARK: Helpers

    func run<T>(_ body: () throws(IndexError) -> T) throws(RPCError) -> T {
        do throws(IndexError) { return try body() } catch {
            // `data` says what failed underneath, for the report a user files.
            throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("index: \(error)"))
        }
    }

    /// The indexed head: number, hash and timestamp.
    func head() throws(RPCError) -> (number: UInt64, hash: Hash32, timestamp: UInt64) {
        // A reorg may revert the block between the cursor's read and its header's: then the cursor is read again.
        for _ in 0..<Self.headReads {
            guard let cursor = try run({ () throws(IndexError) in try index.cursor() }) else { throw .notFound("nothing is indexed yet") }
            if let cached = headCache.value.withLock({ $0 }), cached.number == cursor.number, cached.hash == cursor.hash { return cached }
            // Decoding the head's header (and hashing it) for every request would cost more than most answers.
            guard let header = try header(cursor.number), header.hash == cursor.hash else { continue }
            let head = (cursor.number, cursor.hash, header.timestamp)
            headCache.value.withLock { $0 = head }
            return head
        }
        throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("store: the indexed head has no stored header"))
    }

    /// Reads of the cursor and its header before a missing header is taken for damage rather than a reorg's race.
    static let headReads = 4

    /// The stored header of a block; nil when none is stored. A stored header that does not decode, or whose hash
    /// the store does not map back to its number, is damaged: an internal error naming the block, never an answer.
    func header(_ number: UInt64) throws(RPCError) -> Header? {
        guard let bytes = try blocks({ store throws(StoreError) in try store.header(number: number) }) else { return nil }
        let damaged = { (what: String) in
            RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("store: the stored header of block \(number) \(what)"))
        }
        let header: Header
        do throws(HeaderError) { header = try Header(rlp: bytes) } catch { throw damaged("does not decode: \(error)") }
        guard header.number == number else { throw damaged("is numbered \(header.number)") }
        // No mapping at all: a reorg reverted the block since its header was read.
        guard let mapped = try blocks({ store throws(StoreError) in try store.number(ofHash: header.hash) }) else { return nil }
        guard mapped == number else { throw damaged("hashes to \(header.hash.hex), which the store maps to block \(mapped)") }
        return header
    }

    /// The stored header of a block the index has reached: its absence is damage too.
    func storedHeader(_ number: UInt64) throws(RPCError) -> Header {
        guard let header = try header(number) else {
            throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("store: block \(number) has no stored header"))
        }
        return header
    }

    /// The block a query is evaluated at: the requested one (not beyond the head) or the head.
    func evaluationBlock(_ requested: UInt64?, parameter: String) throws(RPCError) -> (number: UInt64, hash: Hash32) {
        let tip = try head()
        guard let requested else { return (tip.number, tip.hash) }
        guard requested <= tip.number else { throw .notFound("\(parameter): block \(requested) is beyond the indexed head \(tip.number)") }
        if let header = try header(requested) { return (requested, header.hash) }
        // Reverted since the head was read, or missing from the store.
        let now = try head()
        guard requested <= now.number else { throw .notFound("\(parameter): block \(requested) is beyond the indexed head \(now.number)") }
        return (requested, try storedHeader(requested).hash)
    }

    static func standardName(_ s: Standards) -> JSONValue {
        var names: [String] = []
        if s.contains(.erc721) { names.append("erc721") }
        if s.contains(.erc1155) { names.append("erc1155") }
        if s.contains(.erc20) { names.append("erc20") }
        if s.contains(.erc4907) { names.append("erc4907") }
        if s.contains(.erc7007) { names.append("erc7007") }
        if s.contains(.erc4906) { names.append("erc4906") }
        return names.count == 1 ? .string(names[0]) : .array(names.map { .string($0) })
    }

    static func address(_ a: Address?) -> JSONValue { a.map { .string($0.hex) } ?? .null }
    static func next(_ cursor: [UInt8]?) -> JSONValue { cursor.map { .data($0) } ?? .null }

    // MARK: Methods

    func ownerOf(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "tokenId", "block"], required: 2)
        let contract = try p.address(0), tokenId = try p.uint256(1)
        let at = try evaluationBlock(try p.block(2), parameter: "block")
        guard let ownership = try run({ () throws(IndexError) in try index.ownerOf(contract: contract, tokenId: tokenId, atBlock: at.number) }) else {
            throw .notFound("token \(tokenId.quantity) of \(contract.hex) did not exist up to block \(at.number)")
        }
        let owner: Address?
        if case .owned(let by, _) = ownership { owner = by } else { owner = nil }
        return ["owner": Self.address(owner), "block": .quantity(at.number), "blockHash": .string(at.hash.hex)]
    }

    func balanceOf(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "holder", "tokenId", "block"], required: 2)
        let contract = try p.address(0), holder = try p.address(1)
        let tokenId = p.optional(2) == nil ? nil : try p.uint256(2)
        let tip = try head()
        if let requested = try p.block(3), requested != tip.number {
            // Balances are kept for the indexed head only; ownership has full history (asset_ownerOf).
            throw .notFound("block: balances are indexed at the head (\(tip.number)) only, not at block \(requested)")
        }
        let balance = try run { () throws(IndexError) in try index.balanceOf(contract: contract, holder: holder, tokenId: tokenId) }
        return ["balance": .quantity(balance), "block": .quantity(tip.number)]
    }

    func tokensOf(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["holder", "options"], required: 1)
        let holder = try p.address(0)
        let options = try p.options(1, allowed: ["contract", "cursor", "limit"])
        var contract: Address?
        if let value = options["contract"], value != .null {
            contract = try Params([value], names: ["options.contract"], required: 1).address(0)
        }
        let limit = try Params.limit(options, parameter: "options"), cursor = try Params.cursor(options, parameter: "options")
        let page = try run { () throws(IndexError) in try index.tokensOf(holder: holder, contract: contract, cursor: cursor, limit: limit) }
        let tokens: [JSONValue] = page.items.map {
            ["contract": .string($0.contract.hex), "tokenId": .string($0.tokenId.quantity), "standard": Self.standardName($0.standard), "balance": .string($0.balance.quantity)]
        }
        return ["tokens": .array(tokens), "next": Self.next(page.next)]
    }

    func holdersOf(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "tokenId", "options"], required: 1)
        let contract = try p.address(0)
        let tokenId = p.optional(1) == nil ? nil : try p.uint256(1)
        let options = try p.options(2, allowed: ["cursor", "limit"])
        let limit = try Params.limit(options, parameter: "options"), cursor = try Params.cursor(options, parameter: "options")
        let page = try run { () throws(IndexError) in try index.holdersOf(contract: contract, tokenId: tokenId, cursor: cursor, limit: limit) }
        let holders: [JSONValue] = page.items.map { ["holder": .string($0.holder.hex), "balance": .string($0.balance.quantity)] }
        return ["holders": .array(holders), "next": Self.next(page.next)]
    }

    func userOf(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "tokenId", "timestamp"], required: 2)
        let contract = try p.address(0), tokenId = try p.uint256(1)
        let tip = try head()
        let at = p.optional(2) == nil ? tip.timestamp : try p.uint64(2)
        let rental = try run { () throws(IndexError) in try index.userOf(contract: contract, tokenId: tokenId, timestamp: at, maxRecords: limits.tokenRecords) }
        return [
            "user": Self.address(rental?.user), "expires": rental.map { .quantity($0.expires) } ?? .null,
            "active": .bool(rental?.active ?? false), "evaluatedAt": .quantity(at),
            "block": .quantity(tip.number),
        ]
    }

    func history(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "tokenId", "options"], required: 2)
        let contract = try p.address(0), tokenId = try p.uint256(1)
        let options = try p.options(2, allowed: ["fromBlock", "toBlock", "cursor", "limit"])
        func block(_ key: String) throws(RPCError) -> UInt64? {
            guard let value = options[key], value != .null else { return nil }
            return try Params([value], names: ["options.\(key)"], required: 1).block(0)
        }
        let from = try block("fromBlock") ?? 0, to = try block("toBlock") ?? .max
        guard from <= to else { throw .invalidParams("options.fromBlock", "is after options.toBlock") }
        let limit = try Params.limit(options, parameter: "options"), cursor = try Params.cursor(options, parameter: "options")
        let page = try run { () throws(IndexError) in
            try index.history(contract: contract, tokenId: tokenId, fromBlock: from, toBlock: to, cursor: cursor, limit: limit)
        }
        var events: [JSONValue] = []
        // Several events often share a block: read and hash each block's header once.
        var blockHashes: [UInt64: Hash32] = [:]
        for entry in page.items {
            if blockHashes[entry.block] == nil {
                // A block a reorg reverted after the entries were read: its entries are no longer history.
                guard let header = try header(entry.block) else { continue }
                blockHashes[entry.block] = header.hash
            }
            let r = entry.record
            events.append([
                "kind": .string(r.kind.name), "from": Self.address(r.from), "to": Self.address(r.to),
                "operator": Self.address(r.operator), "user": Self.address(r.user),
                "expires": r.expires.map { .quantity($0) } ?? .null, "value": r.value.map { .string($0.quantity) } ?? .null,
                "blockNumber": .quantity(entry.block), "blockHash": .string(blockHashes[entry.block]!.hex),
                "timestamp": .quantity(r.timestamp), "transactionHash": .string(r.transactionHash.hex),
                "transactionIndex": .quantity(UInt64(r.transactionIndex)), "logIndex": .quantity(UInt64(entry.logIndex)),
            ])
        }
        return ["events": .array(events), "next": Self.next(page.next)]
    }

    func status(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        _ = try Params(raw, names: [], required: 0)
        let indexed: JSONValue
        if let cursor = try run({ () throws(IndexError) in try index.cursor() }) {
            indexed = ["number": .quantity(cursor.number), "hash": .string(cursor.hash.hex)]
        } else {
            indexed = .null
        }
        let events = try run { () throws(IndexError) in try index.eventCount() }
        let finalized = try blocks { store throws(StoreError) in try store.finalized() }
        var result: [String: JSONValue] = [
            "chainId": .quantity(chainId),
            "checkpoint": checkpoint.map { ["number": .quantity($0.number), "hash": .string($0.hash.hex)] } ?? .null,
            // Without sync, the verified head is the indexed block.
            "head": indexed, "indexed": indexed, "upstreams": [],
            "contracts": .array(watched.sorted().map { .string($0.hex) }), "events": .quantity(events),
            // The highest indexed block a quorum of upstreams reported finalized: never undone, anchors stop there.
            "finalized": finalized.map { ["number": .quantity($0.number), "hash": .string($0.hash.hex)] } ?? .null,
        ]
        if let report = sync?() {
            // The agreed head is known by number; its hash once the block is verified and stored.
            if let head = report.head {
                result["head"] = ["number": .quantity(head), "hash": try header(head).map { .string($0.hash.hex) } ?? .null]
            }
            result["upstreams"] = report.upstreamsJSON
            result["quorum"] = report.quorumJSON
            result["sync"] = report.json
            if !report.sinks.isEmpty { result["sinks"] = report.sinksJSON }
        }
        return .object(result)
    }

    /// A proof bundle (ARCHITECTURE.md §6) of the token's provenance and last ownership record, anchored at
    /// `options.anchor`: the indexed head by default, a block number, or `"nearest"` (the first multiple of
    /// `AnchorSet.defaultEvery` at or above the token's last event, as `provenant anchors export` lists them; with the
    /// present proven by state, the last multiple at or below the head). `options.present` says how the present is
    /// proven: `"receipts"` (default), `"state"` (storage proofs from the node's upstreams, verified against the
    /// stored anchor header) or `"auto"` (the smaller). `provenant verify` checks it with no network.
    func proof(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "tokenId", "options"], required: 2)
        let contract = try p.address(0), tokenId = try p.uint256(1)
        let options = try p.options(2, allowed: ["anchor", "present"])
        var present = PresentStateBuilder.Present.receipts
        if let value = options["present"], value != .null {
            guard case .string(let name) = value, let chosen = PresentStateBuilder.Present(rawValue: name) else {
                throw .invalidParams("options.present", "one of \(PresentStateBuilder.Present.allCases.map(\.rawValue))")
            }
            present = chosen
        }
        var anchor = ProofBuilder.Anchor.head
        if let value = options["anchor"], value != .null {
            if value == .string("nearest") {
                anchor = .nearest(every: AnchorSet.defaultEvery)
            } else if let number = try Params([value], names: ["options.anchor"], required: 1).block(0) {
                anchor = .block(number)  // the builder refuses a block beyond the head (-32001)
            }
        }
        if present != .receipts, stateSource == nil {
            throw RPCError(code: RPCError.methodNotSupportedCode, message: "state proofs need an upstream: provenant run serves them, provenant serve does not")
        }
        let (chosenAnchor, chosenPresent) = (anchor, present)
        do throws(ProofBuildError) {
            let limits = ProofBuilder.Limits(headers: limits.proofHeaders, records: limits.tokenRecords)
            let builder = ProofBuilder(index: index, chainId: chainId, limits: limits)
            guard let stateSource, present != .receipts else { return try builder.bundle(contract: contract, tokenId: tokenId, anchor: anchor).json }
            let state = PresentStateBuilder(builder: builder, source: stateSource)
            return try Self.waitFor { () async throws(ProofBuildError) in
                try await state.bundle(contract: contract, tokenId: tokenId, anchor: chosenAnchor, present: chosenPresent)
            }.json
        } catch {
            switch error {
            case .unavailable(let reason): throw .notFound(reason)
            case .overLimit(let reason): throw RPCError(code: RPCError.limitExceededCode, message: reason)
            case .upstream(let reason): throw RPCError(code: RPCError.internalErrorCode, message: "upstream answer refused", data: .string(reason))
            default: throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("proof: \(error)"))
            }
        }
    }

    /// Waits for async work from a heavy handler, which runs on one of the listener's worker threads (never an event
    /// loop or a task's thread, which it would block): a state-proven bundle waits for its upstream's proofs.
    static func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws(ProofBuildError) -> T) throws(ProofBuildError) -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, ProofBuildError>?>(nil)
        Task {
            let result: Result<T, ProofBuildError>
            do throws(ProofBuildError) { result = .success(try await work()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    func provenance(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["contract", "tokenId"], required: 2)
        let contract = try p.address(0), tokenId = try p.uint256(1)
        let found: AssetIndex.Provenance?
        do throws(IndexError) {
            found = try index.provenance(contract: contract, tokenId: tokenId, maxRecords: limits.tokenRecords)
        } catch .tooManyRecords(let limit) {
            throw .limitExceeded("token \(tokenId.quantity) of \(contract.hex) has more than \(limit) records; page through them with asset_history")
        } catch {
            throw RPCError(code: RPCError.internalErrorCode, message: "internal error", data: .string("index: \(error)"))
        }
        guard let provenance = found else {
            throw .notFound("nothing is indexed for token \(tokenId.quantity) of \(contract.hex)")
        }
        let minter: JSONValue = provenance.mint.map {
            ["address": .string($0.minter.hex), "transactionHash": .string($0.transactionHash.hex),
             "blockNumber": .quantity($0.block), "timestamp": .quantity($0.timestamp)]
        } ?? .null
        let aigc: [JSONValue] = provenance.aigc.map { entry in
            let r = entry.record
            var object: [String: JSONValue] = [
                "promptHash": .string(r.promptHash.hex), "aigcDataHash": .string(r.aigcDataHash.hex), "proof": .data(r.proof),
                "transactionHash": .string(r.transactionHash.hex), "blockNumber": .quantity(entry.block),
                "logIndex": .quantity(UInt64(entry.logIndex)),
            ]
            // The bytes as hex, and beside them as text where they are UTF-8 (JSON escapes what a page must not run).
            if let prompt = r.prompt {
                object["prompt"] = .data(prompt)
                if let text = String(validating: prompt, as: UTF8.self) { object["promptText"] = .string(text) }
            }
            if let output = r.aigcData {
                object["aigcData"] = .data(output)
                if let text = String(validating: output, as: UTF8.self) { object["aigcDataText"] = .string(text) }
            }
            return .object(object)
        }
        let owner: JSONValue
        switch provenance.ownership {
        case .owned(let by, _)?: owner = .string(by.hex)
        default: owner = .null
        }
        return [
            "standard": Self.standardName(provenance.standards), "minter": minter, "aigc": .array(aigc), "owner": owner,
            "transfers": .quantity(UInt64(provenance.transfers)),
        ]
    }
}
