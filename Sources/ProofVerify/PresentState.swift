public import EthPrimitives
public import EthRPC

/// A token's present state proven by storage proofs against the anchor header's `stateRoot`: a present-state
/// bundle's `present` (ARCHITECTURE.md §6). It is as small as two short trie paths, whatever the token's age.
///
///     { "proof": "state",
///       "account": ACCOUNT,              // the contract, as eth_getProof returns it (`AccountProof`)
///       "owner": { "layout": LAYOUT, "address": ADDRESS | null } | null,
///       "user": { "layout": LAYOUT, "address": ADDRESS, "expires": QUANTITY } | null,
///       "balances": [ { "layout": LAYOUT, "holder": ADDRESS, "value": QUANTITY } ] }
///     LAYOUT: { "compiler": "solidity" | "vyper", "slot": QUANTITY } | { "namespace": STRING, "offset": QUANTITY }
///
/// The bundle names each mapping's layout (`StorageLayout`) and the verifier derives the slot from it and the keys
/// (the token id; the holder; both for ERC-1155): a proof of another slot proves nothing here. What a layout cannot
/// show is that the mapping it names is the owner's and not another of the contract's; so where the bundle's events
/// prove a latest record too, the proven state must agree with it.
public struct PresentState: Equatable, Sendable {
    public var account: AccountProof
    public var owner: Owner?
    public var user: User?
    public var balances: [Balance]

    public init(account: AccountProof, owner: Owner? = nil, user: User? = nil, balances: [Balance] = []) {
        (self.account, self.owner, self.user, self.balances) = (account, owner, user, balances)
    }

    /// ERC-721 `ownerOf`: nil when no one owns the token (burned, or never minted).
    public struct Owner: Equatable, Sendable {
        public var layout: StorageLayout
        public var address: Address?

        public init(layout: StorageLayout, address: Address?) { (self.layout, self.address) = (layout, address) }
    }

    /// ERC-4907 `userOf` and `userExpires` as stored (an expired rental still reads back its user).
    public struct User: Equatable, Sendable {
        public var layout: StorageLayout
        public var address: Address
        public var expires: UInt64

        public init(layout: StorageLayout, address: Address, expires: UInt64) { (self.layout, self.address, self.expires) = (layout, address, expires) }
    }

    /// A holder's balance: of the claim's token id (ERC-1155), or of the contract's shares when the claim has none (ERC-20).
    public struct Balance: Equatable, Sendable {
        public var layout: StorageLayout
        public var holder: Address
        public var value: UInt256

        public init(layout: StorageLayout, holder: Address, value: UInt256) { (self.layout, self.holder, self.value) = (layout, holder, value) }
    }

    /// The slot of each fact the state holds, for the token `tokenId` (nil: an ERC-20 contract's balances).
    public func slots(tokenId: UInt256?) -> [UInt256] {
        var slots: [UInt256] = []
        if let tokenId {
            if let owner { slots.append(owner.layout.slot(keys: [tokenId])) }
            if let user { slots.append(user.layout.slot(keys: [tokenId])) }
        }
        for balance in balances {
            slots.append(balance.layout.slot(keys: (tokenId.map { [$0] } ?? []) + [UInt256(address: balance.holder)]))
        }
        return slots
    }

    /// Checks every fact against the trusted `stateRoot` of block `block`, for `contract`'s token `tokenId`; returns
    /// what it proved, one statement per fact.
    func verified(contract: Address, tokenId: UInt256?, stateRoot: Hash32, block: UInt64, time: UInt64) throws(ProofError) -> [String] {
        func fail(_ failure: StateFailure) -> ProofError { .state(block: block, failure) }
        guard account.address == contract else { throw fail(.otherAccount(account.address)) }
        let values: [UInt256: UInt256]
        do throws(AccountProof.Failure) { values = try account.verified(stateRoot: stateRoot) } catch { throw fail(.proof(error)) }
        func word(_ fact: StateFact, _ layout: StorageLayout, _ keys: [UInt256]) throws(ProofError) -> UInt256 {
            let slot = layout.slot(keys: keys)
            guard let value = values[slot] else { throw fail(.noSlot(fact, slot: slot)) }
            return value
        }
        func source(_ layout: StorageLayout) -> String { "by storage proof against block \(block)'s state root (\(layout), as the bundle names it)" }
        var statements: [String] = []
        if let owner {
            guard let tokenId else { throw fail(.noToken(.owner)) }
            let stored = try word(.owner, owner.layout, [tokenId])
            guard (stored >> 160).isZero else { throw fail(.notAValue(.owner, word: stored)) }
            let proven = stored.isZero ? nil : stored.lowAddress
            guard proven == owner.address else {
                throw fail(.value(.owner, stated: owner.address?.hex ?? "none", proven: proven?.hex ?? "none"))
            }
            statements.append((proven.map { "owned by \($0.hex) at the anchor" } ?? "owned by no one at the anchor") + ", \(source(owner.layout))")
        }
        if let user {
            guard let tokenId else { throw fail(.noToken(.user)) }
            let stored = try word(.user, user.layout, [tokenId])
            // UserInfo { address user; uint64 expires; }: the user in the low 20 bytes, the expiry in the 8 above.
            guard (stored >> 224).isZero else { throw fail(.notAValue(.user, word: stored)) }
            let provenUser = stored.lowAddress
            let provenExpires = (stored >> 160).uint64 ?? 0
            guard provenUser == user.address, provenExpires == user.expires else {
                throw fail(.value(.user, stated: "\(user.address.hex) until \(user.expires)", proven: "\(provenUser.hex) until \(provenExpires)"))
            }
            if provenUser == .zero {
                statements.append("no user at the anchor, \(source(user.layout))")
            } else {
                let inForce = provenExpires >= time ? "in force at the anchor's time" : "expired at the anchor's time (\(UTCTime.format(time)))"
                statements.append("user \(provenUser.hex) until \(UTCTime.format(provenExpires)), \(inForce), \(source(user.layout))")
            }
        }
        for balance in balances {
            let fact: StateFact = tokenId == nil ? .shareBalance : .multiTokenBalance
            let stored = try word(fact, balance.layout, (tokenId.map { [$0] } ?? []) + [UInt256(address: balance.holder)])
            guard stored == balance.value else { throw fail(.value(fact, stated: balance.value.quantity, proven: stored.quantity)) }
            statements.append("\(balance.holder.hex) holds \(stored.description)\(tokenId.map { " of id \($0.quantity)" } ?? " shares") at the anchor, \(source(balance.layout))")
        }
        return statements
    }
}

// MARK: - JSON

extension PresentState {
    public var json: JSONValue {
        [
            "proof": "state", "account": account.json,
            "owner": owner.map { ["layout": Self.json($0.layout), "address": $0.address.map { .string($0.hex) } ?? .null] } ?? .null,
            "user": user.map { ["layout": Self.json($0.layout), "address": .string($0.address.hex), "expires": .quantity($0.expires)] } ?? .null,
            "balances": .array(balances.map { ["layout": Self.json($0.layout), "holder": .string($0.holder.hex), "value": .quantity($0.value)] }),
        ]
    }

    init(json present: JSONReader) throws(JSONReadError) {
        account = try AccountProof(json: present.field("account"))
        owner = try present.optionalField("owner").map { o throws(JSONReadError) in
            Owner(layout: try Self.layout(o.field("layout")), address: try o.optionalField("address")?.address())
        }
        user = try present.optionalField("user").map { u throws(JSONReadError) in
            User(layout: try Self.layout(u.field("layout")), address: try u.field("address").address(), expires: try u.field("expires").quantity())
        }
        balances = try present.field("balances").array { b throws(JSONReadError) in
            Balance(layout: try Self.layout(b.field("layout")), holder: try b.field("holder").address(), value: try b.field("value").uint256())
        }
    }

    public static func json(_ layout: StorageLayout) -> JSONValue {
        switch layout {
        case .solidity(let slot): return ["compiler": "solidity", "slot": .quantity(slot)]
        case .vyper(let slot): return ["compiler": "vyper", "slot": .quantity(slot)]
        case .namespaced(let id, let offset): return ["namespace": .string(id), "offset": .quantity(offset)]
        }
    }

    public static func layout(_ field: JSONReader) throws(JSONReadError) -> StorageLayout {
        if let namespace = try field.optionalField("namespace") {
            return .namespaced(id: try namespace.string(), offset: try field.field("offset").quantity())
        }
        let compiler = try field.field("compiler")
        let slot = try field.field("slot").quantity()
        switch try compiler.string() {
        case "solidity": return .solidity(slot: slot)
        case "vyper": return .vyper(slot: slot)
        case let other: throw compiler.error("\"\(other)\" is neither \"solidity\" nor \"vyper\"")
        }
    }
}
