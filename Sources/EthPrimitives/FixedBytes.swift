/// Shared behaviour of the fixed-width byte strings (`Hash32`, `Address`, `Bloom`): hex in and out, byte access.
public protocol FixedBytes: Hashable, Sendable, CustomStringConvertible {
    /// Width in bytes.
    static var byteCount: Int { get }
    /// Builds the value from exactly `byteCount` bytes; `nil` for any other length.
    init?<C: Collection>(bytes: C) where C.Element == UInt8
    /// Calls `body` with the value's bytes, in order.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

/// Copies `bytes` to the start of `destination`, which must be large enough. Arrays, their slices and `Data` are
/// copied as memory: the generic `copyBytes(from:)` is not specialized across modules and looks up type metadata
/// on every call, which showed in every query's profile.
@inlinable
func copyFixed<C: Collection>(_ bytes: C, to destination: UnsafeMutableRawBufferPointer) where C.Element == UInt8 {
    let copied: Void? = bytes.withContiguousStorageIfAvailable { destination.copyMemory(from: UnsafeRawBufferPointer($0)) }
    if copied == nil {
        for (i, byte) in bytes.enumerated() { destination[i] = byte }
    }
}

extension FixedBytes {
    /// The value's bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Parses `0x` + exactly `2 × byteCount` hex digits, any case. Inlinable so a concrete type's call copies the
    /// bytes as memory; unspecialized, the generic `init(bytes:)` cost a request parameter a microsecond.
    @inlinable
    public init(hex: String) throws(HexError) {
        let raw = try Hex.decode(hex, count: Self.byteCount)
        self.init(bytes: raw)!
    }

    /// Parses `0x` + exactly `2 × byteCount` hex digits given as UTF-8 bytes, with no intermediate array.
    @inlinable
    public init(hexUTF8 utf8: UnsafeBufferPointer<UInt8>) throws(HexError) {
        let decoded = withUnsafeTemporaryAllocation(byteCount: Self.byteCount, alignment: 8) { buffer -> Result<Self, HexError> in
            do throws(HexError) { try Hex.decode(utf8: utf8, into: buffer) } catch { return .failure(error) }
            return .success(Self(bytes: UnsafeBufferPointer(buffer.bindMemory(to: UInt8.self)))!)
        }
        self = try decoded.get()
    }

    /// Lowercase `0x`-prefixed hex.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }
}
