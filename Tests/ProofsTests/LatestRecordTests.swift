import AssetContent
import AssetIndex
import DevChain
import EthPrimitives
import EthRPC
import EthTypes
import ProofVerify
import Store
import Testing

@testable import Proofs

/// The attacker who knows the verifier: a bundle of an earlier record (owner, user, AIGC output) extended to a later
/// anchor, with every receipt it may add, must be refused at the block of the record that replaced it. Honest
/// bundles carry the receipts of the blocks whose bloom matches by chance, and verify.
@Suite("Latest records as of the anchor")
struct LatestRecordTests {
    typealias Role = ProofBundle.Role

    var fixture: ProofsTests.Fixture { get throws { try ProofsTests.fixture.get() } }
    static let visions = DevChain.Contract.visions.address

    func bundle(_ token: UInt64, anchor: ProofBuilder.Anchor = .head) throws -> ProofBundle {
        try ProofBuilder(index: fixture.index, chainId: DevChain.chainId).bundle(contract: Self.visions, tokenId: UInt256(token), anchor: anchor)
    }

    var head: (number: UInt64, hash: Hash32) { get throws { try #require(try fixture.index.cursor()) } }

    /// Blocks of the token's records of a role, ascending, from the index's history.
    func recordBlocks(_ token: UInt64, _ role: Role) throws -> [UInt64] {
        let history = try fixture.index.history(contract: Self.visions, tokenId: UInt256(token), limit: AssetIndex.maxPageSize).items
        return history.filter { entry in
            switch role {
            case .ownership: [.mint, .transfer, .burn].contains(entry.record.kind)
            case .user: entry.record.kind == .rental
            case .aigc: entry.record.kind == .aigc
            case .mint: false
            }
        }.map(\.block)
    }

    /// A token with at least two records of the role in different blocks, and the block of its last one.
    func tokenWithLaterRecord(_ role: Role) throws -> (token: UInt64, later: UInt64) {
        for token in 1...(try fixture.chain.record.mintedTokens) {
            let blocks = try recordBlocks(token, role)
            if blocks.count >= 2, let last = blocks.last, blocks[blocks.count - 2] < last { return (token, last) }
        }
        throw ProofError.claim("the dev chain has no token with two \(role) records")
    }

    /// The splice: `stale`, extended header by header to the head, with the complete stored receipts of every added
    /// block whose bloom may hold a later record of what it claims, except the blocks in `omitting`.
    func extendToHead(_ stale: ProofBundle, omitting: Set<UInt64>) throws -> ProofBundle {
        let blocks = BlockStore(store: try fixture.index.store)
        let filter = LaterRecordFilter(contract: stale.claim.contract, tokenId: try #require(stale.claim.tokenId))
        var roles = Set<Role>()
        if stale.claim.owner != nil { roles.insert(.ownership) }
        if stale.claim.user != nil { roles.insert(.user) }
        if !stale.claim.aigc.isEmpty { roles.insert(.aigc) }
        var spliced = stale
        for number in (stale.anchor.number + 1)...(try head.number) {
            let bytes = try #require(try blocks.header(number: number))
            let header = try Header(rlp: bytes)
            spliced.headers.append(bytes)
            if !filter.roles(mayBeIn: header.logsBloom, among: roles).isEmpty, !omitting.contains(number) {
                let body = try #require(try blocks.body(number: number, transactionsRoot: header.transactionsRoot, receiptsRoot: header.receiptsRoot))
                spliced.blockReceipts.append(.init(blockNumber: number, receipts: try #require(body.receipts)))
            }
        }
        spliced.anchor = (try head.number, try head.hash)
        return spliced
    }

    @Test(arguments: [Role.ownership, .user, .aigc])
    func aStaleRecordSplicedToALaterAnchorIsRefusedAtTheLaterRecord(_ role: Role) throws {
        let (token, later) = try tokenWithLaterRecord(role)
        let stale = try bundle(token, anchor: .block(later - 1))
        _ = try stale.verify(trusting: [stale.anchor.hash])
        let current = try bundle(token)
        _ = try current.verify(trusting: [try head.hash])
        switch role {
        case .ownership: #expect(stale.claim.owner != current.claim.owner)
        case .user: #expect(stale.claim.user != current.claim.user)
        default: #expect(stale.claim.aigc.count < current.claim.aigc.count)
        }

        // Without the block of the later record: its bloom gives it away.
        let withoutIt = try extendToHead(stale, omitting: [later])
        #expect {
            try withoutIt.verify(trusting: [try head.hash])
        } throws: { error in
            guard case .absence(later, .receiptsMissing(let roles)) = error as? ProofError else { return false }
            return roles.contains(role)
        }
        // With it: its receipts hold the later record.
        let withIt = try extendToHead(stale, omitting: [])
        #expect {
            try withIt.verify(trusting: [try head.hash])
        } throws: { error in
            if case .absence(later, .laterRecord(role, _, _)) = error as? ProofError { true } else { false }
        }
    }

    @Test func blocksMatchingByChanceAreCarriedAndVerify() throws {
        var chance: [(token: UInt64, block: UInt64)] = []
        for token in 1...(try fixture.chain.record.mintedTokens) {
            let bundle = try bundle(token)
            _ = try bundle.verify(trusting: [try head.hash])
            let recordBlocks = Set(bundle.events.map(\.blockNumber))
            // A carried block that holds none of the claimed records matched the bloom by chance.
            for carried in bundle.blockReceipts where !recordBlocks.contains(carried.blockNumber) {
                chance.append((token, carried.blockNumber))
            }
        }
        let (token, block) = try #require(chance.first, "no bloom matched by chance")
        // Its receipts are needed: without them the bundle is refused, naming the block.
        var stripped = try bundle(token)
        stripped.blockReceipts.removeAll { $0.blockNumber == block }
        #expect {
            try stripped.verify(trusting: [try head.hash])
        } throws: { error in
            if case .absence(block, .receiptsMissing) = error as? ProofError { true } else { false }
        }
    }

    @Test func theRecordsOwnBlockIsCheckedAfterTheRecord() throws {
        // Every latest record's own block matches its own bloom: its receipts are carried, and only logs after the
        // record count as later.
        let (token, _) = try tokenWithLaterRecord(.ownership)
        let bundle = try bundle(token)
        let ownership = try #require(bundle.events.first { $0.role == .ownership })
        #expect(bundle.blockReceipts.contains { $0.blockNumber == ownership.blockNumber })
    }

    /// Changes to the receipts a bundle carries, and the failure each must meet.
    static let receiptTamperings: [(name: String, change: @Sendable (inout ProofBundle) -> Void, expect: @Sendable (AbsenceFailure) -> Bool)] = [
        ("a byte of a carried receipt", { b in
            let last = b.blockReceipts[0].receipts.count - 1
            b.blockReceipts[0].receipts[last][b.blockReceipts[0].receipts[last].count - 1] ^= 1
        }, { if case .receiptsRoot = $0 { true } else { false } }),
        ("a carried receipt left out", { b in b.blockReceipts[0].receipts.removeLast() }, { if case .receiptsRoot = $0 { true } else { false } }),
        ("a block's receipts given twice", { b in b.blockReceipts.append(b.blockReceipts[0]) }, { $0 == .repeated }),
        ("receipts of a block without a header", { b in
            b.blockReceipts.append(.init(blockNumber: b.anchor.number + 1, receipts: []))
        }, { $0 == .noHeader }),
    ]

    @Test(arguments: 0..<Self.receiptTamperings.count)
    func tamperedReceiptsAreCaught(_ i: Int) throws {
        let (name, change, expect) = Self.receiptTamperings[i]
        let (token, _) = try tokenWithLaterRecord(.ownership)
        var bad = try bundle(token)
        change(&bad)
        let trusted: Set<Hash32> = [try head.hash]
        do throws(ProofError) {
            _ = try bad.verify(trusting: trusted)
            Issue.record("\(name): verified")
        } catch {
            guard case .absence(_, let failure) = error else { Issue.record("\(name): \(error)"); return }
            #expect(expect(failure), "\(name): \(error)")
        }
    }

    @Test func aVersion1BundleStillVerifiesAndSaysWhatItDoesNotProve() throws {
        let (token, _) = try tokenWithLaterRecord(.ownership)
        var old = try bundle(token)
        old.version = 1
        old.blockReceipts = []
        old.claim.user = nil
        old.events.removeAll { $0.role == .user }
        for i in old.claim.aigc.indices { (old.claim.aigc[i].prompt, old.claim.aigc[i].aigcData) = (nil, nil) }
        let json = old.json
        #expect(json["blockReceipts"] == nil && json["claim"]?["user"] == nil, "written in version 1's shape")
        let reread = try ProofBundle(json: try JSONValue(parsing: json.serialized()))
        #expect(reread == old)
        let verified = try reread.verify(trusting: [try head.hash])
        #expect(verified.statements.contains { $0.hasPrefix("not proven by this version 1 bundle") })
        // Version 2 fields in a version 1 bundle are not read as proven.
        guard case .object(var members) = json, case .object(var claim)? = members["claim"] else { throw ProofError.claim("shape") }
        claim["user"] = ["address": .string(Address.zero.hex), "expires": "0x1", "blockNumber": "0x1"]
        members["claim"] = .object(claim)
        #expect(try ProofBundle(json: .object(members)).claim.user == nil)
    }

    @Test func promptsAndOutputsAreShownAsCheckedText() throws {
        let record = try fixture.chain.record
        let bundle = try bundle(1)
        let verified = try bundle.verify(trusting: [try head.hash])
        let provenance = try #require(record.provenance[1])
        let prompt = try #require(String(validating: provenance.prompt, as: UTF8.self))
        #expect(verified.statements.contains("  prompt: \"\(prompt)\""))
        // A prompt that does not hash to the record's prompt hash is refused.
        var forged = bundle
        forged.claim.aigc[0].prompt = Array("another prompt".utf8)
        #expect(throws: ProofError.self) { try forged.verify(trusting: [try head.hash]) }
    }

    /// `verify-asset`'s question on every minted token: the dev chain's image files are the proven outputs, each
    /// record its own file; a file with one byte changed is none of them.
    @Test func everyOutputFileMatchesItsProvenRecordAndAChangedByteDoesNot() throws {
        let record = try fixture.chain.record
        var matched = 0, updates = 0
        for token in 1...record.mintedTokens {
            let bundle = try bundle(token)
            let files = try #require(record.outputFiles[token])
            #expect(files.count == bundle.claim.aigc.count, "one file per AIGC record of token \(token)")
            for (file, proven) in zip(files, bundle.claim.aigc) {
                #expect(OutputMatch.match(file, aigcDataHash: proven.aigcDataHash) != nil, "token \(token), block \(proven.blockNumber)")
                var changed = file
                changed[changed.count / 2] ^= 0x01
                #expect(OutputMatch.match(changed, aigcDataHash: proven.aigcDataHash) == nil)
                matched += 1
            }
            updates += files.count - 1
            if files.count > 1 {
                #expect(OutputMatch.match(files[0], aigcDataHash: bundle.claim.aigc.last!.aigcDataHash) == nil, "a replaced output is not the latest")
            }
        }
        #expect(matched >= 100 && updates > 0, "\(matched) files, \(updates) of them updates")
    }

    /// Anchored near its events with anchors every 16 blocks, a token whose mint is far below its latest records
    /// carries the mint in a short segment ending at the mint's own anchor, not every header in between.
    @Test func pastEventsLinkToTheirOwnAnchor() throws {
        let head = try head.number
        let anchors = try AnchorSet.export(from: BlockStore(store: try fixture.index.store), through: head, every: 16, chainId: DevChain.chainId)
        let trusted = Set(anchors.anchors.map(\.hash))
        var segmented = 0
        for token in 1...(try fixture.chain.record.mintedTokens) {
            let near = try bundle(token, anchor: .nearest(every: 16))
            guard !near.segments.isEmpty else { continue }
            segmented += 1
            let whole = try bundle(token, anchor: .block(near.anchor.number))
            #expect(near.claim == whole.claim && near.events == whole.events, "token \(token): the same claim")
            let count = near.headers.count + near.segments.reduce(0) { $0 + $1.count }
            #expect(count < whole.headers.count, "token \(token): \(count) headers in runs, \(whole.headers.count) in one")
            for segment in near.segments { #expect(segment.count <= 16, "a segment reaches no further than the next anchor") }
            let reread = try ProofBundle(json: try JSONValue(parsing: near.json.serialized()))
            #expect(reread == near)
            let verified = try reread.verify(trusting: trusted)
            #expect(verified.statements.contains { $0.hasPrefix("  and block ") })

            // Each segment's end must be trusted too: with only the main anchor, refused at the segment's end.
            let segmentEnd = try Header(rlp: try #require(near.segments.last?.last))
            #expect(throws: ProofError.untrustedAnchor(number: segmentEnd.number, hash: segmentEnd.hash)) {
                try near.verify(trusting: [near.anchor.hash])
            }
            // A segment that overlaps the main run, or a segment header changed: refused.
            var overlapping = near
            overlapping.segments.append(Array(near.headers.prefix(1)))
            #expect { try overlapping.verify(trusting: trusted) } throws: { error in
                if case .headerChain(_, .segmentOrder) = error as? ProofError { true } else { false }
            }
            var changed = near
            changed.segments[0][0][40] ^= 1
            #expect(throws: ProofError.self) { try changed.verify(trusting: trusted) }
        }
        #expect(segmented > 0, "some token has a past event in a segment")
    }

    @Test func aRentalIsProvenWithItsExpiry() throws {
        let record = try fixture.chain.record
        var proven = 0
        for (token, rental) in record.rentals.sorted(by: { $0.key < $1.key }).prefix(5) {
            let bundle = try bundle(token)
            #expect(bundle.claim.user?.address == rental.user, "user of token \(token)")
            #expect(bundle.claim.user?.expires == rental.expires, "expiry of token \(token)")
            let verified = try bundle.verify(trusting: [try head.hash])
            #expect(verified.statements.contains { $0.hasPrefix("user \(rental.user.hex) until \(UTCTime.format(rental.expires))") })
            proven += 1
        }
        #expect(proven > 0)
    }
}

@Suite("Readable text")
struct ReadableTextTests {
    @Test(arguments: [
        ("a lighthouse", "\"a lighthouse\""),
        ("line\nbreak", "\"line\\nbreak\""),
        ("\u{1b}[2JVERIFIED", "\"\\u{1b}[2JVERIFIED\""),
        ("quote \" and \\", "\"quote \\\" and \\\\\""),
        ("\u{202e}txt.exe", "\"\\u{202e}txt.exe\""),
        ("日本語", "\"日本語\""),
    ])
    func textIsQuotedWithControlsEscaped(_ input: String, _ shown: String) {
        #expect(ReadableText.show(Array(input.utf8)) == shown)
    }

    @Test func bytesThatAreNotUTF8AreHex() {
        #expect(ReadableText.show([0xff, 0x00]) == "0xff00 (not UTF-8)")
    }

    @Test(arguments: [
        (UInt64(0), "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ])
    func unixTimesAreISO8601(_ seconds: UInt64, _ text: String) {
        #expect(UTCTime.format(seconds) == text)
    }
}
