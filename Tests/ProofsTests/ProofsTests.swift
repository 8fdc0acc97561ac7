import AssetIndex
import DevChain
import EthCrypto
import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import Ingest
import ProofVerify
import Store
import Testing
import TestSupport

@testable import Proofs

/// Proof bundles built from a dev chain indexed into a real LevelDB, checked with no store at all: every token's
/// bundle verifies and says what the generator's own record says; every kind of tampering is caught by name.
@Suite("Proof bundles")
struct ProofsTests {
    /// One indexed chain for the suite (building it is the slow part).
    final class Fixture: Sendable {
        let chain: DevChain
        let index: AssetIndex
        let path: String

        /// By default the shares contract is not watched: blocks that mix its transactions with the others keep
        /// partial bodies, so bundles come from both kinds.
        init(seed: UInt64 = 11, blocks: UInt64 = 400, watched: Set<Address> = [DevChain.Contract.visions.address, DevChain.Contract.editions.address]) throws {
            var chain = DevChain(seed: seed)
            chain.grow(to: blocks)
            path = temporaryPath("proofs")
            index = try chain.index(into: try LevelDB(path: path), watched: watched)
            self.chain = chain
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static let fixture = Result { try Fixture() }
    static let visions = DevChain.Contract.visions.address

    var fixture: Fixture { get throws { try Self.fixture.get() } }

    func bundle(_ token: UInt64, anchor: ProofBuilder.Anchor = .head) throws -> ProofBundle {
        try ProofBuilder(index: fixture.index, chainId: DevChain.chainId).bundle(contract: Self.visions, tokenId: UInt256(token), anchor: anchor)
    }

    var head: Hash32 { get throws { try #require(try fixture.index.cursor()).hash } }

    @Test func tokensBundlesVerifyAndMatchTheGeneratorsRecord() throws {
        let record = try fixture.chain.record
        #expect(record.mintedTokens >= 20)
        let blocks = BlockStore(store: try fixture.index.store)
        var fromPartialBodies = 0, fromWholeBodies = 0
        // Every ninth token, the first and the last: each bundle carries and checks hundreds of headers.
        for token in Set(stride(from: 1, through: record.mintedTokens, by: 9)).union([1, record.mintedTokens]).sorted() {
            let bundle = try bundle(token)
            // Through JSON bytes and back: what a user saves and later checks.
            let reread = try ProofBundle(json: try JSONValue(parsing: bundle.json.serialized()))
            #expect(reread == bundle)
            let verified = try reread.verify(trusting: [try head])
            let provenance = try #require(record.provenance[token])
            #expect(reread.claim.minter?.address == provenance.minter, "minter of token \(token)")
            #expect(reread.claim.aigc.first?.promptHash == keccak256(provenance.prompt))
            #expect(reread.claim.aigc.first?.aigcDataHash == keccak256(provenance.output))
            #expect(reread.claim.owner?.address == record.owners[token], "owner of token \(token)")
            #expect(verified.statements.contains { $0.hasPrefix("minted by \(provenance.minter.hex)") })
            for event in bundle.events {
                let header = try fixture.chain.blocks[Int(event.blockNumber)].header
                let body = try #require(try blocks.body(number: event.blockNumber, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot))
                if body.isWhole { fromWholeBodies += 1 } else { fromPartialBodies += 1 }
            }
        }
        #expect(fromPartialBodies >= 5 && fromWholeBodies >= 5, "events from \(fromPartialBodies) partial and \(fromWholeBodies) whole bodies")
    }

    /// On an OP Stack chain a bundle proves against an L2 block hash (the anchor the user trusts): the mint's
    /// transaction and receipt prove against roots whose blocks open with a deposit and whose deposit receipts
    /// carry their nonce, and the anchor's chain links them.
    @Test func opStackBundlesVerifyAgainstAnL2Anchor() throws {
        var chain = DevChain(seed: 12, family: .opStack)
        chain.grow(to: 160)
        let index = try chain.index()
        let head = try #require(try index.cursor()).hash
        #expect(head == chain.head.header.hash)
        let record = chain.record
        #expect(record.mintedTokens >= 5)
        let builder = ProofBuilder(index: index, chainId: DevChain.opStackChainId)
        for token in [1, record.mintedTokens / 2, record.mintedTokens] {
            let bundle = try builder.bundle(contract: Self.visions, tokenId: UInt256(token), anchor: .head)
            let reread = try ProofBundle(json: try JSONValue(parsing: bundle.json.serialized()))
            let verified = try reread.verify(trusting: [head])
            let provenance = try #require(record.provenance[token])
            #expect(reread.claim.minter?.address == provenance.minter, "minter of token \(token)")
            #expect(reread.claim.owner?.address == record.owners[token], "owner of token \(token)")
            #expect(verified.statements.contains { $0.hasPrefix("minted by \(provenance.minter.hex)") })
            // Every block a bundle carries is an OP Stack block of this chain.
            for event in reread.events {
                #expect(chain.blocks[Int(event.blockNumber)].transactions.first?.type == .deposit)
            }
            // The L1 chain's trust does not carry over: another anchor is refused.
            #expect(throws: ProofError.self) { try reread.verify(trusting: [DevChain.genesis.header.hash]) }
        }
    }

    @Test func anERC1155IdProvesItsMintAndNoOwner() throws {
        let editions = DevChain.Contract.editions.address
        let id = try #require(try fixture.chain.record.editions.keys.min())
        let bundle = try ProofBuilder(index: fixture.index, chainId: DevChain.chainId).bundle(contract: editions, tokenId: UInt256(id))
        #expect(bundle.claim.owner == nil, "ERC-1155 ids have holders, not an owner")
        #expect(bundle.events.map(\.role) == [.mint])
        let verified = try bundle.verify(trusting: [try head])
        #expect(verified.statements.contains { $0.hasPrefix("minted by ") })
    }

    @Test func anEarlierAnchorGivesTheOwnershipOfThatBlock() throws {
        let full = try bundle(1)
        let mintBlock = try #require(full.claim.minter?.blockNumber)
        let early = try bundle(1, anchor: .block(mintBlock))
        #expect(early.anchor.number == mintBlock)
        #expect(early.headers.count == 1)
        #expect(early.claim.owner?.blockNumber == mintBlock)
        #expect(throws: ProofError.untrustedAnchor(number: mintBlock, hash: early.anchor.hash)) { try early.verify(trusting: [try head]) }
        _ = try early.verify(trusting: [early.anchor.hash])
    }

    @Test func aNearestAnchorIsTheNextMultipleAndAnExportedAnchorSetTrustsIt() throws {
        let head = try #require(try fixture.index.cursor()).number
        let anchors = try AnchorSet.export(from: BlockStore(store: fixture.index.store), through: head, every: 64, chainId: DevChain.chainId)
        #expect(anchors.anchors.map(\.number) == Array(stride(from: 0, through: head, by: 64)))
        #expect(try AnchorSet(json: try JSONValue(parsing: anchors.json.serialized())) == anchors)
        var nearer = 0
        for token in [UInt64(1), 2, 3, 4, 5] {
            let full = try bundle(token)
            let near = try bundle(token, anchor: .nearest(every: 64))
            let last = near.events.map(\.blockNumber).max()!
            // The first multiple of 64 at or above the last event, or the head when there is none below it.
            let expected = (last + 63) / 64 * 64 <= head ? (last + 63) / 64 * 64 : head
            #expect(near.anchor.number == expected, "token \(token)")
            #expect(near.claim == full.claim, "nothing of token \(token) happened after its last event")
            if near.anchor.number < head { nearer += 1 }
            // Trusted through the exported set alone, unless it fell back to the head.
            if near.anchor.number % 64 == 0 {
                _ = try near.verify(trusting: Set(anchors.anchors.map(\.hash)))
            }
        }
        #expect(nearer > 0, "some bundle anchored below the head")
    }

    @Test func nothingIndexedIsNotABundle() throws {
        let unavailable = { (error: any Error) in if case .unavailable? = error as? ProofBuildError { true } else { false } }
        #expect { try bundle(10_000) } throws: { unavailable($0) }
        #expect { try bundle(1, anchor: .block(1_000_000)) } throws: { unavailable($0) }
    }

    /// Each change to a good bundle, and the error kind it must meet.
    static let tamperings: [(name: String, change: @Sendable (inout ProofBundle) -> Void, expect: @Sendable (ProofError) -> Bool)] = [
        ("a byte of a middle header", { $0.headers[$0.headers.count / 2][40] ^= 1 }, { if case .headerChain(_, .brokenLink) = $0 { true } else { false } }),
        ("a header left out", { $0.headers.remove(at: $0.headers.count / 2) }, { if case .headerChain(_, .notConsecutive) = $0 { true } else { false } }),
        ("the anchor hash", { $0.anchor.hash = Hash32(bytes: [UInt8](repeating: 7, count: 32))! }, { if case .headerChain(_, .notTheAnchor) = $0 { true } else { false } }),
        ("a byte of the mint receipt", { $0.events[0].receipt[$0.events[0].receipt.count - 1] ^= 1 }, { if case .event(0, _, .notTheProven(.receipt, _)) = $0 { true } else { false } }),
        ("a receipt proof node dropped", { $0.events[0].receiptProof.removeLast() }, { if case .event(0, _, .proof(.receipt, _)) = $0 { true } else { false } }),
        ("another log of the receipt", { $0.events[0].logPosition += 1 }, { error in
            switch error {
            case .event(0, _, .notAMint), .event(0, _, .noLog): true
            default: false
            }
        }),
        ("another transaction index", { $0.events[0].transactionIndex += 1 }, { error in
            switch error {
            case .event(0, _, .proof(.receipt, _)), .event(0, _, .absent(.receipt, _)), .event(0, _, .notTheProven(.receipt, _)): true
            default: false
            }
        }),
        ("the mint's transaction left out", { $0.events[0].transaction = nil }, { if case .event(0, _, .missingTransaction) = $0 { true } else { false } }),
        ("a byte of the mint transaction", { $0.events[0].transaction![20] ^= 1 }, { if case .event(0, _, .notTheProven(.transaction, _)) = $0 { true } else { false } }),
        ("the bundle's chain id", { $0.chainId += 1 }, { if case .event(0, _, .otherChain) = $0 { true } else { false } }),
        ("the claimed minter", { $0.claim.minter!.address = Address(bytes: [UInt8](repeating: 9, count: 20))! }, { if case .claim = $0 { true } else { false } }),
        ("the claimed owner", { $0.claim.owner!.address = Address(bytes: [UInt8](repeating: 9, count: 20))! }, { if case .claim = $0 { true } else { false } }),
        ("the claimed prompt hash", { $0.claim.aigc[0].promptHash = Hash32(bytes: [UInt8](repeating: 9, count: 32))! }, { if case .claim = $0 { true } else { false } }),
        ("an AIGC record claimed without its event", { $0.events.removeAll { $0.role == .aigc } }, { if case .claim = $0 { true } else { false } }),
        // Refused as a claim the events do not back, or, when the token's ownership record is its mint, as that log
        // given twice in one role.
        ("the mint event relabelled as ownership", { $0.events[0].role = .ownership }, { error in
            switch error {
            case .claim, .event(_, _, .repeated): true
            default: false
            }
        }),
        ("the AIGC event given twice", { b in
            b.events.append(b.events.first { $0.role == .aigc }!)
            b.claim.aigc.append(b.claim.aigc[0])
        }, { if case .event(_, _, .repeated) = $0 { true } else { false } }),
        ("another token claimed", { $0.claim.tokenId = $0.claim.tokenId! + UInt256(1) }, { if case .event(0, _, .notAMint) = $0 { true } else { false } }),
    ]

    @Test(arguments: 0..<Self.tamperings.count)
    func tamperingIsCaught(_ i: Int) throws {
        let (name, change, expect) = Self.tamperings[i]
        let good = try bundle(2)
        _ = try good.verify(trusting: [try head])
        var bad = good
        change(&bad)
        let trusted: Set<Hash32> = [try head]
        do throws(ProofError) {
            _ = try bad.verify(trusting: trusted)
            Issue.record("\(name): verified")
        } catch {
            #expect(expect(error), "\(name): \(error)")
        }
    }

    @Test func malformedBundlesNameTheField() throws {
        let good = try bundle(3).json
        guard case .object(var members) = good, case .object(var claim)? = members["claim"] else { throw ProofError.claim("shape") }
        claim["tokenId"] = "0x01"
        members["claim"] = .object(claim)
        #expect(throws: ProofError.malformed(field: "claim.tokenId", reason: "\(HexError.leadingZeros)")) { try ProofBundle(json: .object(members)) }
        members = good.objectMembers
        members["headers"] = .array([.string("0xzz")])
        #expect(throws: ProofError.self) { try ProofBundle(json: .object(members)) }
        members = good.objectMembers
        members["version"] = 4
        #expect(throws: ProofError.malformed(field: "version", reason: "this build reads versions 1 to 3 (a JSON number)")) { try ProofBundle(json: .object(members)) }
        members = good.objectMembers
        members["present"] = ["proof": "guess"]
        #expect(throws: ProofError.malformed(field: "present.proof", reason: "\"guess\" is neither \"receipts\" nor \"state\"")) { try ProofBundle(json: .object(members)) }
        members["present"] = nil
        #expect(throws: ProofError.malformed(field: "present", reason: "missing")) { try ProofBundle(json: .object(members)) }
        members = good.objectMembers
        members["blockReceipts"] = nil
        #expect(throws: ProofError.malformed(field: "blockReceipts", reason: "missing")) { try ProofBundle(json: .object(members)) }
        members = good.objectMembers
        members["anchor"] = nil
        #expect(throws: ProofError.malformed(field: "anchor", reason: "missing")) { try ProofBundle(json: .object(members)) }
    }
}

extension JSONValue {
    var objectMembers: [String: JSONValue] {
        if case .object(let members) = self { return members }
        return [:]
    }
}
