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
