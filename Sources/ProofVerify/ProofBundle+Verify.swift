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
    /// recovered from the transaction's signature; and the claim says exactly what the events prove.
    /// A pure function: the first failed check is thrown, naming the block and what failed.
    public func verify(trusting trusted: Set<Hash32>) throws(ProofError) -> Verified {
        let chain = try verifiedHeaders()
        guard trusted.contains(anchor.hash) else { throw .untrustedAnchor(number: anchor.number, hash: anchor.hash) }

        var mints: [(sender: Address, transactionHash: Hash32, block: UInt64)] = []
        var aigc: [(promptHash: Hash32, aigcDataHash: Hash32, block: UInt64)] = []
        var ownership: [(owner: Address?, block: UInt64)] = []
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
                guard token.mints(claim.tokenId) else { throw fail(.notAMint(tokenId: claim.tokenId)) }
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
                guard let hashes = token.aigcHashes(of: claim.tokenId) else { throw fail(.notAigc(tokenId: claim.tokenId)) }
                aigc.append((hashes.prompt, hashes.output, event.blockNumber))
            case .ownership:
                guard case .erc721Transfer(_, let to, let tokenId) = token, tokenId == claim.tokenId else {
                    throw fail(.notATransfer(tokenId: claim.tokenId))
                }
                ownership.append((to == .zero ? nil : to, event.blockNumber))
            }
        }
        return try match(mints: mints, aigc: aigc, ownership: ownership)
    }

    /// The headers, decoded, checked to run consecutively with each `parentHash` the hash of the one before,
    /// and to end at the anchor; by number.
    private func verifiedHeaders() throws(ProofError) -> [UInt64: Header] {
        guard !headers.isEmpty else { throw .headerChain(block: anchor.number, .empty) }
        guard headers.count <= Self.maxHeaders else {
            throw .headerChain(block: anchor.number, .tooMany(headers.count))
        }
        var chain: [UInt64: Header] = [:]
        var previous: Header?
        for (i, bytes) in headers.enumerated() {
            let header: Header
            do throws(HeaderError) { header = try Header(rlp: bytes) } catch {
                throw .headerChain(block: previous.map { $0.number + 1 } ?? 0, .undecodable(index: i, error))
            }
            if let previous {
                guard header.number == previous.number + 1 else {
                    throw .headerChain(block: header.number, .notConsecutive(previous: previous.number))
                }
                guard header.parentHash == previous.hash else {
                    throw .headerChain(block: header.number, .brokenLink(parentHash: header.parentHash, previousHash: previous.hash, previous: previous.number))
                }
            }
            chain[header.number] = header
            previous = header
        }
        guard let last = previous, last.number == anchor.number, last.hash == anchor.hash else {
            throw .headerChain(block: previous?.number ?? 0, .notTheAnchor(number: anchor.number, hash: anchor.hash))
        }
        return chain
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
                       ownership: [(owner: Address?, block: UInt64)]) throws(ProofError) -> Verified {
        let token = "token \(claim.tokenId.quantity) of \(claim.contract.hex)"
        var statements = ["anchor: block \(anchor.number) \(anchor.hash.hex), trusted; \(headers.count) headers link to it"]
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
        }
        switch (claim.owner, ownership.first) {
        case (nil, nil): break
        case (let owner?, let proven?) where ownership.count == 1:
            guard owner.address == proven.owner, owner.blockNumber == proven.block else {
                throw .claim("owner \(owner.address?.hex ?? "none (burned)") in block \(owner.blockNumber), but the proven transfer gives it to \(proven.owner?.hex ?? "none (a burn)") in block \(proven.block)")
            }
            statements.append(owner.address.map { "transferred to \($0.hex) in block \(owner.blockNumber)" } ?? "burned in block \(owner.blockNumber)")
            statements.append("not proven by this bundle: that no later transfer moved it; that rests on the node having verified every block's logs bloom up to the anchor")
        default:
            throw .claim("\(claim.owner == nil ? "no owner" : "an owner") is claimed, and \(ownership.count) ownership events are given")
        }
        statements.insert("\(token):", at: 0)
        return Verified(statements: statements)
    }
}
