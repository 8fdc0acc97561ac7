public import EthPrimitives
public import AssetIndex
public import ProofVerify
internal import EthRPC
public import EthTypes
internal import Store

/// Finds where a contract keeps a mapping, by asking: the candidate slots of every common layout
/// (`StorageLayout.candidates`: Solidity's and Vyper's rule at the first few dozen slots, OpenZeppelin's ERC-7201
/// namespaces) are proven at a block for several tokens or holders, and the one layout whose slots hold the index's
/// own answers for all of them is kept, per contract and fact, in the store (`Schema.storageLayout`). When no
/// candidate, or more than one, holds them, it refuses to guess.
public struct SlotDiscovery: Sendable {
    public let index: AssetIndex
    public let source: any StateSource

    /// How many tokens (or holders) with a non-zero answer must confirm a layout, when the index has that many.
    public static let confirmations = 3
    /// How many of the contract's tokens or holders are looked at to find them.
    public static let sampledCandidates = 64

    public init(index: AssetIndex, source: any StateSource) {
        self.index = index
        self.source = source
    }

    /// The layout of `fact` in `contract`: the kept one, unless `rediscover`; otherwise found at `header`'s block
    /// (checked against the index there; `tokenId` is sampled first) and kept.
    public func layout(_ fact: StateFact, contract: Address, tokenId: UInt256?, at header: Header, rediscover: Bool = false) async throws(ProofBuildError) -> StorageLayout {
        let key = [Schema.storageLayout.rawValue] + contract.bytes + Array(fact.rawValue.utf8)
        if !rediscover, let kept = try wrap({ () throws(StoreError) in try index.store.get(key) }),
            let json = try? JSONValue(parsing: kept), let layout = try? PresentState.layout(JSONReader(json)) {
            return layout
        }
        let layout = try await discover(fact, contract: contract, tokenId: tokenId, at: header)
        try wrap { () throws(StoreError) in try index.store.put(key, PresentState.json(layout).serialized()) }
        return layout
    }

    /// Tries every candidate layout against the index's answers for up to `confirmations` samples.
    public func discover(_ fact: StateFact, contract: Address, tokenId: UInt256?, at header: Header) async throws(ProofBuildError) -> StorageLayout {
        let samples = try self.samples(fact, contract: contract, tokenId: tokenId, block: header.number)
        guard !samples.isEmpty else {
            throw .unavailable("slot discovery for the \(fact.rawValue) of \(contract.hex): the index has no non-zero answer at block \(header.number) to confirm a layout with")
        }
        var survivors = StorageLayout.candidates
        for sample in samples {
            let slots = survivors.map { $0.slot(keys: sample.keys) }
            // Solidity's and Vyper's rule give the same slot when the key equals the slot number: asked once.
            var unique: [UInt256] = []
            for slot in slots where !unique.contains(slot) { unique.append(slot) }
            let proof = try await source.accountProof(of: contract, slots: unique, block: header.number)
            let values: [UInt256: UInt256]
            do throws(AccountProof.Failure) { values = try proof.verified(stateRoot: header.stateRoot) } catch {
                throw .upstream("eth_getProof of \(contract.hex) at block \(header.number) does not verify against its state root: \(error)")
            }
            survivors = zip(survivors, slots).filter { values[$0.1] == sample.word }.map(\.0)
            if survivors.isEmpty { break }
        }
        guard survivors.count == 1 else {
            throw .unavailable(survivors.isEmpty
                ? "slot discovery for the \(fact.rawValue) of \(contract.hex): no layout tried (Solidity and Vyper mappings at slots 0-\(StorageLayout.discoverySlots - 1), OpenZeppelin's ERC-7201 namespaces) holds the index's answers for \(samples.count) sample\(samples.count == 1 ? "" : "s") at block \(header.number); not guessing"
                : "slot discovery for the \(fact.rawValue) of \(contract.hex): \(survivors.count) layouts hold the index's answers for \(samples.count) sample\(samples.count == 1 ? "" : "s") (\(survivors.map(\.description).joined(separator: "; "))); not guessing")
        }
        return survivors[0]
    }

    /// A token or holder whose slot must hold `word` under the right layout.
    struct Sample {
        var keys: [UInt256]
        var word: UInt256
    }

    /// Up to `confirmations` samples with non-zero answers, `tokenId`'s first.
    func samples(_ fact: StateFact, contract: Address, tokenId: UInt256?, block: UInt64) throws(ProofBuildError) -> [Sample] {
        let answers = IndexAnswers(index: index, contract: contract, block: block)
        var samples: [Sample] = []
        switch fact {
        case .owner, .user:
            var tokens: [UInt256] = tokenId.map { [$0] } ?? []
            let holders = try wrap { () throws(IndexError) in try index.holdersOf(contract: contract, limit: Self.sampledCandidates) }.items
            for holder in holders {
                let held = try wrap { () throws(IndexError) in try index.tokensOf(holder: holder.holder, contract: contract, limit: 4) }.items
                tokens += held.map(\.tokenId).filter { !tokens.contains($0) }
                if tokens.count >= Self.sampledCandidates { break }
            }
            for token in tokens {
                let word = fact == .owner ? try answers.owner(token) : try answers.user(token)
                if !word.isZero { samples.append(Sample(keys: [token], word: word)) }
                if samples.count == Self.confirmations { break }
            }
        case .multiTokenBalance, .shareBalance:
            let id = fact == .multiTokenBalance ? tokenId : nil
            let holders = try wrap { () throws(IndexError) in try index.holdersOf(contract: contract, tokenId: id, limit: Self.sampledCandidates) }.items
            for holder in holders where !holder.balance.isZero {
                samples.append(Sample(keys: (id.map { [$0] } ?? []) + [UInt256(address: holder.holder)], word: holder.balance))
                if samples.count == Self.confirmations { break }
            }
        }
        return samples
    }

    private func wrap<T>(_ body: () throws(IndexError) -> T) throws(ProofBuildError) -> T {
        do throws(IndexError) { return try body() } catch { throw .index(error) }
    }

    private func wrap<T>(_ body: () throws(StoreError) -> T) throws(ProofBuildError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(error) }
    }
}
