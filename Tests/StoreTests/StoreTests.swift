import Foundation
import Testing

@testable import Store

@Suite("LevelDB specifics")
struct LevelDBTests {
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
