import AssetIndex
import DevChain
import EthCrypto
import EthPrimitives
import EthRLP
import EthRPC
import EthTrie
import EthTypes
import Foundation
import ProofVerify
import Store
import Testing
import TestSupport

@testable import Proofs

/// State proofs as the dev chain's own world state gives them, with no HTTP between (the CLI test has that): each
/// answer is exactly what DevNet's `eth_getProof` serves for the same block.
struct ChainStateSource: StateSource {
    let chain: DevChain
    /// What the source does to each answer before giving it: an upstream that lies.
    var lie: @Sendable (inout AccountProof) -> Void = { _ in }
    /// Which block's state it answers from, given the asked one (a stale upstream answers an older block's).
    var block: @Sendable (UInt64) -> UInt64 = { $0 }

    func accountProof(of address: Address, slots: [UInt256], block number: UInt64) async throws(ProofBuildError) -> AccountProof {
        guard let data = chain.accountProof(of: address, slots: slots, block: block(number)) else {
            throw .unavailable("missing trie node: the state of block \(number) is not kept")
        }
        var proof = AccountProof(
            address: address, accountProof: data.accountProof, nonce: data.nonce, balance: data.balance, storageHash: data.storageHash,
            codeHash: data.codeHash, storageProof: data.storage.map { .init(key: $0.slot, value: $0.value, proof: $0.proof) })
        lie(&proof)
        return proof
    }
}

/// Present-state bundles (storage proofs against the anchor's state root) on the dev chain: they verify for owner,
/// user and balances and agree with the index; every changed proof node, slot or value is refused; slot discovery
/// finds each dev contract's layout and refuses to guess; an upstream's lying or stale proof is never bundled.
@Suite("Present-state proofs")
struct StateProofTests {
    /// A chain whose three contracts are all watched: balances of the shares contract too.
    static let fixture = Result { try ProofsTests.Fixture(seed: 13, blocks: 500, watched: DevChain.allContracts) }
    var fixture: ProofsTests.Fixture { get throws { try Self.fixture.get() } }
    static let visions = DevChain.Contract.visions.address
    static let editions = DevChain.Contract.editions.address
    static let shares = DevChain.Contract.shares.address

    func builder(_ source: ChainStateSource? = nil) throws -> PresentStateBuilder {
        let fixture = try fixture
        return PresentStateBuilder(builder: ProofBuilder(index: fixture.index, chainId: DevChain.chainId), source: source ?? ChainStateSource(chain: fixture.chain))
    }

    var head: (number: UInt64, hash: Hash32) { get throws { try #require(try fixture.index.cursor()) } }

    /// Tokens with an owner, a burned one and one with a rental, up to `count` of each.
    func tokens() throws -> [UInt64] {
        let record = try fixture.chain.record
        let owned = record.owners.keys.sorted().prefix(4)
        let burned = (1...record.mintedTokens).filter { record.owners[$0] == nil }.prefix(2)
        let rented = record.rentals.keys.sorted().prefix(3)
        return Array(Set(owned).union(burned).union(rented)).sorted()
    }

    @Test func ownerAndUserBundlesVerifyAndAgreeWithTheIndex() async throws {
        let record = try fixture.chain.record
        let head = try head
        #expect(try tokens().count >= 6)
        for token in try tokens() {
            for withEvents in [false, true] {
                let bundle = try await builder().stateBundle(contract: Self.visions, tokenId: UInt256(token), holders: [], anchor: .head, events: withEvents)
                let verified = try bundle.verify(trusting: [head.hash])
                let state = try #require(bundle.state)
                #expect(state.owner?.address == record.owners[token], "token \(token)")
                if case .owned(let owner, _)? = try fixture.index.ownerOf(contract: Self.visions, tokenId: UInt256(token)) {
                    #expect(state.owner?.address == owner)
                    #expect(verified.statements.contains { $0.hasPrefix("owned by \(owner.hex) at the anchor, by storage proof") })
                } else {
                    #expect(verified.statements.contains { $0.hasPrefix("owned by no one at the anchor") })
                }
                let rental = record.rentals[token]
                #expect(state.user?.address == rental?.user ?? .zero && state.user?.expires == rental?.expires ?? 0, "token \(token)")
                if withEvents {
                    #expect(!bundle.events.isEmpty && bundle.blockReceipts.isEmpty)
                } else {
                    #expect(bundle.events.isEmpty && bundle.headers.count == 1)
                    // A present-state bundle: the anchor's header and two short proofs.
                    #expect(bundle.json.serialized().count < 16 * 1024)
                }
                // Read back from its JSON, the same bundle.
                #expect(try ProofBundle(json: try JSONValue(parsing: bundle.json.serialized())) == bundle)
            }
        }
    }

    @Test func balanceBundlesVerifyAndAgreeWithTheIndex() async throws {
        let record = try fixture.chain.record
        let head = try head
        for (id, holders) in record.editions.sorted(by: { $0.key < $1.key }).prefix(3) {
            let bundle = try await builder().stateBundle(contract: Self.editions, tokenId: UInt256(id), holders: [], anchor: .head, events: false)
            _ = try bundle.verify(trusting: [head.hash])
            let proven = try #require(bundle.state?.balances)
            #expect(Dictionary(uniqueKeysWithValues: proven.map { ($0.holder, $0.value) }) == holders.mapValues { UInt256($0) }, "id \(id)")
            for balance in proven {
                #expect(try fixture.index.balanceOf(contract: Self.editions, holder: balance.holder, tokenId: UInt256(id)) == balance.value)
            }
        }
        let holders = record.shares.keys.sorted { $0.hex < $1.hex }
        let bundle = try await builder().stateBundle(contract: Self.shares, tokenId: nil, holders: holders, anchor: .head, events: false)
        let verified = try bundle.verify(trusting: [head.hash])
        #expect(bundle.claim.tokenId == nil)
        #expect(try #require(bundle.state).balances.map(\.value) == holders.map { UInt256(record.shares[$0]!) })
        #expect(verified.statements[0] == "shares of \(Self.shares.hex):")
        #expect(try ProofBundle(json: try JSONValue(parsing: bundle.json.serialized())) == bundle)
        // An absent holder's balance is proven zero.
        let stranger = Address(bytes: [UInt8](repeating: 0x5a, count: 20))!
        let zero = try await builder().stateBundle(contract: Self.shares, tokenId: nil, holders: [stranger], anchor: .head, events: false)
        #expect(try zero.verify(trusting: [head.hash]).statements.contains { $0.hasPrefix("\(stranger.hex) holds 0 shares") })
    }

    /// Discovery finds the layout of each dev contract (as `DevContractLayout` declares it) and keeps it.
    @Test(arguments: [
        (StateFact.owner, DevChain.Contract.visions, StorageLayout.solidity(slot: 2)),
        (.user, .visions, .solidity(slot: 6)),
        (.multiTokenBalance, .editions, .namespaced(id: "openzeppelin.storage.ERC1155", offset: 0)),
        (.shareBalance, .shares, .vyper(slot: 5)),
    ])
    func discoveryFindsEachDevContractsLayout(_ fact: StateFact, _ contract: DevChain.Contract, _ expected: StorageLayout) async throws {
        let fixture = try fixture
        let header = try ProofBuilder(index: fixture.index, chainId: DevChain.chainId).storedHeader(try head.number)
        let tokenId: UInt256? = switch fact {
        case .owner: UInt256(try #require(fixture.chain.record.owners.keys.min()))
        case .user: UInt256(try #require(fixture.chain.record.rentals.keys.min()))
        case .multiTokenBalance: UInt256(try #require(fixture.chain.record.editions.keys.min()))
        case .shareBalance: nil
        }
        let discovery = SlotDiscovery(index: fixture.index, source: ChainStateSource(chain: fixture.chain))
        #expect(try await discovery.discover(fact, contract: contract.address, tokenId: tokenId, at: header) == expected)
        #expect(try await discovery.layout(fact, contract: contract.address, tokenId: tokenId, at: header) == expected)
        let kept = try #require(try fixture.index.store.get([Schema.storageLayout.rawValue] + contract.address.bytes + Array(fact.rawValue.utf8)))
        #expect(try PresentState.layout(JSONReader(try JSONValue(parsing: kept))) == expected)
        // OpenZeppelin's stated location of ERC1155Storage is what ERC-7201's formula gives.
        #expect(StorageLayout.namespaceLocation("openzeppelin.storage.ERC1155").hex32 == "0x88be536d5240c274a3b1d3a1be54482fd9caa294f08c62a7cde569f49a3c4500")
    }

    /// A contract whose owners sit in a layout the candidates miss, or in two mappings at once: discovery refuses,
    /// naming the reason, instead of guessing. The same owners in a layout among the candidates are found.
    @Test(arguments: [
        ([StorageLayout.solidity(slot: 9)], StorageLayout?.some(.solidity(slot: 9))),
        ([.vyper(slot: 30)], .vyper(slot: 30)),
        ([.namespaced(id: "openzeppelin.storage.ERC721", offset: 2)], .namespaced(id: "openzeppelin.storage.ERC721", offset: 2)),
        ([.solidity(slot: 200)], nil),
        ([.solidity(slot: 3), .solidity(slot: 4)], nil),
    ])
    func discoveryRefusesToGuess(_ stored: [StorageLayout], _ expected: StorageLayout?) async throws {
        let fixture = try fixture
        // A contract account holding the index's owners at `stored`, in a world of its own, under a header whose
        // state root is that world's: the candidates are proven against it like any upstream's answer.
        let owners = fixture.chain.record.owners
        var storage = TrieMap()
        for (token, owner) in owners {
            for layout in stored { storage[keccak256(layout.slot(keys: [UInt256(token)]).bigEndianBytes).bytes] = UInt256(address: owner).rlp }
        }
        let source = WorldSource(contract: Self.visions, storage: storage)
        var fields = HeaderFields()
        fields.number = try head.number
        fields.stateRoot = source.accounts.rootHash
        fields.gasLimit = 30_000_000
        let header = try Header(fields)
        let discovery = SlotDiscovery(index: fixture.index, source: source)
        if let expected {
            #expect(try await discovery.discover(.owner, contract: Self.visions, tokenId: nil, at: header) == expected)
        } else {
            await #expect(throws: ProofBuildError.self) { try await discovery.discover(.owner, contract: Self.visions, tokenId: nil, at: header) }
            do {
                _ = try await discovery.discover(.owner, contract: Self.visions, tokenId: nil, at: header)
            } catch {
                #expect("\(error)".contains("not guessing"), "\(error)")
            }
        }
    }

    /// A kept layout that no longer gives the index's answers (as after an upgrade that moved the storage) is
    /// found again, and the bundle carries the right one; without the re-check the wrong slot would be bundled.
    @Test func aKeptLayoutThatDisagreesIsFoundAgain() async throws {
        // A store of its own: the suite's other tests share theirs.
        let fixture = try ProofsTests.Fixture(seed: 13, blocks: 150, watched: DevChain.allContracts)
        let builder = PresentStateBuilder(builder: ProofBuilder(index: fixture.index, chainId: DevChain.chainId), source: ChainStateSource(chain: fixture.chain))
        let key = [Schema.storageLayout.rawValue] + Self.visions.bytes + Array(StateFact.owner.rawValue.utf8)
        try fixture.index.store.put(key, PresentState.json(.solidity(slot: 3)).serialized())
        let token = UInt256(try #require(fixture.chain.record.owners.keys.min()))
        let bundle = try await builder.stateBundle(contract: Self.visions, tokenId: token, holders: [], anchor: .head, events: false)
        #expect(bundle.state?.owner?.layout == .solidity(slot: 2))
        _ = try bundle.verify(trusting: [try #require(try fixture.index.cursor()).hash])
        let kept = try #require(try fixture.index.store.get(key))
        #expect(try PresentState.layout(JSONReader(try JSONValue(parsing: kept))) == .solidity(slot: 2))
    }

    /// Every change to a bundle's state is refused: a byte of any proof node, the layout's slot, a storage proof's
    /// key, the stated owner, user, expiry or balance.
    @Test func tamperedStateIsRefused() async throws {
        let head = try head
        let token = try #require(try fixture.chain.record.rentals.keys.sorted().first { try fixture.chain.record.owners[$0] != nil })
        let bundle = try await builder().stateBundle(contract: Self.visions, tokenId: UInt256(token), holders: [], anchor: .head, events: false)
        _ = try bundle.verify(trusting: [head.hash])
        let state = try #require(bundle.state)
        var tampered: [(String, ProofBundle)] = []
        func with(_ name: String, _ change: (inout PresentState) -> Void) {
            var copy = bundle
            change(&copy.state!)
            tampered.append((name, copy))
        }
        for node in state.account.accountProof.indices {
            with("account node \(node)") { $0.account.accountProof[node][$0.account.accountProof[node].count / 2] ^= 1 }
        }
        for slot in state.account.storageProof.indices {
            for node in state.account.storageProof[slot].proof.indices {
                with("slot \(slot) node \(node)") { $0.account.storageProof[slot].proof[node][$0.account.storageProof[slot].proof[node].count - 3] ^= 0x10 }
            }
            with("slot \(slot) key") { $0.account.storageProof[slot].key = $0.account.storageProof[slot].key &+ UInt256(1) }
            with("slot \(slot) value") { $0.account.storageProof[slot].value = $0.account.storageProof[slot].value &+ UInt256(1) }
        }
        with("owner layout") { $0.owner?.layout = .solidity(slot: 3) }
        with("user layout") { $0.user?.layout = .vyper(slot: 6) }
        with("owner") { $0.owner?.address = Address(bytes: [UInt8](repeating: 7, count: 20)) }
        with("no owner") { $0.owner?.address = nil }
        with("user") { $0.user?.address = Address(bytes: [UInt8](repeating: 7, count: 20))! }
        with("expiry") { $0.user?.expires += 1 }
        with("account nonce") { $0.account.nonce += 1 }
        with("other account") { $0.account.address = Self.editions }
        #expect(tampered.count > 10)
        for (name, copy) in tampered {
            #expect(throws: ProofError.self, "\(name)") { try copy.verify(trusting: [head.hash]) }
        }
        // Balances: a changed value and a holder swapped for another.
        let id = try #require(try fixture.chain.record.editions.keys.min())
        let balances = try await builder().stateBundle(contract: Self.editions, tokenId: UInt256(id), holders: [], anchor: .head, events: false)
        var more = balances
        more.state!.balances[0].value = more.state!.balances[0].value &+ UInt256(1)
        #expect(throws: ProofError.self) { try more.verify(trusting: [head.hash]) }
        var swapped = balances
        swapped.state!.balances[0].holder = Address(bytes: [UInt8](repeating: 9, count: 20))!
        #expect(throws: ProofError.self) { try swapped.verify(trusting: [head.hash]) }
    }

    /// The attacker with a stale history and a fresh state: a bundle whose events end at an earlier transfer (an
    /// earlier anchor's) with the state proven now is refused where they disagree; so is a state bundle whose layout
    /// names another mapping of the same token.
    @Test func theStateMustAgreeWithTheBundlesLatestRecords() async throws {
        let head = try head
        // A token transferred after its mint, still owned.
        let record = try fixture.chain.record
        var chosen: (token: UInt64, before: UInt64)?
        for token in record.owners.keys.sorted() {
            let transfers = try fixture.index.history(contract: Self.visions, tokenId: UInt256(token), limit: AssetIndex.maxPageSize).items
                .filter { $0.record.kind == .transfer }
            if let last = transfers.last, last.block > 1, record.owners[token] != nil { chosen = (token, last.block - 1); break }
        }
        let (token, before) = try #require(chosen)
        let fresh = try await builder().stateBundle(contract: Self.visions, tokenId: UInt256(token), holders: [], anchor: .head, events: true)
        _ = try fresh.verify(trusting: [head.hash])
        let stale = try ProofBuilder(index: fixture.index, chainId: DevChain.chainId).bundle(contract: Self.visions, tokenId: UInt256(token), anchor: .block(before))
        var spliced = fresh
        spliced.events = stale.events
        spliced.claim = stale.claim
        spliced.headers = Array(fresh.headers.drop { (try? Header(rlp: $0).number) ?? 0 < (stale.events.map(\.blockNumber).min() ?? 0) })
        #expect {
            try spliced.verify(trusting: [head.hash])
        } throws: { error in
            guard case ProofError.state(_, .disagreesWithRecord(.owner, _, _)) = error else { return false }
            return true
        }
    }

    /// An upstream's proof is verified before use: a changed value, a proof of an older block's state, or no state
    /// at all is refused, never bundled; with `.auto`, a missing state falls back to the receipts bundle.
    @Test func upstreamsProofsAreVerifiedBeforeUse() async throws {
        let chain = try fixture.chain
        let token = UInt256(try #require(chain.record.owners.keys.min()))
        let liars: [(String, ChainStateSource)] = [
            ("changed value", ChainStateSource(chain: chain, lie: { proof in
                if !proof.storageProof.isEmpty { proof.storageProof[0].value = proof.storageProof[0].value &+ UInt256(1) }
            })),
            ("older state", ChainStateSource(chain: chain, block: { $0 - 3 })),
            ("dropped node", ChainStateSource(chain: chain, lie: { proof in _ = proof.accountProof.popLast() })),
        ]
        for (name, liar) in liars {
            // Refused as the upstream's fault, at the proof: not bundled, not compared with the index first.
            await #expect("\(name)") {
                try await builder(liar).stateBundle(contract: Self.visions, tokenId: token, holders: [], anchor: .head, events: false)
            } throws: { error in
                guard case ProofBuildError.upstream(let reason) = error else { return false }
                return reason.contains("does not verify against its state root")
            }
        }
        let noState = ChainStateSource(chain: chain, block: { _ in UInt64.max })
        let fallback = try await builder(noState).bundle(contract: Self.visions, tokenId: token, anchor: .head, present: .auto)
        #expect(fallback.state == nil && !fallback.headers.isEmpty)
        _ = try fallback.verify(trusting: [try head.hash])
        // With the state available, .auto keeps the smaller of the two.
        let auto = try await builder().bundle(contract: Self.visions, tokenId: token, anchor: .head, present: .auto)
        let scan = try ProofBuilder(index: fixture.index, chainId: DevChain.chainId).bundle(contract: Self.visions, tokenId: token)
        let state = try await builder().bundle(contract: Self.visions, tokenId: token, anchor: .head, present: .state)
        #expect(auto.json.serialized().count == min(scan.json.serialized().count, state.json.serialized().count))
    }
}

/// One contract's storage in a world of its own, served as proofs: for discovery against layouts no dev contract has.
struct WorldSource: StateSource {
    let contract: Address
    let storage: TrieMap
    let accounts: TrieMap

    init(contract: Address, storage: TrieMap) {
        self.contract = contract
        self.storage = storage
        var accounts = TrieMap()
        var leaf = RLPEncoder()
        leaf.appendList { e in
            e.append(UInt64(1))
            e.append(UInt256.zero)
            e.append(storage.rootHash)
            e.append(AccountProof.emptyCodeHash)
        }
        accounts[keccak256(contract.bytes).bytes] = leaf.bytes
        self.accounts = accounts
    }

    func accountProof(of address: Address, slots: [UInt256], block: UInt64) async throws(ProofBuildError) -> AccountProof {
        AccountProof(
            address: address, accountProof: accounts.proof(of: keccak256(address.bytes).bytes), nonce: 1, balance: .zero,
            storageHash: storage.rootHash, codeHash: AccountProof.emptyCodeHash,
            storageProof: slots.map { slot in
                let key = keccak256(slot.bigEndianBytes).bytes
                var reader = RLPReader((storage[key] ?? [0x80])[...])
                let value = (try? reader.readUInt256()) ?? .zero
                return .init(key: slot, value: value, proof: storage.proof(of: key))
            })
    }
}
