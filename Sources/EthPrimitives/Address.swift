/// A 20-byte account address. Parses any hex case; prints lowercase (ARCHITECTURE.md §5). The EIP-55 mixed-case form needs
/// Keccak-256 and lives in `EthCrypto` (`Address.checksummed`).
public struct Address: FixedBytes, Comparable {
    public static let byteCount = 20
    @usableFromInline var words: (UInt64, UInt64, UInt32)

    /// The zero address: mint source and burn target of token transfers.
    public static let zero = Address(words: (0, 0, 0))

    @inlinable init(words: (UInt64, UInt64, UInt32)) { self.words = words }

    @inlinable
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 20 else { return nil }
        var w: (UInt64, UInt64, UInt32) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &w) { copyFixed(bytes, to: $0) }
        words = w
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }

    public static func == (a: Address, b: Address) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
    }

    /// Byte-wise order, the order of the address's hex form.
    public static func < (a: Address, b: Address) -> Bool {
        a.bytes.lexicographicallyPrecedes(b.bytes)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
    }
}
