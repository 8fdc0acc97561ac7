/// Why a Merkle-Patricia proof was refused.
public enum TrieError: Error, Equatable, Sendable {
    /// The proof ran out of nodes before the key's path ended.
    case missingNode(depth: Int)
    /// The node at this position of the proof does not hash to the reference its parent holds.
    case hashMismatch(proofIndex: Int)
    /// A node that is not valid RLP or not a 2- or 17-item list, or a child reference of the wrong size.
    case malformedNode(proofIndex: Int)
    /// Nodes left over after the path ended: a proof is exactly the nodes on the path.
    case unusedProofNodes(count: Int)
}
