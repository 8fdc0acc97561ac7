/// An ordered key-value store: byte-wise key order, atomic batches, range scans both ways. Every backend passes the
/// same conformance suite (`Tests/StoreTests/KeyValueStoreConformance.swift`).
public protocol KeyValueStore: AnyObject, Sendable {
    func get(_ key: [UInt8]) throws(StoreError) -> [UInt8]?
    /// Applies every operation of `batch` atomically, in order: after a crash all or none are visible.
    func write(_ batch: WriteBatch) throws(StoreError)
    /// Pairs with `range.lower <= key < range.upper` (no upper bound when `nil`), in key order or in reverse,
    /// at most `limit` of them, from a consistent snapshot.
    func scan(_ range: KeyRange, reverse: Bool, limit: Int) throws(StoreError) -> [(key: [UInt8], value: [UInt8])]
}

/// A half-open key range `[lower, upper)`.
public struct KeyRange: Sendable, Equatable {
    public var lower: [UInt8]
    /// Exclusive; `nil` for no upper bound.
    public var upper: [UInt8]?

    public init(lower: [UInt8], upper: [UInt8]?) {
        self.lower = lower
        self.upper = upper
    }

    /// Every key that starts with `prefix`.
    public init(prefix: [UInt8]) {
        lower = prefix
        upper = Self.successor(of: prefix)
    }

    /// The smallest key greater than every key starting with `prefix`; `nil` when there is none (all 0xff).
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var key = prefix
        while let last = key.last {
            if last < 0xff {
                key[key.count - 1] = last + 1
                return key
            }
            key.removeLast()
        }
        return nil
    }

    public func contains(_ key: [UInt8]) -> Bool {
        !key.lexicographicallyPrecedes(lower) && (upper.map { key.lexicographicallyPrecedes($0) } ?? true)
    }
}

extension KeyValueStore {
    public func put(_ key: [UInt8], _ value: [UInt8]) throws(StoreError) {
        var batch = WriteBatch()
        batch.put(key, value)
        try write(batch)
    }

    public func delete(_ key: [UInt8]) throws(StoreError) {
        var batch = WriteBatch()
        batch.delete(key)
        try write(batch)
    }

    /// Every pair whose key starts with `prefix`, in key order.
    public func scan(prefix: [UInt8], limit: Int = .max) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] {
        try scan(KeyRange(prefix: prefix), reverse: false, limit: limit)
    }

    /// The pair with the greatest key in `range`, if any.
    public func last(in range: KeyRange) throws(StoreError) -> (key: [UInt8], value: [UInt8])? {
        try scan(range, reverse: true, limit: 1).first
    }
}

/// Operations to apply atomically with `KeyValueStore.write`, in order.
///
/// Held in one flat buffer (`tag ‖ le32(key length) ‖ key ‖ [le32(value length) ‖ value]` per operation) that grows
/// as one allocation: indexing a block writes hundreds of keys, and an array of operations holding two arrays each
/// allocated for every one of them, which showed as memory traffic that slowed LevelDB's own inserts.
public struct WriteBatch: Sendable {
    public enum Operation: Sendable, Equatable {
        case put([UInt8], [UInt8])
        case delete([UInt8])
    }

    @usableFromInline static let putTag: UInt8 = 1
    @usableFromInline static let deleteTag: UInt8 = 0

    @usableFromInline var buffer: [UInt8] = []
    @usableFromInline var operationCount = 0
    /// Number of operations.
    public var count: Int { operationCount }

    /// An empty batch with room for `capacity` bytes of keys, values and framing.
    public init(capacity: Int = 0) {
        buffer.reserveCapacity(capacity)
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in put(key: k, value: v) } }
    }

    public mutating func delete(_ key: [UInt8]) {
        key.withUnsafeBytes { delete(key: $0) }
    }

    /// `put` of bytes the caller holds elsewhere (an inline key), copied straight into the batch.
    @inlinable
    public mutating func put(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        buffer.append(Self.putTag)
        append(key)
        append(value)
        operationCount += 1
    }

    @inlinable
    public mutating func delete(key: UnsafeRawBufferPointer) {
        buffer.append(Self.deleteTag)
        append(key)
        operationCount += 1
    }

    /// Appends another batch's operations after this one's, in their order.
    public mutating func append(contentsOf other: WriteBatch) {
        buffer.append(contentsOf: other.buffer)
        operationCount += other.operationCount
    }

    @inlinable
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: bytes)
    }

    /// Calls `body` with each operation's key and value (nil: a delete), in order, without copying them out.
    public func forEach(_ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?) throws -> Void) rethrows {
        try buffer.withUnsafeBytes { raw in
            var offset = 0
            func next() -> UnsafeRawBufferPointer {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                defer { offset += 4 + length }
                return UnsafeRawBufferPointer(rebasing: raw[offset + 4..<offset + 4 + length])
            }
            while offset < raw.count {
                let tag = raw[offset]
                offset += 1
                let key = next()
                try body(key, tag == Self.putTag ? next() : nil)
            }
        }
    }

    /// The operations as values, in order (for stores that keep arrays, and tests).
    public var operations: [Operation] {
        var out: [Operation] = []
        out.reserveCapacity(count)
        forEach { key, value in out.append(value.map { .put(Array(key), Array($0)) } ?? .delete(Array(key))) }
        return out
    }
}
