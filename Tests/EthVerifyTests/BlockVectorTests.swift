import EthCrypto
import EthPrimitives
import EthRLP
import EthTrie
import EthTypes
import Foundation
import Testing
import TestSupport

@testable import EthVerify

/// Every real block verifies with every check its data allows.
@Suite("Real blocks of every fork", .needsVectors)
struct BlockVectorTests {
    /// Osaka on mainnet, as geth's chain config dates it: block 22431085 is Prague, block 24784163 Osaka, and
    /// every one of 24784163's 769 real transactions obeys Osaka's rules (EIP-7825's gas cap among them).
    @Test func osakaIsDatedAndItsRulesHoldOnARealBlock() throws {
        let spec = try BlockFixture.spec("mainnet")
        let fixtures = try BlockFixture.all()
        let prague = try #require(fixtures.first { $0.network == "mainnet" && $0.number == 22431085 }).header()
        #expect(spec.fork(number: prague.number, timestamp: prague.timestamp) == .prague)
        let fixture = try #require(fixtures.first { $0.network == "mainnet" && $0.number == 24784163 })
        let header = try fixture.header()
        #expect(spec.fork(number: header.number, timestamp: header.timestamp) == .osaka)
        guard case .full(let transactions)? = fixture.block?.transactions else { Issue.record("no transactions"); return }
        #expect(transactions.count == 769)
        for tx in transactions {
            #expect(try tx.transaction.validate(fork: .osaka, chainId: UInt256(1)) == tx.claimedFrom)
        }
    }

    /// The checkpoints of chainspec/mainnet.json and sepolia.json are real blocks: each above genesis is a block
    /// fixture whose header, decoded and hashed here, has that hash (so does mainnet's genesis). A checkpoint with a
    /// wrong hash, or one with no block to back it, fails here.
    @Test func chainspecCheckpointsAreVerifiedBlocks() throws {
        let fixtures = try BlockFixture.all()
        var backed = 0
        for network in ["mainnet", "sepolia"] {
            let spec = try BlockFixture.spec(network)
            #expect(spec.checkpoints.count >= 3, "\(network) has \(spec.checkpoints.count) checkpoints")
            for checkpoint in spec.checkpoints {
                guard let fixture = fixtures.first(where: { $0.network == network && $0.number == checkpoint.number }) else {
                    #expect(checkpoint.number == 0, "\(network) checkpoint \(checkpoint.number) has no block in the vectors")
                    continue
                }
                let header = try fixture.header()
                #expect(header.number == checkpoint.number && header.hash == checkpoint.hash, "\(network) checkpoint \(checkpoint.number)")
                backed += 1
            }
        }
        #expect(backed >= 13, "\(backed) checkpoints backed by blocks")
    }

    /// `expected` is the verified side and `actual` the claim, at every kind of check: the hash recomputed from the
    /// header against the upstream's hash, a transaction's recomputed hash and recovered sender against its claimed
    /// ones, the verified header's root against the root of the served transactions.
    @Test func expectedIsTheVerifiedSideAndActualTheClaim() throws {
        let fixture = try #require(try BlockFixture.all().first { $0.json["blockHasFullTransactions"] as? Bool == true })
        let header = try fixture.header()
        let block = try #require(fixture.block)
        guard case .full(let transactions) = block.transactions, let first = transactions.first else { Issue.record("no transactions"); return }
        let wrong = Hash32(bytes: [UInt8](repeating: 0x5a, count: 32))!
        let other = Address(bytes: [UInt8](repeating: 0x5a, count: 20))!

        #expect(throws: VerificationError(block: header.number, field: .blockHash, expected: header.hash.hex, actual: wrong.hex)) {
            try Verify.hash(of: header, equals: wrong)
        }
        let lying = [RPCTransaction(transaction: first.transaction, claimedHash: wrong, claimedFrom: other)]
        #expect(throws: VerificationError(block: header.number, field: .transactionHash(index: 0), expected: first.transaction.hash.hex, actual: wrong.hex)) {
            try Verify.transactionHashes(in: header, lying)
        }
        #expect(throws: VerificationError(block: header.number, field: .sender(index: 0), expected: first.claimedFrom.hex, actual: other.hex)) {
            try Verify.senders(in: header, lying, fork: try BlockFixture.spec(fixture.network).fork(number: header.number, timestamp: header.timestamp))
        }
        let served = [first.transaction.encoded]
        #expect(throws: VerificationError(block: header.number, field: .transactionsRoot, expected: header.transactionsRoot.hex, actual: OrderedTrie.root(served).hex)) {
            try Verify.transactionsRoot(of: header, encodings: served)
        }
    }

    @Test func everyBlockVerifies() throws {
        let fixtures = try BlockFixture.all()
        var checksRun = 0, transactionRoots = 0, receiptRoots = 0, senders = 0
        for fixture in fixtures {
            let spec = try BlockFixture.spec(fixture.network)
            let header = try fixture.header()
            try Verify.hash(of: header, equals: fixture.hash)
            try Verify.forkFields(of: header, spec: spec)
            checksRun += 2
            let expected = fixture.json["expected"] as! [String: Any]
            #expect(header.transactionsRoot.hex == expected["transactionsRoot"] as? String, "\(fixture.file)")
            #expect(header.receiptsRoot.hex == expected["receiptsRoot"] as? String, "\(fixture.file)")
            if let raw = fixture.raw, let rawHeader = raw["header"] as? String {
                // The JSON-decoded header re-encodes to exactly the raw header bytes.
                #expect(header.encoded == bytes(fromHex: rawHeader), "\(fixture.file)")
            }
            if let block = fixture.block {
                let outcomes = BlockReport.run(block: block, receipts: fixture.receipts, spec: spec)
                for outcome in outcomes {
                    #expect(outcome.failure == nil, "\(fixture.file): \(outcome.name): \(outcome.failure.map { "\($0)" } ?? "")")
                    if case .passed = outcome.result { checksRun += 1 }
                }
                let ran = Set(outcomes.filter { if case .passed = $0.result { return true } else { return false } }.map(\.name))
                if fixture.json["blockHasFullTransactions"] as? Bool == true {
                    #expect(ran.contains { $0.hasPrefix("transactions root") }, "\(fixture.file)")
                    #expect(ran.contains("senders recovered with secp256k1"), "\(fixture.file)")
                    transactionRoots += 1
                    senders += 1
                }
                if fixture.receipts != nil {
                    #expect(ran.contains { $0.hasPrefix("receipts:") }, "\(fixture.file)")
                    receiptRoots += 1
                }
            } else {
                // RLP-only fixtures: the raw body rebuilds the roots.
                let raw = try #require(fixture.raw)
                let txs = (raw["transactions"] as! [String]).map { bytes(fromHex: $0) }
                for tx in txs { _ = try Transaction(encoded: tx) }
                try Verify.transactionsRoot(of: header, encodings: txs)
                transactionRoots += 1
                try Verify.ommers(of: header, encodedList: bytes(fromHex: raw["ommers"] as! String))
                let rawReceipts = try (raw["receipts"] as! [String]).map { try Receipt(encoded: bytes(fromHex: $0)) }
                // Decoding re-encodes to the same bytes, and the JSON receipts say the same.
                #expect(rawReceipts.map(\.encoded) == (raw["receipts"] as! [String]).map { bytes(fromHex: $0) })
                if let receipts = fixture.receipts { #expect(receipts == rawReceipts, "\(fixture.file)") }
                try Verify.receipts(of: header, rawReceipts, transactionCount: txs.count)
                receiptRoots += 1
                if let withdrawals = raw["withdrawals"] as? [String] {
                    try Verify.withdrawals(of: header, try withdrawals.map { try Withdrawal(encoded: bytes(fromHex: $0)) })
                    checksRun += 1
                }
                checksRun += 3
            }
        }
        #expect(fixtures.count == 73)
        #expect(transactionRoots >= 60)
        #expect(receiptRoots >= 45)
        #expect(senders >= 25)
        #expect(checksRun > 300)
    }

    /// Consecutive fixtures link by parent hash, and mainnet block 1 links to the chainspec's genesis checkpoint.
    @Test func consecutiveBlocksLink() throws {
        let headers = Dictionary(
            try BlockFixture.all().filter { $0.network == "mainnet" }.map { ($0.number, try $0.header()) },
            uniquingKeysWith: { a, _ in a })
        var links = 0
        for (number, header) in headers {
            if number > 0, let parent = headers[number - 1] {
                try Verify.link(header, toParent: parent)
                links += 1
            }
        }
        #expect(links >= 40)
        let genesis = try #require(try BlockFixture.spec("mainnet").checkpoints.first)
        #expect(headers[0]?.hash == genesis.hash && genesis.number == 0)
        #expect(headers[1]?.parentHash == genesis.hash)
    }

    /// headers/mainnet-headers-0-4095.json: 4,096 headers, each the parent of the next, with known hashes.
    @Test func mainnetHeaderChain() throws {
        let file = try #require(try Vectors.json("headers/mainnet-headers-0-4095.json") as? [String: Any])
        let headers = try (file["headers"] as! [String]).map { try Header(rlp: bytes(fromHex: $0)) }
        #expect(headers.count == 4096)
        let spec = try BlockFixture.spec("mainnet")
        #expect(headers[0].hash == spec.checkpoints[0].hash)
        for i in 1..<headers.count {
            try Verify.link(headers[i], toParent: headers[i - 1])
            try Verify.forkFields(of: headers[i], spec: spec)
        }
        #expect(headers.last?.hash.hex == file["lastHash"] as? String)
        let known = file["knownHashes"] as! [String: String]
        for (number, hash) in known { #expect(headers[Int(number)!].hash.hex == hash) }
        #expect(!known.isEmpty)
    }

    /// headers/devnet-xapis-chain.json: 54 full blocks from the genesis across every fork to Osaka.
    @Test func devnetChain() throws {
        let file = try #require(try Vectors.json("headers/devnet-xapis-chain.json") as? [String: Any])
        let spec = try BlockFixture.spec("devnet")
        let genesis = try BlockFixture.decode(RPCBlock.self, file["genesis"]!)
        try Verify.hash(of: genesis.header, equals: spec.checkpoints[0].hash)
        var parent = genesis.header
        var withWithdrawals = 0, transactions = 0
        for blockHex in file["blocks"] as! [String] {
            var reader = RLPReader(bytes(fromHex: blockHex))
            var block = try reader.readList()
            try reader.finish()
            let header = try Header(rlp: Array(try block.readRaw()))
            try Verify.link(header, toParent: parent)
            try Verify.forkFields(of: header, spec: spec)
            var txList = try block.readList()
            var encodings: [[UInt8]] = []
            while !txList.isAtEnd {
                // In a block body a typed transaction is an RLP string around `type ‖ payload`.
                encodings.append(try txList.nextIsList() ? Array(try txList.readRaw()) : Array(try txList.readBytes()))
            }
            for tx in encodings { _ = try Transaction(encoded: tx) }
            transactions += encodings.count
            try Verify.transactionsRoot(of: header, encodings: encodings)
            try Verify.ommers(of: header, encodedList: Array(try block.readRaw()))
            if !block.isAtEnd {
                var list = try block.readList()
                var withdrawals: [Withdrawal] = []
                while !list.isAtEnd { withdrawals.append(try Withdrawal(encoded: Array(try list.readRaw()))) }
                try Verify.withdrawals(of: header, withdrawals)
                withWithdrawals += 1
            }
            parent = header
        }
        #expect(parent.number == 54)
        #expect(parent.hash.hex == file["lastHash"] as? String)
        #expect(withWithdrawals > 0 && transactions > 0)
    }
}
