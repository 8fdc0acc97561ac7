import EthPrimitives
import Store
import Testing
import TokenEvents

@testable import AssetIndex

/// The inline keys must be byte for byte the layouts `Schema` documents, and compare and hash as their bytes do.
@Suite("Index keys")
struct IndexKeyTests {
    static let contract = Address(bytes: (1...20).map { UInt8($0) })!
    static let holder = Address(bytes: (101...120).map { UInt8($0) })!
    static let id = UInt256(bigEndian: (0..<32).map { UInt8(0xc0 + $0) })!

    @Test func layoutsAreTheSchemasBytes() {
        let c = Self.contract.bytes, h = Self.holder.bytes, t = Self.id.bigEndianBytes
        let position = KeyCoding.be64(0x0102_0304_0506_0708) + KeyCoding.be32(0x0a0b_0c0d)
        let cases: [(IndexKey, [UInt8])] = [
            (.owner(Self.contract, Self.id), Schema.owner.key(c, t)),
            (.tokenBalance(Self.contract, Self.id, Self.holder), Schema.tokenBalance.key(c, t, h)),
            (.holderBalance(Self.contract, Self.holder), Schema.holderBalance.key(c, h)),
            (.holderToken(Self.holder, Self.contract, Self.id), Schema.holderToken.key(h, c, t)),
            (.contractStandards(Self.contract), Schema.contractStandards.key(c)),
            (.position(.history, Self.contract, Self.id, block: 0x0102_0304_0506_0708, logIndex: 0x0a0b_0c0d), Schema.history.key(c, t, position)),
            (.contractHistory(Self.contract, block: 0x0102_0304_0506_0708, logIndex: 0x0a0b_0c0d), Schema.contractHistory.key(c, position)),
            (.token(.ownerHistory, Self.contract, Self.id), Schema.ownerHistory.key(c, t)),
            (.holderToken(Self.holder, Self.contract), Schema.holderToken.key(h, c)),
            (.holderToken(Self.holder), Schema.holderToken.key(h)),
            (.holderBalance(Self.contract), Schema.holderBalance.key(c)),
            (.tokenBalance(Self.contract, Self.id), Schema.tokenBalance.key(c, t)),
        ]
        for (key, expected) in cases {
            #expect(key.bytes == expected)
            #expect(key.count == expected.count)
            #expect(IndexKey(bytes: expected) == key)
            #expect(IndexKey(bytes: expected).hashValue == key.hashValue)
        }
    }

    @Test func keysDifferWhereTheirBytesDo() {
        // The same bytes one shorter, and one byte changed at the end: neither is the key.
        let key = IndexKey.holderToken(Self.holder, Self.contract, Self.id)
        #expect(IndexKey(bytes: Array(key.bytes.dropLast())) != key)
        #expect(IndexKey(bytes: Array(key.bytes.dropLast()) + [0]) != key)
        // A zero byte appended is a different (longer) key, though the padding is zero too.
        let prefix = IndexKey.holderToken(Self.holder)
        #expect(IndexKey(bytes: prefix.bytes + [0]) != prefix)
        #expect(Set([key, prefix, IndexKey(bytes: prefix.bytes + [0])]).count == 3)
    }
}

/// The index's one-writer rule is checked: a second `apply` that starts while the first is writing its batch (here
/// from inside the store's write, the narrowest overlap there is) stops the process instead of committing a block
/// over state the first has not finished with.
@Suite("One writer")
struct OneWriterTests {
    /// A store that runs a callback while it writes a batch.
    final class ReentrantStore: KeyValueStore, @unchecked Sendable {
        let inner = MemoryStore()
        var onWrite: (() -> Void)?
        func get(_ key: [UInt8]) throws(StoreError) -> [UInt8]? { try inner.get(key) }
        func scan(_ range: KeyRange, reverse: Bool, limit: Int) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] {
            try inner.scan(range, reverse: reverse, limit: limit)
        }
        func write(_ batch: WriteBatch) throws(StoreError) {
            let callback = onWrite
            onWrite = nil
            callback?()
            try inner.write(batch)
        }
    }

    static func block(_ number: UInt64) -> IndexedBlock {
        IndexedBlock(number: number, hash: Hash32(bytes: [UInt8](repeating: UInt8(number), count: 32))!, timestamp: number, transactions: [], logs: [])
    }

    @Test func sequentialWritersAreFine() throws {
        let store = ReentrantStore()
        let index = AssetIndex(store: store)
        for number in 0..<3 as Range<UInt64> { try index.apply(Self.block(number)) }
        try index.revert(to: 1)
        #expect(try index.cursor()?.number == 1)
    }

    @Test func aSecondWriterStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            let store = ReentrantStore()
            let index = AssetIndex(store: store)
            store.onWrite = { _ = try? index.apply(OneWriterTests.block(1)) }
            _ = try? index.apply(OneWriterTests.block(0))
        }
    }
}
