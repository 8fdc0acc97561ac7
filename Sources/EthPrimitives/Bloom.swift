/// The 2048-bit logs bloom of a receipt or header (Yellow Paper §4.3.1, function M3:2048): each input sets three
/// bits, taken from the first three byte pairs of its Keccak-256 hash, each pair's low 11 bits indexing the filter
/// from its most significant end. Hashing lives in `EthCrypto`; here the bloom takes the 32-byte hash.
public struct Bloom: FixedBytes {
    public static let byteCount = 256
    /// Big-endian bytes, exactly 256 of them.
    public private(set) var storage: [UInt8]

    /// The empty filter.
    public init() { storage = [UInt8](repeating: 0, count: 256) }

    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 256 else { return nil }
        storage = Array(bytes)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// The three (byte index, bit mask) positions an input with this Keccak-256 hash sets.
    @inlinable static func positions(_ hash: Hash32) -> [(Int, UInt8)] {
        hash.withUnsafeBytes { h in
            (0..<3).map { i in
                let bit = (Int(h[2 * i]) << 8 | Int(h[2 * i + 1])) & 2047
                return (255 - bit >> 3, UInt8(1) << (bit & 7))
            }
        }
    }

    /// Adds an input, given its Keccak-256 hash.
    public mutating func insert(hashed hash: Hash32) {
        for (index, mask) in Self.positions(hash) { storage[index] |= mask }
    }

    /// Whether the filter may contain the input with this Keccak-256 hash (false means certainly not).
    public func mayContain(hashed hash: Hash32) -> Bool {
        Self.positions(hash).allSatisfy { storage[$0.0] & $0.1 != 0 }
    }

    /// Bitwise OR: the header bloom is the union of its receipts' blooms.
    public mutating func formUnion(_ other: Bloom) {
        for i in 0..<256 { storage[i] |= other.storage[i] }
    }

    /// Whether every bit set in `other` is set here.
    public func contains(_ other: Bloom) -> Bool {
        (0..<256).allSatisfy { storage[$0] & other.storage[$0] == other.storage[$0] }
    }
}
