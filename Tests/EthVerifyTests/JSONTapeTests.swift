import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import Testing
import TestSupport

/// The tape reader (what sync reads answers with) against the tree reader (what request parameters are read with):
/// on every real block and receipt list, the same values, and for a broken field the same error at the same path.
@Suite("Answers read from the tape as from the tree", .needsVectors)
struct JSONTapeTests {
    static func readers(_ value: Any) throws -> (tape: JSONReader, tree: JSONReader) {
        let bytes = Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
        return (JSONReader(try JSONTape(parsing: bytes)), JSONReader(try JSONValue(parsing: bytes)))
    }

    static func readError<T>(_ read: () throws(JSONReadError) -> T) -> JSONReadError? {
        do throws(JSONReadError) { _ = try read(); return nil } catch { return error }
    }

    @Test func everyBlockAndReceiptListReadsTheSame() throws {
        var blocks = 0, receipts = 0
        for file in try Vectors.files(in: "blocks") {
            let json = try Vectors.json(file) as! [String: Any]
            if let block = json["block"] as? [String: Any] {
                let (tape, tree) = try Self.readers(block)
                let a = try RPCBlock(json: tape), b = try RPCBlock(json: tree)
                #expect(a.header.encoded == b.header.encoded, "\(file)")
                #expect(a.claimedHash == b.claimedHash && a.uncles == b.uncles, "\(file)")
                if case .full(let x) = a.transactions, case .full(let y) = b.transactions {
                    #expect(x.map(\.transaction.encoded) == y.map(\.transaction.encoded), "\(file)")
                    #expect(x.map(\.claimedFrom) == y.map(\.claimedFrom), "\(file)")
                    blocks += 1
                }
            }
            if let list = (json["receipts"] as? [Any]) ?? (json["consensusReceipts"] as? [Any]) {
                let (tape, tree) = try Self.readers(list)
                #expect(try [RPCReceipt](json: tape).map(\.receipt.encoded) == [RPCReceipt](json: tree).map(\.receipt.encoded), "\(file)")
                receipts += 1
            }
        }
        #expect(blocks >= 20 && receipts >= 20, "\(blocks) blocks, \(receipts) receipt lists")
    }

    /// One field broken in turn in a block's last transaction (a bad digit, a number for a string, a missing
    /// member): the same reason at the same path from either reader.
    @Test func aBrokenFieldIsNamedAlike() throws {
        let file = try #require(try Vectors.files(in: "blocks").first { (try Vectors.json($0) as! [String: Any])["block"] is [String: Any] })
        let block = (try Vectors.json(file) as! [String: Any])["block"] as! [String: Any]
        var transactions = block["transactions"] as! [[String: Any]]
        let last = transactions.count - 1
        let breaks: [(String, (inout [String: Any]) -> Void)] = [
            ("a bad digit", { $0["nonce"] = "0xz1" }),
            ("a number", { $0["gas"] = 21000 }),
            ("missing", { $0["hash"] = nil }),
            ("an odd input", { $0["input"] = "0xabc" }),
            ("a short address", { $0["to"] = "0x1234" }),
        ]
        for (name, breakIt) in breaks {
            var broken = transactions[last]
            breakIt(&broken)
            transactions[last] = broken
            var copy = block
            copy["transactions"] = transactions
            transactions[last] = (block["transactions"] as! [[String: Any]])[last]
            let (tape, tree) = try Self.readers(["jsonrpc": "2.0", "id": 0, "result": copy])
            let a = Self.readError { () throws(JSONReadError) in try RPCBlock(json: try tape.field("result")) }
            let b = Self.readError { () throws(JSONReadError) in try RPCBlock(json: try tree.field("result")) }
            #expect(a != nil && a == b, "\(name): \(String(describing: a)) vs \(String(describing: b))")
            #expect(a?.path.hasPrefix("result.transactions[\(last)].") == true, "\(name): \(String(describing: a))")
        }
    }

    @Test func membersAndEscapesReadAsTheTreeDoes() throws {
        let text = #"{"a":1,"b":"\u0030x1f","a":[true,null,-2.5e3],"c\"d":{"e":"\u00e9\ud83d\ude00"},"":{}}"#
        let bytes = Array(text.utf8)
        let tape = JSONReader(try JSONTape(parsing: bytes)), tree = JSONReader(try JSONValue(parsing: bytes))
        #expect(tape.value == tree.value)
        #expect(try tape.field("a").value == .array([true, nil, .double(-2500)]), "a repeated name keeps its last value")
        #expect(try tape.field("b").quantity() == 0x1f, "an escaped hex string decodes")
        #expect(try tape.field("c\"d").field("e").string() == "é😀")
        #expect(try tape.members().map(\.name) == tree.members().map(\.name))
        #expect(try tape.field("").members().isEmpty)
        #expect(throws: JSONReadError(path: "c\"d.e", reason: "missing 0x prefix")) { try tape.field("c\"d").field("e").data() }
    }
}
