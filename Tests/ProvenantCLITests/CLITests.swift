import Foundation
import Testing
import TestSupport
import DevNet

/// The `provenant` binary, run as a process.
enum CLI {
    /// The binary beside the test bundle in the build directory.
    static let binary: URL = {
        var dir = Bundle.main.bundleURL
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("provenant").path) {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("provenant")
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs the binary with its standard output going to the file at `path` (for bytes that are not text).
    static func runToFile(_ arguments: [String], _ path: String) throws -> Result {
        FileManager.default.createFile(atPath: path, contents: nil)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? file.close() }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let err = Pipe()
        process.standardOutput = file
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Writes a JSON value to a temporary file and returns its path.
    static func write(_ value: Any) throws -> String {
        let url = URL(fileURLWithPath: temporaryPath("cli", extension: "json"))
        try JSONSerialization.data(withJSONObject: value).write(to: url)
        return url.path
    }
}

@Suite("provenant demo")
struct DemoCLITests {
    @Test func demoSyncsFromALiarAndAnHonestUpstreamAndServes() throws {
        let result = try CLI.run(["demo", "--blocks", "120", "--exit", "--rpc-addr", "127.0.0.1:0"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Synced blocks 0…120 in "))
        #expect(result.stdout.contains("marked faulty, evidence: block "), "the liar is named with its evidence")
        #expect(result.stdout.contains("$ curl -s -X POST"))
        // The prompt of token 1, recovered from the verified calldata: "a lighthouse" in hex.
        #expect(result.stdout.contains(#""prompt":"0x61206c69676874686f757365"#))
        #expect(result.stdout.contains(#""standard":["erc721""#))
        #expect(!result.stdout.contains(#""error""#), "every example query answered")
        #expect(result.stdout.contains("VERIFIED token 0x1 of "), "token 1's proof bundle checked offline")
        // The same seed gives the same index, whichever lies were caught on the way.
        let again = try CLI.run(["demo", "--blocks", "120", "--exit", "--rpc-addr", "127.0.0.1:0"])
        #expect(again.stdout.split(separator: "\n").last == result.stdout.split(separator: "\n").last)
        #expect(result.stdout.split(separator: "\n").last?.hasPrefix("index digest 0x") == true)
    }
}

@Suite("provenant sync and run: configuration errors")
struct NodeCLITests {
    @Test func aBadConfigExitsNamingTheKey() throws {
        let path = temporaryPath("config", extension: "yaml")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "chain: provenant-dev\nupstreams: [http://127.0.0.1:1]\ncontracts: []\nreorgWindow: 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        for command in ["sync", "run"] {
            let result = try CLI.run([command, "--config", path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("key reorgWindow, line 4: expected a whole number"), "\(command): \(result.stderr)")
        }
        let missing = try CLI.run(["sync", "--config", "/nonexistent/provenant.yaml"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read /nonexistent/provenant.yaml"), "\(missing.stderr)")
    }
}

@Suite("provenant verify-block on real blocks", .needsVectors)
struct VerifyBlockCLITests {
    static func fixture(_ name: String) throws -> [String: Any] {
        try Vectors.json("blocks/\(name).json") as! [String: Any]
    }

    @Test func realBlockPassesEveryCheck() throws {
        let f = try Self.fixture("mainnet-19426587-cancun")
        // A whole JSON-RPC response for the block, a bare result for the receipts.
        let block = try CLI.write(["jsonrpc": "2.0", "id": 1, "result": f["block"]!])
        let receipts = try CLI.write(f["consensusReceipts"]!)
        let result = try CLI.run(["verify-block", "--block", block, "--receipts", receipts, "--chain", "mainnet"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("OK       senders recovered with secp256k1"))
        #expect(result.stdout.contains("OK       receipts:"))
        #expect(!result.stdout.contains("FAILED"))
    }

    @Test func withoutReceiptsTheirChecksAreNotRun() throws {
        let block = try CLI.write(try Self.fixture("mainnet-12965000-london")["block"]!)
        let result = try CLI.run(["verify-block", "--block", block])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("not run  receipts"))
    }

    @Test func tamperedCopyFailsNamingTheField() throws {
        let f = try Self.fixture("mainnet-19426587-cancun")
        var block = f["block"] as! [String: Any]
        var txs = block["transactions"] as! [[String: Any]]
        txs[3]["value"] = "0x1"
        block["transactions"] = txs
        let result = try CLI.run(["verify-block", "--block", try CLI.write(block)])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAILED: block 19426587: transactionsRoot"))

        var receipts = f["consensusReceipts"] as! [[String: Any]]
        receipts[5]["cumulativeGasUsed"] = "0x1"
        let tampered = try CLI.run(["verify-block", "--block", try CLI.write(f["block"]!), "--receipts", try CLI.write(receipts)])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("FAILED: block 19426587: receiptsRoot"))
    }

    @Test func malformedInputExitsTwo() throws {
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-garbage.json")
        try Data("{\"number\": \"0x1\"".utf8).write(to: garbage)
        let cases: [[String]] = [
            ["verify-block", "--block", garbage.path],
            ["verify-block", "--block", "/nonexistent/block.json"],
            ["verify-block", "--block", try CLI.write(["number": "0x01"])],
            ["verify-block", "--block", try CLI.write(try Self.fixture("mainnet-12965000-london")["block"]!), "--chain", "no-such-chain"],
        ]
        for arguments in cases {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stdout)")
            #expect(result.stderr.hasPrefix("provenant verify-block: "), "\(arguments): \(result.stderr)")
        }
    }
}

@Suite("provenant proof and verify")
struct ProofCLITests {
    static let visions = "0xf5204bf75282e13daf88ab5ac961be1592217e68"

    @Test func aBundleFromADataDirectoryVerifiesOfflineAndTamperingFails() throws {
        let dir = temporaryPath("cli-proof")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imported = try CLI.run(["import-devchain", "--seed", "7", "--blocks", "80", "--data-dir", dir])
        #expect(imported.status == 0, "\(imported.stderr)")
        let proof = try CLI.run(["proof", Self.visions, "2", "--data-dir", dir])
        #expect(proof.status == 0, "\(proof.stderr)")
        let bundle = URL(fileURLWithPath: temporaryPath("bundle", extension: "json"))
        try Data(proof.stdout.utf8).write(to: bundle)
        let anchor = try #require((try JSONSerialization.jsonObject(with: Data(proof.stdout.utf8)) as? [String: Any])?["anchor"] as? [String: Any])
        let hash = try #require(anchor["hash"] as? String)

        let verified = try CLI.run(["verify", bundle.path, "--trust", hash])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("VERIFIED token 0x2 of \(Self.visions):"))
        #expect(verified.stdout.contains("(sender recovered from its signature)"))

        // Without the anchor trusted, and with the chainspec's genesis the only trusted hash: refused.
        for arguments in [["verify", bundle.path], ["verify", bundle.path, "--chain", "provenant-dev"]] {
            let untrusted = try CLI.run(arguments)
            #expect(untrusted.status == 1, "\(arguments)")
            #expect(untrusted.stdout.hasPrefix("FAILED: the anchor (block 80,"), "\(untrusted.stdout)")
        }

        // One hex digit of the anchor's header changed: the chain no longer reaches the trusted hash.
        var text = proof.stdout
        let headers = try #require(text.range(of: #""headers":["0x"#))
        let digit = text.index(headers.upperBound, offsetBy: 20)
        text.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
        let tampered = URL(fileURLWithPath: temporaryPath("bundle-tampered", extension: "json"))
        try Data(text.utf8).write(to: tampered)
        let failed = try CLI.run(["verify", tampered.path, "--trust", hash])
        #expect(failed.status == 1)
        #expect(failed.stdout.hasPrefix("FAILED: header chain, block "), "\(failed.stdout)")

        // Not a bundle, not JSON, not there: exit 2, named on standard error.
        for path in [try CLI.write(["version": 1]), try CLI.write(["jsonrpc": "2.0"]) + "x", "/nonexistent/bundle.json"] {
            let result = try CLI.run(["verify", path, "--trust", hash])
            #expect(result.status == 2, "\(path)")
            #expect(result.stderr.hasPrefix("provenant verify: "), "\(result.stderr)")
        }
        // Anchored at the next multiple of 16 after the token's last event, trusted through an exported anchor file.
        let exported = try CLI.run(["anchors", "export", "--every", "16", "--data-dir", dir])
        #expect(exported.status == 0, "\(exported.stderr)")
        let anchorsFile = URL(fileURLWithPath: temporaryPath("anchors", extension: "json"))
        try Data(exported.stdout.utf8).write(to: anchorsFile)
        let near = try CLI.run(["proof", Self.visions, "2", "--anchor", "nearest", "--every", "16", "--data-dir", dir])
        let nearFile = URL(fileURLWithPath: temporaryPath("bundle-near", extension: "json"))
        try Data(near.stdout.utf8).write(to: nearFile)
        let byAnchors = try CLI.run(["verify", nearFile.path, "--anchors", anchorsFile.path])
        #expect(byAnchors.status == 0, "\(byAnchors.stdout)\(byAnchors.stderr)")
        #expect(byAnchors.stdout.contains("trusted;"))

        // The token's output image is the proven output; with one byte changed it is not.
        let outputs = temporaryPath("cli-outputs")
        defer { try? FileManager.default.removeItem(atPath: outputs) }
        let written = try CLI.run(["devchain-outputs", "--seed", "7", "--blocks", "80", "--dir", outputs])
        #expect(written.status == 0, "\(written.stderr)")
        let image = outputs + "/token-2.png"
        let asset = try CLI.run(["verify-asset", image, "--bundle", bundle.path, "--trust", hash])
        #expect(asset.status == 0, "\(asset.stdout)\(asset.stderr)")
        #expect(asset.stdout.hasPrefix("MATCH: \(image) is the output of the AIGC record of token 0x2"), "\(asset.stdout)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        bytes[bytes.count / 2] ^= 1
        let changedImage = outputs + "/changed.png"
        try bytes.write(to: URL(fileURLWithPath: changedImage))
        let changed = try CLI.run(["verify-asset", changedImage, "--bundle", bundle.path, "--trust", hash])
        #expect(changed.status == 1)
        #expect(changed.stdout.hasPrefix("NO MATCH: "), "\(changed.stdout)")
        let untrustedAsset = try CLI.run(["verify-asset", image, "--bundle", bundle.path])
        #expect(untrustedAsset.status == 1 && untrustedAsset.stdout.hasPrefix("FAILED: the bundle does not verify"), "\(untrustedAsset.stdout)")
        let missing = try CLI.run(["verify-asset", outputs + "/none.png", "--bundle", bundle.path, "--trust", hash])
        #expect(missing.status == 2 && missing.stderr.hasPrefix("provenant verify-asset: cannot read"), "\(missing.stderr)")

        let nothing = try CLI.run(["proof", Self.visions, "5000", "--data-dir", dir])
        #expect(nothing.status != 0)
        #expect(nothing.stderr.contains("nothing is indexed of token 0x1388"))
    }

    /// Present-state bundles from a data directory and a real upstream over HTTP: `eth_getProof` from DevNet, each
    /// proof verified against the stored header before it is bundled; an upstream of another chain is refused.
    @Test func presentStateBundlesFromAnUpstreamVerifyOffline() async throws {
        let dir = temporaryPath("cli-state")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imported = try CLI.run(["import-devchain", "--seed", "7", "--blocks", "80", "--data-dir", dir])
        #expect(imported.status == 0, "\(imported.stderr)")
        let net = try await RunningDevNet(DevNet(seed: 7, blocks: 80))
        let other = try await RunningDevNet(DevNet(seed: 8, blocks: 80))
        defer { withExtendedLifetime((net, other)) {} }

        let full = try CLI.run(["proof", Self.visions, "2", "--present", "state", "--upstream", net.url, "--data-dir", dir])
        #expect(full.status == 0, "\(full.stderr)")
        let anchor = try #require((try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [String: Any])?["anchor"] as? [String: Any])
        let hash = try #require(anchor["hash"] as? String)
        let fullFile = try CLI.write(try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)))
        let verified = try CLI.run(["verify", fullFile, "--trust", hash])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("at the anchor, by storage proof against block 80's state root (Solidity mapping at slot 2"), "\(verified.stdout)")
        #expect(verified.stdout.contains("minted by "))

        // The same bundle as one zstd frame: smaller, and verified the same; a damaged frame is an input error.
        let compressedFile = temporaryPath("bundle-state", extension: "json.zst")
        let compressed = try CLI.runToFile(["proof", Self.visions, "2", "--present", "state", "--compress", "--upstream", net.url, "--data-dir", dir], compressedFile)
        #expect(compressed.status == 0, "\(compressed.stderr)")
        let frame = try Data(contentsOf: URL(fileURLWithPath: compressedFile))
        #expect(frame.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) && frame.count * 2 < full.stdout.utf8.count)
        let fromFrame = try CLI.run(["verify", compressedFile, "--trust", hash])
        #expect(fromFrame.status == 0 && fromFrame.stdout == verified.stdout, "\(fromFrame.stdout)\(fromFrame.stderr)")
        try frame.prefix(frame.count / 2).write(to: URL(fileURLWithPath: compressedFile))
        let truncated = try CLI.run(["verify", compressedFile, "--trust", hash])
        #expect(truncated.status == 2 && truncated.stderr.contains("is zstd-compressed and does not decompress"), "\(truncated.stderr)")

        // The present alone: the anchor's header and the proofs.
        let present = try CLI.run(["proof", Self.visions, "2", "--state-only", "--upstream", net.url, "--data-dir", dir])
        #expect(present.status == 0, "\(present.stderr)")
        #expect(present.stdout.utf8.count < 16 * 1024)
        let presentFile = try CLI.write(try JSONSerialization.jsonObject(with: Data(present.stdout.utf8)))
        let presentVerified = try CLI.run(["verify", presentFile, "--trust", hash])
        #expect(presentVerified.status == 0 && !presentVerified.stdout.contains("minted by"), "\(presentVerified.stdout)")

        // An ERC-20 holder's shares, with no token id.
        let shares = "0x6e89b1a0e55f60809950bf4a9088e3646527559a"
        let holder = try CLI.run(["proof", shares, "--holder", "0x04b3ccd76d58ef61bf42ebf59196026e15ccfaee", "--upstream", net.url, "--data-dir", dir])
        #expect(holder.status == 0, "\(holder.stderr)")
        let holderVerified = try CLI.run(["verify", try CLI.write(try JSONSerialization.jsonObject(with: Data(holder.stdout.utf8))), "--trust", hash])
        #expect(holderVerified.stdout.contains("shares at the anchor, by storage proof"), "\(holderVerified.stdout)")

        // Another chain's state does not verify against this chain's header: refused, nothing written.
        let lying = try CLI.run(["proof", Self.visions, "2", "--state-only", "--upstream", other.url, "--data-dir", dir])
        #expect(lying.status != 0 && lying.stdout.isEmpty)
        #expect(lying.stderr.contains("does not verify against its state root"), "\(lying.stderr)")
        // No upstream for a state proof: a usage error.
        let noUpstream = try CLI.run(["proof", Self.visions, "2", "--present", "state", "--data-dir", dir])
        #expect(noUpstream.status != 0 && noUpstream.stderr.contains("need --upstream"), "\(noUpstream.stderr)")
    }

    /// `checkpoints` lists a chainspec's trusted blocks and names the one a contract's sync starts from.
    @Test func checkpointsNameTheStartOfASync() throws {
        let mainnet = try CLI.run(["checkpoints", "--chain", "mainnet", "--start-block", "19000000"])
        #expect(mainnet.status == 0, "\(mainnet.stderr)")
        #expect(mainnet.stdout.contains("  17034870 0xe22c56f211f03baadcc91e4eb9a24344e6848c5df4473988f893b58223f5216c"))
        #expect(mainnet.stdout.contains("a contract starting at block 19000000 syncs from checkpoint 17034870"), "\(mainnet.stdout)")
        let unknown = try CLI.run(["checkpoints", "--chain", "no-such-chain"])
        #expect(unknown.status != 0 && unknown.stderr.contains("chainspec no-such-chain: not found"), "\(unknown.stderr)")
    }

    /// A malformed value is refused where it is parsed, naming the argument and saying what it takes, before any
    /// data directory is opened; the exit status is ArgumentParser's 64 (usage).
    @Test func malformedValuesAreRefusedByName() throws {
        let missing = temporaryPath("never-created")
        let cases: [(arguments: [String], argument: String, help: String)] = [
            (["proof", "0x12", "1", "--data-dir", missing], "<contract>", "40 hex digits"),
            (["proof", Self.visions, "0x01", "--data-dir", missing], "<token-id>", "0x QUANTITY or a decimal"),
            (["proof", Self.visions, "12a", "--data-dir", missing], "<token-id>", "0x QUANTITY or a decimal"),
            (["proof", Self.visions, "1", "--anchor", "soon", "--data-dir", missing], "--anchor <anchor>", "nearest"),
            (["proof", Self.visions, "1", "--every", "0", "--data-dir", missing], "--every", "at least 1"),
            (["serve", "--rpc-addr", "localhost", "--data-dir", missing], "--rpc-addr <rpc-addr>", "host:port"),
            (["demo", "--rpc-addr", "127.0.0.1:70000"], "--rpc-addr <rpc-addr>", "host:port"),
        ]
        for (arguments, argument, help) in cases {
            let result = try CLI.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(argument) && result.stderr.contains(help), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// One contract of the dev chain watched: the import keeps partial bodies where they are smaller, a reindex with
    /// no upstream rebuilds the same index from them, and a bundle built from them verifies offline. A contract
    /// name that does not exist, or another watch set on the same directory, is refused by name.
    @Test func partialBodiesReindexAndProveFromTheCLI() throws {
        let dir = temporaryPath("cli-watch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imported = try CLI.run(["import-devchain", "--seed", "7", "--blocks", "120", "--watch", "prompted-visions", "--data-dir", dir])
        #expect(imported.status == 0, "\(imported.stderr)")
        let before = try CLI.run(["index-digest", "--data-dir", dir])
        let reindexed = try CLI.run(["reindex", "--data-dir", dir])
        #expect(reindexed.status == 0, "\(reindexed.stderr)")
        #expect(try CLI.run(["index-digest", "--data-dir", dir]).stdout == before.stdout)
        let proof = try CLI.run(["proof", Self.visions, "3", "--data-dir", dir])
        #expect(proof.status == 0, "\(proof.stderr)")
        let bundle = URL(fileURLWithPath: temporaryPath("bundle-watch", extension: "json"))
        defer { try? FileManager.default.removeItem(at: bundle) }
        try Data(proof.stdout.utf8).write(to: bundle)
        let anchor = try #require((try JSONSerialization.jsonObject(with: Data(proof.stdout.utf8)) as? [String: Any])?["anchor"] as? [String: Any])
        let verified = try CLI.run(["verify", bundle.path, "--trust", try #require(anchor["hash"] as? String)])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let unknown = try CLI.run(["import-devchain", "--watch", "prompted-visions,nope", "--data-dir", dir])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains(#"no dev chain contract "nope""#), "\(unknown.stderr)")
        let other = try CLI.run(["import-devchain", "--seed", "7", "--blocks", "130", "--data-dir", dir])
        #expect(other.status != 0)
        #expect(other.stderr.contains("indexed for other contracts"), "\(other.stderr)")
    }
}
