import EthPrimitives
import Foundation
import Testing
import TestSupport

@testable import EthCrypto

@Suite("secp256k1 recovery vectors", .needsVectors)
struct Secp256k1VectorTests {
    /// 134 real transaction signatures: ecrecover(signingHash, r, s, yParity) is the sender.
    @Test func realTransactionSignatures() throws {
        let file = try #require(try Vectors.json("secp256k1/mainnet-tx-signatures.json") as? [String: Any])
        let vectors = try #require(file["vectors"] as? [[String: Any]])
        for v in vectors {
            let signature = Signature(
                r: try UInt256(quantity: v["r"] as! String), s: try UInt256(quantity: v["s"] as! String),
                yParity: UInt8((v["yParity"] as! NSNumber).intValue))
            let hash = try Hash32(hex: v["signingHash"] as! String)
            let sender = try Secp256k1.recoverAddress(signature, hash: hash)
            #expect(sender == (try Address(hex: v["expectedSender"] as! String)), "\(v["txHash"]!)")
        }
        #expect(vectors.count == 134)
    }

    /// Wycheproof ECDSA/secp256k1/SHA-256 (r‖s) verification cases, checked through recovery: a signature is
    /// accepted when recovering with y parity 0 or 1 yields the group's public key. A valid signature must be
    /// accepted, an invalid one must not; high-s valid signatures must also fail EIP-2's low-s rule.
    @Test func wycheproofCases() throws {
        let file = try #require(try Vectors.json("secp256k1/wycheproof-ecdsa_secp256k1_sha256_p1363_test.json") as? [String: Any])
        let groups = try #require(file["testGroups"] as? [[String: Any]])
        var ran = 0, highS = 0, largeX = 0
        // secp256k1's field prime p: R.x can exceed n only when r + n < p.
        let p = UInt256(limbs: (0xFFFF_FFFE_FFFF_FC2F, .max, .max, .max))
        for group in groups {
            let key = bytes(fromHex: (group["publicKey"] as! [String: Any])["uncompressed"] as! String)
            for test in group["tests"] as! [[String: Any]] {
                let id = test["tcId"] as! Int
                let sig = bytes(fromHex: test["sig"] as! String)
                let hash = Hash32(bytes: sha256(bytes(fromHex: test["msg"] as! String)))!
                var accepted = false
                var lowSError: SignatureError?
                if sig.count == 64 {
                    let r = UInt256(bigEndian: sig[0..<32])!, s = UInt256(bigEndian: sig[32..<64])!
                    for parity in [UInt8(0), 1] {
                        let signature = Signature(r: r, s: s, yParity: parity)
                        if (try? Secp256k1.recoverPublicKey(signature, hash: hash, requireLowS: false)) == key {
                            accepted = true
                            do { _ = try Secp256k1.recoverPublicKey(signature, hash: hash, requireLowS: true) } catch {
                                lowSError = error
                            }
                        }
                    }
                }
                switch test["result"] as! String {
                case "valid" where !accepted && sig.count == 64:
                    // Valid ECDSA whose R has x = r + n: recovering it needs recovery id 2 or 3, which an Ethereum
                    // signature (y parity 0 or 1) cannot carry, so Ethereum rejects it too. Prove that is the case.
                    let r = UInt256(bigEndian: sig[0..<32])!
                    let (sum, overflow) = r.addingReportingOverflow(Secp256k1.order)
                    #expect(!overflow && sum < p, "tcId \(id) (\(test["comment"]!)) should verify")
                    largeX += 1
                case "valid":
                    if lowSError != nil {
                        #expect(lowSError == .highS, "tcId \(id)")
                        highS += 1
                    }
                case "invalid":
                    #expect(!accepted, "tcId \(id) (\(test["comment"]!)) should be refused")
                default:
                    break
                }
                ran += 1
            }
        }
        #expect(ran == file["numberOfTests"] as! Int)
        #expect(highS > 0, "the high-s cases were not exercised")
        #expect(largeX <= 2, "more valid cases than the two large-x ones failed to recover")
    }

    /// BasicTests/keyaddrtest.json: private key → address. (Its `sig_of_emptystring` does not recover over
    /// keccak256(""); the file does not say which digest was signed, so only the key → address half is used.)
    @Test func keyToAddress() throws {
        let cases = try #require(try Vectors.json("ethereum-tests/BasicTests/keyaddrtest.json") as? [[String: Any]])
        for c in cases {
            let key = try PrivateKey(bytes: bytes(fromHex: c["key"] as! String))
            let address = Address(bytes: bytes(fromHex: c["addr"] as! String))!
            #expect(key.address == address)
        }
        #expect(cases.count == 2)
    }
}

@Suite("secp256k1 ranges")
struct Secp256k1RangeTests {
    static let key = try! PrivateKey(bytes: [UInt8](repeating: 0, count: 31) + [1])
    static let hash = keccak256(Array("provenant".utf8))

    @Test func signThenRecover() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let key = try PrivateKey(bytes: rng.bytes(32))
            let hash = Hash32(bytes: rng.bytes(32))!
            let signature = key.sign(hash)
            #expect(signature.s <= Secp256k1.halfOrder)
            #expect(try Secp256k1.recoverAddress(signature, hash: hash) == key.address)
        }
    }

    @Test func outOfRangeValuesAreRefused() throws {
        let good = Self.key.sign(Self.hash)
        let n = Secp256k1.order
        let cases: [(Signature, SignatureError)] = [
            (Signature(r: .zero, s: good.s, yParity: 0), .rOutOfRange),
            (Signature(r: n, s: good.s, yParity: 0), .rOutOfRange),
            (Signature(r: good.r, s: .zero, yParity: 0), .sOutOfRange),
            (Signature(r: good.r, s: n, yParity: 0), .sOutOfRange),
            (Signature(r: good.r, s: n - good.s, yParity: good.yParity ^ 1), .highS),
            (Signature(r: good.r, s: good.s, yParity: 2), .invalidRecoveryId),
        ]
        for (signature, error) in cases {
            #expect(throws: error) { try Secp256k1.recoverAddress(signature, hash: Self.hash) }
        }
        // The high-s twin is the same signature: allowed where low s is not required.
        let twin = Signature(r: good.r, s: n - good.s, yParity: good.yParity ^ 1)
        #expect(try Secp256k1.recoverAddress(twin, hash: Self.hash, requireLowS: false) == Self.key.address)
        #expect(throws: SignatureError.invalidPrivateKey) { try PrivateKey(bytes: n.bigEndianBytes) }
        #expect(throws: SignatureError.invalidPrivateKey) { try PrivateKey(bytes: [UInt8](repeating: 0, count: 32)) }
    }
}
