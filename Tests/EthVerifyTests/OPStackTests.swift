import EthPrimitives
import EthRLP
import EthRPC
import EthTrie
import EthTypes
import EthVerify
import Foundation
import Testing
import TestSupport

/// OP Stack blocks, deposits and receipts from `opstack/` (OP Mainnet, Base, OP Sepolia, OP Goerli): every check
/// their data allows, and the rules that differ from L1's.
@Suite("OP Stack vectors verify", .needsVectors)
struct OPStackTests {
    static let deposits = "opstack/vectors/deposit-vectors.json"

    @Test func depositTransactionsDecodeHashAndReEncode() throws {
        let vectors = (try Vectors.json(Self.deposits) as! [String: Any])["deposit_transactions"] as! [[String: Any]]
        #expect(vectors.count == 3)
        for vector in vectors {
            let raw = bytes(fromHex: vector["raw2718"] as! String)
            let tx = try Transaction(encoded: raw)
            #expect(tx.type == .deposit)
            let deposit = try #require(tx.deposit)
            // The deposit's fields re-encode to the same bytes, and the hash is keccak256 of them.
            #expect(Transaction.deposit(tx.fields).encoded == raw)
            #expect(try tx.recoverSender() == deposit.from)
            #expect(throws: TransactionError.unsignedDeposit) { try tx.signature }
            if let hash = vector["expectedHash"] as? String { #expect(tx.hash == (try Hash32(hex: hash))) }
            guard let json = vector["rpcJson"] as? [String: Any] else { continue }
            // op-geth's JSON: the same transaction, its hash and sender claims; the RPC nonce (the deposit nonce) is
            // not part of it.
            let rpc = try readJSON(RPCTransaction.self, from: json)
            #expect(rpc.transaction.encoded == raw)
            #expect(rpc.claimedHash == rpc.transaction.hash)
            #expect(rpc.claimedFrom == deposit.from)
            #expect(deposit.from == OPStack.l1AttributesDepositor && tx.to == OPStack.l1BlockPredeploy)
            // What the node serves reads back to the same transaction.
            let served = RPCEncoding.transaction(
                rpc.transaction, from: rpc.claimedFrom,
                at: .init(blockHash: .zero, blockNumber: 1, transactionIndex: 0, transactionHash: rpc.transaction.hash))
            #expect(try RPCTransaction(json: JSONReader(served)).transaction == rpc.transaction)
        }
    }

    @Test func depositFieldsAreEachPartOfTheHash() throws {
        let raw = bytes(fromHex: ((try Vectors.json(Self.deposits) as! [String: Any])["deposit_transactions"] as! [[String: Any]])[0]["raw2718"] as! String)
        let tx = try Transaction(encoded: raw)
        var variants: [TransactionFields] = []
        var f = tx.fields; f.deposit!.sourceHash = Hash32(bytes: [UInt8](repeating: 1, count: 32))!; variants.append(f)
        f = tx.fields; f.deposit!.from = .zero; variants.append(f)
        f = tx.fields; f.deposit!.mint = UInt256(1); variants.append(f)
        f = tx.fields; f.deposit!.isSystemTransaction.toggle(); variants.append(f)
        f = tx.fields; f.to = nil; variants.append(f)
        f = tx.fields; f.gasLimit += 1; variants.append(f)
        f = tx.fields; f.value = UInt256(1); variants.append(f)
        f = tx.fields; f.data.removeLast(); variants.append(f)
        let hashes = Set(variants.map { Transaction.deposit($0).hash })
        #expect(hashes.count == variants.count && !hashes.contains(tx.hash))
        // isSystemTx is a boolean: an encoded 2 is refused, not read as true.
        var bad = Array(raw)
        let flagAt = raw.count - tx.data.count - 3  // …, gas, the flag, the data's two-byte header (b8 a4), data
        #expect(bad[flagAt] == 0x80)
        bad[flagAt] = 0x02
        #expect(throws: TransactionError.rlp(.integerOverflow)) { try Transaction(encoded: bad) }
    }

    @Test func depositReceiptsDecodeAndReEncode() throws {
        let cases = ((try Vectors.json(Self.deposits) as! [String: Any])["deposit_receipts_network_encoding"] as! [String: Any])["cases"] as! [[String: Any]]
        #expect(cases.count == 5)
        for c in cases {
            let name = c["name"] as! String
            let encoded = bytes(fromHex: c["networkEncodingHex"] as! String)
            let receipt = try Receipt(encoded: encoded)
            #expect(receipt.type == ((c["typed"] as! Bool) ? .deposit : .legacy), "\(name)")
            #expect(receipt.outcome == .status((c["status"] as! Int) == 1), "\(name)")
            #expect(receipt.cumulativeGasUsed == UInt64(c["cumulativeGasUsed"] as! Int), "\(name)")
            #expect(receipt.logs.count == c["nLogs"] as! Int, "\(name)")
            #expect(try Receipt.logCount(encoded: encoded) == receipt.logs.count, "\(name)")
            #expect(receipt.depositNonce == (c["depositNonce"] as? Int).map { UInt64($0) }, "\(name)")
            #expect(receipt.depositReceiptVersion == (c["depositReceiptVersion"] as? Int).map { UInt64($0) }, "\(name)")
            #expect(receipt.logsBloom == Bloom(logs: receipt.logs), "\(name)")
            #expect(receipt.encoded == encoded, "\(name)")
        }
    }

    /// Base Sepolia's five receipts (reth's test) and their real receipts root: before Canyon the trie drops the
    /// deposit nonce JSON-RPC shows; reth's what-if root with the nonce kept is what Canyon's encoding gives.
    @Test func depositNonceEntersTheReceiptsTrieFromCanyon() throws {
        let file = try Vectors.json("opstack/base-sepolia-84532/reth-regolith-receipts-root.json") as! [String: Any]
        let receipts: [Receipt] = try (file["receipts"] as! [[String: Any]]).map { r in
            let logs = try logs(fromJSON: r["logs"]!)
            let type: TransactionType = r["txType"] as! String == "Deposit" ? .deposit : .dynamicFee
            return Receipt(
                type: type, outcome: .status(r["status"] as! Bool), cumulativeGasUsed: UInt64(r["cumulativeGasUsed"] as! Int),
                logsBloom: try Bloom(hex: r["logsBloom"] as! String), logs: logs,
                depositNonce: (r["depositNonce"] as? Int).map { UInt64($0) }, depositReceiptVersion: (r["depositReceiptVersion"] as? Int).map { UInt64($0) })
        }
        #expect(receipts.contains { $0.type == .deposit && $0.depositNonce != nil })
        let roots = Dictionary(uniqueKeysWithValues: try (file["cases"] as! [[String: Any]]).map { ($0["name"] as! String, try Hash32(hex: $0["expectedReceiptsRoot"] as! String)) })
        for (name, upgrade) in [("bedrock", OPFork.bedrock), ("regolith", .regolith), ("canyon", .canyon)] {
            let trie = receipts.map { OPStack.consensusReceipt($0, fork: upgrade) }
            #expect(OrderedTrie.root(trie.map(\.encoded)) == roots[name], "\(name)")
        }
        // Without the era rule (the nonce kept before Canyon) the real Regolith root is missed.
        #expect(OrderedTrie.root(receipts.map(\.encoded)) != roots["regolith"])
    }

    @Test func everyBlockVerifiesWithEveryCheckItsDataAllows() throws {
        let fixtures = try OPStackFixture.all()
        #expect(fixtures.count == 7)
        for fixture in fixtures { try Self.verifiesFully(fixture) }
    }

    static func verifiesFully(_ fixture: OPStackFixture) throws {
        let outcomes = BlockReport.run(block: fixture.block, receipts: fixture.receipts, spec: fixture.spec)
        for outcome in outcomes {
            if let failure = outcome.failure { Issue.record("\(fixture.name): \(outcome.name): \(failure)") }
        }
        let passed = Set(outcomes.filter { if case .passed = $0.result { true } else { false } }.map(\.name))
        for check in ["block hash", "header fields", "transactions root", "transaction hashes", "transaction types", "senders"] {
            #expect(passed.contains { $0.hasPrefix(check) }, "\(fixture.name): \(check) did not run")
        }
        if fixture.receipts != nil { #expect(passed.contains { $0.hasPrefix("receipts:") }, "\(fixture.name): receipts did not run") }
        guard case .full(let txs) = fixture.block.transactions else { return }
        #expect(txs.first?.transaction.type == .deposit)
    }

    /// kona's Holocene fixtures (OP Sepolia): a parent header, the next block's payload attributes and transactions,
    /// and that block's hash. Where the next fixture's parent header is that block (26207960→63, 22884230→31), the
    /// block's header is rebuilt from its parent, its payload and transactions, with only what execution yields
    /// (state and receipts roots, bloom, gas used) taken from the next fixture; its base fee is recomputed by
    /// EIP-1559 with the parameters Holocene puts in the parent's `extraData`.
    @Test func holoceneBlocksRecomputeFromParentAndTransactions() throws {
        _ = try Self.rebuiltHoloceneHeaders()
    }

    /// The Holocene blocks rebuilt from their parent, payload and transactions (see the test above).
    static func rebuiltHoloceneHeaders() throws -> [Header] {
        let spec = try BlockFixture.spec("op-sepolia")
        let folder = "opstack/op-sepolia-11155420/kona"
        struct Fixture { let parent: Header; let payload: [String: Any]; let transactions: [Transaction]; let expected: Hash32 }
        var fixtures: [UInt64: Fixture] = [:]
        for file in try Vectors.files(in: folder) {
            let json = try Vectors.json(file) as! [String: Any]
            var parentJSON = json["parent_header"] as! [String: Any]
            parentJSON["hash"] = Hash32.zero.hex
            parentJSON["transactions"] = [Any]()
            let parent = try readJSON(RPCBlock.self, from: parentJSON).header
            let payload = json["executing_payload"] as! [String: Any]
            let transactions = try (payload["transactions"] as! [String]).map { try Transaction(encoded: bytes(fromHex: $0)) }
            #expect(spec.opFork(number: parent.number, timestamp: parent.timestamp) == .holocene, "\(file)")
            try Verify.forkFields(of: parent, spec: spec)
            try Verify.transactionTypes(in: parent, transactions, spec: spec)
            fixtures[parent.number + 1] = Fixture(parent: parent, payload: payload, transactions: transactions, expected: try Hash32(hex: json["expected_block_hash"] as! String))
        }
        #expect(fixtures.count == 15)
        var rebuilt: [Header] = []
        for (number, fixture) in fixtures.sorted(by: { $0.key < $1.key }) {
            guard let next = fixtures[number + 1] else { continue }
            let executed = next.parent  // block `number` as the chain has it
            let payload = fixture.payload
            var f = HeaderFields()
            f.parentHash = fixture.parent.hash
            f.ommersHash = Verify.emptyOmmersHash
            f.beneficiary = try Address(hex: payload["suggestedFeeRecipient"] as! String)
            f.transactionsRoot = OrderedTrie.root(fixture.transactions.map(\.encoded))
            f.number = number
            f.gasLimit = UInt64((payload["gasLimit"] as! String).dropFirst(2), radix: 16)!
            f.timestamp = UInt64((payload["timestamp"] as! String).dropFirst(2), radix: 16)!
            f.extraData = [OPStack.holoceneExtraData.version] + bytes(fromHex: payload["eip1559Params"] as! String)
            f.mixHash = try Hash32(hex: payload["prevRandao"] as! String)
            f.baseFeePerGas = Self.holoceneBaseFee(parent: fixture.parent)
            f.withdrawalsRoot = MerklePatriciaTrie.emptyRoot
            f.blobGasUsed = 0
            f.excessBlobGas = 0
            f.parentBeaconBlockRoot = try Hash32(hex: payload["parentBeaconBlockRoot"] as! String)
            (f.stateRoot, f.receiptsRoot, f.logsBloom, f.gasUsed) = (executed.stateRoot, executed.receiptsRoot, executed.logsBloom, executed.gasUsed)
            let header = try Header(f)
            #expect(header.hash == fixture.expected, "block \(number)")
            #expect(executed.hash == fixture.expected, "block \(number): the next fixture's parent")
            try Verify.forkFields(of: header, spec: spec)
            rebuilt.append(header)
        }
        #expect(rebuilt.map(\.number) == [22_884_230, 26_207_960, 26_207_961, 26_207_962])
        return rebuilt
    }

    /// No real Isthmus or Jovian block is in the vectors: a real Holocene header moved to their activation times
    /// shows each rule, passing with the fields the specs give and failing, named, without them.
    @Test func laterUpgradesFixTheirFieldsAndReportWhatTheyCannotCheck() throws {
        let spec = try BlockFixture.spec("op-sepolia")
        var parentJSON = (try Vectors.json("opstack/op-sepolia-11155420/kona/block-26207961.fixture.json") as! [String: Any])["parent_header"] as! [String: Any]
        parentJSON["hash"] = Hash32.zero.hex
        parentJSON["transactions"] = [Any]()
        let holocene = try readJSON(RPCBlock.self, from: parentJSON).header.fields
        func failure(_ edit: (inout HeaderFields) -> Void) throws -> VerifiedField? {
            var f = holocene
            edit(&f)
            let header = try Header(f)
            do throws(VerificationError) { try Verify.forkFields(of: header, spec: spec) } catch { return error.field }
            return nil
        }
        guard case .timestamp(let isthmus) = spec.opForks[.isthmus], case .timestamp(let jovian) = spec.opForks[.jovian] else {
            Issue.record("op-sepolia's upgrades are dated by timestamp")
            return
        }
        #expect(try failure { _ in } == nil)
        #expect(try failure { $0.extraData[0] = 1 } == .extraData)
        #expect(try failure { $0.extraData.removeLast() } == .extraData)
        #expect(try failure { $0.withdrawalsRoot = Hash32(bytes: [UInt8](repeating: 7, count: 32)) } == .withdrawalsRoot)
        #expect(try failure { $0.excessBlobGas = 1 } == .excessBlobGas)
        // Isthmus: Prague's layout, requestsHash = sha256(""), any withdrawals root (a storage root).
        func isthmusFields(_ f: inout HeaderFields) {
            f.timestamp = isthmus
            f.requestsHash = Header.emptyRequestsHash
            f.withdrawalsRoot = Hash32(bytes: [UInt8](repeating: 7, count: 32))
        }
        #expect(try failure { $0.timestamp = isthmus } == .headerFields)
        #expect(try failure(isthmusFields) == nil)
        #expect(try failure { isthmusFields(&$0); $0.requestsHash = .zero } == .requestsHash)
        // Jovian: extraData version 1 with a minimum base fee; blobGasUsed is the footprint.
        func jovianFields(_ f: inout HeaderFields) {
            isthmusFields(&f)
            f.timestamp = jovian
            f.extraData = [1] + f.extraData.dropFirst() + [UInt8](repeating: 0, count: 7) + [1]
            f.blobGasUsed = 1_600
        }
        #expect(try failure(jovianFields) == nil)
        #expect(try failure { jovianFields(&$0); $0.extraData = holocene.extraData } == .extraData)
        #expect(try failure { isthmusFields(&$0); $0.blobGasUsed = 1_600 } == .blobGasUsed)
        // What a block alone cannot show is reported as not run, with why.
        var f = holocene
        jovianFields(&f)
        let header = try Header(f)
        let report = BlockReport.run(
            block: RPCBlock(header: header, claimedHash: header.hash, transactions: .hashes([]), uncles: [], withdrawals: []),
            receipts: nil, spec: spec)
        let notRun = report.compactMap { if case .notRun(let why) = $0.result { "\($0.name): \(why)" } else { nil } }
        #expect(notRun.contains { $0.hasPrefix("withdrawals root: OP Stack jovian") && $0.contains("L2ToL1MessagePasser") })
        #expect(notRun.contains { $0.hasPrefix("blobGasUsed: OP Stack jovian") })
    }

    /// EIP-1559's next base fee with Holocene's parameters from the parent's `extraData` (version, denominator,
    /// elasticity as big-endian u32s).
    static func holoceneBaseFee(parent: Header) -> UInt256 {
        let extra = parent.extraData
        let denominator = extra[1..<5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let elasticity = extra[5..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let base = parent.baseFeePerGas!.uint64!
        let target = parent.gasLimit / elasticity
        if parent.gasUsed == target { return UInt256(base) }
        if parent.gasUsed > target {
            return UInt256(base + max(1, base * (parent.gasUsed - target) / target / denominator))
        }
        return UInt256(base - base * (target - parent.gasUsed) / target / denominator)
    }

    @Test func theEcotoneHeaderHashesAndHasItsFields() throws {
        let json = try Vectors.json("opstack/op-mainnet-10/ecotone-header-117418562.json") as! [String: Any]
        var shell = json
        shell["transactions"] = [Any]()
        let block = try readJSON(RPCBlock.self, from: shell)
        let spec = try BlockFixture.spec("op-mainnet")
        try Verify.hash(of: block.header, equals: block.claimedHash)
        try Verify.forkFields(of: block.header, spec: spec)
        #expect(spec.opFork(number: block.header.number, timestamp: block.header.timestamp) == .ecotone)
        #expect(spec.fork(number: block.header.number, timestamp: block.header.timestamp) == .cancun)
        // Ecotone fixes blob gas at zero on L2.
        var fields = block.header.fields
        fields.blobGasUsed = 131_072
        #expect { try Verify.forkFields(of: try Header(fields), spec: spec) } throws: { ($0 as? VerificationError)?.field == .blobGasUsed }
    }

    /// Every OP Stack checkpoint past the L2 genesis is a block whose hash a test here recomputes from its bytes.
    @Test func checkpointsAreBlocksTheVectorsHash() throws {
        var recomputed: [UInt64: Hash32] = [:]
        for fixture in try OPStackFixture.all() {
            try Verify.hash(of: fixture.block.header, equals: fixture.block.claimedHash)
            recomputed[fixture.block.header.number] = fixture.block.header.hash
        }
        for header in try Self.rebuiltHoloceneHeaders() { recomputed[header.number] = header.hash }
        var ecotone = try Vectors.json("opstack/op-mainnet-10/ecotone-header-117418562.json") as! [String: Any]
        ecotone["transactions"] = [Any]()
        let header = try readJSON(RPCBlock.self, from: ecotone).header
        recomputed[header.number] = header.hash
        var checked = 0
        for name in ["op-mainnet", "base", "zora", "op-sepolia", "base-sepolia"] {
            let spec = try BlockFixture.spec(name)
            let genesis = spec.checkpoints.map(\.number).min()
            for checkpoint in spec.checkpoints where checkpoint.number != genesis {
                #expect(recomputed[checkpoint.number] == checkpoint.hash, "\(name) checkpoint \(checkpoint.number)")
                checked += 1
            }
        }
        #expect(checked == 8)
    }

    /// The OP Stack chainspecs agree with the superchain registry's configs in `opstack/configs`: chain id, the L2
    /// genesis (as the first checkpoint) and every upgrade time from Canyon to Jovian; Regolith from genesis.
    @Test(arguments: [
        ("op-mainnet", "mainnet-op"), ("base", "mainnet-base"), ("zora", "mainnet-zora"), ("op-sepolia", "sepolia-op"),
        ("base-sepolia", "sepolia-base"),
    ])
    func chainspecsMatchTheRegistry(name: String, config: String) throws {
        let spec = try BlockFixture.spec(name)
        let toml = try Vectors.text("opstack/configs/\(config).toml")
        func value(_ key: String, after section: String? = nil) throws -> String {
            var text = Substring(toml)
            if let section { text = text[try #require(text.range(of: section)).upperBound...] }
            let line = try #require(text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key) =") }, "\(config): \(key)")
            return line.split(separator: "=", maxSplits: 1)[1].split(separator: "#")[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        #expect(spec.family == .opStack)
        #expect(spec.chainId == UInt64(try value("chain_id")))
        let genesis = try #require(spec.checkpoints.min { $0.number < $1.number })
        #expect(genesis.number == UInt64(try value("number", after: "[genesis.l2]")))
        #expect(genesis.hash == (try Hash32(hex: try value("hash", after: "[genesis.l2]"))))
        #expect(spec.opForks[.bedrock] == .block(genesis.number))
        #expect(spec.opForks[.regolith] == .timestamp(0))
        for upgrade in [OPFork.canyon, .delta, .ecotone, .fjord, .granite, .holocene, .isthmus, .jovian] {
            #expect(spec.opForks[upgrade] == .timestamp(UInt64(try value("\(upgrade)_time"))!), "\(name) \(upgrade)")
        }
        // The L1 forks follow from the upgrades.
        #expect(spec.forks[.shanghai] == spec.opForks[.canyon] && spec.forks[.cancun] == spec.opForks[.ecotone])
        #expect(spec.forks[.prague] == spec.opForks[.isthmus] && spec.forks[.osaka] == nil)
    }

}
