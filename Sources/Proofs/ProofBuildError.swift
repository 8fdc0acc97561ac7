public import AssetIndex
public import EthTypes
public import Store

/// Why the node could not build a proof bundle: what it lacks, or what failed underneath, with the cause's own type.
public enum ProofBuildError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The node does not hold what the bundle needs (nothing indexed for the token, an anchor beyond the head).
    case unavailable(String)
    /// The bundle would pass one of the builder's `ProofBuilder.Limits` (headers, a token's records).
    case overLimit(String)
    /// The index failed underneath.
    case index(IndexError)
    /// The block store failed underneath.
    case store(StoreError)
    /// A stored header that does not decode: the data directory is damaged.
    case storedHeader(block: UInt64, HeaderError)
    /// An upstream's answer (a state proof) that does not verify or is not what was asked.
    case upstream(String)
    /// Stored data that contradicts the index (a body without the indexed transaction): the data directory is damaged.
    case corrupt(String)

    public var description: String {
        switch self {
        case .unavailable(let reason), .overLimit(let reason), .upstream(let reason): return reason
        case .index(let error): return "reading the index: \(error)"
        case .store(let error): return "reading the store: \(error)"
        case .storedHeader(let block, let error): return "reading the store: the stored header of block \(block) does not decode: \(error)"
        case .corrupt(let reason): return "reading the store: \(reason)"
        }
    }
}
