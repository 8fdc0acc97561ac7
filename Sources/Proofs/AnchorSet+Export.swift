public import ProofVerify
public import Store
internal import EthCrypto

extension AnchorSet {
    /// Every stored header at a multiple of `every` up to `head`, hashed from the stored (verified) RLP.
    public static func export(from blocks: BlockStore, through head: UInt64, every: UInt64, chainId: UInt64) throws(ProofBuildError) -> AnchorSet {
        precondition(every > 0, "anchors every 0 blocks")
        var anchors: [Anchor] = []
        for number in stride(from: 0, through: head, by: Int(every)) {
            let header: [UInt8]?
            do throws(StoreError) { header = try blocks.header(number: UInt64(number)) } catch { throw .store(error) }
            // Blocks before the sync's first checkpoint were never fetched: they have no header to vouch for.
            guard let header else { continue }
            anchors.append(Anchor(number: UInt64(number), hash: keccak256(header)))
        }
        return AnchorSet(chainId: chainId, every: every, anchors: anchors)
    }
}
