/// Writes canonical RLP into one growing buffer. A list's header is written after its payload, in the byte kept
/// for it; only a list of 56 bytes or more moves its payload, once, to fit the longer header.
public struct RLPEncoder: Sendable {
    /// The encoding so far.
    public var bytes: [UInt8] { storage }
    @usableFromInline var storage: [UInt8]

    @inlinable
    public init(capacity: Int = 256) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    @inlinable
    mutating func appendHeader(length: Int, offset: UInt8) {
        if length < 56 {
            storage.append(offset + UInt8(length))
        } else {
            let lengthBytes = (64 - UInt64(length).leadingZeroBitCount + 7) / 8
            storage.append(offset + 55 + UInt8(lengthBytes))
            for i in stride(from: lengthBytes - 1, through: 0, by: -1) {
                storage.append(UInt8(truncatingIfNeeded: length >> (i * 8)))
            }
        }
    }

    /// Appends a byte string.
    @inlinable
    public mutating func append<C: Collection>(bytes payload: C) where C.Element == UInt8 {
        if payload.count == 1, let b = payload.first, b < 0x80 {
            storage.append(b)
            return
        }
        appendHeader(length: payload.count, offset: 0x80)
        storage.append(contentsOf: payload)
    }

    /// Appends an already-encoded item verbatim (a nested encoding kept from the wire).
    @inlinable
    public mutating func append<C: Collection>(raw: C) where C.Element == UInt8 {
        storage.append(contentsOf: raw)
    }

    /// Appends an integer as minimal big-endian bytes (zero is the empty string).
    @inlinable
    public mutating func append(_ value: UInt64) {
        if value == 0 {
            storage.append(0x80)
        } else if value < 0x80 {
            storage.append(UInt8(value))
        } else {
            let count = (64 - value.leadingZeroBitCount + 7) / 8
            storage.append(0x80 + UInt8(count))
            for i in stride(from: count - 1, through: 0, by: -1) {
                storage.append(UInt8(truncatingIfNeeded: value >> UInt64(i * 8)))
            }
        }
    }

    /// Appends a list whose items `body` writes.
    @inlinable
    public mutating func appendList(_ body: (inout RLPEncoder) throws -> Void) rethrows {
        // Reserve the one header byte of a short list, write the payload, then write the real header in place; a
        // payload of 56 bytes or more needs its length too, and is moved up once to make room for it.
        let headerStart = storage.count
        storage.append(0)
        try body(&self)
        let payloadLength = storage.count - headerStart - 1
        precondition(payloadLength < 1 << 32, "RLP list payload of \(payloadLength) bytes")
        if payloadLength < 56 {
            storage[headerStart] = 0xc0 + UInt8(payloadLength)
            return
        }
        let lengthBytes = (64 - UInt64(payloadLength).leadingZeroBitCount + 7) / 8
        storage.append(contentsOf: repeatElement(0, count: lengthBytes))
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress! + headerStart
            (base + 1 + lengthBytes).update(from: base + 1, count: payloadLength)
            base[0] = 0xf7 + UInt8(lengthBytes)
            for i in 0..<lengthBytes { base[1 + i] = UInt8(truncatingIfNeeded: payloadLength >> ((lengthBytes - 1 - i) * 8)) }
        }
    }

    /// Appends the header of a list whose payload of `payloadLength` bytes the caller appends next: for lists whose
    /// length is known beforehand (see `encodedLength`), written with no move at all.
    @inlinable
    public mutating func appendListHeader(payloadLength: Int) {
        appendHeader(length: payloadLength, offset: 0xc0)
    }

    /// The length of `payload` encoded as a byte string.
    @inlinable
    public static func encodedLength(ofBytes payload: UnsafeRawBufferPointer) -> Int {
        payload.count == 1 && payload[0] < 0x80 ? 1 : encodedLength(ofPayload: payload.count)
    }

    /// The length of a string or list whose payload is `length` bytes, header included.
    @inlinable
    public static func encodedLength(ofPayload length: Int) -> Int {
        length < 56 ? 1 + length : 1 + (64 - UInt64(length).leadingZeroBitCount + 7) / 8 + length
    }

    /// Appends an encodable value.
    @inlinable
    public mutating func append<T: RLPEncodable>(_ value: T) {
        value.encode(to: &self)
    }
}

/// A value with a canonical RLP form.
public protocol RLPEncodable {
    func encode(to encoder: inout RLPEncoder)
}

extension RLPEncodable {
    /// The value's RLP encoding.
    public var rlp: [UInt8] {
        var encoder = RLPEncoder()
        encode(to: &encoder)
        return encoder.bytes
    }
}
