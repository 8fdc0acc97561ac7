import ArgumentParser
import EthCrypto
import EthPrimitives
import EthTrie
import EthTypes

/// `provenant demo`: runs the verified core end to end on data it makes itself, with nothing else needed.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign, root, prove and verify a block's transactions of every type, offline.",
        discussion: """
            Builds a block body from deterministic keys: one transaction of each type (legacy with EIP-155, \
            EIP-2930, EIP-1559, EIP-4844, EIP-7702), each signed with libsecp256k1. It then computes the \
            transactions root, recovers every sender in parallel, proves each transaction's inclusion with a \
            Merkle-Patricia proof, and shows that a tampered transaction fails both checks. The dev chain and the \
            node that syncs from it replace this with a full sync in a later release.
            """)

    @Option(help: "Seed for the deterministic keys.")
    var seed: UInt64 = 1

    func run() throws {
        let keys = try (0..<3).map { i in
            let secret = keccak256(Array("provenant-demo-\(seed)-\(i)".utf8))
            return try PrivateKey(bytes: secret.bytes)
        }
        let chainId = UInt256(3_151_908)
        let contract = Address(bytes: keccak256(Array("prompted-visions".utf8)).bytes[12...])!
        var transactions: [Transaction] = []
        for (index, type) in TransactionType.allCases.enumerated() {
            var fields = TransactionFields(type: type, chainId: chainId)
            fields.nonce = UInt64(index)
            fields.gasLimit = 200_000
            fields.gasPrice = UInt256(2_000_000_000)
            fields.maxFeePerGas = UInt256(3_000_000_000)
            fields.maxPriorityFeePerGas = UInt256(1_000_000_000)
            fields.to = contract
            // addAigcData(uint256,bytes,bytes,bytes)'s selector, then a token id: the shape of an ERC-7007 call.
            fields.data = Array(keccak256(Array("addAigcData(uint256,bytes,bytes,bytes)".utf8)).bytes[0..<4])
                + UInt256(UInt64(index + 1)).bigEndianBytes
            if type != .legacy { fields.accessList = [AccessListEntry(address: contract, storageKeys: [.zero])] }
            if type == .blob { fields.blobVersionedHashes = [Hash32(bytes: [0x01] + keccak256([UInt8(index)]).bytes[1...])!] }
            if type == .setCode {
                fields.authorizationList = [signedAuthorization(by: keys[2], chainId: chainId, delegate: contract)]
            }
            transactions.append(Transaction.sign(fields, with: keys[index % 2]))
        }

        print("Provenant demo: the verified core, offline (seed \(seed))")
        print("")
        for tx in transactions {
            let name = String(describing: tx.type)
            print("  type \(tx.type.rawValue) \(name)\(String(repeating: " ", count: max(1, 11 - name.count)))hash \(tx.hash)  \(tx.encoded.count) bytes")
        }
        let encodings = transactions.map(\.encoded)
        let root = OrderedTrie.root(encodings)
        print("")
        print("transactions root  \(root)")

        let senders = Transaction.recoverSenders(transactions)
        var failures = 0
        for (i, result) in senders.enumerated() {
            let expected = keys[i % 2].address
            switch result {
            case .success(let sender) where sender == expected:
                print("sender of tx \(i)     \(sender.checksummed)  recovered with secp256k1: OK")
            case .success(let sender):
                print("sender of tx \(i)     \(sender) differs from the signer \(expected): FAIL")
                failures += 1
            case .failure(let error):
                print("sender of tx \(i)     not recovered: \(error): FAIL")
                failures += 1
            }
        }
        if let auth = transactions.last?.authorizationList.first {
            let authority = try auth.recoverAuthority()
            print("EIP-7702 authority  \(authority.checksummed) delegates to \(auth.address): \(authority == keys[2].address ? "OK" : "FAIL")")
            if authority != keys[2].address { failures += 1 }
        }

        print("")
        for index in encodings.indices {
            let proof = OrderedTrie.proof(encodings, index: index)
            let proven = try MerklePatriciaTrie.verify(root: root, key: OrderedTrie.key(index), proof: proof)
            let ok = proven == encodings[index]
            if !ok { failures += 1 }
            print("inclusion proof #\(index)  \(proof.count) nodes, \(proof.reduce(0) { $0 + $1.count }) bytes: \(ok ? "OK" : "FAIL")")
        }

        // A lying upstream flips one byte of a transaction: the root and the sender both expose it.
        var tampered = encodings
        tampered[2][tampered[2].count / 2] ^= 0x01
        let tamperedRoot = OrderedTrie.root(tampered)
        let tamperedSender = (try? Transaction(encoded: tampered[2]))
            .flatMap { try? $0.recoverSender() }
        print("")
        print("tampered tx #2      root \(tamperedRoot == root ? "unchanged: FAIL" : "changed: detected")")
        print("                    sender \(tamperedSender == keys[0].address ? "unchanged: FAIL" : "no longer the signer: detected")")
        if tamperedRoot == root || tamperedSender == keys[0].address { failures += 1 }

        print("")
        if failures > 0 {
            print("\(failures) check(s) failed")
            throw ExitCode.failure
        }
        print("all checks passed")
    }

    /// An EIP-7702 authorization signed by `key`: keccak256(0x05 ‖ rlp([chainId, address, nonce])).
    private func signedAuthorization(by key: PrivateKey, chainId: UInt256, delegate: Address) -> Authorization {
        var unsigned = Authorization(chainId: chainId, address: delegate, nonce: 0, yParity: 0, r: .zero, s: .zero)
        let signature = key.sign(unsigned.signingHash)
        unsigned.yParity = signature.yParity
        unsigned.r = signature.r
        unsigned.s = signature.s
        return unsigned
    }
}
