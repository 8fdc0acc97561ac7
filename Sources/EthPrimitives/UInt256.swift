/// An unsigned 256-bit integer (EVM word): four 64-bit limbs, least significant first. Arithmetic traps on
/// overflow like Swift's integers; the `&` operators and `…ReportingOverflow` methods wrap.
public struct UInt256: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// Limbs, least significant first.
    public var limbs: (UInt64, UInt64, UInt64, UInt64)

    public static let zero = UInt256(limbs: (0, 0, 0, 0))
    public static let max = UInt256(limbs: (.max, .max, .max, .max))

    @inlinable public init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }
    @inlinable public init(_ value: UInt64) { limbs = (value, 0, 0, 0) }
    public init(integerLiteral value: UInt64) { self.init(value) }

    @inlinable subscript(i: Int) -> UInt64 {
        get {
            switch i {
            case 0: return limbs.0
            case 1: return limbs.1
            case 2: return limbs.2
            default: return limbs.3
            }
        }
        set {
            switch i {
            case 0: limbs.0 = newValue
            case 1: limbs.1 = newValue
            case 2: limbs.2 = newValue
            default: limbs.3 = newValue
            }
        }
    }

    /// Builds from at most 32 big-endian bytes (leading zeros allowed); `nil` when longer.
    @inlinable
    public init?<C: Collection>(bigEndian bytes: C) where C.Element == UInt8 {
        guard bytes.count <= 32 else { return nil }
        var value = UInt256.zero
        var shift = (bytes.count - 1) * 8
        for b in bytes {
            value[shift >> 6] |= UInt64(b) << UInt64(shift & 63)
            shift -= 8
        }
        self = value
    }

    /// The value as exactly 32 big-endian bytes.
    @inlinable
    public var bigEndianBytes: [UInt8] {
        let words = (limbs.3.bigEndian, limbs.2.bigEndian, limbs.1.bigEndian, limbs.0.bigEndian)
        return Swift.withUnsafeBytes(of: words) { Array($0) }
    }

    /// Big-endian bytes without leading zeros; zero is the empty array (RLP's integer form).
    @inlinable
    public var minimalBigEndianBytes: [UInt8] {
        let words = (limbs.3.bigEndian, limbs.2.bigEndian, limbs.1.bigEndian, limbs.0.bigEndian)
        let skip = leadingZeroBitCount / 8
        return Swift.withUnsafeBytes(of: words) { Array($0[skip...]) }
    }

    /// `nil` unless the value fits in 64 bits.
    public var uint64: UInt64? { limbs.1 | limbs.2 | limbs.3 == 0 ? limbs.0 : nil }

    public var isZero: Bool { limbs.0 | limbs.1 | limbs.2 | limbs.3 == 0 }

    @inlinable
    public var leadingZeroBitCount: Int {
        for i in stride(from: 3, through: 0, by: -1) where self[i] != 0 {
            return (3 - i) * 64 + self[i].leadingZeroBitCount
        }
        return 256
    }

    /// Number of significant bits.
    public var bitWidth: Int { 256 - leadingZeroBitCount }

    // MARK: Hex

    /// Parses a minimal QUANTITY (`0x0`, `0x1a`).
    public init(quantity string: String) throws(HexError) {
        self = try Hex.withDigits(string, Self.quantity(digits:))
    }

    /// Parses a QUANTITY given as UTF-8 bytes.
    public init(quantityUTF8 utf8: UnsafeBufferPointer<UInt8>) throws(HexError) {
        self = try Hex.digits(utf8, Self.quantity(digits:)).get()
    }

    /// The value of a QUANTITY's digits, read sixteen to a limb from the last: a transaction's `r` and `s` are 64
    /// digits each, and setting each digit's nibble through the limb subscript was a tenth of reading a transaction
    /// (benchmarks/RESULTS.md). Errors as `Hex.quantity` gives them: the first invalid digit, then leading zeros,
    /// then overflow.
    static func quantity(digits: UnsafeBufferPointer<UInt8>) -> Result<UInt256, HexError> {
        guard !digits.isEmpty else { return .failure(.empty) }
        var value = UInt256.zero
        var invalid: UInt8 = 0
        var end = digits.count, limb = 0
        while end > 0 {
            let start = Swift.max(0, end - 16)
            var word: UInt64 = 0
            for i in start..<end {
                let n = Hex.nibbleOrInvalid(digits[i])
                invalid |= n
                word = word << 4 | UInt64(n & 0x0f)
            }
            if limb < 4 { value[limb] = word }
            limb += 1
            end = start
        }
        if invalid & 0xf0 != 0 { return .failure(.invalidCharacter(offset: digits.firstIndex { Hex.nibble($0) == nil }!)) }
        if digits.count > 1 && digits[0] == UInt8(ascii: "0") { return .failure(.leadingZeros) }
        guard digits.count <= 64 else { return .failure(.overflow) }
        return .success(value)
    }

    /// The value as a minimal QUANTITY.
    public var quantity: String {
        Hex.quantity(digits: Swift.max(1, (256 - leadingZeroBitCount + 3) / 4)) { i in
            UInt8(truncatingIfNeeded: self[i >> 4] >> UInt64((i & 15) * 4)) & 0x0f
        }
    }

    // MARK: Decimal

    /// Parses decimal digits; `nil` on any other character, empty input or overflow.
    public init?(decimal: String) {
        guard !decimal.isEmpty else { return nil }
        var value = UInt256.zero
        for c in decimal.utf8 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt256(UInt64(c - UInt8(ascii: "0"))))
            guard !o1, !o2 else { return nil }
            value = a
        }
        self = value
    }

    public var description: String {
        guard !isZero else { return "0" }
        var chunks: [UInt64] = []
        var v = self
        let base: UInt64 = 10_000_000_000_000_000_000
        while !v.isZero {
            let (q, r) = v.quotientAndRemainder(dividingBy: base)
            chunks.append(r)
            v = q
        }
        var s = String(chunks.removeLast())
        for c in chunks.reversed() {
            let d = String(c)
            s += String(repeating: "0", count: 19 - d.count) + d
        }
        return s
    }

    // MARK: Comparison

    public static func < (a: UInt256, b: UInt256) -> Bool {
        if a.limbs.3 != b.limbs.3 { return a.limbs.3 < b.limbs.3 }
        if a.limbs.2 != b.limbs.2 { return a.limbs.2 < b.limbs.2 }
        if a.limbs.1 != b.limbs.1 { return a.limbs.1 < b.limbs.1 }
        return a.limbs.0 < b.limbs.0
    }

    public static func == (a: UInt256, b: UInt256) -> Bool {
        a.limbs.0 == b.limbs.0 && a.limbs.1 == b.limbs.1 && a.limbs.2 == b.limbs.2 && a.limbs.3 == b.limbs.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }

    // MARK: Arithmetic

    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var result = UInt256.zero
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (s1, o1) = self[i].addingReportingOverflow(other[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            result[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return (result, carry != 0)
    }

    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var result = UInt256.zero
        var borrow: UInt64 = 0
        for i in 0..<4 {
            let (d1, o1) = self[i].subtractingReportingOverflow(other[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            result[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return (result, borrow != 0)
    }

    public func multipliedReportingOverflow(by other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        // Schoolbook over 64-bit limbs; the product's limbs 4...7 only matter for the overflow flag.
        var product = [UInt64](repeating: 0, count: 8)
        for i in 0..<4 where self[i] != 0 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (high, low) = self[i].multipliedFullWidth(by: other[j])
                let (s1, o1) = product[i + j].addingReportingOverflow(low)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                product[i + j] = s2
                carry = high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            product[i + 4] = carry
        }
        let overflow = product[4] | product[5] | product[6] | product[7] != 0
        return (UInt256(limbs: (product[0], product[1], product[2], product[3])), overflow)
    }

    /// Division with remainder; traps when `divisor` is zero.
    public func quotientAndRemainder(dividingBy divisor: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        precondition(!divisor.isZero, "UInt256 division by zero")
        if self < divisor { return (.zero, self) }
        if let small = divisor.uint64 {
            let (q, r) = quotientAndRemainder(dividingBy: small)
            return (q, UInt256(r))
        }
        // Shift-subtract, one quotient bit per step from the divisor's aligned position down.
        var quotient = UInt256.zero
        var remainder = self
        let shift = divisor.leadingZeroBitCount - leadingZeroBitCount
        var d = divisor << shift
        for bit in stride(from: shift, through: 0, by: -1) {
            if remainder >= d {
                remainder = remainder.subtractingReportingOverflow(d).partialValue
                quotient[bit >> 6] |= 1 << UInt64(bit & 63)
            }
            d = d >> 1
        }
        return (quotient, remainder)
    }

    /// Division by a 64-bit divisor, limb by limb.
    public func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        precondition(divisor != 0, "UInt256 division by zero")
        var quotient = UInt256.zero
        var remainder: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (q, r) = divisor.dividingFullWidth((remainder, self[i]))
            quotient[i] = q
            remainder = r
        }
        return (quotient, remainder)
    }

    public static func + (a: UInt256, b: UInt256) -> UInt256 {
        let (r, o) = a.addingReportingOverflow(b)
        precondition(!o, "UInt256 addition overflow")
        return r
    }

    public static func - (a: UInt256, b: UInt256) -> UInt256 {
        let (r, o) = a.subtractingReportingOverflow(b)
        precondition(!o, "UInt256 subtraction underflow")
        return r
    }

    public static func * (a: UInt256, b: UInt256) -> UInt256 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        precondition(!o, "UInt256 multiplication overflow")
        return r
    }

    public static func / (a: UInt256, b: UInt256) -> UInt256 { a.quotientAndRemainder(dividingBy: b).quotient }
    public static func % (a: UInt256, b: UInt256) -> UInt256 { a.quotientAndRemainder(dividingBy: b).remainder }
    public static func &+ (a: UInt256, b: UInt256) -> UInt256 { a.addingReportingOverflow(b).partialValue }
    public static func &- (a: UInt256, b: UInt256) -> UInt256 { a.subtractingReportingOverflow(b).partialValue }
    public static func &* (a: UInt256, b: UInt256) -> UInt256 { a.multipliedReportingOverflow(by: b).partialValue }

    // MARK: Bits

    public static func << (a: UInt256, n: Int) -> UInt256 {
        guard n > 0 else { return n == 0 ? a : a >> -n }
        guard n < 256 else { return .zero }
        var r = UInt256.zero
        let limbShift = n >> 6, bitShift = UInt64(n & 63)
        for i in stride(from: 3, through: limbShift, by: -1) {
            var v = a[i - limbShift] << bitShift
            if bitShift != 0 && i - limbShift - 1 >= 0 { v |= a[i - limbShift - 1] >> (64 - bitShift) }
            r[i] = v
        }
        return r
    }

    public static func >> (a: UInt256, n: Int) -> UInt256 {
        guard n > 0 else { return n == 0 ? a : a << -n }
        guard n < 256 else { return .zero }
        var r = UInt256.zero
        let limbShift = n >> 6, bitShift = UInt64(n & 63)
        for i in 0..<(4 - limbShift) {
            var v = a[i + limbShift] >> bitShift
            if bitShift != 0 && i + limbShift + 1 < 4 { v |= a[i + limbShift + 1] << (64 - bitShift) }
            r[i] = v
        }
        return r
    }

    public static func & (a: UInt256, b: UInt256) -> UInt256 {
        UInt256(limbs: (a.limbs.0 & b.limbs.0, a.limbs.1 & b.limbs.1, a.limbs.2 & b.limbs.2, a.limbs.3 & b.limbs.3))
    }

    public static func | (a: UInt256, b: UInt256) -> UInt256 {
        UInt256(limbs: (a.limbs.0 | b.limbs.0, a.limbs.1 | b.limbs.1, a.limbs.2 | b.limbs.2, a.limbs.3 | b.limbs.3))
    }

    public static func ^ (a: UInt256, b: UInt256) -> UInt256 {
        UInt256(limbs: (a.limbs.0 ^ b.limbs.0, a.limbs.1 ^ b.limbs.1, a.limbs.2 ^ b.limbs.2, a.limbs.3 ^ b.limbs.3))
    }

    public static prefix func ~ (a: UInt256) -> UInt256 {
        UInt256(limbs: (~a.limbs.0, ~a.limbs.1, ~a.limbs.2, ~a.limbs.3))
    }
}
