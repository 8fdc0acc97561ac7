import COpenSSL
import CLibSecp256k1
import EthCrypto
import EthPrimitives

/// The limits our code is measured against, written once: OpenSSL's assembly SHA3-256 and the bare libsecp256k1
/// recovery call.
enum Baselines {
    /// OpenSSL's EVP SHA3-256 with one reused context (its fastest path for many small inputs).
    final class SHA3 {
        private let context = EVP_MD_CTX_new()!
        private let md = EVP_sha3_256()!
        private var digest = [UInt8](repeating: 0, count: 32)

        deinit { EVP_MD_CTX_free(context) }

        func hash(_ inputs: [[UInt8]]) {
            for input in inputs { hash(input) }
        }

        func hash(_ input: [UInt8]) {
            input.withUnsafeBytes { i in
                EVP_DigestInit_ex(context, md, nil)
                EVP_DigestUpdate(context, i.baseAddress, i.count)
                var length: UInt32 = 32
                EVP_DigestFinal_ex(context, &digest, &length)
            }
            Harness.sink &+= UInt64(digest[0])
        }
    }

    /// `secp256k1_ecdsa_recoverable_signature_parse_compact` + `secp256k1_ecdsa_recover`, nothing else.
    static func recover(_ prepared: [(Signature, Hash32)]) {
        let context = provenant_secp256k1_context_static()!
        for (signature, hash) in prepared {
            var compact = signature.r.bigEndianBytes + signature.s.bigEndianBytes
            var sig = secp256k1_ecdsa_recoverable_signature()
            var pubkey = secp256k1_pubkey()
            _ = secp256k1_ecdsa_recoverable_signature_parse_compact(context, &sig, &compact, Int32(signature.yParity))
            let ok = hash.withUnsafeBytes {
                secp256k1_ecdsa_recover(context, &pubkey, &sig, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            Harness.sink &+= UInt64(ok)
        }
    }
}
