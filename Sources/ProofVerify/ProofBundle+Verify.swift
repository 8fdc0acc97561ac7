public import EthPrimitives
internal import EthCrypto
public import EthRLP
public import EthTrie
public import EthTypes
public import TokenEvents

extension ProofBundle {
    /// Headers a bundle may carry: about 60 MB of RLP. A longer span needs an anchor nearer the events.
    public static let maxHeaders = 100_000

    /// What a bundle proved, one statement per line, for people to read.
    public struct Verified: Equatable, Sendable {
        public var statements: [String]
    }

    /// Checks the bundle against the block hashes the verifier trusts, with no network: the header chain links
    /// and hashes up to a trusted anchor; each event's receipt (and transaction) is in its block by a
    /// Merkle-Patricia proof against the header's root; each log decodes to what its role needs; the minter is
    /// recovered from the transaction's signature; the claim says exactly what the events prove; and (version 2)
    /// no block from a latest record to the anchor holds a later record of the same kind for the token: every
    /// header whose logs bloom may hold one comes with its complete receipts, which rebuild its `receiptsRoot` and
    /// hold none. A pure function: the first failed check is thrown, naming the block and what failed.
    public func verify(trusting trusted: Set<Hash32>) throws(ProofError) -> Verified {
        var chain = try verifiedHeaders()
        guard trusted.contains(anchor.hash) else { throw .untrustedAnchor(number: anchor.number, hash: anchor.hash) }
        let segmentEnds = try verifiedSegments(trusting: trusted, into: &chain)
        // An ERC-20 balance bundle names no token: it proves balances by state, and has no token events.
        let tokenId = claim.tokenId ?? .zero
        if claim.tokenId == nil, !events.isEmpty || claim.minter != nil || !claim.aigc.isEmpty || claim.owner != nil || claim.user != nil {
            throw .claim("a claim with no token id (ERC-20 balances) can hold no token events")
        }

        var mints: [(sender: Address, transactionHash: Hash32, block: UInt64)] = []
        var aigc: [(promptHash: Hash32, aigcDataHash: Hash32, block: UInt64)] = []
        var ownership: [(owner: Address?, block: UInt64)] = []
        var users: [(user: Address, expires: UInt64, block: UInt64)] = []
        // The position of the latest record of each kind the claim rests on: the proof of absence starts after it.
        var latest: [Role: LogPosition] = [:]
        var seen: [String: Int] = [:]
        for (i, event) in events.enumerated() {
            func fail(_ failure: EventFailure) -> ProofError { .event(index: i, block: event.blockNumber, failure) }
            // A log may prove a mint and an ownership record at once, but not the same role twice: that would back
            // a claim of two records with one.
            let position = "\(event.role)/\(event.blockNumber)/\(event.transactionIndex)/\(event.logPosition)"
            if let earlier = seen.updateValue(i, forKey: position) { throw fail(.repeated(of: earlier)) }
            guard let header = chain[event.blockNumber] else { throw fail(.noHeader) }
            let receiptBytes = try proven(event.receipt, by: event.receiptProof, root: header.receiptsRoot, index: event.transactionIndex, what: .receipt, fail)
            let receipt: Receipt
            do throws(RLPError) { receipt = try Receipt(encoded: receiptBytes) } catch { throw fail(.receipt(error)) }
            guard event.logPosition < receipt.logs.count else { throw fail(.noLog(position: event.logPosition, count: receipt.logs.count)) }
            let log = receipt.logs[event.logPosition]
            guard log.address == claim.contract else { throw fail(.otherContract(log.address)) }
            let decoded: TokenEvent?
            do throws(EventDecodingError) { decoded = try TokenEvent(log: log) } catch { throw fail(.log(error)) }
            guard let token = decoded else { throw fail(.notATokenEvent) }

            switch event.role {
            case .mint:
                guard token.mints(tokenId) else { throw fail(.notAMint(tokenId: tokenId)) }
                guard let transactionBytes = event.transaction, let transactionProof = event.transactionProof else {
                    throw fail(.missingTransaction)
                }
                let proven = try self.proven(transactionBytes, by: transactionProof, root: header.transactionsRoot, index: event.transactionIndex, what: .transaction, fail)
                let transaction: Transaction
                do throws(TransactionError) { transaction = try Transaction(encoded: proven) } catch { throw fail(.transaction(error)) }
                if let chainId = transaction.fields.chainId, chainId != UInt256(self.chainId) {
                    throw fail(.otherChain(signed: chainId, bundle: self.chainId))
                }
                let sender: Address
                do throws(TransactionError) { sender = try transaction.recoverSender() } catch { throw fail(.sender(error)) }
                mints.append((sender, keccak256(proven), event.blockNumber))
            case .aigc:
                guard let hashes = token.aigcHashes(of: tokenId) else { throw fail(.notAigc(tokenId: tokenId)) }
                aigc.append((hashes.prompt, hashes.output, event.blockNumber))
            case .ownership:
                guard case .erc721Transfer(_, let to, let tokenId) = token, tokenId == claim.tokenId else {
                    throw fail(.notATransfer(tokenId: tokenId))
                }
                ownership.append((to == .zero ? nil : to, event.blockNumber))
            case .user:
                guard case .updateUser(let tokenId, let user, let expires) = token, tokenId == claim.tokenId else {
                    throw fail(.notAnUpdateUser(tokenId: tokenId))
                }
                users.append((user, expires, event.blockNumber))
            }
            if event.role != .mint {
                let position = LogPosition(block: event.blockNumber, transactionIndex: event.transactionIndex, logPosition: event.logPosition)
                if latest[event.role].map({ $0 < position }) ?? true { latest[event.role] = position }
            }
        }
        var checkedBlocks = 0
        var stateStatements: [String] = []
        if let state {
            // The present by storage proofs: the scan's receipts have no place beside them.
            guard blockReceipts.isEmpty else { throw .malformed(field: "blockReceipts", reason: "a bundle whose present is proven by state carries no receipts") }
            guard let anchorHeader = chain[anchor.number] else { throw .headerChain(block: anchor.number, .empty) }
            stateStatements = try state.verified(contract: claim.contract, tokenId: claim.tokenId, stateRoot: anchorHeader.stateRoot, block: anchor.number,
                                                 time: anchorHeader.timestamp)
            try agree(state, ownership: ownership.last, user: users.last)
        } else if version >= 2 {
            checkedBlocks = try checkNoLaterRecords(after: latest, chain: chain)
        }
        var verified = try match(mints: mints, aigc: aigc, ownership: ownership, users: users, checkedBlocks: checkedBlocks, anchorTime: chain[anchor.number]?.timestamp ?? 0)
        verified.statements += stateStatements
        for end in segmentEnds {
            verified.statements.insert("  and block \(end.number) \(end.hash.hex), trusted; \(end.count) headers of earlier events link to it", at: 2)
        }
        return verified
    }

    /// A state proven at the anchor must say what the latest records the events prove say: a slot that is not the
    /// owner's (or the user's) cannot pass for it while the bundle also proves the last transfer (or rental).
    private func agree(_ state: PresentState, ownership: (owner: Address?, block: UInt64)?, user: (user: Address, expires: UInt64, block: UInt64)?) throws(ProofError) {
        if let ownership, let owner = state.owner, owner.address != ownership.owner {
            throw .state(block: anchor.number, .disagreesWithRecord(.owner, state: owner.address?.hex ?? "no owner",
                                                                   record: "\(ownership.owner?.hex ?? "no owner (burned)") from block \(ownership.block)"))
        }
        if let user, let stateUser = state.user, stateUser.address != user.user || stateUser.expires != user.expires {
            throw .state(block: anchor.number, .disagreesWithRecord(.user, state: "\(stateUser.address.hex) until \(stateUser.expires)",
                                                                   record: "\(user.user.hex) until \(user.expires) from block \(user.block)"))
        }
    }

    /// The segments: each decoded, consecutive and linked like the main run, ending at a trusted block, below the
    /// main run and the segment after it; their headers join `chain`. Returns each segment's end and length.
    private func verifiedSegments(trusting trusted: Set<Hash32>, into chain: inout [UInt64: Header]) throws(ProofError) -> [(number: UInt64, hash: Hash32, count: Int)] {
        var ends: [(number: UInt64, hash: Hash32, count: Int)] = []
        var total = headers.count
        var floor = chain.keys.min() ?? 0
        for segment in segments.reversed() {
            total += segment.count
            guard total <= Self.maxHeaders else { throw .headerChain(block: anchor.number, .tooMany(total)) }
            guard !segment.isEmpty else { throw .headerChain(block: floor, .empty) }
            let run = try Self.linkedRun(segment)
            guard let last = run.last, last.number < floor else {
                throw .headerChain(block: run.last?.number ?? 0, .segmentOrder(below: floor))
            }
            guard trusted.contains(last.hash) else { throw .untrustedAnchor(number: last.number, hash: last.hash) }
            for header in run { chain[header.number] = header }
            ends.append((last.number, last.hash, run.count))
            floor = run[0].number
        }
        return ends
    }

    /// Where a log is in the chain, in the chain's order.
    struct LogPosition: Comparable {
        var block: UInt64
        var transactionIndex: Int
        var logPosition: Int

        static func < (a: LogPosition, b: LogPosition) -> Bool {
            (a.block, a.transactionIndex, a.logPosition) < (b.block, b.transactionIndex, b.logPosition)
        }
    }

    /// The proof of absence: from each latest record to the anchor, every block whose bloom may hold a later record
    /// of the same kind for the token must come with its complete receipts, and they must hold none after the
    /// record. Returns how many blocks were checked receipt by receipt.
    private func checkNoLaterRecords(after latest: [Role: LogPosition], chain: [UInt64: Header]) throws(ProofError) -> Int {
        var given: [UInt64: [[UInt8]]] = [:]
        for set in blockReceipts {
            guard chain[set.blockNumber] != nil else { throw .absence(block: set.blockNumber, .noHeader) }
            guard given.updateValue(set.receipts, forKey: set.blockNumber) == nil else { throw .absence(block: set.blockNumber, .repeated) }
        }
        guard let first = latest.values.map(\.block).min() else { return 0 }
        let filter = LaterRecordFilter(contract: claim.contract, tokenId: claim.tokenId ?? .zero)
        var checked = 0
        for number in first...anchor.number {
            guard let header = chain[number] else { throw .absence(block: number, .noHeader) }
            let suspected = filter.roles(mayBeIn: header.logsBloom, among: Set(latest.filter { $0.value.block <= number }.keys))
            guard !suspected.isEmpty else { continue }
            guard let encoded = given[number] else { throw .absence(block: number, .receiptsMissing(suspected)) }
            guard OrderedTrie.root(encoded) == header.receiptsRoot else { throw .absence(block: number, .receiptsRoot(count: encoded.count)) }
            checked += 1
            for (transactionIndex, bytes) in encoded.enumerated() {
                let receipt: Receipt
                do throws(RLPError) { receipt = try Receipt(encoded: bytes) } catch { throw .absence(block: number, .undecodable(index: transactionIndex, error)) }
                for (logPosition, log) in receipt.logs.enumerated() {
                    let here = LogPosition(block: number, transactionIndex: transactionIndex, logPosition: logPosition)
                    for role in suspected where latest[role]! < here && filter.isRecord(log, of: role) {
                        throw .absence(block: number, .laterRecord(role, transactionIndex: transactionIndex, logPosition: logPosition))
                    }
                }
            }
        }
        return checked
    }

    /// The headers, decoded, checked to run consecutively with each `parentHash` the hash of the one before,
    /// and to end at the anchor; by number.
    private func verifiedHeaders() throws(ProofError) -> [UInt64: Header] {
        guard !headers.isEmpty else { throw .headerChain(block: anchor.number, .empty) }
        guard headers.count <= Self.maxHeaders else {
            throw .headerChain(block: anchor.number, .tooMany(headers.count))
        }
        let run = try Self.linkedRun(headers)
        guard let last = run.last, last.number == anchor.number, last.hash == anchor.hash else {
            throw .headerChain(block: run.last?.number ?? 0, .notTheAnchor(number: anchor.number, hash: anchor.hash))
        }
        return Dictionary(uniqueKeysWithValues: run.map { ($0.number, $0) })
    }

    /// Header RLPs decoded and checked to run consecutively, each `parentHash` the hash of the one before.
    private static func linkedRun(_ encoded: [[UInt8]]) throws(ProofError) -> [Header] {
        var run: [Header] = []
        run.reserveCapacity(encoded.count)
        for (i, bytes) in encoded.enumerated() {
            let header: Header
            do throws(HeaderError) { header = try Header(rlp: bytes) } catch {
                throw .headerChain(block: run.last.map { $0.number + 1 } ?? 0, .undecodable(index: i, error))
            }
            if let previous = run.last {
                guard header.number == previous.number + 1 else {
                    throw .headerChain(block: header.number, .notConsecutive(previous: previous.number))
                }
                guard header.parentHash == previous.hash else {
                    throw .headerChain(block: header.number, .brokenLink(parentHash: header.parentHash, previousHash: previous.hash, previous: previous.number))
                }
            }
            run.append(header)
        }
        return run
    }

    /// The value a Merkle-Patricia proof shows under item `index` of a block's list: it must be `claimed`.
    private func proven(_ claimed: [UInt8], by proof: [[UInt8]], root: Hash32, index: Int, what: ProvenItem,
                        _ fail: (EventFailure) -> ProofError) throws(ProofError) -> [UInt8] {
        let value: [UInt8]?
        do throws(TrieError) { value = try MerklePatriciaTrie.verify(root: root, key: OrderedTrie.key(index), proof: proof) } catch {
            throw fail(.proof(what, error))
        }
        guard let value else { throw fail(.absent(what, index: index)) }
        guard value == claimed else { throw fail(.notTheProven(what, index: index)) }
        return value
    }

    /// The claim must say exactly what the events proved: every claimed part backed, nothing proved left out.
    private func match(mints: [(sender: Address, transactionHash: Hash32, block: UInt64)],
                       aigc: [(promptHash: Hash32, aigcDataHash: Hash32, block: UInt64)],
                       ownership: [(owner: Address?, block: UInt64)],
                       users: [(user: Address, expires: UInt64, block: UInt64)],
                       checkedBlocks: Int, anchorTime: UInt64) throws(ProofError) -> Verified {
        let asOfAnchor = "none after it up to the anchor (block \(anchor.number))"
        // With the present proven by state, the latest records are past events; the state statements say the rest.
        let byScan = version >= 2 && state == nil
        let token = claim.tokenId.map { "token \($0.quantity) of \(claim.contract.hex)" } ?? "shares of \(claim.contract.hex)"
        var statements = ["anchor: block \(anchor.number) \(anchor.hash.hex), trusted; \(headers.count) header\(headers.count == 1 ? "" : "s") link\(headers.count == 1 ? "s" : "") to it"]
        switch (claim.minter, mints.first) {
        case (nil, nil): break
        case (let minter?, let mint?) where mints.count == 1:
            guard minter.address == mint.sender else { throw .claim("minter \(minter.address.hex), but the mint transaction was signed by \(mint.sender.hex)") }
            guard minter.transactionHash == mint.transactionHash, minter.blockNumber == mint.block else {
                throw .claim("the minter's transaction or block is not the proven mint's (\(mint.transactionHash.hex), block \(mint.block))")
            }
            statements.append("minted by \(minter.address.hex) in block \(minter.blockNumber), transaction \(minter.transactionHash.hex) (sender recovered from its signature)")
        default:
            throw .claim("\(claim.minter == nil ? "no minter" : "a minter") is claimed, and \(mints.count) mint events are given")
        }
        guard claim.aigc.count == aigc.count else { throw .claim("\(claim.aigc.count) AIGC records claimed, \(aigc.count) proven") }
        for (claimed, proven) in zip(claim.aigc, aigc) {
            guard claimed.promptHash == proven.promptHash, claimed.aigcDataHash == proven.aigcDataHash, claimed.blockNumber == proven.block else {
                throw .claim("the AIGC record of block \(claimed.blockNumber) is not the one proven in block \(proven.block)")
            }
            statements.append("AIGC record in block \(proven.block): prompt hash \(proven.promptHash.hex), output hash \(proven.aigcDataHash.hex)")
            if let prompt = claimed.prompt {
                guard keccak256(prompt) == claimed.promptHash else { throw .claim("the prompt of the AIGC record of block \(claimed.blockNumber) does not hash to its prompt hash") }
                statements.append("  prompt: \(ReadableText.show(prompt))")
            }
            if let output = claimed.aigcData {
                guard keccak256(output) == claimed.aigcDataHash else { throw .claim("the output of the AIGC record of block \(claimed.blockNumber) does not hash to its output hash") }
                statements.append("  output: \(ReadableText.show(output))")
            }
        }
        if byScan, let last = claim.aigc.last {
            statements.append("the AIGC record of block \(last.blockNumber) is the latest: \(asOfAnchor)")
        }
        switch (claim.owner, ownership.first) {
        case (nil, nil): break
        case (let owner?, let proven?) where ownership.count == 1:
            guard owner.address == proven.owner, owner.blockNumber == proven.block else {
                throw .claim("owner \(owner.address?.hex ?? "none (burned)") in block \(owner.blockNumber), but the proven transfer gives it to \(proven.owner?.hex ?? "none (a burn)") in block \(proven.block)")
            }
            if byScan {
                statements.append(owner.address.map { "owned by \($0.hex) as of the anchor: transferred to it in block \(owner.blockNumber), \(asOfAnchor)" }
                    ?? "burned in block \(owner.blockNumber): no transfer after it up to the anchor (block \(anchor.number))")
            } else {
                statements.append(owner.address.map { "transferred to \($0.hex) in block \(owner.blockNumber)" } ?? "burned in block \(owner.blockNumber)")
                if version < 2 { statements.append("not proven by this version 1 bundle: that no later transfer moved it (version 2 bundles prove it)") }
            }
        default:
            throw .claim("\(claim.owner == nil ? "no owner" : "an owner") is claimed, and \(ownership.count) ownership events are given")
        }
        switch (claim.user, users.first) {
        case (nil, nil): break
        case (let user?, let proven?) where users.count == 1:
            guard user.address == proven.user, user.expires == proven.expires, user.blockNumber == proven.block else {
                throw .claim("user \(user.address.hex) until \(user.expires) in block \(user.blockNumber), but the proven UpdateUser sets \(proven.user.hex) until \(proven.expires) in block \(proven.block)")
            }
            let active = user.address != .zero && user.expires >= anchorTime
            let inForce = active ? "active at the anchor's time (\(UTCTime.format(anchorTime)))" : "not in force at the anchor's time (\(UTCTime.format(anchorTime)))"
            // Without the scan, this is the bundle's last rental record; the state proof says whether it still holds.
            let after = byScan ? asOfAnchor : "the bundle's last rental record"
            if user.address == .zero {
                statements.append("no user: cleared in block \(user.blockNumber), \(after)")
            } else {
                statements.append("user \(user.address.hex) until \(UTCTime.format(user.expires)), set in block \(user.blockNumber), \(after); \(inForce)")
            }
        default:
            throw .claim("\(claim.user == nil ? "no user" : "a user") is claimed, and \(users.count) user events are given")
        }
        if checkedBlocks > 0 {
            statements.append("\(checkedBlocks) block\(checkedBlocks == 1 ? "" : "s") whose bloom may hold a later record checked receipt by receipt")
        }
        statements.insert("\(token):", at: 0)
        return Verified(statements: statements)
    }
}
