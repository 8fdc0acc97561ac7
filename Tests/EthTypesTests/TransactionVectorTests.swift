import EthCrypto
import EthPrimitives
import Foundation
import Testing
import TestSupport

@testable import EthTypes

/// ethereum/tests TransactionTests: for each fork, a valid transaction decodes, hashes to `hash`, recovers
/// `sender` and costs `intrinsicGas`; an invalid one is refused by decoding or by the fork's rules.
@Suite("Transaction vectors (ethereum/tests TransactionTests)", .needsVectors)
struct TransactionVectorTests {
    static let forks: [String: Fork] = [
        "Frontier": .frontier, "Homestead": .homestead, "EIP150": .tangerineWhistle, "EIP158": .spuriousDragon,
        "Byzantium": .byzantium, "Constantinople": .constantinople, "ConstantinopleFix": .petersburg,
        "Istanbul": .istanbul, "Berlin": .berlin, "London": .london, "Paris": .paris, "Shanghai": .shanghai,
        "Cancun": .cancun, "Prague": .prague,
    ]

    /// The test chain of TransactionTests is mainnet's id.
    static let chainId = UInt256(1)

    /// Whether our reason for refusing agrees with the vector's exception name. RLP-level names may surface as
    /// any decoding error (the vectors name the first broken field; we may stop at another), but a semantic
    /// exception must be matched by the same rule.
    static func matches(_ error: TransactionError, _ exception: String) -> Bool {
        let name = exception.replacingOccurrences(of: "TransactionException.", with: "")
        switch error {
        case .rlp, .empty, .unknownType:
            return name.hasPrefix("RLP_") || ["ADDRESS_TOO_LONG", "ADDRESS_TOO_SHORT", "NONCE_OVERFLOW",
                "GASLIMIT_OVERFLOW", "GASPRICE_OVERFLOW", "VALUE_OVERFLOW", "PRIORITY_OVERFLOW", "TYPE_NOT_SUPPORTED",
                "INVALID_SIGNATURE_VRS"].contains(name)
        case .typeNotActive: return name == "TYPE_NOT_SUPPORTED"
        case .invalidV, .signature: return ["INVALID_SIGNATURE_VRS", "EC_RECOVERY_FAIL", "INVALID_CHAINID"].contains(name)
        case .wrongChainId: return name == "INVALID_CHAINID"
        case .nonceTooBig: return name == "NONCE_TOO_BIG"
        case .gasPriceProductOverflow: return name == "GASLIMIT_PRICE_PRODUCT_OVERFLOW"
        case .priorityFeeAboveMaxFee: return name.hasPrefix("PRIORITY_GREATER_THAN_MAX_FEE")
        case .intrinsicGasTooLow: return name == "INTRINSIC_GAS_TOO_LOW"
        case .initcodeTooLarge: return name == "INITCODE_SIZE_EXCEEDED"
        case .gasLimitAboveCap: return name == "GAS_LIMIT_EXCEEDS_MAXIMUM"
        case .missingRecipient, .invalidBlobHashes, .emptyAuthorizationList, .unsignedDeposit: return false
        }
    }

    @Test func everyForkAndTransaction() throws {
        var valid = 0, invalid = 0, files = 0
        for folder in try FileManager.default.contentsOfDirectory(atPath: Vectors.url("ethereum-tests/TransactionTests").path).sorted() {
            for file in try Vectors.files(in: "ethereum-tests/TransactionTests/\(folder)") {
                files += 1
                let tests = try #require(try Vectors.json(file) as? [String: [String: Any]])
                for (name, test) in tests {
                    let hex = test["txbytes"] as! String
                    let raw: [UInt8]? = hex.count % 2 == 0 ? bytes(fromHex: hex) : nil
                    for (forkName, result) in test["result"] as! [String: [String: String]] {
                        let fork = try #require(Self.forks[forkName], "unknown fork \(forkName)")
                        let label = "\(file) \(name) [\(forkName)]"
                        if let hash = result["hash"] {
                            valid += 1
                            let tx = try Transaction(encoded: try #require(raw, "\(label)"))
                            #expect(tx.hash.hex == hash, "\(label)")
                            #expect(try tx.validate(fork: fork, chainId: Self.chainId).hex == result["sender"]!, "\(label)")
                            #expect(tx.intrinsicGas(fork: fork) == UInt64(result["intrinsicGas"]!.dropFirst(2), radix: 16), "\(label)")
                            #expect(tx.fields.encode(v: tx.v, r: tx.r, s: tx.s) == raw, "\(label) re-encodes")
                            #expect(try Transaction(fields: tx.fields, v: tx.v, r: tx.r, s: tx.s) == tx, "\(label) builds from its fields")
                        } else {
                            invalid += 1
                            var reason: TransactionError?
                            do {
                                _ = try Transaction(encoded: try #require(raw)).validate(fork: fork, chainId: Self.chainId)
                            } catch let error as TransactionError {
                                reason = error
                            }
                            let expected = result["exception"] ?? ""
                            #expect(reason != nil, "\(label) should be refused: \(expected)")
                            if let reason { #expect(Self.matches(reason, expected), "\(label): \(reason) for \(expected)") }
                        }
                    }
                }
            }
        }
        #expect(valid == 606, "the README counts 606 valid (fork, transaction) pairs")
        #expect(invalid > 1_500)
        #expect(files == 210)
    }

    /// Real mainnet, Sepolia and devnet signatures of every type: hash, signing hash and sender.
    @Test func realSignatures() throws {
        let file = try #require(try Vectors.json("secp256k1/mainnet-tx-signatures.json") as? [String: Any])
        let vectors = try #require(file["vectors"] as? [[String: Any]])
        var types = Set<UInt8>()
        for v in vectors {
            let tx = try Transaction(encoded: bytes(fromHex: v["rawTransaction"] as! String))
            let label = v["txHash"] as! String
            #expect(tx.hash.hex == label)
            #expect(tx.type.rawValue == UInt8((v["txType"] as! NSNumber).intValue), "\(label)")
            #expect(tx.signingHash.hex == v["signingHash"] as! String, "\(label)")
            #expect(try tx.recoverSender() == (try Address(hex: v["expectedSender"] as! String)), "\(label)")
            #expect(tx.fields.encode(v: tx.v, r: tx.r, s: tx.s) == tx.encoded, "\(label)")
            let built = try Transaction(fields: tx.fields, v: tx.v, r: tx.r, s: tx.s)
            #expect(built == tx && built.signingHash == tx.signingHash, "\(label) builds from its fields")
            types.insert(tx.type.rawValue)
        }
        #expect(vectors.count == 134)
        #expect(types == [0, 1, 2, 3, 4])
    }

    /// The execution-apis devnet samples, one per type, with the authorization of the set-code transaction.
    @Test func devnetSamples() throws {
        let file = try #require(try Vectors.json("transactions/devnet-xapis-tx-samples.json") as? [String: Any])
        let samples = try #require(file["samples"] as? [[String: Any]])
        for sample in samples {
            let json = sample["transaction"] as! [String: Any]
            let tx = try Transaction(encoded: bytes(fromHex: sample["rawTransaction"] as! String))
            let name = sample["name"] as! String
            #expect(tx.hash.hex == json["hash"] as! String, "\(name)")
            #expect(try tx.recoverSender() == (try Address(hex: json["from"] as! String)), "\(name)")
            #expect(tx.nonce == (try Hex.quantity(json["nonce"] as! String)), "\(name)")
            #expect(tx.gasLimit == (try Hex.quantity(json["gas"] as! String)), "\(name)")
            if let list = json["authorizationList"] as? [[String: String]] {
                #expect(tx.authorizationList.count == list.count)
                for (auth, expected) in zip(tx.authorizationList, list) {
                    #expect(auth.address == (try Address(hex: expected["address"]!)))
                    #expect(auth.r == (try UInt256(quantity: expected["r"]!)))
                    #expect(throws: Never.self, "\(name) authority recovers") { try auth.recoverAuthority() }
                }
            }
        }
        #expect(samples.count >= 6)
    }
}

@Suite("Transaction signing and rules")
struct TransactionRuleTests {
    static let key = try! PrivateKey(bytes: (1...32).map { UInt8($0) })

    static func fields(_ type: TransactionType) -> TransactionFields {
        var f = TransactionFields(type: type, chainId: type == .legacy ? nil : UInt256(1))
        f.nonce = 7
        f.gasLimit = 100_000
        f.gasPrice = UInt256(1_000_000_000)
        f.maxFeePerGas = UInt256(2_000_000_000)
        f.maxPriorityFeePerGas = UInt256(1_000_000)
        f.to = Address(bytes: [UInt8](repeating: 0xaa, count: 20))
        f.value = UInt256(12345)
        f.data = [0, 1, 2, 0]
        if type != .legacy {
            f.accessList = [AccessListEntry(address: Address(bytes: [UInt8](repeating: 1, count: 20))!, storageKeys: [.zero])]
        }
        if type == .blob { f.blobVersionedHashes = [Hash32(bytes: [0x01] + [UInt8](repeating: 2, count: 31))!] }
        if type == .setCode {
            f.authorizationList = [Authorization(chainId: UInt256(1), address: Address.zero, nonce: 0, yParity: 0, r: UInt256(1), s: UInt256(1))]
        }
        return f
    }

    @Test(arguments: TransactionType.allCases.filter { $0 != .deposit })
    func signedTransactionsRecoverTheirSigner(_ type: TransactionType) throws {
        let tx = Transaction.sign(Self.fields(type), with: Self.key)
        #expect(tx.type == type)
        #expect(try tx.validate(fork: .prague, chainId: UInt256(1)) == Self.key.address)
        #expect(try Transaction(encoded: tx.encoded) == tx)
        // Any change to a signed field moves the recovered sender away from the signer.
        var tampered = tx.encoded
        tampered[tampered.count - 70] ^= 1
        if let other = try? Transaction(encoded: tampered) {
            #expect((try? other.recoverSender()) != Self.key.address)
        }
    }

    /// Building from fields judges `v` as decoding the same encoding does: a typed `v` above 1 and a legacy `v`
    /// that is neither 27/28 nor EIP-155's are refused, and a legacy chain id is the one `v` gives.
    @Test(arguments: [(TransactionType.dynamicFee, UInt256(2)), (.setCode, UInt256(27)), (.legacy, UInt256(30)), (.legacy, UInt256(0))])
    func buildingRefusesWhatDecodingRefuses(_ type: TransactionType, _ v: UInt256) throws {
        let f = Self.fields(type)
        #expect(throws: TransactionError.invalidV) { try Transaction(fields: f, v: v, r: UInt256(1), s: UInt256(1)) }
        #expect(throws: TransactionError.invalidV) { try Transaction(encoded: f.encode(v: v, r: UInt256(1), s: UInt256(1))) }
    }

    @Test func buildingTakesALegacyChainIdFromV() throws {
        var f = Self.fields(.legacy)
        f.chainId = UInt256(5)
        for v in [UInt256(27), UInt256(37), UInt256(2 * 1_000_000 + 36)] {
            let built = try Transaction(fields: f, v: v, r: UInt256(1), s: UInt256(1))
            #expect(built == (try Transaction(encoded: f.encode(v: v, r: UInt256(1), s: UInt256(1)))))
        }
        #expect(try Transaction(fields: f, v: UInt256(27), r: UInt256(1), s: UInt256(1)).chainId == nil)
        #expect(try Transaction(fields: f, v: UInt256(37), r: UInt256(1), s: UInt256(1)).chainId == UInt256(1))
    }

    @Test func eip155LegacyEncodesItsChainId() throws {
        var f = Self.fields(.legacy)
        f.chainId = UInt256(1)
        let tx = Transaction.sign(f, with: Self.key)
        #expect(tx.v == UInt256(37) || tx.v == UInt256(38))
        #expect(tx.chainId == UInt256(1))
        #expect(throws: TransactionError.invalidV) { try tx.validate(fork: .homestead, chainId: UInt256(1)) }
        #expect(throws: TransactionError.wrongChainId) { try tx.validate(fork: .london, chainId: UInt256(5)) }
    }

    @Test func rules() throws {
        let blob = Transaction.sign(Self.fields(.blob), with: Self.key)
        #expect(throws: TransactionError.typeNotActive(.blob, .shanghai)) { try blob.validate(fork: .shanghai, chainId: UInt256(1)) }
        var lowGas = Self.fields(.dynamicFee)
        lowGas.gasLimit = 21_000
        let tx = Transaction.sign(lowGas, with: Self.key)
        #expect(throws: TransactionError.intrinsicGasTooLow(required: 21_000 + 2 * 4 + 2 * 16 + 2_400 + 1_900, limit: 21_000)) {
            try tx.validate(fork: .london, chainId: UInt256(1))
        }
        var creation = Self.fields(.setCode)
        creation.to = nil
        #expect(throws: TransactionError.missingRecipient) {
            try Transaction.sign(creation, with: Self.key).validate(fork: .prague, chainId: UInt256(1))
        }
        // EIP-7825 from Osaka: a gas limit of exactly 2^24 is allowed, one more is not; before Osaka, either is.
        var capped = Self.fields(.dynamicFee)
        capped.gasLimit = IntrinsicGas.maxTransactionGasLimit
        #expect(try Transaction.sign(capped, with: Self.key).validate(fork: .osaka, chainId: UInt256(1)) == Self.key.address)
        capped.gasLimit += 1
        let above = Transaction.sign(capped, with: Self.key)
        #expect(throws: TransactionError.gasLimitAboveCap(capped.gasLimit)) { try above.validate(fork: .osaka, chainId: UInt256(1)) }
        #expect(try above.validate(fork: .prague, chainId: UInt256(1)) == Self.key.address)
        #expect(throws: TransactionError.unknownType(5)) { try Transaction(encoded: [5, 0xc0]) }
        #expect(throws: TransactionError.empty) { try Transaction(encoded: []) }
        #expect(throws: TransactionError.rlp(.trailingBytes)) { try Transaction(encoded: tx.encoded + [0]) }
    }
}
