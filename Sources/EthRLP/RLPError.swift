/// Why RLP input was refused. Every rule of canonical RLP (Yellow Paper appendix B) has its own case, so tests can
/// check that each kind of malformed input fails for the right reason.
public enum RLPError: Error, Equatable, Sendable {
    /// The input ended before the item's header or payload did.
    case truncated
    /// Bytes remain after the top-level item or after the last item of a list.
    case trailingBytes
    /// A single byte below 0x80 written as a one-byte string (`0x81 0x05`), which must be the bare byte.
    case nonCanonicalSingleByte
    /// A payload shorter than 56 bytes written with the long form, or a length with leading zero bytes.
    case nonCanonicalLength
    /// A length field larger than the input could ever hold.
    case lengthOverflow
    /// An integer with leading zero bytes (RLP integers are minimal big-endian; zero is the empty string).
    case leadingZeros
    /// An integer wider than the target type.
    case integerOverflow
    /// A list where a string was expected, or a string where a list was expected.
    case unexpectedList
    case unexpectedString
    /// A fixed-width field (hash, address) of the wrong size.
    case wrongLength(expected: Int, actual: Int)
    /// Lists nested deeper than `RLP.maxDepth`.
    case depthExceeded
    /// A list with the wrong number of items for the structure being decoded.
    case wrongItemCount(expected: Int, actual: Int)
}

/// Limits of the RLP codec, as named constants.
public enum RLP {
    /// Deepest list nesting accepted. Ethereum structures nest at most 4 deep (block → txs → access list → keys);
    /// the cap is generous but stops stack exhaustion on hostile input.
    public static let maxDepth = 64
}
