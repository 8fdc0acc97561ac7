import EthCrypto
import EthPrimitives
import Testing
import TokenEvents
import TestSupport

@testable import AssetIndex

/// A plain model of the index: dictionaries replaying the events of a chain, written without the index's code.
struct IndexModel {
    struct Key: Hashable {
        let contract: Address
        let id: UInt256
        /// An ERC-20 holder entry (listed with token id 0, apart from an ERC-721 token 0 of the same contract).
        var shares = false
    }

    var ownerHistory: [Key: [(block: UInt64, owner: Address?)]] = [:]
    var holderBalance: [Address: [Address: UInt256]] = [:]   // contract → holder → ERC-721 count
    var shareBalance: [Address: [Address: UInt256]] = [:]    // contract → holder → ERC-20 balance
    /// The standards each contract's events have shown so far, in block order.
    var detected: [Address: Standards] = [:]
    var tokenBalance: [Key: [Address: UInt256]] = [:]        // ERC-1155
    var held: [Address: Set<Key>] = [:]                       // holder → tokens
    /// Every `UpdateUser` of each token in order, with its block's time: the one in force at a time is the last
    /// recorded at or before it.
    var rentals: [Key: [(user: Address, expires: UInt64, block: UInt64, time: UInt64)]] = [:]
    var minters: [Key: Address] = [:]
    var prompts: [Key: [[UInt8]?]] = [:]
    /// Blocks of each token's history entries, in order (one per event touching the token).
    var historyBlocks: [Key: [UInt64]] = [:]
    var tip: UInt64 = 0
    var timestamp: UInt64 = 0

    static func saturating(_ a: UInt256, _ b: UInt256, minus: Bool) -> UInt256 {
        if minus { let (d, o) = a.subtractingReportingOverflow(b); return o ? .zero : d }
        let (s, o) = a.addingReportingOverflow(b)
        return o ? .max : s
    }

    /// `declared`: the standards a config declares for some contracts. A contract declared, or else detected so
    /// far, as exactly one of ERC-20 and ERC-721 has its `Transfer` logs read as that standard's.
    init(chain: [IndexedBlock], declared: [Address: Standards] = [:]) throws {
        for block in chain {
            tip = block.number
            timestamp = block.timestamp
            for indexed in block.logs {
                let c = indexed.log.address
                guard let event = try TokenEvent(log: indexed.log, standards: declared[c] ?? detected[c] ?? []) else { continue }
                detected[c, default: []].formUnion(event.standard)
                let tx = block.transactions.first { $0.index == indexed.transactionIndex }
                switch event {
                case .erc721Transfer(_, _, let id), .updateUser(let id, _, _), .aigcData(let id, _, _, _), .transferSingle(_, _, _, let id, _):
                    historyBlocks[Key(contract: c, id: id), default: []].append(block.number)
                case .transferBatch(_, _, _, let ids, _):
                    // One history record per distinct id of a batch (the index's documented merge).
                    for id in ids.reduce(into: [UInt256](), { if !$0.contains($1) { $0.append($1) } }) {
                        historyBlocks[Key(contract: c, id: id), default: []].append(block.number)
                    }
                default: break
                }
                switch event {
                case .erc721Transfer(let from, let to, let id):
                    // The token leaves whoever owned it, whatever `from` the (possibly non-standard) log names.
                    let key = Key(contract: c, id: id)
                    let previous = ownerHistory[key]?.last?.owner
                    ownerHistory[key, default: []].append((block.number, to == .zero ? nil : to))
                    if let previous, previous != to {
                        held[previous, default: []].remove(key)
                        // Saturating: a non-standard log's `from` may hold none.
                        holderBalance[c, default: [:]][previous] = Self.saturating(holderBalance[c]?[previous] ?? .zero, UInt256(1), minus: true)
                    }
                    if to != .zero, previous != to {
                        held[to, default: []].insert(key)
                        holderBalance[c, default: [:]][to] = Self.saturating(holderBalance[c]?[to] ?? .zero, UInt256(1), minus: false)
                    }
                    if from == .zero, minters[key] == nil, let tx { minters[key] = tx.sender }
                case .erc20Transfer(let from, let to, let value):
                    for (holder, minus) in [(from, true), (to, false)] where holder != .zero {
                        let b = Self.saturating(shareBalance[c]?[holder] ?? .zero, value, minus: minus)
                        shareBalance[c, default: [:]][holder] = b
                        let entry = Key(contract: c, id: .zero, shares: true)
                        if b.isZero { held[holder, default: []].remove(entry) } else { held[holder, default: []].insert(entry) }
                    }
                case .transferSingle(_, let from, let to, let id, let value):
                    apply1155(c, from, to, id, value, tx)
                case .transferBatch(_, let from, let to, let ids, let values):
                    // Repeated ids move the sum of their values, computed here without the index's helper.
                    var sums: [UInt256: UInt256] = [:]
                    for (id, value) in zip(ids, values) { sums[id] = Self.saturating(sums[id] ?? .zero, value, minus: false) }
                    for id in ids.reduce(into: [UInt256](), { if !$0.contains($1) { $0.append($1) } }) { apply1155(c, from, to, id, sums[id]!, tx) }
                case .updateUser(let id, let user, let expires):
                    rentals[Key(contract: c, id: id), default: []].append((user, expires, block.number, block.timestamp))
                case .aigcData(let id, let promptHash, _, _):
                    // Only the prompt is checked here: the calldata carries it in the first bytes argument.
                    let candidates = tx.map { AssetIndexTestsABI.bytesArguments(Array($0.input.dropFirst(4))) } ?? []
                    prompts[Key(contract: c, id: id), default: []].append(candidates.first { keccak256($0) == promptHash })
                default: break
                }
            }
        }
    }

    mutating func apply1155(_ c: Address, _ from: Address, _ to: Address, _ id: UInt256, _ value: UInt256, _ tx: IndexedTransaction?) {
        let key = Key(contract: c, id: id)
        for (holder, minus) in [(from, true), (to, false)] where holder != .zero {
            let b = Self.saturating(tokenBalance[key]?[holder] ?? .zero, value, minus: minus)
            tokenBalance[key, default: [:]][holder] = b
            if b.isZero { held[holder, default: []].remove(key) } else { held[holder, default: []].insert(key) }
        }
        if from == .zero, minters[key] == nil, let tx { minters[key] = tx.sender }
    }

    func check(against index: AssetIndex, rng: inout SplitMix64) throws {
        let contracts = IndexPropertyTests.erc721 + [IndexPropertyTests.erc1155, IndexPropertyTests.erc20]
        for c in contracts {
            for n in 0...6 {
                let key = Key(contract: c, id: UInt256(UInt64(n)))
                // Ownership now and at a random block.
                let history = ownerHistory[key] ?? []
                let expectedNow = history.last.map { $0.owner.map { AssetIndex.Ownership.owned(by: $0, since: history.last!.block) } ?? .burned(at: history.last!.block) }
                #expect(try index.ownerOf(contract: c, tokenId: key.id) == expectedNow)
                let at = UInt64.random(in: 0...tip, using: &rng)
                let before = history.last { $0.block <= at }
                let expectedAt = before.map { $0.owner.map { AssetIndex.Ownership.owned(by: $0, since: before!.block) } ?? .burned(at: before!.block) }
                #expect(try index.ownerOf(contract: c, tokenId: key.id, atBlock: at) == expectedAt)
                // Rentals at a random time.
                let t = UInt64.random(in: 0...2000, using: &rng)
                let rental = try index.userOf(contract: c, tokenId: key.id, timestamp: t)
                if let r = rentals[key]?.last(where: { $0.time <= t }) {
                    #expect(rental?.expires == r.expires && rental?.block == r.block)
                    #expect(rental?.active == (r.user != .zero && r.expires >= t))
                    #expect(rental?.user == (r.user != .zero && r.expires >= t ? r.user : nil))
                } else {
                    #expect(rental == nil)
                }
                // ERC-1155 balances and the minter.
                for holder in IndexPropertyTests.holders {
                    #expect(try index.balanceOf(contract: c, holder: holder, tokenId: key.id) == tokenBalance[key]?[holder] ?? .zero)
                }
                // History, paged three at a time, and a block window.
                var blocks: [UInt64] = []
                var cursor: [UInt8]?
                repeat {
                    let page = try index.history(contract: c, tokenId: key.id, cursor: cursor, limit: 3)
                    blocks += page.items.map(\.block)
                    cursor = page.next
                } while cursor != nil
                #expect(blocks == historyBlocks[key] ?? [])
                let from = UInt64.random(in: 0...tip, using: &rng), to = UInt64.random(in: from...tip, using: &rng)
                let window = try index.history(contract: c, tokenId: key.id, fromBlock: from, toBlock: to, limit: 1000).items.map(\.block)
                #expect(window == (historyBlocks[key] ?? []).filter { $0 >= from && $0 <= to })
                // Holders of an ERC-1155 id.
                if c == IndexPropertyTests.erc1155 {
                    let holders = try index.holdersOf(contract: c, tokenId: key.id, limit: 1000).items
                    let expected = (tokenBalance[key] ?? [:]).filter { !$0.value.isZero }.sorted { $0.key < $1.key }
                    #expect(holders.map(\.holder) == expected.map(\.key))
                    #expect(holders.map(\.balance) == expected.map(\.value))
                }
                let provenance = try index.provenance(contract: c, tokenId: key.id)
                #expect(provenance?.mint?.minter == minters[key])
                #expect((provenance?.aigc.map { $0.record.prompt }) ?? [] == prompts[key] ?? [])
            }
            // A contract's balances without a token id: ERC-20 ones once it has shown ERC-20 events, else ERC-721 counts.
            let balances = (detected[c] ?? []).contains(.erc20) ? shareBalance[c] : holderBalance[c]
            for holder in IndexPropertyTests.holders {
                #expect(try index.balanceOf(contract: c, holder: holder) == balances?[holder] ?? .zero)
            }
            // Holders of the contract as a whole (ERC-20 balances or ERC-721 counts), paged.
            var holders: [Address] = []
            var cursor: [UInt8]?
            repeat {
                let page = try index.holdersOf(contract: c, cursor: cursor, limit: 2)
                holders += page.items.map(\.holder)
                cursor = page.next
            } while cursor != nil
            #expect(holders == (balances ?? [:]).filter { !$0.value.isZero }.keys.sorted())
        }
        // Every holder's tokens, paged two at a time.
        for holder in IndexPropertyTests.holders {
            var listed: [IndexModel.Key] = []
            var cursor: [UInt8]?
            repeat {
                let page = try index.tokensOf(holder: holder, cursor: cursor, limit: 2)
                listed += page.items.map { Key(contract: $0.contract, id: $0.tokenId, shares: $0.standard == .erc20) }
                cursor = page.next
            } while cursor != nil
            // Index key order: an ERC-20 entry (holder ‖ contract) before the contract's tokens (holder ‖ contract ‖ id).
            func order(_ key: Key) -> [UInt8] { key.contract.bytes + (key.shares ? [] : key.id.bigEndianBytes) }
            let expected = (held[holder] ?? []).sorted { order($0).lexicographicallyPrecedes(order($1)) }
            #expect(listed == expected)
        }
    }
}

/// The model's own ABI reading of calldata: every head word that points at a well-formed `bytes`.
enum AssetIndexTestsABI {
    static func bytesArguments(_ data: [UInt8]) -> [[UInt8]] {
        func word(_ at: Int) -> Int? {
            // Offsets and lengths that fit in 4 bytes are all a short calldata can hold.
            guard at >= 0, at + 32 <= data.count, data[at..<at + 28].allSatisfy({ $0 == 0 }) else { return nil }
            return data[at + 28..<at + 32].reduce(0) { $0 << 8 | Int($1) }
        }
        return (0..<min(16, data.count / 32)).compactMap { i in
            guard let offset = word(i * 32), let length = word(offset), offset + 32 + length <= data.count else { return nil }
            return Array(data[offset + 32..<offset + 32 + length])
        }
    }
}
