import EthCrypto
import EthPrimitives
import EthTypes
import Store
import Testing
import TokenEvents
import TestSupport

@testable import AssetIndex

@Suite("Token events")
struct TokenEventTests {
    static let a = Address(bytes: [UInt8](repeating: 0xaa, count: 20))!
    static let b = Address(bytes: [UInt8](repeating: 0xbb, count: 20))!
    static let contract = Address(bytes: [UInt8](repeating: 0xcc, count: 20))!

    static let events: [TokenEvent] = [
        .erc721Transfer(from: .zero, to: a, tokenId: UInt256(7)),
        .erc721Approval(owner: a, approved: b, tokenId: UInt256(7)),
        .erc20Transfer(from: a, to: b, value: UInt256.max),
        .erc20Approval(owner: a, spender: b, value: UInt256(5)),
        .transferSingle(operator: a, from: a, to: b, id: UInt256(3), value: UInt256(9)),
        .transferBatch(operator: a, from: .zero, to: b, ids: [UInt256(1), UInt256(2)], values: [UInt256(10), UInt256(20)]),
        .transferBatch(operator: a, from: a, to: b, ids: [], values: []),
        .approvalForAll(owner: a, operator: b, approved: true),
        .uri(value: "ipfs://prompted-visions/7.json", id: UInt256(7)),
        .updateUser(tokenId: UInt256(7), user: b, expires: 1_900_000_000),
        .aigcData(tokenId: UInt256(7), promptHash: Hash32(bytes: [UInt8](repeating: 1, count: 32))!, aigcDataHash: Hash32(bytes: [UInt8](repeating: 2, count: 32))!, proof: Array(0..<70)),
        .aigcUpdate(tokenId: UInt256(7), promptHash: .zero, aigcDataHash: .zero),
        .aigcDraftMint(to: a, tokenId: UInt256(8), promptHash: Hash32(bytes: [UInt8](repeating: 3, count: 32))!, aigcData: Array("ipfs://out".utf8), uri: "ipfs://meta/8", proof: [9, 9]),
        .metadataUpdate(tokenId: UInt256(7)),
        .batchMetadataUpdate(fromTokenId: UInt256(1), toTokenId: UInt256(100)),
    ]

    @Test(arguments: 0..<events.count)
    func encodeThenDecode(_ i: Int) throws {
        let log = Self.events[i].log(contract: Self.contract)
        #expect(try TokenEvent(log: log) == Self.events[i])
    }

    /// Logs with an indexed topic0 from non-standard contracts: refused with a reason, counted, never a crash.
    @Test func malformedLogsAreSkippedAndCounted() throws {
        var rng = SplitMix64(seed: 77)
        var malformed = 0, decoded = 0
        var logs: [IndexedLog] = []
        for i in 0..<2_000 {
            let topic0 = TokenEvent.Topic.all.randomElement(using: &rng)!
            let topics = [topic0] + (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                Bool.random(using: &rng) ? Hash32(bytes: rng.bytes(32))! : Hash32(bytes: [UInt8](repeating: 0, count: 12) + rng.bytes(20))!
            }
            let log = Log(address: Self.contract, topics: topics, data: rng.bytes([0, 31, 32, 64, 96, 200].randomElement(using: &rng)!))
            do throws(EventDecodingError) {
                if try TokenEvent(log: log) != nil { decoded += 1 }
            } catch {
                malformed += 1
            }
            logs.append(IndexedLog(log: log, transactionIndex: 0, logIndex: UInt32(i)))
        }
        #expect(malformed > 500 && decoded > 10, "malformed \(malformed), decoded \(decoded)")
        let stats = try AssetIndex(store: MemoryStore()).apply(IndexedBlock(number: 1, hash: .zero, timestamp: 0, transactions: [], logs: logs))
        #expect(stats.malformed == malformed)
        #expect(stats.events == decoded)
    }

    /// The draft ERC-7007 `Mint`: provenance gets the output from the log and the prompt from the verified calldata.
    @Test func draftMintGivesProvenance() throws {
        let prompt = Array("a harbour at dawn".utf8), output = Array("ipfs://bafyoutput".utf8)
        let input = ABIEncoding.call(
            "mint(address,bytes,bytes,string,bytes)", static: [UInt256(bigEndian: [UInt8](repeating: 0, count: 12) + Self.a.bytes)!],
            dynamic: [prompt, output, Array("ipfs://meta".utf8), [7]].map(ABIEncoding.bytes))
        let tx = IndexedTransaction(hash: Hash32(bytes: [UInt8](repeating: 0x42, count: 32))!, index: 0, sender: Self.a, to: Self.contract, input: input)
        let logs = [
            TokenEvent.erc721Transfer(from: .zero, to: Self.a, tokenId: UInt256(8)),
            .aigcDraftMint(to: Self.a, tokenId: UInt256(8), promptHash: keccak256(prompt), aigcData: output, uri: "ipfs://meta", proof: [7]),
        ].enumerated().map { IndexedLog(log: $0.element.log(contract: Self.contract), transactionIndex: 0, logIndex: UInt32($0.offset)) }
        let index = AssetIndex(store: MemoryStore())
        let stats = try index.apply(IndexedBlock(number: 1, hash: .zero, timestamp: 0, transactions: [tx], logs: logs))
        #expect(stats.events == 2 && stats.malformed == 0)
        let provenance = try #require(try index.provenance(contract: Self.contract, tokenId: UInt256(8)))
        #expect(provenance.standards.contains(.erc7007) && provenance.standards.contains(.erc721))
        #expect(provenance.mint?.minter == Self.a)
        #expect(provenance.aigc.first?.record.prompt == prompt)
        #expect(provenance.aigc.first?.record.aigcData == output)
        #expect(provenance.aigc.first?.record.aigcDataHash == keccak256(output))
        #expect(provenance.aigc.first?.record.proof == [7])
    }
}
