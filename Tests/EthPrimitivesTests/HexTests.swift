import Foundation
import Testing

@testable import EthPrimitives
import TestSupport

@Suite("Hex DATA and QUANTITY")
struct HexTests {
    @Test func dataDecodes() throws {
        #expect(try Hex.decode("0x") == [])
        #expect(try Hex.decode("0x00ff10") == [0, 255, 16])
        #expect(try Hex.decode("0XABcd") == [0xab, 0xcd])
        #expect(Hex.encode([0xde, 0xad]) == "0xdead")
        // Every byte value, from an array, a slice and a non-contiguous sequence.
        let all = (0...255).map { UInt8($0) }
        let expected = "0x" + all.map { String(format: "%02x", $0) }.joined()
        #expect(Hex.encode(all) == expected && Hex.encode(all[...]) == expected && Hex.encode(all.lazy.map { $0 }) == expected)
        #expect(try Hex.decode(expected) == all && Hex.decode(expected.uppercased().replacingOccurrences(of: "0X", with: "0x")) == all)
    }

    static let badData: [(String, HexError)] = [
        ("abcd", .missingPrefix), ("", .missingPrefix), ("0xabc", .oddLength), ("0xzz", .invalidCharacter(offset: 0)),
        ("0x0g", .invalidCharacter(offset: 1)), ("0xé", .invalidCharacter(offset: 0)), ("0x1é1", .invalidCharacter(offset: 1)),
        ("x0", .missingPrefix), ("0", .missingPrefix),
    ]

    @Test(arguments: 0..<badData.count)
    func badDataIsRefused(_ i: Int) {
        #expect(throws: Self.badData[i].1) { try Hex.decode(Self.badData[i].0) }
    }

    static let badQuantities: [(String, HexError)] = [
        ("0x", .empty), ("0x00", .leadingZeros), ("0x01", .leadingZeros), ("12", .missingPrefix),
        ("0x1g", .invalidCharacter(offset: 1)), ("0x10000000000000000", .overflow),
        // What is wrong first: a bad character anywhere, then leading zeros, then the size.
        ("0x0g", .invalidCharacter(offset: 1)), ("0x1000000000000000000g", .invalidCharacter(offset: 19)),
        ("0x00000000000000000001", .leadingZeros),
    ]

    @Test(arguments: 0..<badQuantities.count)
    func badQuantitiesAreRefused(_ i: Int) {
        #expect(throws: Self.badQuantities[i].1) { try Hex.quantity(Self.badQuantities[i].0) }
    }

    static let badWordQuantities: [(String, HexError)] = [
        ("0x", .empty), ("0x00", .leadingZeros), ("12", .missingPrefix), ("0x1g", .invalidCharacter(offset: 1)),
        ("0x1" + String(repeating: "0", count: 64), .overflow),
        // A bad digit in any limb's run of sixteen, or past the 64th digit, is found before the size or the zeros.
        ("0x" + String(repeating: "1", count: 40) + "x" + String(repeating: "1", count: 23), .invalidCharacter(offset: 40)),
        ("0x" + String(repeating: "f", count: 70) + "z", .invalidCharacter(offset: 70)),
        ("0x0" + String(repeating: "f", count: 64), .leadingZeros),
    ]

    @Test(arguments: 0..<badWordQuantities.count)
    func badWordQuantitiesAreRefused(_ i: Int) {
        let (text, error) = Self.badWordQuantities[i]
        #expect(throws: error) { try UInt256(quantity: text) }
        var utf8 = text
        #expect(throws: error) { try utf8.withUTF8 { try UInt256(quantityUTF8: $0) } }
    }

    /// Words of every length read back from their QUANTITY, through both entry points, upper and lower case.
    @Test func wordQuantities() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2_000 {
            let bits = Int(rng.next() % 257)
            var limbs = (rng.next(), rng.next(), rng.next(), rng.next())
            withUnsafeMutableBytes(of: &limbs) { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for i in 0..<4 {
                    let keep = Swift.max(0, Swift.min(64, bits - 64 * i))
                    words[i] = keep == 0 ? 0 : keep == 64 ? words[i] : words[i] & ((1 << UInt64(keep)) - 1)
                }
            }
            let value = UInt256(limbs: limbs)
            #expect(try UInt256(quantity: value.quantity) == value)
            var upper = "0x" + value.quantity.dropFirst(2).uppercased()
            #expect(try upper.withUTF8 { try UInt256(quantityUTF8: $0) } == value)
        }
    }

    @Test func quantities() throws {
        #expect(try Hex.quantity("0x0") == 0)
        #expect(try Hex.quantity("0x1a") == 26)
        #expect(try Hex.quantity("0xffffffffffffffff") == .max)
        #expect(Hex.quantity(0) == "0x0")
        #expect(Hex.quantity(26) == "0x1a")
        #expect(try UInt256(quantity: "0x" + String(repeating: "f", count: 64)) == .max)
        #expect(throws: HexError.overflow) { try UInt256(quantity: "0x1" + String(repeating: "0", count: 64)) }
        #expect(UInt256.max.quantity == "0x" + String(repeating: "f", count: 64))
        #expect(UInt256(limbs: (0, 1, 0, 0)).quantity == "0x10000000000000000")
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let value = rng.next() >> (rng.next() % 64)
            #expect(Hex.quantity(value) == "0x" + String(value, radix: 16))
            #expect(try Hex.quantity("0x" + String(value, radix: 16, uppercase: value & 1 == 0)) == value)
        }
    }

    @Test func fixedWidthValues() throws {
        let address = try Address(hex: "0xDE0B295669A9FD93D5F28D9EC85E40F4CB697BAE")
        #expect(address.hex == "0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae")
        #expect(throws: HexError.wrongLength(expected: 20, actual: 19)) {
            try Address(hex: "0xde0b295669a9fd93d5f28d9ec85e40f4cb697b")
        }
        let hash = try Hash32(hex: "0x" + String(repeating: "ab", count: 32))
        #expect(hash.bytes == [UInt8](repeating: 0xab, count: 32))
        #expect(hash != Hash32.zero)
        #expect(Set([hash, hash, .zero]).count == 2)
    }
}
