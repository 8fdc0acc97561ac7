import AssetIndex
import DevChain
import EthPrimitives
import EthRPC
import Foundation
import Ingest
import Store
import Testing
import TestSupport

@testable import Server

/// A damaged data directory (a disk error, a half-copied directory, an edit by hand) must never trap the server, nor
/// be read as a plausible wrong answer: every query is asked of a store in which one value at a time is cut short or
/// given an extra byte, and each answer is the pristine store's answer or an internal error (-32603) that says what
/// is damaged. (Damage on disk is caught below this, by LevelDB's block checksums; see `LevelDBTests`.)
@Suite("A damaged store")
struct DamagedStoreTests {
    /// Every method, with parameters that reach the tables.
    static func calls(_ chain: DevChain) -> [(String, String)] {
        let visions = DevChain.Contract.visions.address.hex, editions = DevChain.Contract.editions.address.hex
        let shares = DevChain.Contract.shares.address.hex, holder = chain.accounts[0].address.hex
        let transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        var calls: [(String, String)] = [
            ("asset_balanceOf", #"["\#(shares)","\#(holder)"]"#), ("asset_balanceOf", #"["\#(editions)","\#(holder)","0x1"]"#),
            ("asset_tokensOf", #"["\#(holder)",{"limit":50}]"#), ("asset_holdersOf", #"["\#(shares)",null,{"limit":50}]"#),
            ("asset_holdersOf", #"["\#(editions)","0x1",{"limit":50}]"#), ("asset_status", "[]"), ("eth_blockNumber", "[]"),
            ("eth_getLogs", #"[{"fromBlock":"0x0","address":"\#(visions)","topics":["\#(transfer)"]}]"#),
        ]
        for id in 1...4 {
            let token = Hex.quantity(UInt64(id))
            for method in ["asset_ownerOf", "asset_userOf", "asset_history", "asset_provenance", "asset_proof"] {
                calls.append((method, #"["\#(visions)","\#(token)"]"#))
            }
        }
        for number in [1, 7, 20] { calls.append(("eth_getBlockByNumber", #"["\#(Hex.quantity(UInt64(number)))",true]"#)) }
        return calls
    }

    @Test func everyDamagedValueIsReportedNeverAnsweredNorATrap() throws {
        var chain = DevChain(seed: 41)
        chain.grow(to: 30)
        let pristine = try chain.index()
        let entries = try pristine.store.scan(KeyRange(lower: [], upper: nil), reverse: false, limit: .max)
        let calls = Self.calls(chain)
        let answer = { (dispatcher: Dispatcher, method: String, params: String) throws -> JSONValue in
            try JSONValue(parsing: Array(try #require(dispatcher.handle(Data(ServerTests.request(method, params).utf8)))))
        }
        let original = AssetMethods(index: pristine, chainId: DevChain.chainId, watched: DevChain.allContracts).dispatcher()
        let expected = try calls.map { try answer(original, $0.0, $0.1) }
        var damaged = 0, reported = 0
        // A sample of each table's keys, each damaged two ways.
        for (_, group) in Dictionary(grouping: entries, by: { $0.key.first ?? 0 }).sorted(by: { $0.key < $1.key }) {
            for (key, value) in group.prefix(6) {
                for bad in [Array(value.prefix(value.count / 2)), [0xff] + value] {
                    let store = MemoryStore()
                    var batch = WriteBatch()
                    for entry in entries { batch.put(entry.key, entry.key == key ? bad : entry.value) }
                    try store.write(batch)
                    let dispatcher = AssetMethods(index: AssetIndex(store: store), chainId: DevChain.chainId, watched: DevChain.allContracts).dispatcher()
                    for ((method, params), pristineAnswer) in zip(calls, expected) {
                        let got = try answer(dispatcher, method, params)
                        if got == pristineAnswer { continue }
                        reported += 1
                        #expect(got["error"]?["code"] == .int(-32603), "\(Schema(rawValue: key[0]).map { "\($0)" } ?? "?") key \(Hex.encode(key)) damaged: \(method) \(params) answered \(got)")
                    }
                    damaged += 1
                }
            }
        }
        #expect(damaged > 100 && reported > 100, "\(damaged) stores damaged, \(reported) answers reported damage")
    }
}
