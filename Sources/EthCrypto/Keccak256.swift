public import EthPrimitives

/// Keccak-256 as Ethereum uses it: Keccak[r=1088, c=512] with the original `0x01` padding (not SHA3-256's `0x06`).
/// `hash` is the one-shot path (no allocation); an instance hashes a stream fed in pieces.
public struct Keccak256: Sendable {
    /// Rate in bytes: one block absorbed per permutation.
    public static let rate = 136

    private var state = [UInt64](repeating: 0, count: 25)
    private var buffer = [UInt8](repeating: 0, count: rate)
    private var buffered = 0

    public init() {}

    /// Hashes `count` bytes at `pointer`.
    public static func hash(_ pointer: UnsafeRawPointer?, count: Int) -> Hash32 {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { state in
            let s = state.baseAddress!
            s.initialize(repeating: 0, count: 25)
            let fullBlocks = count / rate
            if fullBlocks > 0 { keccakAbsorb(state: s, data: pointer!, blocks: fullBlocks) }
            let tail = count - fullBlocks * rate
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: rate / 8) { block in
                let last = UnsafeMutableRawBufferPointer(block)
                last.initializeMemory(as: UInt8.self, repeating: 0)
                if tail > 0 {
                    last.baseAddress!.copyMemory(from: pointer! + fullBlocks * rate, byteCount: tail)
                }
                last[tail] ^= 0x01
                last[rate - 1] ^= 0x80
                keccakAbsorb(state: s, data: last.baseAddress!, blocks: 1)
                return squeeze(s)
            }
        }
    }

    @inline(__always)
    private static func squeeze(_ s: UnsafePointer<UInt64>) -> Hash32 {
        var out: (UInt64, UInt64, UInt64, UInt64) = (
            s[0].littleEndian, s[1].littleEndian, s[2].littleEndian, s[3].littleEndian
        )
        return withUnsafeBytes(of: &out) { Hash32(loading: $0.baseAddress!) }
    }

    /// Hashes a byte collection (contiguous storage is hashed in place).
    public static func hash<C: Collection>(_ data: C) -> Hash32 where C.Element == UInt8 {
        if let h = data.withContiguousStorageIfAvailable({ hash($0.baseAddress, count: $0.count) }) { return h }
        return Array(data).withUnsafeBytes { hash($0.baseAddress, count: $0.count) }
    }

    /// Absorbs more input.
    public mutating func update<C: Collection>(_ data: C) where C.Element == UInt8 {
        if data.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
            Array(data).withUnsafeBytes { update($0) }
        }
    }

    /// Absorbs more input from raw memory.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard var input = data.baseAddress else { return }
        var count = data.count
        state.withUnsafeMutableBufferPointer { state in
            buffer.withUnsafeMutableBytes { buffer in
                if buffered > 0 {
                    let take = min(count, Self.rate - buffered)
                    (buffer.baseAddress! + buffered).copyMemory(from: input, byteCount: take)
                    buffered += take
                    input += take
                    count -= take
                    guard buffered == Self.rate else { return }
                    keccakAbsorb(state: state.baseAddress!, data: buffer.baseAddress!, blocks: 1)
                    buffered = 0
                }
                let blocks = count / Self.rate
                if blocks > 0 {
                    keccakAbsorb(state: state.baseAddress!, data: input, blocks: blocks)
                    input += blocks * Self.rate
                    count -= blocks * Self.rate
                }
                if count > 0 {
                    buffer.baseAddress!.copyMemory(from: input, byteCount: count)
                    buffered = count
                }
            }
        }
    }

    /// Pads, permutes and returns the digest. The hasher is consumed.
    public consuming func finalize() -> Hash32 {
        for i in buffered..<Self.rate { buffer[i] = 0 }
        buffer[buffered] ^= 0x01
        buffer[Self.rate - 1] ^= 0x80
        return state.withUnsafeMutableBufferPointer { state in
            buffer.withUnsafeBytes { keccakAbsorb(state: state.baseAddress!, data: $0.baseAddress!, blocks: 1) }
            return Self.squeeze(state.baseAddress!)
        }
    }
}

/// Keccak-256 of a byte collection.
@inlinable
public func keccak256<C: Collection>(_ data: C) -> Hash32 where C.Element == UInt8 {
    Keccak256.hash(data)
}
