public import EthPrimitives
public import EthRLP
public import EthTrie
public import EthTypes
public import TokenEvents

/// Why a proof bundle or an anchors file could not be read, or a bundle did not verify. Verification errors name the
/// block and the check.
public enum ProofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bundle's JSON does not have the shape of a readable version: the field path and what is wrong with it.
    case malformed(field: String, reason: String)
    /// The header chain does not hold: which block and which link or field.
    case headerChain(block: UInt64, HeaderChainFailure)
    /// The bundle's anchor is none of the hashes the verifier trusts.
    case untrustedAnchor(number: UInt64, hash: Hash32)
    /// An event does not prove what it is there for: its position in `events`, its block, and the failed check.
    case event(index: Int, block: UInt64, EventFailure)
    /// The claim asserts something no event of the bundle proves, or the events prove something else.
    case claim(String)
    /// The proof that nothing after a latest record replaced it does not hold at this block.
    case absence(block: UInt64, AbsenceFailure)
    /// The present state's storage proofs against the anchor's `stateRoot` do not hold.
    case state(block: UInt64, StateFailure)

    public var description: String {
        switch self {
        case .malformed(let field, let reason): return "bundle field \(field): \(reason)"
        case .headerChain(let block, let failure): return "header chain, block \(block): \(failure)"
        case .untrustedAnchor(let number, let hash):
            return "the anchor (block \(number), \(hash.hex)) is not trusted: pass its hash with --trust, an anchors file that lists it with --anchors, or a chainspec that has it as a checkpoint with --chain"
        case .event(let index, let block, let failure): return "event \(index) (block \(block)): \(failure)"
        case .claim(let reason): return "claim: \(reason)"
        case .absence(let block, let failure): return "block \(block): \(failure)"
        case .state(let block, let failure): return "state at block \(block): \(failure)"
        }
    }
}

/// Why a present-state proof was refused.
public enum StateFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The proof is of another account than the token's contract.
    case otherAccount(Address)
    /// The account or a storage proof does not hold against the state root.
    case proof(AccountProof.Failure)
    /// The slot the layout gives for a fact has no storage proof in the bundle.
    case noSlot(StateFact, slot: UInt256)
    /// The slot holds a word that is not a value of the fact's type (bits set above an address, say).
    case notAValue(StateFact, word: UInt256)
    /// The slot's proven value is not the one the bundle states.
    case value(StateFact, stated: String, proven: String)
    /// The proven state contradicts the latest record the bundle's events prove.
    case disagreesWithRecord(StateFact, state: String, record: String)
    /// A fact about a token in a bundle of no token, or a balance of no holder.
    case noToken(StateFact)

    public var description: String {
        switch self {
        case .otherAccount(let address): return "the account proof is of \(address.hex), not of the token's contract"
        case .proof(let failure): return "\(failure)"
        case .noSlot(let fact, let slot): return "the \(fact.rawValue) slot \(slot.hex32) its layout gives has no storage proof"
        case .notAValue(let fact, let word): return "the \(fact.rawValue) slot holds \(word.hex32), which is not a value of its type: the layout is not this contract's"
        case .value(let fact, let stated, let proven): return "the bundle states \(fact.rawValue) \(stated), the proven slot holds \(proven)"
        case .disagreesWithRecord(let fact, let state, let record):
            return "the proven \(fact.rawValue) is \(state), and the latest record the bundle proves says \(record): either the slot is not the \(fact.rawValue)'s or a later record is missing"
        case .noToken(let fact): return "a \(fact.rawValue) fact needs the claim's token id"
        }
    }
}

/// Why a bundle does not show that a latest record (owner, user, AIGC output) is still the latest at the anchor.
public enum AbsenceFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The block's bloom may hold a later record of these kinds, and the bundle lacks the block's receipts.
    case receiptsMissing([ProofBundle.Role])
    /// The block's receipts in the bundle do not rebuild its `receiptsRoot`.
    case receiptsRoot(count: Int)
    case undecodable(index: Int, RLPError)
    /// A log that records the token again after the claimed record: the claim is stale.
    case laterRecord(ProofBundle.Role, transactionIndex: Int, logPosition: Int)
    /// Receipts for a block the bundle has no header of.
    case noHeader
    /// Two sets of receipts for one block.
    case repeated

    public var description: String {
        switch self {
        case .receiptsMissing(let roles):
            return "its logs bloom may hold a later \(roles.map(Self.name).joined(separator: " or ")) record of the token, and the bundle does not carry the block's receipts to show it does not"
        case .receiptsRoot(let count): return "the bundle's \(count) receipts of the block do not rebuild its receiptsRoot"
        case .undecodable(let index, let error): return "receipt \(index) does not decode: \(error)"
        case .laterRecord(let role, let transactionIndex, let logPosition):
            return "receipt \(transactionIndex), log \(logPosition) is a later \(Self.name(role)) record of the token: the claim is not the latest as of the anchor"
        case .noHeader: return "receipts for a block the bundle has no header of"
        case .repeated: return "the block's receipts are given twice"
        }
    }

    static func name(_ role: ProofBundle.Role) -> String {
        switch role {
        case .ownership: return "ownership (ERC-721 Transfer)"
        case .user: return "ERC-4907 UpdateUser"
        case .aigc: return "ERC-7007"
        case .mint: return "mint"
        }
    }
}

/// Why a bundle's headers do not link to its anchor.
public enum HeaderChainFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    /// More headers than `ProofBundle.maxHeaders`.
    case tooMany(Int)
    /// `headers[index]` is not a header.
    case undecodable(index: Int, HeaderError)
    /// A header that does not follow the one before it by number.
    case notConsecutive(previous: UInt64)
    /// A header whose `parentHash` is not the hash of the one before it.
    case brokenLink(parentHash: Hash32, previousHash: Hash32, previous: UInt64)
    /// The last header is not the anchor.
    case notTheAnchor(number: UInt64, hash: Hash32)
    /// A segment that does not end below the run after it.
    case segmentOrder(below: UInt64)

    public var description: String {
        switch self {
        case .empty: return "the bundle has no headers"
        case .tooMany(let count): return "\(count) headers, more than \(ProofBundle.maxHeaders)"
        case .undecodable(let index, let error): return "headers[\(index)] does not decode: \(error)"
        case .notConsecutive(let previous): return "follows block \(previous); headers must be consecutive"
        case .brokenLink(let parentHash, let previousHash, let previous):
            return "parentHash \(parentHash.hex) is not the hash of block \(previous), \(previousHash.hex)"
        case .notTheAnchor(let number, let hash): return "the last header is not the anchor (block \(number), \(hash.hex))"
        case .segmentOrder(let below): return "a segment must end below block \(below), where the run after it starts"
        }
    }
}

/// What a bundle's event proves with a Merkle-Patricia proof against its header.
public enum ProvenItem: String, Sendable {
    case receipt, transaction
}

/// Why one event of a bundle does not prove what it is there for, with the failed check's own error.
public enum EventFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The same log in the same role as an earlier event: one log would back two records.
    case repeated(of: Int)
    case noHeader
    /// The proof does not verify against the header's root.
    case proof(ProvenItem, TrieError)
    /// The proof shows no item at the event's index.
    case absent(ProvenItem, index: Int)
    /// The proof shows another item than the one the event carries.
    case notTheProven(ProvenItem, index: Int)
    case receipt(RLPError)
    case noLog(position: Int, count: Int)
    case otherContract(Address)
    case log(EventDecodingError)
    case notATokenEvent
    case notAMint(tokenId: UInt256)
    case missingTransaction
    case transaction(TransactionError)
    /// The mint transaction is signed for another chain than the bundle's.
    case otherChain(signed: UInt256, bundle: UInt64)
    case sender(TransactionError)
    case notAigc(tokenId: UInt256)
    case notATransfer(tokenId: UInt256)
    case notAnUpdateUser(tokenId: UInt256)

    public var description: String {
        switch self {
        case .repeated(let earlier): return "the same log in the same role as event \(earlier)"
        case .noHeader: return "no header of this block in the bundle"
        case .proof(let item, let error): return "\(item) proof against the header's root: \(error)"
        case .absent(let item, let index): return "the \(item) proof shows no item \(index) in the block"
        case .notTheProven(let item, let index): return "the \(item) is not the one the proof shows at index \(index)"
        case .receipt(let error): return "receipt does not decode: \(error)"
        case .noLog(let position, let count): return "the receipt has \(count) logs, no log at position \(position)"
        case .otherContract(let address): return "the log is from \(address.hex), not the claimed contract"
        case .log(let error): return "the log does not decode: \(error)"
        case .notATokenEvent: return "the log is no token event"
        case .notAMint(let id): return "the log is not a mint of token \(id.quantity)"
        case .missingTransaction: return "a mint event needs its transaction and the transaction's proof"
        case .transaction(let error): return "the transaction does not decode: \(error)"
        case .otherChain(let signed, let bundle): return "the transaction is signed for chain \(signed.quantity), the bundle is for \(Hex.quantity(bundle))"
        case .sender(let error): return "the sender does not recover: \(error)"
        case .notAigc(let id): return "the log is no ERC-7007 record of token \(id.quantity)"
        case .notATransfer(let id): return "the log is not an ERC-721 transfer of token \(id.quantity)"
        case .notAnUpdateUser(let id): return "the log is not an ERC-4907 UpdateUser of token \(id.quantity)"
        }
    }
}
