/// Why a hex string was refused. One error type for the whole module, so tests and callers can match the exact
/// reason (JSON-RPC servers turn these into `-32602` messages).
public enum HexError: Error, Equatable, Sendable {
    /// The string does not start with `0x` (Ethereum's JSON-RPC always prefixes).
    case missingPrefix
    /// `0x` with nothing after it where a QUANTITY needs at least one digit.
    case empty
    /// DATA must have an even number of hex digits.
    case oddLength
    /// A character that is not `0-9a-fA-F`, at this offset after the prefix.
    case invalidCharacter(offset: Int)
    /// A QUANTITY must be minimal: `0x0` or no leading zero digit.
    case leadingZeros
    /// The value does not fit the target type.
    case overflow
    /// Fixed-size DATA (a hash, an address) of the wrong byte length.
    case wrongLength(expected: Int, actual: Int)
    /// A mixed-case address whose EIP-55 checksum does not match.
    case badChecksum
}

extension HexError: CustomStringConvertible {
    /// The reason in words, as error messages show it.
    public var description: String {
        switch self {
        case .missingPrefix: return "missing 0x prefix"
        case .empty: return "empty quantity (use 0x0)"
        case .oddLength: return "odd number of hex digits"
        case .invalidCharacter(let offset): return "invalid hex digit at position \(offset + 2)"
        case .leadingZeros: return "leading zeros in a QUANTITY"
        case .overflow: return "value too large"
        case .wrongLength(let expected, let actual): return "expected \(expected) bytes, got \(actual)"
        case .badChecksum: return "bad EIP-55 checksum"
        }
    }
}

/// Hex coding of Ethereum JSON-RPC values: DATA (even-length, any case in) and QUANTITY (minimal).
public enum Hex {
    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The digits after `0x`, or `missingPrefix`.
    static func body(_ string: String) throws(HexError) -> Substring.UTF8View {
        let utf8 = string.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "0"),
            utf8[utf8.index(after: utf8.startIndex)] | 0x20 == UInt8(ascii: "x")
        else { throw .missingPrefix }
        return Substring(string).dropFirst(2).utf8
    }

    /// Decodes `0x`-prefixed DATA of any even length (`0x` alone is the empty byte string).
    public static func decode(_ string: String) throws(HexError) -> [UInt8] {
        let digits = try body(string)
        guard digits.count % 2 == 0 else { throw .oddLength }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        var high: UInt8 = 0
        for (offset, c) in digits.enumerated() {
            guard let n = nibble(c) else { throw .invalidCharacter(offset: offset) }
            if offset & 1 == 0 { high = n << 4 } else { out.append(high | n) }
        }
        return out
    }

    /// Decodes DATA that must be exactly `count` bytes long.
    public static func decode(_ string: String, count: Int) throws(HexError) -> [UInt8] {
        let bytes = try decode(string)
        guard bytes.count == count else { throw .wrongLength(expected: count, actual: bytes.count) }
        return bytes
    }

    /// Encodes bytes as lowercase `0x`-prefixed DATA.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.underestimatedCount * 2)
        out.append(UInt8(ascii: "0"))
        out.append(UInt8(ascii: "x"))
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a QUANTITY into the digits' nibble values, enforcing the minimal form.
    static func quantityNibbles(_ string: String) throws(HexError) -> [UInt8] {
        let digits = try body(string)
        guard !digits.isEmpty else { throw .empty }
        var out = [UInt8]()
        out.reserveCapacity(digits.count)
        for (offset, c) in digits.enumerated() {
            guard let n = nibble(c) else { throw .invalidCharacter(offset: offset) }
            out.append(n)
        }
        if out.count > 1 && out[0] == 0 { throw .leadingZeros }
        return out
    }

    /// Parses a QUANTITY (`0x0`, `0x1a`; no leading zeros) into a `UInt64`.
    public static func quantity(_ string: String) throws(HexError) -> UInt64 {
        let nibbles = try quantityNibbles(string)
        guard nibbles.count <= 16 else { throw .overflow }
        var value: UInt64 = 0
        for n in nibbles { value = value << 4 | UInt64(n) }
        return value
    }

    /// Encodes a `UInt64` as a minimal QUANTITY.
    public static func quantity(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16)
    }
}
