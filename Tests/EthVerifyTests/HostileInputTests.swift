import EthPrimitives
import EthRLP
import EthTrie
import Foundation
import Testing
import TestSupport

@testable import EthTypes

/// Decoders meet bytes from untrusted upstreams: mutated real encodings and random bytes must come back as typed
/// errors (or valid values), never a crash, a hang or a wrong acceptance of a changed transaction.
@Suite("Hostile input to the decoders", .needsVectors)
struct HostileInputTests {
    static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var out = bytes
        switch rng.next() % 5 {
        case 0 where !out.isEmpty: out[Int(rng.next() % UInt64(out.count))] ^= UInt8(1 << (rng.next() % 8))
        case 1 where !out.isEmpty: out.removeSubrange(Int(rng.next() % UInt64(out.count))...)
        case 2: out.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(out.count + 1)))
        case 3 where !out.isEmpty: out[Int(rng.next() % UInt64(out.count))] = [0x00, 0x7f, 0x80, 0xb7, 0xb8, 0xbf, 0xc0, 0xf7, 0xf8, 0xff][Int(rng.next() % 10)]
        default: out += rng.bytes(Int(rng.next() % 8))
        }
        return out
    }

    @Test func mutatedRealEncodingsNeverCrash() throws {
        let file = try #require(try Vectors.json("secp256k1/mainnet-tx-signatures.json") as? [String: Any])
        let transactions = (file["vectors"] as! [[String: Any]]).map { bytes(fromHex: $0["rawTransaction"] as! String) }
        let headers = (try #require(try Vectors.json("headers/mainnet-headers-0-4095.json") as? [String: Any])["headers"] as! [String])
            .prefix(200).map { bytes(fromHex: $0) }
        var rng = SplitMix64(seed: 0xf022)
        var decodedTransactions = 0, refused = 0
        for round in 0..<20_000 {
            let tx = Self.mutate(transactions[round % transactions.count], &rng)
            if let decoded = try? Transaction(encoded: tx) {
                decodedTransactions += 1
                // A mutation that still decodes must not keep the original's hash.
                #expect(decoded.hash != keccak256(transactions[round % transactions.count]) || tx == transactions[round % transactions.count])
                _ = try? decoded.recoverSender()
            } else {
                refused += 1
            }
            _ = try? Header(rlp: Self.mutate(headers[round % headers.count], &rng))
            _ = try? Receipt(encoded: Self.mutate(tx, &rng))
            _ = try? RLPItem(decoding: Self.mutate(tx, &rng))
        }
        #expect(refused > 10_000, "most mutations must be refused")
        #expect(decodedTransactions > 0)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0xbeef)
        for _ in 0..<20_000 {
            let junk = rng.bytes(Int(rng.next() % 300))
            _ = try? Transaction(encoded: junk)
            _ = try? Header(rlp: junk)
            _ = try? Receipt(encoded: junk)
            _ = try? RLPItem(decoding: junk)
            _ = try? MerklePatriciaTrie.verify(root: MerklePatriciaTrie.emptyRoot, key: [1, 2], proof: [junk])
            _ = try? Withdrawal(encoded: junk)
        }
    }
}

import EthCrypto
