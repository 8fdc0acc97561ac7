/// A 32-byte hash (Keccak-256 output, a trie root, a block hash). Stored as four words so that equality and
/// hashing are four compares, not a byte loop; the words hold the bytes in memory order.
public struct Hash32: FixedBytes {
    public static let byteCount = 32
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64)

    /// All zero bytes.
    public static let zero = Hash32(words: (0, 0, 0, 0))

    @inlinable init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    @inlinable
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &w) { copyFixed(bytes, to: $0) }
        words = w
    }

    /// Builds a hash from 32 bytes at `pointer`.
    @inlinable public init(loading pointer: UnsafeRawPointer) {
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &w) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: 32)) }
        words = w
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public static func == (a: Hash32, b: Hash32) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
