import EthPrimitives
import Foundation
import Testing
import TestSupport

@testable import EthRLP

/// ethereum/tests RLPTests: every valid case encodes to `out` and decodes back; every invalid case is refused.
@Suite("RLP vectors (ethereum/tests RLPTests)", .needsVectors)
struct RLPVectorTests {
    /// The item a vector's `in` denotes: strings as UTF-8, integers and `#decimal` big integers as minimal
    /// big-endian bytes, arrays as lists.
    static func item(_ value: Any) throws -> RLPItem {
        switch value {
        case let s as String where s.hasPrefix("#"):
            return .bytes(minimalBytes(decimal: s.dropFirst()))
        case let s as String:
            return .bytes(Array(s.utf8))
        case let n as NSNumber:
            return .bytes(UInt256(n.uint64Value).minimalBigEndianBytes)
        case let list as [Any]:
            return .list(try list.map(item))
        default:
            Issue.record("unexpected vector input \(value)")
            return .bytes([])
        }
    }

    /// Big-endian bytes of a decimal of any size (the vectors go past 2^256).
    static func minimalBytes(decimal: Substring) -> [UInt8] {
        var out: [UInt8] = []
        for digit in decimal.utf8 {
            var carry = Int(digit - 48)
            for i in out.indices.reversed() {
                let v = Int(out[i]) * 10 + carry
                out[i] = UInt8(v & 0xff)
                carry = v >> 8
            }
            while carry > 0 {
                out.insert(UInt8(carry & 0xff), at: 0)
                carry >>= 8
            }
        }
        return out
    }

    @Test func validVectorsRoundTrip() throws {
        let cases = try #require(try Vectors.json("ethereum-tests/RLPTests/rlptest.json") as? [String: [String: Any]])
        var ran = 0
        for (name, test) in cases.sorted(by: { $0.key < $1.key }) {
            let expected = bytes(fromHex: try #require(test["out"] as? String))
            let input = try Self.item(try #require(test["in"]))
            #expect(input.rlp == expected, "encode \(name)")
            #expect(try RLPItem(decoding: expected) == input, "decode \(name)")
            ran += 1
        }
        #expect(ran == cases.count)
        #expect(ran >= 28, "rlptest.json looks truncated: \(ran) cases")
    }

    @Test func invalidVectorsAreRejected() throws {
        let cases = try #require(try Vectors.json("ethereum-tests/RLPTests/invalidRLPTest.json") as? [String: [String: Any]])
        var ran = 0
        for (name, test) in cases.sorted(by: { $0.key < $1.key }) {
            let encoded = bytes(fromHex: try #require(test["out"] as? String))
            #expect(throws: RLPError.self, "\(name) must be refused") { try RLPItem(decoding: encoded) }
            ran += 1
        }
        #expect(ran == cases.count)
        #expect(ran >= 25, "invalidRLPTest.json looks truncated: \(ran) cases")
    }

    @Test func randomValidVectorsDecode() throws {
        let cases = try #require(try Vectors.json("ethereum-tests/RLPTests/RandomRLPTests/example.json") as? [String: [String: Any]])
        for (name, test) in cases {
            let encoded = bytes(fromHex: try #require(test["out"] as? String))
            let item = try RLPItem(decoding: encoded)
            #expect(item.rlp == encoded, "\(name) re-encodes")
        }
        #expect(!cases.isEmpty)
    }
}
