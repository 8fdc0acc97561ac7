import Synchronization

/// An in-memory `KeyValueStore` for unit tests of the layers above storage. Keys stay sorted, so scans are a
/// binary search and a walk, as on disk.
public final class MemoryStore: KeyValueStore {
    private struct State {
        var keys: [[UInt8]] = []
        var values: [[UInt8]: [UInt8]] = [:]

        /// Index of the first key not less than `key`.
        func lowerBound(_ key: [UInt8]) -> Int {
            var low = 0, high = keys.count
            while low < high {
                let mid = (low + high) / 2
                if keys[mid].lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }

    private let state = Mutex(State())

    public init() {}

    public func get(_ key: [UInt8]) throws(StoreError) -> [UInt8]? {
        state.withLock { $0.values[key] }
    }

    public func write(_ batch: WriteBatch) throws(StoreError) {
        state.withLock { s in
            batch.forEach { rawKey, rawValue in
                let key = Array(rawKey)
                if let rawValue {
                    if s.values.updateValue(Array(rawValue), forKey: key) == nil { s.keys.insert(key, at: s.lowerBound(key)) }
                } else if s.values.removeValue(forKey: key) != nil {
                    s.keys.remove(at: s.lowerBound(key))
                }
            }
        }
    }

    public func scan(_ range: KeyRange, reverse: Bool, limit: Int) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] {
        state.withLock { s in
            let start = s.lowerBound(range.lower)
            let end = range.upper.map { s.lowerBound($0) } ?? s.keys.count
            guard start < end else { return [] }
            let count = min(limit, end - start)
            return (0..<count).map { i in
                let key = s.keys[reverse ? end - 1 - i : start + i]
                return (key, s.values[key]!)
            }
        }
    }
}
