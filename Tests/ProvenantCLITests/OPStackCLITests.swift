import EthPrimitives
import EthRPC
import EthTypes
import DevNet
import Foundation
import Testing
import TestSupport

/// `provenant verify-block --chain op-mainnet | base | op-sepolia` on real OP Stack blocks: 0 when every check holds,
/// 1 naming the field on a tampered copy.
@Suite("provenant verify-block on OP Stack blocks", .needsVectors)
struct OPStackVerifyBlockCLITests {
    @Test func opMainnetBlockPassesAndATamperedDepositFails() throws {
        let block = try Vectors.json("opstack/op-mainnet-10/zeth/full-109194691.json") as! [String: Any]
        let result = try CLI.run(["verify-block", "--block", try CLI.write(block), "--chain", "op-mainnet"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("on op-mainnet (regolith (paris))"))
        #expect(result.stdout.contains("OK       transaction types (the L1 attributes deposit first"))
        #expect(result.stdout.contains("OK       senders recovered with secp256k1 (2 deposits: their `from` is in their hashed encoding"))

        var tampered = block
        var txs = block["transactions"] as! [[String: Any]]
        txs[1]["mint"] = "0x1"  // a deposit minting ETH it did not
        tampered["transactions"] = txs
        let failed = try CLI.run(["verify-block", "--block", try CLI.write(tampered), "--chain", "op-mainnet"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("FAILED: block 109194691: transactionsRoot"))

        // On Ethereum's rules the same block is refused: no deposits there, and not Ethereum's fork layout.
        let wrongChain = try CLI.run(["verify-block", "--block", try CLI.write(block), "--chain", "mainnet"])
        #expect(wrongChain.status == 1)
        #expect(wrongChain.stdout.contains("transactions[0].type"))
    }

    @Test func canyonBlockWithItsDepositReceipt() throws {
        let folder = "opstack/op-sepolia-11155420/canyon-4089330"
        let block = try CLI.write(try Vectors.json("\(folder)/block.json"))
        var receipt = try Vectors.json("\(folder)/receipt_0.json") as! [String: Any]
        let result = try CLI.run(["verify-block", "--block", block, "--receipts", try CLI.write([receipt]), "--chain", "op-sepolia"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("OK       receipts:"))
        #expect(result.stdout.contains("OK       withdrawals root (0 withdrawals)"))
        // From Canyon the deposit nonce is in the receipts trie: a lie about it breaks the root.
        receipt["depositNonce"] = "0x3e65f2"
        let failed = try CLI.run(["verify-block", "--block", block, "--receipts", try CLI.write([receipt]), "--chain", "op-sepolia"])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("FAILED: block 4089330: receiptsRoot"))
    }

    /// Base's fixture holds the header, raw transactions and receipts; written as the JSON-RPC results an upstream
    /// would serve, they verify with `--chain base`, and a tampered header field fails.
    @Test func baseBlockPassesAndATamperedCopyFails() throws {
        let folder = "opstack/base-mainnet-8453/block-4999983"
        let l2 = (try Vectors.json("\(folder)/l2.json") as! [[String: Any]])[0]
        let expected = ((try Vectors.json("\(folder)/expected.json") as! [String: Any])["safeHead"] as! [String: Any])["hash"] as! String
        var block = l2["header"] as! [String: Any]
        block["hash"] = expected
        var rpcTransactions: [Any] = []
        var rpcReceipts: [Any] = []
        for (i, (raw, receipt)) in zip(l2["transactions"] as! [String], l2["receipts"] as! [[String: Any]]).enumerated() {
            let tx = try Transaction(encoded: bytes(fromHex: raw))
            let position = RPCEncoding.Position(blockHash: try Hash32(hex: expected), blockNumber: 4_999_983, transactionIndex: UInt64(i), transactionHash: tx.hash)
            rpcTransactions.append(try JSONSerialization.jsonObject(with: Data(RPCEncoding.transaction(tx, from: try tx.recoverSender(), at: position).serialized())))
            var r = receipt
            r["type"] = "0x" + String(tx.type.rawValue, radix: 16)
            r["logsBloom"] = Bloom(logs: try logs(fromJSON: receipt["logs"]!)).hex
            rpcReceipts.append(r)
        }
        block["transactions"] = rpcTransactions
        let result = try CLI.run(["verify-block", "--block", try CLI.write(block), "--receipts", try CLI.write(rpcReceipts), "--chain", "base"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("on base (regolith (paris))"))
        #expect(result.stdout.contains("OK       receipts:"))

        block["gasLimit"] = "0x1c9c381"
        let failed = try CLI.run(["verify-block", "--block", try CLI.write(block), "--chain", "base"])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("FAILED: block 4999983: hash"))
    }
}

/// An Isthmus block's `withdrawalsRoot` is the L2ToL1MessagePasser's storage root: not run from the block alone,
/// checked with that account's `eth_getProof` at the block (the OP Stack dev chain is Isthmus from genesis).
@Suite("provenant verify-block --message-passer-proof")
struct MessagePasserProofCLITests {
    static func answer(_ net: DevNet, _ method: String, _ params: String) throws -> String {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#
        let answer = try #require(net.dispatcher().handle(Data(body.utf8)))
        let path = temporaryPath("cli-op-rpc", extension: "json")
        try answer.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theWithdrawalsRootIsCheckedAgainstTheProvenStorageRoot() throws {
        let net = DevNet(seed: 9, blocks: 20, family: .opStack)
        let passer = OPStack.l2ToL1MessagePasser.hex
        let block = try Self.answer(net, "eth_getBlockByNumber", #"["0x14",true]"#)
        let receipts = try Self.answer(net, "eth_getBlockReceipts", #"["0x14"]"#)
        let base = ["verify-block", "--block", block, "--receipts", receipts, "--chain", "provenant-dev-op"]

        let alone = try CLI.run(base)
        #expect(alone.status == 0, "\(alone.stdout)\(alone.stderr)")
        #expect(alone.stdout.contains("not run  withdrawals root: OP Stack isthmus"))

        let proven = try CLI.run(base + ["--message-passer-proof", try Self.answer(net, "eth_getProof", #"["\#(passer)",[],"0x14"]"#)])
        #expect(proven.status == 0, "\(proven.stdout)\(proven.stderr)")
        #expect(proven.stdout.contains("OK       withdrawals root = the L2ToL1MessagePasser's storage root"))

        // A proof against another block's state root does not lead to this one's.
        let stale = try CLI.run(base + ["--message-passer-proof", try Self.answer(net, "eth_getProof", #"["\#(passer)",[],"0xa"]"#)])
        #expect(stale.status == 1, "\(stale.stdout)")
        #expect(stale.stdout.contains("FAILED: block 20: withdrawalsRoot"))

        // Another account's proof is not the message passer's: an input error.
        let other = try CLI.run(base + ["--message-passer-proof", try Self.answer(net, "eth_getProof", #"["\#(OPStack.l1BlockPredeploy.hex)",[],"0x14"]"#)])
        #expect(other.status == 2)
        #expect(other.stderr.contains("not of the L2ToL1MessagePasser"))
    }
}

@Suite("provenant demo --op-stack")
struct OPStackDemoCLITests {
    @Test func theDemoRunsOnTheOPStackDevChain() throws {
        let result = try CLI.run(["demo", "--op-stack", "--blocks", "120", "--exit", "--rpc-addr", "127.0.0.1:0"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("Provenant demo: OP Stack dev chain seed 1"))
        #expect(result.stdout.contains("Synced blocks 0…120 in "))
        #expect(result.stdout.contains("marked faulty, evidence: block "), "the liar is named with its evidence")
        #expect(result.stdout.contains("VERIFIED token 0x1 of "), "token 1's proof bundle checked offline")
        #expect(!result.stdout.contains(#""error""#), "every example query answered")
    }
}

/// The node on an OP Stack chain, as a user runs it: a config naming the chain, an upstream serving it over HTTP,
/// `sync`, then a bundle of an ERC-721 token exported and verified offline against the L2 block hash.
@Suite("provenant sync, proof and verify on an OP Stack chain")
struct OPStackNodeCLITests {
    @Test func syncIndexesAnERC721AndItsBundleVerifiesAgainstTheL2Anchor() async throws {
        let net = try await RunningDevNet(DevNet(seed: 9, blocks: 120, family: .opStack))
        defer { withExtendedLifetime(net) {} }
        let dir = temporaryPath("cli-op")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = temporaryPath("cli-op", extension: "yaml")
        try """
            chain: provenant-dev-op
            upstreams: ["\(net.url)"]
            dataDir: \(dir)
            contracts:
              - {name: prompted-visions, address: "\(ProofCLITests.visions)", startBlock: 0}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let synced = try CLI.run(["sync", "--config", config, "--until-current"])
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")

        let proof = try CLI.run(["proof", ProofCLITests.visions, "2", "--data-dir", dir])
        #expect(proof.status == 0, "\(proof.stderr)")
        let anchor = try #require((try JSONSerialization.jsonObject(with: Data(proof.stdout.utf8)) as? [String: Any])?["anchor"] as? [String: Any])
        #expect(anchor["hash"] as? String == net.devnet.chain.head.header.hash.hex)
        let bundle = try CLI.write(try JSONSerialization.jsonObject(with: Data(proof.stdout.utf8)))
        let verified = try CLI.run(["verify", bundle, "--trust", try #require(anchor["hash"] as? String)])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("VERIFIED token 0x2 of \(ProofCLITests.visions):"))
        // The L2 chain's genesis alone does not make its head trusted.
        let untrusted = try CLI.run(["verify", bundle, "--chain", "provenant-dev-op"])
        #expect(untrusted.status != 0)
    }
}
