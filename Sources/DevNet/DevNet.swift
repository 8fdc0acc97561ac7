public import DevChain
internal import EthPrimitives
public import EthRPC
public import EthTypes
internal import Foundation
internal import HTTPTransport
internal import Synchronization
internal import TokenEvents

/// The dev chain as a JSON-RPC upstream over HTTP (ARCHITECTURE.md §8): everything sync asks an Ethereum node for, from
/// a deterministic `DevChain` (or a consistent fork of it), optionally growing a block at a time, reorganising once at
/// a chosen height, and misbehaving as `DevNetFaults` says.
public final class DevNet: Sendable {
    public let seed: UInt64
    public let faults: DevNetFaults
    public let reorg: DevNetReorg?
    /// The branch served from the start instead of the seed's own chain: a consistent fork, every block valid.
    public let fork: DevChain.Branch?
    /// How far below the head the `finalized` block tag is; nil: the chain has no finality.
    public let finalityDepth: UInt64?
    /// The default finality depth: two epochs of 32 slots, as on the beacon chain.
    public static let defaultFinalityDepth: UInt64 = 64
    /// Growth stops at this height (nil: it never stops).
    public let maxHead: UInt64?
    public let eventBlockShare: Double?
    /// The unwatched transactions of each block (mainnet-sized blocks), if any.
    public let traffic: Traffic?
    /// Ethereum's block format, or the OP Stack's (`DevChain.family`).
    public let family: Chainspec.Family
    /// The chain's accounts: a lie about a sender names another one of them.
    let accounts: [Address]

    struct State {
        var chain: DevChain
        /// Reorgs performed so far.
        var reorgs: Int
        /// Block number by block hash, and (block, index) by transaction hash, of the chain served now.
        var numbers: [Hash32: UInt64] = [:]
        var transactions: [Hash32: (block: UInt64, index: Int)] = [:]
        var rng: UInt64
        /// The fabricated history of `DevNetFaults.forgedHistoryAfter`, grown as far as asked.
        var forged: DevChain?
        /// Siblings served in place of blocks asked for by hash (`DevNetFaults.siblingRate`), by height.
        var siblings: [UInt64: DevChain.Block] = [:]
        var tampered = 0
        var requests = 0

        mutating func indexBlocks(from first: Int) {
            for block in chain.blocks[first...] {
                numbers[block.header.hash] = block.header.number
                for (i, tx) in block.transactions.enumerated() { transactions[tx.hash] = (block.header.number, i) }
            }
        }

        /// SplitMix64 step: fault decisions are reproducible for a given order of requests.
        mutating func chance(_ rate: Double) -> Bool {
            guard rate > 0 else { return false }
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) < rate
        }
    }
    let state: Mutex<State>

    /// A chain of `blocks` blocks after genesis. With a `reorg` whose height is already below `blocks`, the chain
    /// starts on the branch after the reorg (what a node syncing it fresh sees). With a `fork`, that branch is served
    /// throughout (no `reorg` then).
    public init(
        seed: UInt64, blocks: UInt64, faults: DevNetFaults = DevNetFaults(), reorg: DevNetReorg? = nil, fork: DevChain.Branch? = nil,
        maxHead: UInt64? = nil, eventBlockShare: Double? = nil, traffic: Traffic? = nil, finalityDepth: UInt64? = DevNet.defaultFinalityDepth,
        family: Chainspec.Family = .ethereum
    ) {
        precondition(reorg == nil || fork == nil, "a forked dev net does not reorganise")
        self.seed = seed
        self.eventBlockShare = eventBlockShare
        self.traffic = traffic
        self.family = family
        self.faults = faults
        self.reorg = reorg
        self.fork = fork
        self.finalityDepth = finalityDepth
        self.maxHead = maxHead
        let reorgs = reorg.map { $0.done(atHead: blocks) } ?? 0
        var chain = DevChain(
            seed: seed, branches: reorg.map { $0.branches(done: reorgs) } ?? fork.map { [$0] } ?? [], eventBlockShare: eventBlockShare,
            traffic: traffic, family: family)
        chain.grow(to: blocks)
        var state = State(chain: chain, reorgs: reorgs, rng: seed ^ 0x5EED_FA17)
        state.indexBlocks(from: 0)
        accounts = chain.accounts.map(\.address)
        self.state = Mutex(state)
    }

    /// The dev net's chain (its seed, shape and family) along `branches`.
    func makeChain(branches: [DevChain.Branch]) -> DevChain {
        DevChain(seed: seed, branches: branches, eventBlockShare: eventBlockShare, traffic: traffic, family: family)
    }

    /// The chain as served now.
    public var chain: DevChain { state.withLock { $0.chain } }
    public var head: UInt64 { state.withLock { $0.chain.head.header.number } }
    /// Calls answered with tampered data so far.
    public var tamperedCount: Int { state.withLock { $0.tampered } }

    /// Adds one block, unless `maxHead` is reached; performs the reorg when the head is at its height. Returns
    /// whether the chain changed.
    @discardableResult
    public func grow() -> Bool {
        // Generating the other branch signs hundreds of transactions: done outside the lock.
        let (current, done) = state.withLock { s in (s.chain.head.header.number, s.reorgs) }
        if let maxHead, current >= maxHead { return false }
        if let reorg, reorg.height(done) == current {
            var branch = makeChain(branches: reorg.branches(done: done + 1))
            branch.grow(to: current + 1)
            state.withLock { s in
                s.chain = branch
                s.reorgs = done + 1
                s.numbers = [:]
                s.transactions = [:]
                s.indexBlocks(from: 0)
            }
            return true
        }
        state.withLock { s in
            s.chain.grow(to: current + 1)
            s.indexBlocks(from: Int(current + 1))
        }
        return true
    }

    // MARK: JSON-RPC

    /// The methods sync uses, over the chain as it is at each call.
    public func dispatcher() -> Dispatcher {
        var d = Dispatcher()
        let chainId = family == .opStack ? DevChain.opStackChainId : DevChain.chainId
        d.register("eth_chainId") { _ throws(RPCError) in .quantity(chainId) }
        d.register("net_version") { _ throws(RPCError) in .string(String(chainId)) }
        d.register("web3_clientVersion") { _ throws(RPCError) in "provenant-devnet" }
        d.register("eth_blockNumber") { [self] _ throws(RPCError) in .quantity(head) }
        d.register("eth_getBlockByNumber") { [self] raw throws(RPCError) in
            let p = try Params(raw, names: ["block", "fullTransactions"], required: 2)
            let full = try p.bool(1)
            let (number, forgedAsked) = try state.withLock { s throws(RPCError) in
                let head = s.chain.head.header.number
                let number = try blockNumber(p, 0, head: head)
                let forge = faults.forgedHistoryAfter.map { head >= $0 } ?? false
                return (number, forge ? number.flatMap { $0 + DevNetFaults.forgedHistoryDepth < head ? $0 : nil } : nil)
            }
            if let forgedAsked { return forgedBlockJSON(forgedAsked, full: full) }
            let served = state.withLock { s in number.map { serve(&s, block: $0, full: full) } }
            return served.map { blockJSON($0, full: full) } ?? .null
        }
        d.register("eth_getBlockByHash") { [self] raw throws(RPCError) in
            let p = try Params(raw, names: ["blockHash", "fullTransactions"], required: 2)
            let hash = try p.hash(0), full = try p.bool(1)
            if let sibling = sibling(of: hash) { return blockJSON((sibling, .none), full: full) }
            let served = state.withLock { s in s.numbers[hash].map { serve(&s, block: $0, full: full) } }
            return served.map { blockJSON($0, full: full) } ?? .null
        }
        if !faults.lacksBlockReceipts { registerBlockReceipts(&d) }
        d.register("eth_getTransactionReceipt") { [self] raw throws(RPCError) in
            let p = try Params(raw, names: ["transactionHash"], required: 1)
            let hash = try p.hash(0)
            let served = state.withLock { s in s.transactions[hash].map { (serveReceipts(&s, block: $0.block), $0.index) } }
            return served.map { receiptsJSON($0.0.0, tamper: $0.0.1, only: $0.1)[0] } ?? .null
        }
        d.register("eth_getLogs") { [self] raw throws(RPCError) in try logs(raw) }
        d.register("eth_getProof") { [self] raw throws(RPCError) in try proof(raw) }
        return d
    }

    /// Most storage keys one `eth_getProof` call may ask for.
    public static let maxProofKeys = 1_024

    /// `eth_getProof` (EIP-1186): the account and the asked slots with their proofs against the block's state root.
    /// Only the last `DevChain.stateHistory` blocks' states are kept, as on a full node that is not an archive.
    func proof(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["address", "storageKeys", "block"], required: 3)
        let address = try p.address(0)
        guard case .array(let keys)? = p.optional(1) else { throw .invalidParams("storageKeys", "an array of 32-byte keys") }
        guard keys.count <= Self.maxProofKeys else { throw .invalidParams("storageKeys", "at most \(Self.maxProofKeys) keys") }
        var slots: [UInt256] = []
        for (i, key) in keys.enumerated() {
            guard case .string(let text) = key, text.hasPrefix("0x"), text.count <= 66, let bytes = try? Hex.decode(text.count % 2 == 0 ? text : "0x0" + text.dropFirst(2)),
                let slot = UInt256(bigEndian: bytes)
            else { throw .invalidParams("storageKeys[\(i)]", "0x and up to 64 hex digits") }
            slots.append(slot)
        }
        let answer = try state.withLock { s throws(RPCError) -> DevChain.AccountProofData? in
            let head = s.chain.head.header.number
            guard let number = try blockNumber(p, 2, head: head) else { throw RPCError(code: -32000, message: "header not found") }
            return s.chain.accountProof(of: address, slots: slots, block: number)
        }
        guard let answer else { throw RPCError(code: -32000, message: "missing trie node: historical state unavailable (this node keeps the last \(DevChain.stateHistory) blocks' state)") }
        return [
            "address": .string(address.hex), "accountProof": .array(answer.accountProof.map(JSONValue.data)),
            "balance": .quantity(answer.balance), "codeHash": .string(answer.codeHash.hex), "nonce": .quantity(answer.nonce),
            "storageHash": .string(answer.storageHash.hex),
            "storageProof": .array(zip(keys, answer.storage).map { key, slot in
                ["key": key, "value": .quantity(slot.value), "proof": .array(slot.proof.map(JSONValue.data))]
            }),
        ]
    }

    /// `eth_getBlockReceipts`, by hash or by number.
    func registerBlockReceipts(_ d: inout Dispatcher) {
        d.register("eth_getBlockReceipts") { [self] raw throws(RPCError) in
            let p = try Params(raw, names: ["block"], required: 1)
            if case .string(let text)? = p.optional(0), text.count == 66, let sibling = sibling(of: try p.hash(0)) {
                return .array(receiptsJSON(sibling, tamper: false, only: nil))
            }
            let served = try state.withLock { s throws(RPCError) -> (DevChain.Block, Bool)? in
                let number: UInt64?
                if case .string(let text)? = p.optional(0), text.count == 66 { number = s.numbers[try p.hash(0)] } else {
                    number = try blockNumber(p, 0, head: s.chain.head.header.number)
                }
                return number.map { serveReceipts(&s, block: $0) }
            }
            return served.map { .array(receiptsJSON($0.0, tamper: $0.1, only: nil)) } ?? .null
        }
    }

    /// A block parameter resolved against the head: nil when the block does not exist (the answer is null).
    /// `finalized` and `safe` are `finalityDepth` below the head; without finality they are an error, as on a node
    /// that has none.
    func blockNumber(_ p: Params, _ index: Int, head: UInt64) throws(RPCError) -> UInt64? {
        if case .string(let tag)? = p.optional(index), ["safe", "finalized"].contains(tag) {
            guard let finalityDepth else { throw RPCError(code: -39001, message: "\(tag) block not found") }
            return head > finalityDepth ? head - finalityDepth : 0
        }
        if case .string("pending")? = p.optional(index) { return head }
        let number = try p.block(index) ?? head
        return number <= head ? number : nil
    }

    /// The sibling served in place of the block whose hash is `hash`, when `DevNetFaults.siblingRate` picks it: the
    /// seed's chain branched at that very height, so the sibling has the same parent.
    func sibling(of hash: Hash32) -> DevChain.Block? {
        guard faults.siblingRate > 0, Double(hash.withUnsafeBytes { $0[0] }) < faults.siblingRate * 256,
            let number = state.withLock({ $0.numbers[hash] }), number > 0
        else { return nil }
        if let known = state.withLock({ $0.siblings[number] }) { return known }
        var branch = makeChain(branches: [DevChain.Branch(block: number, salt: 0x51B1)])
        branch.grow(to: number)
        let sibling = branch.blocks[Int(number)]
        state.withLock { $0.siblings[number] = sibling }
        return sibling
    }

    /// Block `number` of the fabricated history, generated (outside the lock) as far as needed.
    func forgedBlockJSON(_ number: UInt64, full: Bool) -> JSONValue {
        var forged = state.withLock { $0.forged } ?? makeChain(branches: [DevChain.Branch(block: 1, salt: 0xF0_96ED)])
        if forged.head.header.number < number {
            forged.grow(to: number)
            state.withLock { s in if (s.forged?.head.header.number ?? 0) < number { s.forged = forged } }
        }
        let block = forged.blocks[Int(number)]
        return RPCEncoding.block(header: block.header, transactions: block.transactions, senders: block.senders, full: full, withdrawals: [])
    }

    /// What tampering applies to one served block.
    enum BlockLie { case none, header, sender, deposit }

    /// Under the lock: the block, and whether this answer lies about it. The JSON is built outside the lock.
    func serve(_ s: inout State, block number: UInt64, full: Bool) -> (DevChain.Block, BlockLie) {
        let block = s.chain.blocks[Int(number)]
        if faults.tamper.contains(.headers), s.chance(faults.tamperRate) {
            s.tampered += 1
            return (block, .header)
        }
        if full, faults.tamper.contains(.senders), Self.firstMint(in: block) != nil, s.chance(faults.tamperRate) {
            s.tampered += 1
            return (block, .sender)
        }
        if full, faults.tamper.contains(.deposits), block.transactions.first?.type == .deposit, s.chance(faults.tamperRate) {
            s.tampered += 1
            return (block, .deposit)
        }
        return (block, .none)
    }

    /// The first transaction of `block` with a log that may mint: a sender lie there is one sync must catch (it
    /// recovers no other transaction's sender, since nothing uses it).
    static func firstMint(in block: DevChain.Block) -> Int? {
        block.receipts.firstIndex { $0.logs.contains(where: TokenEvent.mayMint) }
    }

    func serveReceipts(_ s: inout State, block number: UInt64) -> (DevChain.Block, Bool) {
        let block = s.chain.blocks[Int(number)]
        let lie = !faults.tamper.isDisjoint(with: [.receipts, .deposits]) && block.receipts.contains { !$0.logs.isEmpty } && s.chance(faults.tamperRate)
        if lie { s.tampered += 1 }
        return (block, lie)
    }

    func blockJSON(_ served: (DevChain.Block, BlockLie), full: Bool) -> JSONValue {
        let (block, lie) = served
        let json = RPCEncoding.block(header: block.header, transactions: block.transactions, senders: block.senders, full: full, withdrawals: [])
        guard lie != .none, case .object(var o) = json else { return json }
        switch lie {
        case .header:
            // The claimed hash stays: only a recomputation of the header's hash notices.
            o["gasUsed"] = .quantity(block.header.gasUsed + 1)
        case .sender:
            if let i = Self.firstMint(in: block), case .array(var txs)? = o["transactions"], case .object(var tx) = txs[i] {
                tx["from"] = .string(block.senders[i] == accounts[0] ? accounts[1].hex : accounts[0].hex)
                txs[i] = .object(tx)
                o["transactions"] = .array(txs)
            }
        case .deposit:
            // ETH minted from nothing: the re-encoded deposit no longer rebuilds the transactions root.
            if case .array(var txs)? = o["transactions"], case .object(var tx) = txs[0] {
                tx["mint"] = .quantity(1_000_000_000_000_000_000 as UInt64)
                txs[0] = .object(tx)
                o["transactions"] = .array(txs)
            }
        case .none: break
        }
        return .object(o)
    }

    func receiptsJSON(_ block: DevChain.Block, tamper: Bool, only: Int?) -> [JSONValue] {
        var result: [JSONValue] = []
        var logIndex: UInt64 = 0, previousGas: UInt64 = 0
        var lied = !tamper
        for (i, var receipt) in block.receipts.enumerated() {
            let tx = block.transactions[i]
            defer {
                logIndex += UInt64(receipt.logs.count)
                previousGas = receipt.cumulativeGasUsed
            }
            if !lied, faults.tamper.contains(.deposits), let nonce = receipt.depositNonce {
                // A deposit nonce one off: from Canyon the receipts root commits to it.
                receipt.depositNonce = nonce + 1
                lied = true
            }
            if !lied, faults.tamper.contains(.receipts), !receipt.logs.isEmpty {
                // One byte of the first log's data, flipped; the receipts root no longer matches.
                receipt.logs[0].data = receipt.logs[0].data.isEmpty ? [1] : [receipt.logs[0].data[0] ^ 1] + receipt.logs[0].data.dropFirst()
                lied = true
            }
            guard only == nil || only == i else { continue }
            let at = RPCEncoding.Position(blockHash: block.header.hash, blockNumber: block.header.number, transactionIndex: UInt64(i), transactionHash: tx.hash)
            result.append(RPCEncoding.receipt(
                receipt, from: block.senders[i], to: tx.to, gasUsed: receipt.cumulativeGasUsed - previousGas,
                firstLogIndex: logIndex, at: at))
        }
        return result
    }

    /// `eth_getLogs` over the served chain: block range, address (one or a list) and topics by position.
    func logs(_ raw: JSONValue?) throws(RPCError) -> JSONValue {
        let p = try Params(raw, names: ["filter"], required: 1)
        let filter = try p.options(0, allowed: ["fromBlock", "toBlock", "address", "topics", "blockHash"])
        let chain = self.chain
        let head = chain.head.header.number
        func bound(_ key: String) throws(RPCError) -> UInt64 {
            guard let value = filter[key] else { return head }
            return try blockNumber(Params([value], names: ["filter.\(key)"], required: 1), 0, head: head) ?? head
        }
        let from = try bound("fromBlock"), to = try bound("toBlock")
        let conditions = try LogFilter(filter)
        guard from <= to else { return [] }
        var result: [JSONValue] = []
        for number in from...to {
            let block = chain.blocks[Int(number)]
            var logIndex: UInt64 = 0
            for (i, receipt) in block.receipts.enumerated() {
                for log in receipt.logs {
                    defer { logIndex += 1 }
                    guard conditions.matches(log) else { continue }
                    let at = RPCEncoding.Position(
                        blockHash: block.header.hash, blockNumber: number, transactionIndex: UInt64(i), transactionHash: block.transactions[i].hash)
                    result.append(RPCEncoding.log(log, index: logIndex, at: at))
                }
            }
        }
        return .array(result)
    }

    // MARK: HTTP

    /// A batch answered with some items refused as rate-limited (-32005, with their ids) and the others answered.
    func answerLimitingItems(_ items: [JSONValue], dispatcher: Dispatcher) -> [UInt8] {
        var kept: [JSONValue] = [], refused: [JSONValue] = []
        for item in items {
            if state.withLock({ $0.chance(faults.itemRateLimitRate) }) {
                refused.append(["jsonrpc": "2.0", "id": item["id"] ?? .null, "error": ["code": .int(Int64(RPCError.limitExceededCode)), "message": "rate limit exceeded"]])
            } else {
                kept.append(item)
            }
        }
        var answers: [JSONValue] = []
        if !kept.isEmpty, let answer = dispatcher.handle(bytes: JSONValue.array(kept).serialized()),
            case .array(let answered)? = try? JSONValue(parsing: Array(answer))
        {
            answers = answered
        }
        return JSONValue.array(answers + refused).serialized()
    }

    /// Serves JSON-RPC on `POST /` until cancelled, growing a block every `blockInterval` when given. `onReady`
    /// gets the bound port (useful with port 0).
    public func run(host: String = "127.0.0.1", port: Int, blockInterval: Duration? = nil, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let dispatcher = self.dispatcher()
        let listener = HTTPListener(
            host: host, port: port, idleTimeout: .seconds(30), maxBodyBytes: RPCLimits.maxBodyBytes,
            maxDiscardedBodyBytes: RPCLimits.maxBodyBytes, onReady: onReady
        ) { [self] request in
            guard request.method == "POST", request.path == "/" else { return .text(404, "JSON-RPC is POST /\n") }
            guard let body = request.body else { return HTTPReply(status: 413, body: dispatcher.oversizedBody(request.bodyBytes)) }
            let (drop, delay, limit, failing, turn) = state.withLock { s in
                s.requests += 1
                return (s.chance(faults.dropRate), s.chance(faults.delayRate), s.chance(faults.rateLimitRate), s.chance(faults.serverErrorRate), s.requests)
            }
            var reply: HTTPReply
            if failing {
                reply = .text(503, "upstream unavailable\n")
            } else if let most = faults.maxBatchItems, case .array(let items)? = try? JSONValue(parsing: body), items.count > most {
                let why = most == 1 ? "batch requests are not supported" : "batch of \(items.count) calls exceeds the limit of \(most)"
                reply = HTTPReply(status: 200, body: Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"\#(why)"}}"#.utf8))
            } else if limit {
                reply = turn % 2 == 0
                    ? .text(429, "rate limited\n", headers: [("retry-after", "0")])
                    : HTTPReply(status: 200, body: Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"rate limit exceeded"}}"#.utf8))
            } else if faults.itemRateLimitRate > 0, case .array(let items)? = try? JSONValue(parsing: body) {
                reply = HTTPReply(status: 200, body: Data(answerLimitingItems(items, dispatcher: dispatcher)), truncated: drop)
            } else if let answer = dispatcher.handle(bytes: body) {
                // A drop sends half the answer, then closes the connection: the client sees a truncated body.
                reply = HTTPReply(status: 200, body: answer, truncated: drop)
            } else {
                reply = HTTPReply(status: 204)
            }
            if delay { reply.delay = faults.delay }
            return reply
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await listener.run() }
            if let blockInterval {
                group.addTask { [self] in
                    while !Task.isCancelled {
                        try await Task.sleep(for: blockInterval)
                        grow()
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
