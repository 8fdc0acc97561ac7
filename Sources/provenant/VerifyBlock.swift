import ArgumentParser
import EthPrimitives
import EthRPC
import EthTypes
import EthVerify
import Foundation
import ProofVerify
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

            On an OP Stack chain from Isthmus the header's withdrawalsRoot is the storage root of the \
            L2ToL1MessagePasser (0x4200000000000000000000000000000000000016), which no block body shows: \
            --message-passer-proof takes that account's eth_getProof result at the block, and the root is checked \
            against it once its proof leads from the header's stateRoot.

            Exit status: 0 when every check that ran holds, 1 when one fails (the first failure is named), \
            2 when a file cannot be read or parsed.
            """)

    @Option(help: "File holding an eth_getBlockByNumber(n, true) result.")
    var block: String

    @Option(help: "File holding an eth_getBlockReceipts(n) result.")
    var receipts: String?

    @Option(help: "Chainspec name (from chainspec/) or path to a chainspec JSON file.")
    var chain: String = "mainnet"

    @Option(help: "File holding eth_getProof(0x4200000000000000000000000000000000000016, [], n): checks an OP Stack Isthmus block's withdrawalsRoot.")
    var messagePasserProof: String?

    func run() throws {
        let spec: Chainspec
        let rpcBlock: RPCBlock
        var receiptList: [Receipt]?
        var passerProof: AccountProof?
        do {
            spec = try ChainspecDirectories.load(chain)
            rpcBlock = try Self.read(RPCBlock.self, from: block, what: "block")
            if let receipts {
                receiptList = try Self.read([RPCReceipt].self, from: receipts, what: "receipts").map(\.receipt)
            }
            if let messagePasserProof {
                passerProof = try Self.read(AccountProof.self, from: messagePasserProof, what: "eth_getProof result")
                let header = rpcBlock.header
                guard let upgrade = spec.opFork(number: header.number, timestamp: header.timestamp), upgrade >= .isthmus else {
                    throw InputError(description: "--message-passer-proof: block \(header.number) is not an OP Stack block from Isthmus on, whose withdrawalsRoot alone is a storage root")
                }
                guard passerProof?.address == OPStack.l2ToL1MessagePasser else {
                    throw InputError(description: "--message-passer-proof: the proof is of \(passerProof?.address.hex ?? ""), not of the L2ToL1MessagePasser \(OPStack.l2ToL1MessagePasser.hex)")
                }
            }
        } catch {
            FileHandle.standardError.write(Data("provenant verify-block: \(error)\n".utf8))
            throw ExitCode(2)
        }

        let header = rpcBlock.header
        print("block \(header.number) \(rpcBlock.claimedHash) on \(spec.name) (\(spec.forkName(number: header.number, timestamp: header.timestamp)))")
        var outcomes = BlockReport.run(block: rpcBlock, receipts: receiptList, spec: spec)
        if let passerProof, let i = outcomes.firstIndex(where: { $0.name == "withdrawals root" }) {
            outcomes[i] = Self.messagePasserCheck(passerProof, header: header)
        }
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

    /// An Isthmus header's `withdrawalsRoot` against the L2ToL1MessagePasser's storage root, once the account's proof
    /// leads from the header's `stateRoot` to it.
    static func messagePasserCheck(_ proof: AccountProof, header: Header) -> CheckOutcome {
        let name = "withdrawals root = the L2ToL1MessagePasser's storage root (eth_getProof against stateRoot)"
        let root = header.withdrawalsRoot?.hex ?? "none"
        do throws(AccountProof.Failure) {
            _ = try proof.verified(stateRoot: header.stateRoot)
        } catch {
            return CheckOutcome(name: name, result: .failed(VerificationError(block: header.number, field: .withdrawalsRoot, expected: root, actual: "a message passer proof that does not verify: \(error)")))
        }
        guard proof.storageHash == header.withdrawalsRoot else {
            return CheckOutcome(name: name, result: .failed(VerificationError(block: header.number, field: .withdrawalsRoot, expected: proof.storageHash.hex, actual: root)))
        }
        return CheckOutcome(name: name, result: .passed)
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
