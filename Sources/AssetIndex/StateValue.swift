internal import EthPrimitives

/// The value of a state key, held inline. Every state value of `Schema` fits in `capacity` bytes, so the state
/// table and a block's writes keep them without a heap allocation each (an allocation, its release and the pointer
/// chase to compare two of them were about a tenth of the index's CPU when they were arrays).
struct StateValue: Equatable, Sendable {
    /// The longest state value: the cursor, be64(number) ‖ hash (40 bytes). An owner is 28, a balance 32.
    static let capacity = 40

    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    /// Bytes in use; the rest of `words` stays zero, so whole-word comparison is exact.
    private(set) var count: UInt8 = 0

    /// A value of `count` bytes that `fill` writes.
    private init(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(count <= Self.capacity, "a state value of \(count) bytes")
        withUnsafeMutableBytes(of: &words) { fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
        self.count = UInt8(count)
    }

    /// A value read from the store, already checked against its key's layout (`StoredValues.check`).
    init(checked bytes: [UInt8]) {
        self.init(count: bytes.count) { out in bytes.withUnsafeBytes { out.copyMemory(from: $0) } }
    }

    /// One byte: a standards bitmask, a holder entry's standard.
    init(byte: UInt8) {
        self.init(count: 1) { $0[0] = byte }
    }

    /// A balance: 32 bytes big-endian, so that a value cut short reads as damaged, not as a smaller balance.
    init(balance value: UInt256) {
        let limbs = (value.limbs.3.bigEndian, value.limbs.2.bigEndian, value.limbs.1.bigEndian, value.limbs.0.bigEndian)
        self.init(count: 32) { out in Swift.withUnsafeBytes(of: limbs) { out.copyMemory(from: $0) } }
    }

    /// A big-endian number without leading zeros (an RLP integer); zero is the empty value.
    init(minimal value: UInt256) {
        let limbs = (value.limbs.3.bigEndian, value.limbs.2.bigEndian, value.limbs.1.bigEndian, value.limbs.0.bigEndian)
        let skip = value.leadingZeroBitCount / 8
        self.init(count: 32 - skip) { out in
            Swift.withUnsafeBytes(of: limbs) { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[skip...])) }
        }
    }

    /// `bytes ‖ be64(number)`: an owner and the block it got the token in; the cursor's number and hash.
    init<T: FixedBytes>(_ bytes: T, be64 number: UInt64) {
        self.init(count: T.byteCount + 8) { out in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<T.byteCount]).copyMemory(from: $0) }
            out.storeBytes(of: number.bigEndian, toByteOffset: T.byteCount, as: UInt64.self)
        }
    }

    /// `be64(number) ‖ bytes`: the cursor.
    init<T: FixedBytes>(be64 number: UInt64, _ bytes: T) {
        self.init(count: 8 + T.byteCount) { out in
            out.storeBytes(of: number.bigEndian, as: UInt64.self)
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[8...]).copyMemory(from: $0) }
        }
    }

    /// be64(number): a counter.
    init(be64 number: UInt64) {
        self.init(count: 8) { $0.storeBytes(of: number.bigEndian, as: UInt64.self) }
    }

    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Calls `body` with the value's bytes, in place.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        Swift.withUnsafeBytes(of: words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
    }

    var first: UInt8? { withUnsafeBytes { $0.first } }

    /// The value as a big-endian number (a balance, a counter); nil when longer than 32 bytes.
    var bigEndian: UInt256? { withUnsafeBytes { UInt256(bigEndian: $0) } }

    /// The address in the first 20 bytes (an owner); nil when shorter.
    var address: Address? { withUnsafeBytes { Address(bytes: $0.prefix(20)) } }

    static func == (a: StateValue, b: StateValue) -> Bool {
        let x = a.words, y = b.words
        return a.count == b.count && x.0 == y.0 && x.1 == y.1 && x.2 == y.2 && x.3 == y.3 && x.4 == y.4
    }
}
