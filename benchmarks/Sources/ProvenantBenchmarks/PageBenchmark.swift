import AssetIndex
import EthCrypto
import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import Server
import Store
import TokenEvents

/// The token page of a token with 1,000 events (issue 20's goal: under 20 ms at the server and under 200 KB), next to
/// the JSON-RPC answers it is made of (`asset_provenance`, `asset_status` and every page of `asset_history`), in the
/// same run: the page's own cost is the difference.
enum PageBenchmark {
    static let events = 1_000

    static func run() throws {
        let path = NSTemporaryDirectory() + "provenant-page-bench-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try LevelDB(path: path)
        let index = AssetIndex(store: store)
        let nft = Address(bytes: [UInt8](repeating: 0x71, count: 20))!
        let holders = (0..<16).map { i in Address(bytes: keccak256(Array("page holder \(i)".utf8)).bytes[12...])! }
        // One token: minted, then transferred and rented in turn, one event a block, each block's header stored.
        var parent = Hash32.zero
        var owner = holders[0]
        for n in 0..<events {
            var fields = HeaderFields()
            fields.parentHash = parent
            fields.number = UInt64(n)
            fields.gasLimit = 30_000_000
            fields.timestamp = 1_700_000_000 + UInt64(n) * 12
            let header = try Header(fields)
            parent = header.hash
            let event: TokenEvent
            if n == 0 {
                event = .erc721Transfer(from: .zero, to: owner, tokenId: UInt256(1))
            } else if n % 3 == 0 {
                event = .updateUser(tokenId: UInt256(1), user: holders[n % 16], expires: fields.timestamp + 3_600)
            } else {
                let next = holders[(n * 7) % 16]
                event = .erc721Transfer(from: owner, to: next, tokenId: UInt256(1))
                owner = next
            }
            let tx = IndexedTransaction(hash: keccak256(Array("page tx \(n)".utf8)), index: 0, sender: owner, to: nft, input: [])
            let block = IndexedBlock(number: UInt64(n), hash: header.hash, timestamp: fields.timestamp, transactions: [tx],
                                     logs: [IndexedLog(log: event.log(contract: nft), transactionIndex: 0, logIndex: 0)])
            _ = try index.apply(block, blockData: BlockStore.entries(number: UInt64(n), hash: header.hash, header: header.encoded, bodyBlob: nil))
        }
        let methods = AssetMethods(index: index, chainId: 1, watched: [nft])
        let pages = ProvenancePages(methods: methods)
        let dispatcher = methods.dispatcher()
        let target = "/token/\(nft.hex)/1"
        let reply = pages.reply(target)
        guard reply.status == 200 else { fatalError("the page answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))") }
        // The calls a page makes, as JSON-RPC requests.
        func call(_ method: String, _ params: String) -> Int {
            dispatcher.handle(Data(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#.utf8))?.count ?? 0
        }
        let token = #"["\#(nft.hex)","0x1""#
        let json = Harness.nanosPerOp(iterations: 20) {
            var bytes = call("asset_provenance", token + "]") + call("asset_status", "[]") + call("asset_userOf", token + "]")
            var cursor = "null"
            repeat {
                let answer = dispatcher.handle(Data(#"{"jsonrpc":"2.0","id":1,"method":"asset_history","params":\#(token),{"limit":1000,"cursor":\#(cursor)}]}"#.utf8)) ?? Data()
                bytes += answer.count
                let next = (try? JSONValue(parsing: Array(answer)))?["result"]?["next"]
                cursor = next.map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "null"
            } while cursor != "null"
            Harness.sink &+= UInt64(bytes)
        }
        let page = Harness.nanosPerOp(iterations: 20) { Harness.sink &+= UInt64(pages.reply(target).body.count) }
        print("")
        print("## Token page of a token with \(events) events (ProvenancePages, LevelDB)")
        print("")
        print("| what | time | bytes | goal |")
        print("|---|---|---|---|")
        print("| the JSON-RPC calls the page is made of | \(Harness.format(json)) | | the limit: the page cannot cost less |")
        print("| the page | \(Harness.format(page)) | \(reply.body.count) | under 20 ms, under 200,000 bytes |")
        print("| ratio page / its calls | \(String(format: "%.2f×", page / json)) | | |")
    }
}
