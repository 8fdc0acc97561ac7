/// Ethereum execution-layer forks, in activation order. Only the forks that change what Provenant verifies or
/// decodes are distinguished; the comparison order is the activation order.
public enum Fork: Int, Comparable, CaseIterable, Sendable {
    case frontier
    /// EIP-2: s ≤ n/2 in signatures; contract creation costs 53,000 intrinsic gas.
    case homestead
    /// EIP-150 (Tangerine Whistle).
    case tangerineWhistle
    /// EIP-155 replay-protected signatures allowed (Spurious Dragon, EIP-158).
    case spuriousDragon
    /// EIP-658: receipts carry a status instead of a post-state root.
    case byzantium
    case constantinople
    /// Constantinople without EIP-1283 ("ConstantinopleFix").
    case petersburg
    /// EIP-2028: a non-zero calldata byte costs 16 gas instead of 68.
    case istanbul
    /// EIP-2718 typed transactions, EIP-2930 access lists (type 1).
    case berlin
    /// EIP-1559 (type 2) and `baseFeePerGas` in the header.
    case london
    /// The merge: proof of stake; difficulty and nonce become 0.
    case paris
    /// EIP-3860 initcode limits; `withdrawalsRoot` in the header.
    case shanghai
    /// EIP-4844 blob transactions (type 3); blob gas fields and `parentBeaconBlockRoot` in the header.
    case cancun
    /// EIP-7702 set-code transactions (type 4); `requestsHash` in the header.
    case prague
    /// Osaka (Fusaka): EIP-7825 caps a transaction's gas limit at 2^24. The header layout is Prague's.
    case osaka

    public static func < (a: Fork, b: Fork) -> Bool { a.rawValue < b.rawValue }
}
