import BigInt
import Testing
import TestSupport

@testable import EthPrimitives

/// UInt256 against attaswift/BigInt as the oracle, on random operands of every width.
@Suite("UInt256 against a big-integer oracle")
struct UInt256Tests {
    static let modulus = BigUInt(1) << 256

    static func big(_ v: UInt256) -> BigUInt { BigUInt(v.bigEndianBytes.reduce(into: Data()) { $0.append($1) }) }

    static func random(_ rng: inout SplitMix64) -> UInt256 {
        // Mix widths so carries, zero limbs and small divisors all occur.
        let width = [0, 1, 8, 63, 64, 65, 128, 200, 255, 256].randomElement(using: &rng)!
        var v = UInt256(limbs: (rng.next(), rng.next(), rng.next(), rng.next()))
        v = width == 256 ? v : v & ((UInt256(1) << width) &- UInt256(1))
        return v
    }

    @Test func arithmeticMatchesOracle() throws {
        var rng = SplitMix64(seed: 256)
        for _ in 0..<5_000 {
            let a = Self.random(&rng), b = Self.random(&rng)
            let (ba, bb) = (Self.big(a), Self.big(b))
            let sum = a.addingReportingOverflow(b)
            #expect(Self.big(sum.partialValue) == (ba + bb) % Self.modulus)
            #expect(sum.overflow == (ba + bb >= Self.modulus))
            let diff = a.subtractingReportingOverflow(b)
            #expect(Self.big(diff.partialValue) == (ba + Self.modulus - bb) % Self.modulus)
            #expect(diff.overflow == (ba < bb))
            let product = a.multipliedReportingOverflow(by: b)
            #expect(Self.big(product.partialValue) == (ba * bb) % Self.modulus)
            #expect(product.overflow == (ba * bb >= Self.modulus))
            if !b.isZero {
                let (q, r) = a.quotientAndRemainder(dividingBy: b)
                #expect(Self.big(q) == ba / bb)
                #expect(Self.big(r) == ba % bb)
            }
            #expect((a < b) == (ba < bb))
            #expect((a == b) == (ba == bb))
            let shift = Int.random(in: 0...260, using: &rng)
            #expect(Self.big(a << shift) == (ba << shift) % Self.modulus)
            #expect(Self.big(a >> shift) == ba >> shift)
            #expect(a.description == ba.description)
            #expect(UInt256(decimal: ba.description) == a)
            #expect(a.quantity == "0x" + String(ba, radix: 16))
            #expect(try UInt256(quantity: a.quantity) == a)
            #expect(UInt256(bigEndian: a.minimalBigEndianBytes) == a)
            #expect(a.bitWidth == ba.bitWidth)
        }
    }

    @Test func edges() {
        #expect(UInt256.max.addingReportingOverflow(UInt256(1)) == (UInt256.zero, true))
        #expect(UInt256.zero.subtractingReportingOverflow(UInt256(1)) == (UInt256.max, true))
        #expect(UInt256.zero.minimalBigEndianBytes == [])
        #expect(UInt256(decimal: "1" + String(repeating: "0", count: 78)) == nil)
        #expect(UInt256(decimal: "12a") == nil)
        #expect(UInt256(bigEndian: [UInt8](repeating: 1, count: 33)) == nil)
    }
}

import Foundation
