import Foundation
import Testing

@testable import Store

/// The real LevelDB on a temporary directory.
@Suite("LevelDB wrapper")
struct LevelDBTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("provenant-test-\(UUID().uuidString)").path
    }

    @Test func putGetDeleteScanAndReopen() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let db = try LevelDB(path: path)
            try db.put([1, 0, 2], [42])
            #expect(try db.get([1, 0, 2]) == [42])
            #expect(try db.get([9]) == nil)
            var batch = WriteBatch()
            for i: UInt8 in 0..<10 { batch.put([2, i], [i, i]) }
            batch.put([3], [])
            batch.delete([1, 0, 2])
            try db.write(batch)
            #expect(try db.get([1, 0, 2]) == nil)
            #expect(try db.get([3]) == [])
            let scanned = try db.scan(prefix: [2])
            #expect(scanned.map(\.key) == (0..<10).map { [2, UInt8($0)] })
            #expect(try db.scan(prefix: [2], limit: 3).count == 3)
            #expect(try db.scan(prefix: [4]).isEmpty)
        }
        // Reopen: everything written is still there.
        let db = try LevelDB(path: path)
        #expect(try db.get([2, 9]) == [9, 9])
        #expect(try db.scan(prefix: []).count == 11)
    }

    @Test func openFailureIsReported() {
        #expect(throws: StoreError.self) { try LevelDB(path: "/proc/provenant-cannot-create-here") }
    }
}

@Suite("zstd wrapper")
struct ZstdTests {
    @Test func roundTripsPlainAndWithDictionary() throws {
        let samples = (0..<200).map { i in Array("receipt \(i) status 1 gas \(21000 + i) logs [transfer]".utf8) + [UInt8](repeating: UInt8(i % 7), count: 40) }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 4096)
        #expect(!dictionary.bytes.isEmpty)
        for sample in samples.prefix(20) {
            #expect(try Zstd.decompress(try Zstd.compress(sample)) == sample)
            let packed = try Zstd.compress(sample, dictionary: dictionary)
            #expect(try Zstd.decompress(packed, dictionary: dictionary) == sample)
        }
        #expect(try Zstd.decompress(try Zstd.compress([])) == [])
    }

    @Test func corruptInputIsAnError() throws {
        var packed = try Zstd.compress(Array(repeating: 7, count: 1000))
        #expect(throws: StoreError.self) { try Zstd.decompress(Array(packed.prefix(5))) }
        packed[packed.count - 1] ^= 0xff
        #expect(throws: StoreError.self) { try Zstd.decompress(packed) }
        #expect(throws: StoreError.self) { try Zstd.decompress([1, 2, 3]) }
    }
}
