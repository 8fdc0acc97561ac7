import EthPrimitives
import Testing
import TestSupport

@testable import EthRLP

/// Each rule of canonical RLP fails with its own error.
@Suite("RLP decoding rules")
struct RLPRuleTests {
    static let malformed: [(name: String, hex: String, error: RLPError)] = [
        ("empty input", "", .truncated),
        ("string longer than input", "0x83ab", .truncated),
        ("list longer than input", "0xc3c0", .truncated),
        ("single byte wrapped", "0x8105", .nonCanonicalSingleByte),
        ("short string in long form", "0xb80161", .nonCanonicalLength),
        ("length with leading zero", "0xb900" + String(repeating: "61", count: 60), .nonCanonicalLength),
        ("short list in long form", "0xf80180", .nonCanonicalLength),
        ("trailing byte", "0x8001", .trailingBytes),
        ("8-byte length far beyond input", "0xbf7fffffffffffffff", .lengthOverflow),
        ("4-byte length beyond input", "0xbb7fffffff", .truncated),
        ("list item running past its list", "0xc28300", .truncated),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedInputFailsWithItsReason(_ index: Int) {
        let (name, hex, error) = Self.malformed[index]
        let input = bytes(fromHex: hex)
        #expect(throws: error, "\(name)") { try RLPItem(decoding: input) }
    }

    @Test func integersMustBeMinimal() throws {
        var reader = RLPReader([0x82, 0x00, 0x01])
        #expect(throws: RLPError.leadingZeros) { try reader.readUInt64() }
        var wide = RLPReader([0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(throws: RLPError.integerOverflow) { try wide.readUInt64() }
        var zero = RLPReader([0x00])
        #expect(throws: RLPError.leadingZeros) { try zero.readUInt64() }
        var ok = RLPReader([0x82, 0x04, 0x00])
        #expect(try ok.readUInt64() == 1024)
    }

    @Test func depthIsCapped() throws {
        // RLP.maxDepth nested empty lists decode; one more does not.
        func nested(_ depth: Int) -> [UInt8] {
            var item = RLPItem.list([])
            for _ in 1..<depth { item = .list([item]) }
            return item.rlp
        }
        #expect(throws: Never.self) { try RLPItem(decoding: nested(RLP.maxDepth)) }
        #expect(throws: RLPError.depthExceeded) { try RLPItem(decoding: nested(RLP.maxDepth + 1)) }
    }

    @Test func fixedWidthFieldsCheckTheirSize() {
        var reader = RLPReader(RLPItem.bytes(Array(repeating: 1, count: 19)).rlp)
        #expect(throws: RLPError.wrongLength(expected: 20, actual: 19)) { try reader.readAddress() }
    }

    /// decode(encode(x)) == x over random trees that cross every length boundary (55/56 bytes, nesting).
    @Test func randomTreesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5eed_0001)
        func randomItem(_ depth: Int) -> RLPItem {
            if depth < 4 && Bool.random(using: &rng) {
                return .list((0..<Int.random(in: 0...6, using: &rng)).map { _ in randomItem(depth + 1) })
            }
            let lengths = [0, 1, 1, 2, 55, 56, 57, 200, 1100, Int.random(in: 0...70, using: &rng)]
            return .bytes(rng.bytes(lengths.randomElement(using: &rng)!))
        }
        for _ in 0..<2_000 {
            let item = randomItem(0)
            let encoded = item.rlp
            #expect(try RLPItem(decoding: encoded) == item)
            // Any proper prefix of a valid encoding is refused.
            if encoded.count > 1 {
                let cut = Int.random(in: 0..<encoded.count, using: &rng)
                #expect(throws: RLPError.self) { try RLPItem(decoding: Array(encoded[0..<cut])) }
            }
        }
    }

    @Test func integerEncodingMatchesUInt256() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<1_000 {
            let shift = UInt64.random(in: 0...63, using: &rng)
            let value = rng.next() >> shift
            var e = RLPEncoder()
            e.append(value)
            #expect(e.bytes == UInt256(value).rlp)
            var reader = RLPReader(e.bytes)
            #expect(try reader.readUInt64() == value)
        }
    }
}
