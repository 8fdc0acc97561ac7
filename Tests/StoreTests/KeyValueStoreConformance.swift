import Foundation
import Testing
import TestSupport

@testable import Store

/// One suite every `KeyValueStore` backend passes: the real LevelDB on a temporary directory and the in-memory store.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case leveldb, memory

    var testDescription: String { rawValue }

    /// A fresh store location: `open` opens (or reopens) the store there; `cleanup` removes it.
    func location() -> (open: () throws -> KeyValueStore, cleanup: () -> Void) {
        switch self {
        case .leveldb:
            let path = temporaryPath("kv")
            return ({ try LevelDB(path: path) }, { try? FileManager.default.removeItem(atPath: path) })
        case .memory:
            let store = MemoryStore()
            return ({ store }, {})
        }
    }

    func make() throws -> (store: KeyValueStore, cleanup: () -> Void) {
        let (open, cleanup) = location()
        return (try open(), cleanup)
    }
}

@Suite("KeyValueStore conformance")
struct KeyValueStoreConformance {
    @Test(arguments: Backend.allCases)
    func getPutDelete(_ backend: Backend) throws {
        let (store, cleanup) = try backend.make()
        defer { cleanup() }
        #expect(try store.get([1]) == nil)
        try store.put([1], [10])
        try store.put([1, 0], [])
        #expect(try store.get([1]) == [10])
        #expect(try store.get([1, 0]) == [], "an empty value is a value, not an absence")
        try store.put([1], [11])
        #expect(try store.get([1]) == [11])
        try store.delete([1])
        try store.delete([9])  // deleting a missing key is not an error
        #expect(try store.get([1]) == nil)
    }

    @Test(arguments: Backend.allCases)
    func batchesApplyInOrder(_ backend: Backend) throws {
        let (store, cleanup) = try backend.make()
        defer { cleanup() }
        var batch = WriteBatch()
        batch.put([5], [1])
        batch.delete([5])
        batch.put([6], [1])
        batch.put([6], [2])
        batch.put([7], [3])
        try store.write(batch)
        #expect(try store.get([5]) == nil)
        #expect(try store.get([6]) == [2])
        #expect(try store.get([7]) == [3])
        try store.write(WriteBatch())
    }

    @Test(arguments: Backend.allCases)
    func scansFollowByteOrder(_ backend: Backend) throws {
        let (store, cleanup) = try backend.make()
        defer { cleanup() }
        var rng = SplitMix64(seed: 99)
        var model: [[UInt8]: [UInt8]] = [:]
        var batch = WriteBatch()
        for _ in 0..<400 {
            let key = [UInt8.random(in: 0...3, using: &rng)] + rng.bytes(Int.random(in: 0...3, using: &rng))
            let value = rng.bytes(Int.random(in: 0...8, using: &rng))
            model[key] = value
            batch.put(key, value)
        }
        try store.write(batch)
        let sorted = model.keys.sorted { $0.lexicographicallyPrecedes($1) }
        for prefix: [UInt8] in [[], [0], [1], [2, 0], [3, 255], [4], [255]] {
            let expected = sorted.filter { $0.starts(with: prefix) }
            #expect(try store.scan(prefix: prefix).map(\.key) == expected, "prefix \(prefix)")
            #expect(try store.scan(prefix: prefix, limit: 3).map(\.key) == Array(expected.prefix(3)))
            let reversed = try store.scan(KeyRange(prefix: prefix), reverse: true, limit: 5).map(\.key)
            #expect(reversed == Array(expected.reversed().prefix(5)), "reverse prefix \(prefix)")
        }
        for _ in 0..<100 {
            let a = rng.bytes(Int.random(in: 0...3, using: &rng)), b = rng.bytes(Int.random(in: 0...3, using: &rng))
            let (lower, upper) = a.lexicographicallyPrecedes(b) ? (a, b) : (b, a)
            let range = KeyRange(lower: lower, upper: upper)
            let expected = sorted.filter(range.contains)
            #expect(try store.scan(range, reverse: false, limit: .max).map(\.key) == expected)
            #expect(try store.scan(range, reverse: true, limit: .max).map(\.key) == expected.reversed())
            #expect(try store.last(in: range)?.key == expected.last)
            #expect(try store.scan(range, reverse: false, limit: .max).map(\.value) == expected.map { model[$0]! })
        }
        let open = KeyRange(lower: [2], upper: nil)
        #expect(try store.scan(open, reverse: true, limit: .max).map(\.key) == sorted.filter(open.contains).reversed())
    }

    @Test(arguments: Backend.allCases)
    func dataSurvivesReopen(_ backend: Backend) throws {
        let (open, cleanup) = backend.location()
        defer { cleanup() }
        do {
            // The first handle closes at the end of this scope (LevelDB locks its directory while open).
            let first = try open()
            var batch = WriteBatch()
            for i in 0..<100 { batch.put([0, UInt8(i)], [UInt8(i)]) }
            try first.write(batch)
        }
        let store = try open()
        #expect(try store.scan(prefix: [0]).count == 100)
        #expect(try store.get([0, 42]) == [42])
    }
}
