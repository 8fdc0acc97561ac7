import ArgumentParser
import EthPrimitives
import EthRPC
import EthTypes
import EthVerify
import Foundation
import ProvenantNode

/// `provenant verify-block`: checks one block (and optionally its receipts) as an upstream returned them.
struct VerifyBlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-block",
        abstract: "Verify a block and its receipts from JSON-RPC results saved to files, with no network.",
        discussion: """
            --block takes an eth_getBlockByNumber(n, true) result and --receipts an eth_getBlockReceipts(n) \
            result: a bare result or a whole JSON-RPC response object. Every check the data allows runs and is \
            printed; checks that need what was not given are reported as not run.

            Exit status: 0 when every check that ran holds, 1 when one fails (the first failure is named), \
            2 when a file cannot be read or parsed.
            """)

    @Option(help: "File holding an eth_getBlockByNumber(n, true) result.")
    var block: String

    @Option(help: "File holding an eth_getBlockReceipts(n) result.")
    var receipts: String?

    @Option(help: "Chainspec name (from chainspec/) or path to a chainspec JSON file.")
    var chain: String = "mainnet"

    func run() throws {
        let spec: Chainspec
        let rpcBlock: RPCBlock
        var receiptList: [Receipt]?
        do {
            spec = try ChainspecDirectories.load(chain)
            rpcBlock = try Self.read(RPCBlock.self, from: block, what: "block")
            if let receipts {
                receiptList = try Self.read([RPCReceipt].self, from: receipts, what: "receipts").map(\.receipt)
            }
        } catch {
            FileHandle.standardError.write(Data("provenant verify-block: \(error)\n".utf8))
            throw ExitCode(2)
        }

        let header = rpcBlock.header
        print("block \(header.number) \(rpcBlock.claimedHash) on \(spec.name) (\(spec.forkName(number: header.number, timestamp: header.timestamp)))")
        let outcomes = BlockReport.run(block: rpcBlock, receipts: receiptList, spec: spec)
        for outcome in outcomes {
            switch outcome.result {
            case .passed: print("  OK       \(outcome.name)")
            case .failed(let error): print("  FAILED   \(outcome.name): \(error)")
            case .notRun(let reason): print("  not run  \(outcome.name): \(reason)")
            }
        }
        if let failure = outcomes.lazy.compactMap(\.failure).first {
            print("FAILED: \(failure)")
            throw ExitCode.failure
        }
        let ran = outcomes.filter { if case .passed = $0.result { return true } else { return false } }.count
        print("all \(ran) checks that ran hold")
    }

    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    /// The file's JSON read as `T`: a bare JSON-RPC result, or a whole response object.
    static func read<T: JSONReadable>(_ type: T.Type, from path: String, what: String) throws -> T {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw InputError(description: "cannot read the \(what) file \(path)")
        }
        do throws(JSONDocumentError) {
            return try JSONDocumentError.read(Array(bytes)) { json throws(JSONReadError) in try T(json: json.rpcResult()) }
        } catch {
            throw InputError(description: "\(path) is not a valid \(what): \(error)")
        }
    }
}
