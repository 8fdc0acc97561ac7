public import EthPrimitives
public import EthTypes
internal import EthCrypto

/// Unwatched traffic that makes the dev chain's blocks the size of mainnet's (`DevChain(…, traffic:)`): every block
/// carries `perBlock` transactions of other accounts and contracts, of every envelope type, with calldata from none
/// to a few kilobytes and receipts with up to a dozen logs (about 2.4 logs and 7 topics a transaction, as in the
/// vectors' mainnet blocks), so that verifying a matched block costs what a real one
/// does (two tries of hundreds of items, hundreds of hashes, blooms of many logs). The transactions come from a pool
/// signed once per chain: signing 250 a block would make the chain slow to build, and a block needs its own
/// transactions to be valid, not unique across blocks.
public struct Traffic: Sendable {
    /// How many unwatched transactions each block carries.
    public var perBlock: ClosedRange<Int>

    /// 150 to 300 a block: the range of the real mainnet blocks in the shared vectors.
    public static let mainnet = Traffic(perBlock: 150...300)

    public init(perBlock: ClosedRange<Int>) { self.perBlock = perBlock }

    /// One pooled transaction, what its receipt holds, and the gas it used.
    struct Item: Sendable {
        var transaction: Transaction
        var sender: Address
        var logs: [Log]
        var gasUsed: UInt64
    }

    static let poolSize = 1_024

    /// The pool: keys, recipients and log emitters of its own (never a dev account or contract, so it neither moves
    /// the world's nonces nor lands in a watched bloom on purpose).
    static func pool(seed: UInt64) -> [Item] {
        var rng = Generator(seed: seed ^ 0x7A3F_FC11)
        func bytes(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(n + 8)
            while out.count < n { withUnsafeBytes(of: rng.next()) { out.append(contentsOf: $0) } }
            return Array(out.prefix(n))
        }
        func address() -> Address { Address(bytes: bytes(20))! }
        func word() -> Hash32 { Hash32(bytes: bytes(32))! }
        let keys: [PrivateKey] = (0..<16).map { i in
            guard let key = try? PrivateKey(bytes: keccak256(Array("provenant-dev traffic \(seed) \(i)".utf8)).bytes) else {
                preconditionFailure("traffic key \(i) is not a valid key")
            }
            return key
        }
        // Logs as mainnet's: most from a few popular contracts, the rest from a long tail; indexed arguments mostly
        // a few popular ones (pools, routers), a third seen once. Blocks' blooms then come out about half full and differ from block
        // to block (0.29-0.64 in the vectors' blocks of 100-260 transactions): neither saturated nor the same bits
        // every block, which would make a watched address match every block or none.
        let contracts = (0..<400).map { _ in address() }
        let topics = (0..<24).map { _ in word() }
        let popular = (0..<50).map { _ in word() }
        func emitter() -> Address { contracts[Int(rng.next() % 5 < 3 ? rng.next() % 20 : 20 + rng.next() % 380)] }
        func argument() -> Hash32 { rng.next() % 20 < 13 ? popular[Int(rng.next() % 50)] : word() }
        return (0..<poolSize).map { i in
            let key = keys[i % keys.count]
            let type: TransactionType = switch rng.next() % 20 { case 0..<6: .legacy; case 6: .accessList; case 7: .blob; case 8: .setCode; default: .dynamicFee }
            var f = TransactionFields(type: type, chainId: UInt256(DevChain.chainId))
            f.nonce = UInt64(i / keys.count)
            f.gasLimit = 21_000 + rng.next() % 400_000
            f.gasPrice = UInt256(2_000_000_000 + rng.next() % 1_000_000_000)
            f.maxFeePerGas = UInt256(3_000_000_000 + rng.next() % 1_000_000_000)
            f.maxPriorityFeePerGas = UInt256(rng.next() % 2_000_000_000)
            // Calldata as mainnet's: a third plain transfers, most calls under 300 bytes, some of kilobytes.
            let size: Int = switch rng.next() % 10 { case 0..<3: 0; case 3..<8: 4 + Int(rng.next() % 296); default: 300 + Int(rng.next() % 3_000) }
            let plain = size == 0 && type != .blob && type != .setCode
            f.to = plain ? address() : emitter()
            f.value = UInt256(rng.next() % 1_000_000_000_000_000)
            f.data = bytes(size)
            if type == .accessList || (type == .dynamicFee && rng.next() % 4 == 0) {
                f.accessList = (0..<(1 + Int(rng.next() % 3))).map { _ in AccessListEntry(address: emitter(), storageKeys: (0..<Int(rng.next() % 4)).map { _ in word() }) }
            }
            if type == .blob {
                f.maxFeePerBlobGas = UInt256(1_000_000_000)
                f.blobVersionedHashes = (0..<(1 + Int(rng.next() % 3))).map { _ in Hash32(bytes: [0x01] + bytes(31))! }
            }
            if type == .setCode {
                let authority = keys[(i + 1) % keys.count]
                var authorization = Authorization(chainId: UInt256(DevChain.chainId), address: contracts[i % contracts.count], nonce: rng.next() % 1_000, yParity: 0, r: .zero, s: .zero)
                let signature = authority.sign(authorization.signingHash)
                (authorization.r, authorization.s, authorization.yParity) = (signature.r, signature.s, signature.yParity)
                f.authorizationList = [authorization]
            }
            // Receipts as mainnet's: most calls log nothing or a transfer or two; a swap or a batch logs a dozen.
            let logCount: Int = switch plain ? 0 : rng.next() % 10 { case 0..<4: 0; case 4..<8: 1 + Int(rng.next() % 3); default: 4 + Int(rng.next() % 9) }
            let logs = (0..<logCount).map { _ in
                Log(address: emitter(), topics: [topics[Int(rng.next() % 24)]] + (0..<Int(1 + rng.next() % 3)).map { _ in argument() },
                    data: bytes(32 * Int(rng.next() % 5)))
            }
            let gasUsed = min(f.gasLimit, 21_000 + UInt64(size) * 16 + UInt64(logCount) * 3_000 + rng.next() % 60_000)
            return Item(transaction: Transaction.sign(f, with: key), sender: key.address, logs: logs, gasUsed: gasUsed)
        }
    }
}
