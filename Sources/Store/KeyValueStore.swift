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
public struct WriteBatch: Sendable {
    public enum Operation: Sendable, Equatable {
        case put([UInt8], [UInt8])
        case delete([UInt8])
    }

    public private(set) var operations: [Operation] = []

    public init() {}

    public var isEmpty: Bool { operations.isEmpty }

    public mutating func put(_ key: [UInt8], _ value: [UInt8]) { operations.append(.put(key, value)) }
    public mutating func delete(_ key: [UInt8]) { operations.append(.delete(key)) }
}
