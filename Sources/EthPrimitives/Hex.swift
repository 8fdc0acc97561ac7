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

    /// The hex digit of a nibble's value, lowercase.
    @inline(__always)
    static func digit(_ n: UInt8) -> UInt8 { n < 10 ? n &+ UInt8(ascii: "0") : n &+ (UInt8(ascii: "a") &- 10) }

    /// Runs `body` over the digits after `0x` as contiguous UTF-8, or fails with `missingPrefix`. Parameters
    /// arrive as native strings, so this reads the string's own storage, not a copy. (`withUTF8` rethrows untyped
    /// errors, hence `Result`.)
    static func withDigits<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result<R, HexError>) throws(HexError) -> R {
        var string = string
        return try string.withUTF8 { utf8 in digits(utf8, body) }.get()
    }

    /// The digits after `0x` of UTF-8 text, or `missingPrefix`.
    static func digits<R>(_ utf8: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result<R, HexError>) -> Result<R, HexError> {
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] | 0x20 == UInt8(ascii: "x") else { return .failure(.missingPrefix) }
        return body(UnsafeBufferPointer(rebasing: utf8[2...]))
    }

    /// A digit's value, or a value with high bits set for any other byte: no branch on the byte's class, so a long
    /// run of digits (a bloom is 512 bytes) decodes without mispredictions.
    @inline(__always)
    static func nibbleOrInvalid(_ c: UInt8) -> UInt8 {
        let digit = c &- UInt8(ascii: "0")
        let letter = (c | 0x20) &- UInt8(ascii: "a")
        return digit < 10 ? digit : letter < 6 ? letter &+ 10 : 0xf0
    }

    /// Decodes an even number of hex digits into `out`, which holds half as many bytes.
    static func decodeDigits(_ digits: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> HexError? {
        var invalid: UInt8 = 0
        for i in 0..<out.count {
            let high = nibbleOrInvalid(digits[2 * i]), low = nibbleOrInvalid(digits[2 * i + 1])
            invalid |= high | low
            out[i] = high << 4 | (low & 0x0f)
        }
        guard invalid & 0xf0 != 0 else { return nil }
        return .invalidCharacter(offset: digits.firstIndex { nibble($0) == nil }!)
    }

    /// Decodes `0x`-prefixed DATA of any even length (`0x` alone is the empty byte string).
    public static func decode(_ string: String) throws(HexError) -> [UInt8] {
        try withDigits(string, decodeAll)
    }

    /// Decodes `0x`-prefixed DATA given as UTF-8 bytes (a JSON string's content, read where it lies).
    public static func decode(utf8: UnsafeBufferPointer<UInt8>) throws(HexError) -> [UInt8] {
        try digits(utf8, decodeAll).get()
    }

    static func decodeAll(_ digits: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], HexError> {
        guard digits.count % 2 == 0 else { return .failure(.oddLength) }
        var failure: HexError?
        let out = [UInt8](unsafeUninitializedCapacity: digits.count / 2) { buffer, count in
            failure = decodeDigits(digits, into: UnsafeMutableRawBufferPointer(buffer))
            count = failure == nil ? buffer.count : 0
        }
        return failure.map { .failure($0) } ?? .success(out)
    }

    /// Decodes `0x`-prefixed DATA of exactly `out.count` bytes, given as UTF-8, into `out`.
    public static func decode(utf8: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) throws(HexError) {
        try digits(utf8) { digits -> Result<Void, HexError> in
            guard digits.count % 2 == 0 else { return .failure(.oddLength) }
            guard digits.count == 2 * out.count else { return .failure(.wrongLength(expected: out.count, actual: digits.count / 2)) }
            return decodeDigits(digits, into: out).map { .failure($0) } ?? .success(())
        }.get()
    }

    /// Decodes DATA that must be exactly `count` bytes long.
    public static func decode(_ string: String, count: Int) throws(HexError) -> [UInt8] {
        let bytes = try decode(string)
        guard bytes.count == count else { throw .wrongLength(expected: count, actual: bytes.count) }
        return bytes
    }

    /// Encodes bytes as lowercase `0x`-prefixed DATA.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        if let string = bytes.withContiguousStorageIfAvailable({ encode(contiguous: UnsafeRawBufferPointer($0)) }) { return string }
        return Array(bytes).withUnsafeBytes { encode(contiguous: $0) }
    }

    /// The digits are written straight into the string's storage, with no intermediate array.
    static func encode(contiguous bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 2 + 2 * bytes.count, initializingUTF8With: { out in
            out[0] = UInt8(ascii: "0")
            out[1] = UInt8(ascii: "x")
            for (i, b) in bytes.enumerated() {
                out[2 + 2 * i] = digit(b >> 4)
                out[3 + 2 * i] = digit(b & 0x0f)
            }
            return 2 + 2 * bytes.count
        })
    }

    /// Parses a QUANTITY of at most `maxDigits` significant digits, calling `take` with each nibble's value and its
    /// position from the least significant (0). Errors come in the order a reader fixes them: a bad character
    /// anywhere, then leading zeros, then a value too large.
    static func quantity<R>(_ string: String, maxDigits: Int, into value: R, _ take: (inout R, UInt8, Int) -> Void) throws(HexError) -> R {
        try withDigits(string) { quantity($0, maxDigits: maxDigits, into: value, take) }
    }

    /// `quantity(_:maxDigits:into:_:)` on the digits of UTF-8 text.
    static func quantity<R>(utf8: UnsafeBufferPointer<UInt8>, maxDigits: Int, into value: R, _ take: (inout R, UInt8, Int) -> Void) throws(HexError) -> R {
        try digits(utf8) { quantity($0, maxDigits: maxDigits, into: value, take) }.get()
    }

    static func quantity<R>(_ digits: UnsafeBufferPointer<UInt8>, maxDigits: Int, into value: R, _ take: (inout R, UInt8, Int) -> Void) -> Result<R, HexError> {
        guard !digits.isEmpty else { return .failure(.empty) }
        var value = value
        for (offset, c) in digits.enumerated() {
            guard let n = nibble(c) else { return .failure(.invalidCharacter(offset: offset)) }
            let position = digits.count - 1 - offset
            if position < maxDigits { take(&value, n, position) }
        }
        if digits.count > 1 && digits[0] == UInt8(ascii: "0") { return .failure(.leadingZeros) }
        guard digits.count <= maxDigits else { return .failure(.overflow) }
        return .success(value)
    }

    /// Parses a QUANTITY (`0x0`, `0x1a`; no leading zeros) into a `UInt64`.
    public static func quantity(_ string: String) throws(HexError) -> UInt64 {
        try quantity(string, maxDigits: 16, into: UInt64(0)) { value, n, position in value |= UInt64(n) << UInt64(4 * position) }
    }

    /// Parses a QUANTITY given as UTF-8 bytes into a `UInt64`.
    public static func quantity(utf8: UnsafeBufferPointer<UInt8>) throws(HexError) -> UInt64 {
        try quantity(utf8: utf8, maxDigits: 16, into: UInt64(0)) { value, n, position in value |= UInt64(n) << UInt64(4 * position) }
    }

    /// Writes `digits` lowercase hex digits after `0x`, the most significant first; `nibble(i)` gives the value of
    /// the digit at position `i` from the least significant.
    static func quantity(digits: Int, _ nibble: (Int) -> UInt8) -> String {
        String(unsafeUninitializedCapacity: 2 + digits, initializingUTF8With: { out in
            out[0] = UInt8(ascii: "0")
            out[1] = UInt8(ascii: "x")
            for i in 0..<digits { out[1 + digits - i] = digit(nibble(i)) }
            return 2 + digits
        })
    }

    /// Encodes a `UInt64` as a minimal QUANTITY.
    public static func quantity(_ value: UInt64) -> String {
        quantity(digits: max(1, (64 - value.leadingZeroBitCount + 3) / 4)) { UInt8(truncatingIfNeeded: value >> UInt64(4 * $0)) & 0x0f }
    }
}
