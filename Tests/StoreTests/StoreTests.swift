import EthRLP
import Foundation
import Testing
import TestSupport

@testable import Store

@Suite("Schema version")
struct SchemaVersionTests {
    @Test func recordedInAnEmptyStoreAndChecked() throws {
        let store = MemoryStore()
        try Schema.checkVersion(of: store)
        try Schema.checkVersion(of: store)
        try store.put(Schema.meta.key(Array("schemaVersion".utf8)), KeyCoding.be64(Schema.version + 1))
        #expect(Schema.Meta.schemaVersion.key == Schema.meta.key(Array("schemaVersion".utf8)))
        #expect(throws: Schema.VersionMismatch.self) { try Schema.checkVersion(of: store) }
        let unversioned = MemoryStore()
        try unversioned.put([Schema.owner.rawValue, 1], [2])
        #expect(throws: Schema.VersionMismatch.self) { try Schema.checkVersion(of: unversioned) }
    }
}

@Suite("Schema ownership")
struct SchemaOwnershipTests {
    /// The block data, the undo log and the meta keys have one owner: `Store` (`BlockStore`, `UndoLog`,
    /// `Schema.Meta`). A source file elsewhere that names those tables, or builds any key from a `Schema` case by
    /// hand, is named here with its line.
    @Test func onlyStoreBuildsChainAndMetaKeys() throws {
        let lines = try Repository.sourceLines(excluding: ["Store"])
        let offenders = lines.filter { $0.text.contains(Self.chainTable) || $0.text.contains(Self.handBuiltKey) }
            .map { "\($0.file):\($0.number): \($0.text.trimmingCharacters(in: .whitespaces))" }
        #expect(Set(lines.map(\.file)).count > 50, "the walk found \(Set(lines.map(\.file)).count) source files")
        #expect(offenders.isEmpty, "keys built outside Store:\n\(offenders.joined(separator: "\n"))")
    }

    nonisolated(unsafe) static let chainTable = #/Schema\.(header|numberByHash|blockBody|undo|meta)\b/#
    nonisolated(unsafe) static let handBuiltKey = #/Schema\.\w+\.key\(/#

    @Test func metaNamesAreDistinctKeysUnderMeta() {
        let keys = Schema.Meta.allCases.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0.first == Schema.meta.rawValue })
    }

    /// An undo record reads back as the entries written, in order, absent old values included; an entry with
    /// two old values is refused instead of read as its first.
    @Test func undoRecordsReadBackWhatWasWritten() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let entries: [(key: [UInt8], old: [UInt8]?)] = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                (rng.bytes(Int.random(in: 1...90, using: &rng)), Bool.random(using: &rng) ? nil : rng.bytes(Int.random(in: 0...70, using: &rng)))
            }
            var e = RLPEncoder()
            e.appendList { e in
                for (key, old) in entries {
                    key.withUnsafeBytes { key in
                        if let old { old.withUnsafeBytes { UndoLog.appendEntry(key: key, old: $0, to: &e) } } else { UndoLog.appendEntry(key: key, old: nil, to: &e) }
                    }
                }
            }
            let decoded = try UndoLog.entries(of: e.bytes)
            #expect(decoded.map(\.key) == entries.map(\.key))
            #expect(decoded.map(\.old) == entries.map(\.old))
        }
        var e = RLPEncoder()
        e.appendList { e in e.appendList { e in e.append(bytes: [1, 2]); e.appendList { e in e.append(bytes: [3]); e.append(bytes: [4]) } } }
        #expect(throws: RLPError.self) { try UndoLog.entries(of: e.bytes) }
    }
}

@Suite("LevelDB specifics")
struct LevelDBTests {
    @Test func openFailureIsReported() {
        #expect(throws: StoreError.self) { try LevelDB(path: "/proc/provenant-cannot-create-here") }
        // Without `create`, a missing database is an error, not a new empty one.
        let missing = temporaryPath("missing")
        #expect(throws: StoreError.self) { try LevelDB(path: missing, create: false) }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// A table file damaged on disk reads as damaged data, never as other bytes: every block LevelDB reads from a
    /// file is checked against its CRC.
    @Test func aDamagedTableFileIsAnErrorNeverOtherBytes() throws {
        let path = temporaryPath("damaged", extension: "leveldb")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var random = SplitMix64(seed: 17)
        var written: [(key: [UInt8], value: [UInt8])] = []
        do {
            let db = try LevelDB(path: path)
            for i in 0..<2000 {
                // Random values: snappy leaves them as they are, so a flipped byte lands in a value.
                let entry = (KeyCoding.be32(UInt32(i)), (0..<200).map { _ in UInt8.random(in: 0...255, using: &random) })
                try db.put(entry.0, entry.1)
                written.append(entry)
            }
            db.compactAll()
        }
        let tables = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".ldb") }
        try #require(!tables.isEmpty)
        for table in tables {
            let url = URL(fileURLWithPath: path).appendingPathComponent(table)
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count / 3] ^= 0x5a
            try bytes.write(to: url)
        }
        let db = try LevelDB(path: path, create: false)
        var damaged = 0
        for (key, value) in written {
            do throws(StoreError) {
                let same = try db.get(key) == value
                #expect(same, "key \(key) read back as other bytes")
            } catch {
                guard case .corrupt(let message) = error else { Issue.record("\(error)"); continue }
                #expect(message.contains("checksum"), "\(message)")
                damaged += 1
            }
        }
        #expect(damaged > 0 && damaged < written.count, "\(damaged) of \(written.count) keys in the damaged block")
        #expect(throws: StoreError.self) { _ = try db.scan(KeyRange(lower: [], upper: nil), reverse: false, limit: .max) }
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

    /// Every frame carries a checksum of its content: a flipped bit anywhere in a stored blob, with or without a
    /// dictionary, is an error or (in a few header bits that change nothing) the same content; never other bytes,
    /// as a flipped literal byte would give without the checksum.
    @Test func aFlippedBitNeverGivesOtherBytes() throws {
        var rng = SplitMix64(seed: 0xc4ec)
        let input = (0..<600).map { _ in UInt8(rng.next() % 4) } + rng.bytes(400)
        let dictionary = try ZstdDictionary.train(samples: (0..<64).map { _ in rng.bytes(100) + input.prefix(200) }, capacity: 2048)
        for dict in [nil, dictionary] as [ZstdDictionary?] {
            let packed = try Zstd.compress(input, dictionary: dict)
            #expect(try Zstd.decompress(packed, dictionary: dict) == input)
            var refused = 0
            for byte in 0..<packed.count {
                var damaged = packed
                damaged[byte] ^= UInt8(1) << UInt8(byte % 8)
                do {
                    let same = try Zstd.decompress(damaged, dictionary: dict) == input
                    #expect(same, "bit \(byte % 8) of byte \(byte) of \(packed.count) changed the content unnoticed")
                } catch {
                    refused += 1
                }
            }
            #expect(refused >= packed.count - 8, "\(refused) of \(packed.count) refused")
        }
    }
}

@Suite("Write batches")
struct WriteBatchTests {
    /// The flat buffer gives back exactly the operations put in, in order: empty keys and values, a value longer
    /// than 64 KiB, the same key twice, deletes between puts, and puts from raw bytes.
    @Test func operationsComeBackInOrder() {
        let long = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var batch = WriteBatch()
        #expect(batch.isEmpty && batch.operations.isEmpty)
        let expected: [WriteBatch.Operation] = [
            .put([1, 2], [3]), .delete([1, 2]), .put([], []), .put([9], long), .put([1, 2], []), .delete([]), .put([0xff], [0]),
        ]
        for op in expected.dropLast() {
            switch op {
            case .put(let key, let value): batch.put(key, value)
            case .delete(let key): batch.delete(key)
            }
        }
        [UInt8]([0xff]).withUnsafeBytes { key in [UInt8]([0]).withUnsafeBytes { batch.put(key: key, value: $0) } }
        #expect(batch.count == expected.count && !batch.isEmpty)
        #expect(batch.operations == expected)
    }
}
