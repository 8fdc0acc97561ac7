public import EthPrimitives
internal import AssetIndex
public import ProofVerify
internal import EthRPC
internal import EthTypes
internal import Store
internal import TokenEvents

/// Where state proofs come from: an upstream's `eth_getProof` (EIP-1186). Nothing it returns is believed: each proof
/// is verified against a stored, verified header's `stateRoot` before it is used or bundled.
public protocol StateSource: Sendable {
    /// The account and the given storage slots, with their proofs, at block `block`.
    func accountProof(of address: Address, slots: [UInt256], block: UInt64) async throws(ProofBuildError) -> AccountProof
}

/// Builds bundles whose present is proven by storage proofs (ARCHITECTURE.md §6): finds where each contract keeps
/// the owner, the user and the balances (`SlotDiscovery`), fetches their proofs at the anchor, verifies them against
/// the anchor's stored header, checks them against the index, and bundles them with `ProofBuilder`.
public struct PresentStateBuilder: Sendable {
    public let builder: ProofBuilder
    public let source: any StateSource

    /// Most holders whose balances one bundle proves.
    public static let maxHolders = 64

    public init(builder: ProofBuilder, source: any StateSource) {
        self.builder = builder
        self.source = source
    }

    /// How the present is proven.
    public enum Present: String, Sendable, CaseIterable {
        /// The bloom scan: every header from the latest record to the anchor, with the receipts of suspect blocks.
        case receipts
        /// Storage proofs against the anchor's state root.
        case state
        /// Both built; the smaller kept.
        case auto
    }

    /// A token's bundle with its present proven as `present` says; with `.auto`, the smaller of the two (by JSON
    /// bytes), or the receipts bundle when the state cannot be proven (no confirmed layout, state too old upstream).
    /// The state bundle anchors at `anchor` (with `.nearest(every)`: the highest multiple of `every` at or below the
    /// head, its past events each linked to their own next multiple).
    public func bundle(contract: Address, tokenId: UInt256, anchor: ProofBuilder.Anchor, present: Present) async throws(ProofBuildError) -> ProofBundle {
        switch present {
        case .receipts: return try builder.bundle(contract: contract, tokenId: tokenId, anchor: anchor)
        case .state: return try await stateBundle(contract: contract, tokenId: tokenId, holders: [], anchor: anchor, events: true)
        case .auto:
            let scan = try builder.bundle(contract: contract, tokenId: tokenId, anchor: anchor)
            let state: ProofBundle
            do throws(ProofBuildError) {
                state = try await stateBundle(contract: contract, tokenId: tokenId, holders: [], anchor: anchor, events: true)
            } catch .unavailable {
                return scan
            }
            return state.json.serialized().count < scan.json.serialized().count ? state : scan
        }
    }

    /// A bundle whose present is proven by state: for an ERC-721 token its owner (and its ERC-4907 user where the
    /// contract has rentals); for an ERC-1155 id or an ERC-20 contract (`tokenId` nil) the balances of `holders`.
    /// With `events`, the token's events come too, each linked to a trusted anchor.
    public func stateBundle(contract: Address, tokenId: UInt256?, holders: [Address], anchor: ProofBuilder.Anchor, events: Bool) async throws(ProofBuildError) -> ProofBundle {
        let (number, every) = try anchorBlock(anchor)
        let header = try builder.storedHeader(number)
        let standards = try wrap { () throws(IndexError) in try builder.index.standards(of: contract) }
        // Each holder once: a slot proven twice is refused.
        var holders = holders.reduce(into: [Address]()) { if !$0.contains($1) { $0.append($1) } }
        if holders.isEmpty, let tokenId, standards.contains(.erc1155), !standards.contains(.erc721) {
            // An ERC-1155 id's holders, as the index knows them.
            holders = try wrap { () throws(IndexError) in
                try builder.index.holdersOf(contract: contract, tokenId: tokenId, limit: Self.maxHolders)
            }.items.map(\.holder)
        }
        var facts: [StateFact] = []
        if tokenId != nil, standards.contains(.erc721) {
            facts.append(.owner)
            if standards.contains(.erc4907) { facts.append(.user) }
        }
        if !holders.isEmpty {
            guard holders.count <= Self.maxHolders else { throw .overLimit("at most \(Self.maxHolders) holders per bundle") }
            guard number == (try builder.tip()).number else {
                throw .unavailable("balances are proven at the indexed head only (block \((try builder.tip()).number)), not at block \(number)")
            }
            facts.append(tokenId == nil ? .shareBalance : .multiTokenBalance)
        }
        guard !facts.isEmpty else {
            throw .unavailable("nothing of \(contract.hex) to prove by state: an ERC-721 token id, or holders for ERC-1155 and ERC-20 balances")
        }
        let discovery = SlotDiscovery(index: builder.index, source: source)
        var layouts: [StateFact: StorageLayout] = [:]
        for fact in facts { layouts[fact] = try await discovery.layout(fact, contract: contract, tokenId: tokenId, at: header) }
        var state = try await provenState(contract: contract, tokenId: tokenId, holders: holders, layouts: layouts, header: header)
        if let disagreeing = try disagreement(state, contract: contract, tokenId: tokenId, holders: holders, block: number) {
            // The kept layout no longer gives the index's answers (an upgrade moved the storage): find it again once.
            for fact in facts where fact == disagreeing {
                layouts[fact] = try await discovery.layout(fact, contract: contract, tokenId: tokenId, at: header, rediscover: true)
            }
            state = try await provenState(contract: contract, tokenId: tokenId, holders: holders, layouts: layouts, header: header)
            if let still = try disagreement(state, contract: contract, tokenId: tokenId, holders: holders, block: number) {
                throw .unavailable("the proven \(still.rawValue) of \(contract.hex) at block \(number) disagrees with the index even after rediscovery; not bundling it")
            }
        }
        return try builder.stateBundle(contract: contract, tokenId: tokenId, state: state, at: number, events: events, every: every)
    }

    /// The anchor block of a state bundle and the spacing its past events link with.
    private func anchorBlock(_ anchor: ProofBuilder.Anchor) throws(ProofBuildError) -> (UInt64, UInt64?) {
        let tip = try builder.tip().number
        switch anchor {
        case .head: return (tip, nil)
        case .block(let number):
            guard number <= tip else { throw .unavailable("anchor \(number) is beyond the indexed head \(tip)") }
            return (number, nil)
        case .nearest(let every):
            guard every > 0 else { return (tip, nil) }
            return (tip / every * every, every)
        }
    }

    /// Fetches the facts' slots at the header's block and verifies them against its state root; the state they prove.
    private func provenState(contract: Address, tokenId: UInt256?, holders: [Address], layouts: [StateFact: StorageLayout], header: Header) async throws(ProofBuildError) -> PresentState {
        var state = PresentState(account: AccountProof(address: contract, accountProof: [], nonce: 0, balance: .zero, storageHash: .zero, codeHash: .zero, storageProof: []))
        if let layout = layouts[.owner] { state.owner = .init(layout: layout, address: nil) }
        if let layout = layouts[.user] { state.user = .init(layout: layout, address: .zero, expires: 0) }
        if let layout = layouts[.multiTokenBalance] ?? layouts[.shareBalance] {
            state.balances = holders.map { PresentState.Balance(layout: layout, holder: $0, value: .zero) }
        }
        let slots = state.slots(tokenId: tokenId)
        let proof = try await source.accountProof(of: contract, slots: slots, block: header.number)
        let values: [UInt256: UInt256]
        do throws(AccountProof.Failure) { values = try proof.verified(stateRoot: header.stateRoot) } catch {
            throw .upstream("eth_getProof of \(contract.hex) at block \(header.number) does not verify against its state root: \(error)")
        }
        guard proof.address == contract, slots.allSatisfy({ values[$0] != nil }) else {
            throw .upstream("eth_getProof of \(contract.hex) at block \(header.number) answered for other slots or another account")
        }
        // Only the asked slots go in the bundle, each once.
        var kept = proof
        kept.storageProof = slots.compactMap { slot in proof.storageProof.first { $0.key == slot } }
        state.account = kept
        var i = 0
        if let tokenId {
            if let owner = state.owner {
                let word = values[owner.layout.slot(keys: [tokenId])]!
                state.owner?.address = word.isZero ? nil : Address(bytes: word.bigEndianBytes[12...])
                i += 1
            }
            if let user = state.user {
                let word = values[user.layout.slot(keys: [tokenId])]!
                state.user?.address = Address(bytes: word.bigEndianBytes[12...])!
                state.user?.expires = (word >> 160).uint64 ?? 0
                i += 1
            }
        }
        for j in state.balances.indices { state.balances[j].value = values[slots[i + j]]! }
        return state
    }

    /// The first fact whose proven value is not the index's answer at `block`, if any.
    private func disagreement(_ state: PresentState, contract: Address, tokenId: UInt256?, holders: [Address], block: UInt64) throws(ProofBuildError) -> StateFact? {
        let answers = IndexAnswers(index: builder.index, contract: contract, block: block)
        if let tokenId, let owner = state.owner, try answers.owner(tokenId) != owner.address.map(UInt256.init(address:)) ?? .zero { return .owner }
        if let tokenId, let user = state.user {
            let stored = UInt256(address: user.address) | (UInt256(user.expires) << 160)
            if try answers.user(tokenId) != stored { return .user }
        }
        for balance in state.balances where try answers.balance(holder: balance.holder, tokenId: tokenId) != balance.value {
            return tokenId == nil ? .shareBalance : .multiTokenBalance
        }
        return nil
    }

    private func wrap<T>(_ body: () throws(IndexError) -> T) throws(ProofBuildError) -> T {
        do throws(IndexError) { return try body() } catch { throw .index(error) }
    }
}

/// The index's answers as the words a contract's storage would hold at a block: what a layout must reproduce.
struct IndexAnswers {
    let index: AssetIndex
    let contract: Address
    let block: UInt64

    /// The owner word: the address, or zero when burned or never minted.
    func owner(_ tokenId: UInt256) throws(ProofBuildError) -> UInt256 {
        let ownership = try wrap { () throws(IndexError) in try index.ownerOf(contract: contract, tokenId: tokenId, atBlock: block) }
        guard case .owned(let by, _)? = ownership else { return .zero }
        return UInt256(address: by)
    }

    /// The `UserInfo` word of the last `UpdateUser` up to the block (expired or not: storage keeps it).
    func user(_ tokenId: UInt256) throws(ProofBuildError) -> UInt256 {
        var last: HistoryRecord?
        var cursor: [UInt8]?
        repeat {
            let page = try wrap { () throws(IndexError) in
                try index.history(contract: contract, tokenId: tokenId, toBlock: block, cursor: cursor, limit: AssetIndex.maxPageSize)
            }
            if let found = page.items.last(where: { $0.record.kind == .rental }) { last = found.record }
            cursor = page.next
        } while cursor != nil
        guard let last else { return .zero }
        return UInt256(address: last.user ?? .zero) | (UInt256(last.expires ?? 0) << 160)
    }

    /// A holder's balance (of `tokenId` for ERC-1155; of the ERC-20 otherwise), at the index's head.
    func balance(holder: Address, tokenId: UInt256?) throws(ProofBuildError) -> UInt256 {
        try wrap { () throws(IndexError) in try index.balanceOf(contract: contract, holder: holder, tokenId: tokenId) }
    }

    private func wrap<T>(_ body: () throws(IndexError) -> T) throws(ProofBuildError) -> T {
        do throws(IndexError) { return try body() } catch { throw .index(error) }
    }
}
