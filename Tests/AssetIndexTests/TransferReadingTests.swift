import EthPrimitives
import EthTypes
import Store
import Testing
import TokenEvents
import TestSupport

@testable import AssetIndex

/// `Transfer` and `Approval` share one signature in ERC-20 and ERC-721, and mainnet has contracts of both that index
/// other arguments than the EIPs write (ERC-20s with an indexed value, ERC-721s that index nothing, as CryptoKitties).
/// A log is read by what its contract is: declared in the config, or detected from its earlier events and kept; the
/// topic count decides only for a contract that is neither or both. ERC-20 balances and ERC-721 counts live apart.
@Suite("Transfers read by the contract's standard")
struct TransferReadingTests {
    static let a = Address(bytes: [UInt8](repeating: 0xaa, count: 20))!
    static let b = Address(bytes: [UInt8](repeating: 0xbb, count: 20))!
    static let contract = Address(bytes: [UInt8](repeating: 0xcc, count: 20))!

    static func word(_ address: Address) -> Hash32 { Hash32(bytes: [UInt8](repeating: 0, count: 12) + address.bytes)! }
    static func word(_ n: UInt64) -> Hash32 { Hash32(bytes: UInt256(n).bigEndianBytes)! }

    /// `Transfer(a → b, 7)` with the first `indexed` arguments as topics and the rest as data.
    static func transfer(indexed: Int) -> Log {
        let arguments = [word(a), word(b), word(7)]
        return Log(address: contract, topics: [TokenEvent.Topic.transfer] + arguments.prefix(indexed), data: arguments.dropFirst(indexed).flatMap(\.bytes))
    }

    /// Each shape of log, each thing the contract may be known as, and how the log reads (nil: refused as malformed).
    static let cases: [(indexed: Int, standards: Standards, reads: TokenEvent?)] = [
        (3, [], .erc721Transfer(from: a, to: b, tokenId: UInt256(7))),
        (2, [], .erc20Transfer(from: a, to: b, value: UInt256(7))),
        (0, [], nil),
        (1, [], nil),
        // An ERC-20 that indexes the value.
        (3, .erc20, .erc20Transfer(from: a, to: b, value: UInt256(7))),
        // An ERC-721 that indexes nothing (CryptoKitties), or only the addresses.
        (0, .erc721, .erc721Transfer(from: a, to: b, tokenId: UInt256(7))),
        (2, .erc721, .erc721Transfer(from: a, to: b, tokenId: UInt256(7))),
        (0, .erc20, .erc20Transfer(from: a, to: b, value: UInt256(7))),
        // Other standards beside one of the two do not change it; a contract that is both reads by topic count.
        (2, [.erc721, .erc4907, .erc7007], .erc721Transfer(from: a, to: b, tokenId: UInt256(7))),
        (2, [.erc20, .erc721], .erc20Transfer(from: a, to: b, value: UInt256(7))),
        (3, [.erc20, .erc721], .erc721Transfer(from: a, to: b, tokenId: UInt256(7))),
        (0, [.erc20, .erc721], nil),
    ]

    @Test func eachShapeReadsByTheContractsStandard() throws {
        for (indexed, standards, reads) in Self.cases {
            let log = Self.transfer(indexed: indexed)
            if let reads {
                #expect(try TokenEvent(log: log, standards: standards) == reads, "\(indexed) indexed, known as \(standards.rawValue)")
            } else {
                #expect(throws: EventDecodingError.self, "\(indexed) indexed, known as \(standards.rawValue)") { try TokenEvent(log: log, standards: standards) }
            }
        }
        // A log with bytes after its arguments is malformed whatever the contract is.
        var long = Self.transfer(indexed: 2)
        long.data += [0]
        #expect(throws: EventDecodingError.malformedData) { try TokenEvent(log: long, standards: .erc20) }
    }

    static func block(_ number: UInt64, _ logs: [Log]) -> IndexedBlock {
        IndexedBlock(number: number, hash: Hash32(bytes: UInt256(number + 1).bigEndianBytes)!, timestamp: 1000 + number, transactions: [],
                     logs: logs.enumerated().map { IndexedLog(log: $1, transactionIndex: 0, logIndex: UInt32($0)) })
    }

    /// An index over a store whose record declares `standards` for the contract.
    static func index(declaring standards: Standards) throws -> AssetIndex {
        let store = MemoryStore()
        try WatchRecord(chain: "test", startBlocks: [contract: 0], standards: standards.isEmpty ? [:] : [contract: standards.rawValue]).write(to: store)
        return AssetIndex(store: store)
    }

    @Test func anIndexReadsByWhatItWasToldOrSaw() throws {
        // Declared ERC-20, value indexed: a balance, no token.
        let shares = try Self.index(declaring: .erc20)
        try shares.apply(Self.block(0, [Self.transfer(indexed: 3)]))
        #expect(try shares.balanceOf(contract: Self.contract, holder: Self.b) == UInt256(7))
        #expect(try shares.ownerOf(contract: Self.contract, tokenId: UInt256(7)) == nil)

        // Declared ERC-721, nothing indexed: token 7 has an owner.
        let kitties = try Self.index(declaring: .erc721)
        try kitties.apply(Self.block(0, [Self.transfer(indexed: 0)]))
        #expect(try kitties.ownerOf(contract: Self.contract, tokenId: UInt256(7)) == .owned(by: Self.b, since: 0))

        // Undeclared: the first Transfer (four topics) shows ERC-721, and a later three-topic one is read as ERC-721 too.
        let detected = try Self.index(declaring: [])
        try detected.apply(Self.block(0, [Self.transfer(indexed: 3)]))
        try detected.apply(Self.block(1, [Log(address: Self.contract, topics: [TokenEvent.Topic.transfer, Self.word(Self.b), Self.word(Self.a)], data: Self.word(7).bytes)]))
        #expect(try detected.ownerOf(contract: Self.contract, tokenId: UInt256(7)) == .owned(by: Self.a, since: 1))
        #expect(try detected.balanceOf(contract: Self.contract, holder: Self.a) == UInt256(1), "an ERC-721 count, not an ERC-20 balance of 7")

        // Declared both: ERC-20 balances and ERC-721 counts live apart, and the holder's entries list both.
        let mixed = try Self.index(declaring: [.erc20, .erc721])
        try mixed.apply(Self.block(0, [
            TokenEvent.erc721Transfer(from: .zero, to: Self.b, tokenId: .zero).log(contract: Self.contract),
            TokenEvent.erc20Transfer(from: .zero, to: Self.b, value: UInt256(5)).log(contract: Self.contract),
        ]))
        #expect(try mixed.balanceOf(contract: Self.contract, holder: Self.b) == UInt256(5), "a contract that is both: its ERC-20 balance")
        #expect(try mixed.ownerOf(contract: Self.contract, tokenId: .zero) == .owned(by: Self.b, since: 0))
        let held = try mixed.tokensOf(holder: Self.b).items
        #expect(held.map(\.standard) == [.erc20, .erc721] && held.map(\.balance) == [UInt256(5), UInt256(1)])
        #expect(try mixed.holdersOf(contract: Self.contract).items.map(\.balance) == [UInt256(5)])
        try mixed.apply(Self.block(1, [TokenEvent.erc20Transfer(from: Self.b, to: Self.a, value: UInt256(5)).log(contract: Self.contract)]))
        #expect(try mixed.tokensOf(holder: Self.b).items.map(\.standard) == [.erc721], "spending the shares leaves the token")
    }
}
