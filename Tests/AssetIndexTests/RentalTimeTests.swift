import EthPrimitives
import Store
import Testing
import TokenEvents

@testable import AssetIndex

/// ERC-4907 rentals asked for at a time: the answer comes from the `UpdateUser` in force then, the last one recorded
/// at or before it, not from the latest record. A rental set later does not reach back.
@Suite("Rentals as of a time")
struct RentalTimeTests {
    static let contract = Address(bytes: [UInt8](repeating: 0xcc, count: 20))!
    static let a = Address(bytes: [UInt8](repeating: 0xaa, count: 20))!
    static let b = Address(bytes: [UInt8](repeating: 0xbb, count: 20))!

    /// Rent to A at time 500 until 2000, then at 1500 to B until 3000, then at 2500 clear the user.
    static func index() throws -> AssetIndex {
        let index = AssetIndex(store: MemoryStore())
        let records: [(time: UInt64, user: Address, expires: UInt64)] = [(500, a, 2000), (1500, b, 3000), (2500, .zero, 0)]
        for (n, record) in records.enumerated() {
            let log = TokenEvent.updateUser(tokenId: UInt256(7), user: record.user, expires: record.expires).log(contract: contract)
            try index.apply(IndexedBlock(number: UInt64(n), hash: Hash32(bytes: [UInt8](repeating: UInt8(n + 1), count: 32))!, timestamp: record.time,
                                         transactions: [], logs: [IndexedLog(log: log, transactionIndex: 0, logIndex: 0)]))
        }
        return index
    }

    @Test(arguments: [
        // (asked at, user in force, its expiry, the block of its record); nil: no rental recorded by then.
        (UInt64(499), nil as Address?, nil as UInt64?, nil as UInt64?),
        (500, a, 2000, 0),
        (1000, a, 2000, 0),
        (1499, a, 2000, 0),
        (1500, b, 3000, 1),
        (2000, b, 3000, 1),
        (2499, b, 3000, 1),
        (2500, nil, 0, 2),
        (4000, nil, 0, 2),
    ])
    func theRecordInForceAnswers(_ at: UInt64, _ user: Address?, _ expires: UInt64?, _ block: UInt64?) throws {
        let rental = try Self.index().userOf(contract: Self.contract, tokenId: UInt256(7), timestamp: at)
        #expect(rental?.user == user, "user at \(at)")
        #expect(rental?.expires == expires, "expiry of the record in force at \(at)")
        #expect(rental?.block == block, "block of the record in force at \(at)")
    }

    @Test func aLongRentalHistoryIsReadWithinItsLimit() throws {
        let index = try Self.index()
        #expect(throws: IndexError.tooManyRecords(limit: 2)) { try index.userOf(contract: Self.contract, tokenId: UInt256(7), timestamp: 600, maxRecords: 2) }
        #expect(try index.userOf(contract: Self.contract, tokenId: UInt256(7), timestamp: 2600, maxRecords: 1)?.block == 2)
    }
}
