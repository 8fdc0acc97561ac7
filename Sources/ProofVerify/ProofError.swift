public import EthPrimitives

/// Why a proof bundle or an anchors file could not be read, or a bundle did not verify. Verification errors name the
/// block and the check.
public enum ProofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bundle's JSON does not have the shape of version 1: the field path and what is wrong with it.
    case malformed(field: String, reason: String)
    /// The header chain does not hold: which block and which link or field.
    case headerChain(block: UInt64, reason: String)
    /// The bundle's anchor is none of the hashes the verifier trusts.
    case untrustedAnchor(number: UInt64, hash: Hash32)
    /// An event does not prove what it is there for: its position in `events`, its block, and the failed check.
    case event(index: Int, block: UInt64, reason: String)
    /// The claim asserts something no event of the bundle proves, or the events prove something else.
    case claim(String)

    public var description: String {
        switch self {
        case .malformed(let field, let reason): return "bundle field \(field): \(reason)"
        case .headerChain(let block, let reason): return "header chain, block \(block): \(reason)"
        case .untrustedAnchor(let number, let hash):
            return "the anchor (block \(number), \(hash.hex)) is not trusted: pass its hash with --trust, an anchors file that lists it with --anchors, or a chainspec that has it as a checkpoint with --chain"
        case .event(let index, let block, let reason): return "event \(index) (block \(block)): \(reason)"
        case .claim(let reason): return "claim: \(reason)"
        }
    }
}
