import EthPrimitives
import Foundation
import Testing
import TestSupport
import EthTrie

@testable import EthTypes
@testable import EthVerify

/// Single mutations of real blocks, as a lying upstream would make them: each must be caught, and the first
/// failing check must name the field the lie shows up in.
@Suite("Mutations of real blocks are detected", .needsVectors)
struct MutationTests {
    static let files = [
        "blocks/devnet-xapis-54-prague.json", "blocks/devnet-xapis-1-pre-byzantium.json",
        "blocks/mainnet-483920-pre-byzantium.json", "blocks/mainnet-19426587-cancun.json",
        "blocks/mainnet-17034870-shanghai.json", "blocks/mainnet-21925176-cancun.json",
    ]

    struct Subject {
        let name: String
        let block: RPCBlock
        let receipts: [Receipt]
        let spec: Chainspec
    }

    static func subjects() throws -> [Subject] {
        let l1 = try files.map { file in
            let fixture = try BlockFixture(file: file)
            return Subject(name: file, block: fixture.block!, receipts: fixture.receipts!, spec: try BlockFixture.spec(fixture.network))
        }
        // Three OP Stack blocks with all their receipts: Bedrock (OP Goerli), Regolith with a legacy transaction
        // (Base), Canyon with a versioned deposit receipt (OP Sepolia).
        let opStack = try [
            OPStackFixture(rpcBlock: "opstack/op-goerli-420/bedrock-5003318", spec: OPStackFixture.opGoerli),
            OPStackFixture(baseL2: "opstack/base-mainnet-8453/block-4999983"),
            OPStackFixture(rpcBlock: "opstack/op-sepolia-11155420/canyon-4089330", spec: try BlockFixture.spec("op-sepolia")),
        ].map { Subject(name: $0.name, block: $0.block, receipts: $0.receipts!, spec: $0.spec) }
        return l1 + opStack
    }

    static func firstFailure(_ block: RPCBlock, _ receipts: [Receipt], _ spec: Chainspec) -> VerificationError? {
        BlockReport.run(block: block, receipts: receipts, spec: spec).lazy.compactMap(\.failure).first
    }

    static func with(_ block: RPCBlock, header: Header? = nil, claimedHash: Hash32? = nil, transactions: [RPCTransaction]? = nil) -> RPCBlock {
        RPCBlock(
            header: header ?? block.header, claimedHash: claimedHash ?? block.claimedHash,
            transactions: transactions.map { .full($0) } ?? block.transactions, uncles: block.uncles, withdrawals: block.withdrawals)
    }

    /// Counts mutations and checks each one's verdict.
    final class Tally {
        var count = 0

        func expect(_ failure: VerificationError?, in allowed: [VerifiedField], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
            count += 1
            guard let failure else {
                Issue.record("\(label): not detected", sourceLocation: sourceLocation)
                return
            }
            #expect(allowed.contains(failure.field), "\(label): detected as \(failure.field), expected \(allowed)", sourceLocation: sourceLocation)
        }
    }

    static func flip(_ bytes: [UInt8], at index: Int) -> [UInt8] {
        var out = bytes
        out[index % out.count] ^= 0x01
        return out
    }

    static func flip(_ hash: Hash32) -> Hash32 { Hash32(bytes: flip(hash.bytes, at: 7))! }

    @Test func mutationsAreDetectedAndNamed() throws {
        let tally = Tally()
        var rng = SplitMix64(seed: 0xbad_b10c)
        for subject in try Self.subjects() {
            let (block, receipts, spec) = (subject.block, subject.receipts, subject.spec)
            #expect(Self.firstFailure(block, receipts, spec) == nil, "\(subject.name) must verify unmutated")
            let original = block.header.fields

            // 1. Any header field changed, block hash claim left as it was: the hash no longer matches.
            var headerMutations: [(String, (inout HeaderFields) -> Void)] = [
                ("parentHash", { $0.parentHash = Self.flip($0.parentHash) }),
                ("sha3Uncles", { $0.ommersHash = Self.flip($0.ommersHash) }),
                ("miner", { $0.beneficiary = Address(bytes: Self.flip($0.beneficiary.bytes, at: 3))! }),
                ("stateRoot", { $0.stateRoot = Self.flip($0.stateRoot) }),
                ("transactionsRoot", { $0.transactionsRoot = Self.flip($0.transactionsRoot) }),
                ("receiptsRoot", { $0.receiptsRoot = Self.flip($0.receiptsRoot) }),
                ("logsBloom", { $0.logsBloom = Bloom(bytes: Self.flip($0.logsBloom.bytes, at: 100))! }),
                ("difficulty", { $0.difficulty = $0.difficulty &+ UInt256(1) }),
                ("number", { $0.number += 1 }),
                ("gasLimit", { $0.gasLimit -= 1 }),
                ("gasUsed", { $0.gasUsed += 1 }),
                ("timestamp", { $0.timestamp += 1 }),
                ("extraData", { $0.extraData.append(0) }),
                ("mixHash", { $0.mixHash = Self.flip($0.mixHash) }),
                ("nonce", { $0.nonce = Self.flip($0.nonce, at: 7) }),
            ]
            if original.baseFeePerGas != nil { headerMutations.append(("baseFeePerGas", { $0.baseFeePerGas! = $0.baseFeePerGas! &+ UInt256(1) })) }
            if original.withdrawalsRoot != nil { headerMutations.append(("withdrawalsRoot", { $0.withdrawalsRoot = Self.flip($0.withdrawalsRoot!) })) }
            if original.blobGasUsed != nil { headerMutations.append(("blobGasUsed", { $0.blobGasUsed! += 131072 })) }
            if original.excessBlobGas != nil { headerMutations.append(("excessBlobGas", { $0.excessBlobGas! += 1 })) }
            if original.parentBeaconBlockRoot != nil { headerMutations.append(("parentBeaconBlockRoot", { $0.parentBeaconBlockRoot = Self.flip($0.parentBeaconBlockRoot!) })) }
            if original.requestsHash != nil { headerMutations.append(("requestsHash", { $0.requestsHash = Self.flip($0.requestsHash!) })) }
            for (name, mutate) in headerMutations {
                var fields = original
                mutate(&fields)
                let mutated = Self.with(block, header: try Header(fields))
                tally.expect(Self.firstFailure(mutated, receipts, spec), in: [.blockHash], "\(subject.name) header.\(name)")
            }

            // 2. The same lies told consistently (the claimed hash recomputed): the field's own check fails.
            var consistent: [(String, [VerifiedField], (inout HeaderFields) -> Void)] = [
                ("receiptsRoot", [.receiptsRoot], { $0.receiptsRoot = Self.flip($0.receiptsRoot) }),
                ("logsBloom", [.logsBloom], { $0.logsBloom = Bloom(bytes: Self.flip($0.logsBloom.bytes, at: 200))! }),
                ("gasUsed", [.gasUsed], { $0.gasUsed += 1 }),
                ("sha3Uncles", [.ommersHash], { $0.ommersHash = Self.flip($0.ommersHash) }),
            ]
            // A block listing only transaction hashes cannot show a lie in its transactions root: the check
            // needs the transactions (BlockReport reports it as not run), so it is only tried on full blocks.
            if case .full = block.transactions {
                consistent.append(("transactionsRoot", [.transactionsRoot], { $0.transactionsRoot = Self.flip($0.transactionsRoot) }))
            }
            if original.withdrawalsRoot != nil {
                consistent.append(("withdrawalsRoot", [.withdrawalsRoot], { $0.withdrawalsRoot = Self.flip($0.withdrawalsRoot!) }))
            }
            if original.requestsHash != nil {
                consistent.append(("requestsHash dropped", [.headerFields], { $0.requestsHash = nil }))
            }
            if spec.fork(number: original.number, timestamp: original.timestamp) >= .paris {
                consistent.append(("difficulty", [.difficulty], { $0.difficulty = UInt256(1) }))
            }
            for (name, fields, mutate) in consistent {
                var mutatedFields = original
                mutate(&mutatedFields)
                let header = try Header(mutatedFields)
                tally.expect(Self.firstFailure(Self.with(block, header: header, claimedHash: header.hash), receipts, spec), in: fields, "\(subject.name) consistent header.\(name)")
            }

            // 3. Any transaction field changed: the transactions root no longer matches. A changed hash or `from`
            //    claim is named as such.
            if case .full(let txs) = block.transactions {
                // Every transaction of the small blocks, a random 25 of the large ones: each mutation re-verifies
                // the whole block, and the set stays well above 1,000 mutations.
                for i in Array(txs.indices).shuffled(using: &rng).prefix(25).sorted() {
                    let tx = txs[i]
                    let f = tx.transaction.fields
                    var variants: [(String, TransactionFields)] = []
                    var m = f
                    if f.deposit != nil {
                        // A deposit has no nonce or signature; its own fields are hashed instead.
                        m.deposit!.sourceHash = Self.flip(f.deposit!.sourceHash); variants.append(("sourceHash", m))
                        m = f; m.deposit!.from = Address(bytes: Self.flip(f.deposit!.from.bytes, at: 5))!; variants.append(("deposit from", m))
                        m = f; m.deposit!.mint = m.deposit!.mint &+ UInt256(1); variants.append(("mint", m))
                        m = f; m.deposit!.isSystemTransaction.toggle(); variants.append(("isSystemTx", m))
                    } else {
                        m.nonce += 1; variants.append(("nonce", m))
                    }
                    m = f; m.gasLimit += 1; variants.append(("gas", m))
                    m = f; m.value = m.value &+ UInt256(1); variants.append(("value", m))
                    m = f; m.data = m.data.isEmpty ? [1] : Self.flip(m.data, at: Int.random(in: 0..<m.data.count, using: &rng)); variants.append(("input", m))
                    m = f; m.to = Address(bytes: Self.flip((m.to ?? .zero).bytes, at: 19)); variants.append(("to", m))
                    for (name, fields) in variants {
                        let encoded = fields.encode(v: tx.transaction.v, r: tx.transaction.r, s: tx.transaction.s)
                        var mutatedTxs = txs
                        mutatedTxs[i] = RPCTransaction(transaction: try Transaction(encoded: encoded), claimedHash: tx.claimedHash, claimedFrom: tx.claimedFrom)
                        tally.expect(Self.firstFailure(Self.with(block, transactions: mutatedTxs), receipts, spec), in: [.transactionsRoot], "\(subject.name) tx[\(i)].\(name)")
                    }
                    var mutatedTxs = txs
                    if f.deposit == nil {
                        let signature = f.encode(v: tx.transaction.v, r: tx.transaction.r &+ UInt256(1), s: tx.transaction.s)
                        mutatedTxs[i] = RPCTransaction(transaction: try Transaction(encoded: signature), claimedHash: tx.claimedHash, claimedFrom: tx.claimedFrom)
                        tally.expect(Self.firstFailure(Self.with(block, transactions: mutatedTxs), receipts, spec), in: [.transactionsRoot], "\(subject.name) tx[\(i)].r")
                    }
                    mutatedTxs = txs
                    mutatedTxs[i] = RPCTransaction(transaction: tx.transaction, claimedHash: Self.flip(tx.claimedHash), claimedFrom: tx.claimedFrom)
                    tally.expect(Self.firstFailure(Self.with(block, transactions: mutatedTxs), receipts, spec), in: [.transactionHash(index: i)], "\(subject.name) tx[\(i)].hash")
                    mutatedTxs = txs
                    mutatedTxs[i] = RPCTransaction(transaction: tx.transaction, claimedHash: tx.claimedHash, claimedFrom: Address(bytes: Self.flip(tx.claimedFrom.bytes, at: 0))!)
                    tally.expect(Self.firstFailure(Self.with(block, transactions: mutatedTxs), receipts, spec), in: [.sender(index: i)], "\(subject.name) tx[\(i)].from")
                }
            }

            // 4. Logs: a byte of data or of a topic, a dropped log, an added log. A receipt whose stored bloom
            //    no longer matches its logs is named first; otherwise the receipts root.
            for r in Array(receipts.indices).shuffled(using: &rng).prefix(25).sorted() {
                let receipt = receipts[r]
                let allowed: [VerifiedField] = [.receiptBloom(index: r), .receiptsRoot]
                for (l, log) in receipt.logs.enumerated() {
                    var mutated = receipts
                    if !log.data.isEmpty {
                        mutated[r].logs[l].data = Self.flip(log.data, at: Int.random(in: 0..<log.data.count, using: &rng))
                        tally.expect(Self.firstFailure(block, mutated, spec), in: [.receiptsRoot], "\(subject.name) receipt[\(r)].log[\(l)].data")
                    }
                    if !log.topics.isEmpty {
                        mutated = receipts
                        let t = Int.random(in: 0..<log.topics.count, using: &rng)
                        mutated[r].logs[l].topics[t] = Self.flip(log.topics[t])
                        tally.expect(Self.firstFailure(block, mutated, spec), in: allowed, "\(subject.name) receipt[\(r)].log[\(l)].topic[\(t)]")
                    }
                    mutated = receipts
                    mutated[r].logs.remove(at: l)
                    tally.expect(Self.firstFailure(block, mutated, spec), in: allowed, "\(subject.name) receipt[\(r)].log[\(l)] dropped")
                }
                var mutated = receipts
                mutated[r].logs.append(Log(address: Address(bytes: [UInt8](repeating: UInt8(r & 0xff), count: 20))!, topics: [], data: [1, 2, 3]))
                tally.expect(Self.firstFailure(block, mutated, spec), in: allowed, "\(subject.name) receipt[\(r)] log added")
            }

            // 5. Receipts reordered: the root moves.
            if receipts.count >= 2 {
                for _ in 0..<min(20, receipts.count) {
                    var mutated = receipts
                    let a = Int.random(in: 0..<receipts.count, using: &rng)
                    var b = Int.random(in: 0..<receipts.count, using: &rng)
                    while b == a { b = Int.random(in: 0..<receipts.count, using: &rng) }
                    mutated.swapAt(a, b)
                    tally.expect(Self.firstFailure(block, mutated, spec), in: [.receiptsRoot], "\(subject.name) receipts[\(a)]↔[\(b)]")
                }
            }
            if spec.family == .opStack { try Self.opStackLies(subject, tally) }
        }
        #expect(tally.count >= 1_000, "only \(tally.count) mutations")
        print("mutations checked: \(tally.count)")
    }

    /// Lies only the OP Stack's rules catch, told consistently (roots and the claimed hash recomputed), and the
    /// deposit receipt fields the trie commits from Canyon on.
    static func opStackLies(_ subject: Subject, _ tally: Tally) throws {
        let (block, receipts, spec) = (subject.block, subject.receipts, subject.spec)
        guard case .full(let txs) = block.transactions else { return }
        func consistent(_ transactions: [RPCTransaction], _ edit: (inout HeaderFields) -> Void = { _ in }) throws -> RPCBlock {
            var fields = block.header.fields
            fields.transactionsRoot = OrderedTrie.root(transactions.map(\.transaction.encoded))
            edit(&fields)
            let header = try Header(fields)
            return with(block, header: header, claimedHash: header.hash, transactions: transactions)
        }
        // The L1 attributes deposit moved from the front.
        if txs.count >= 2 {
            var moved = txs
            moved.append(moved.removeFirst())
            tally.expect(firstFailure(try consistent(moved), receipts, spec), in: [.transactionType(index: 0)], "\(subject.name) deposit moved last")
            // A second deposit after a regular transaction.
            var late = txs[0].transaction.fields
            late.deposit!.sourceHash = Self.flip(late.deposit!.sourceHash)
            let extra = Transaction.deposit(late)
            var inserted = txs
            inserted.insert(RPCTransaction(transaction: extra, claimedHash: extra.hash, claimedFrom: late.deposit!.from), at: 2)
            tally.expect(firstFailure(try consistent(inserted), receipts, spec), in: [.transactionType(index: 2)], "\(subject.name) a deposit after a regular transaction")
        }
        // The same block with its deposits dropped: it no longer opens with the L1 attributes deposit.
        let regular = txs.filter { $0.transaction.type != .deposit }
        tally.expect(firstFailure(try consistent(regular), receipts, spec), in: [.transactionType(index: 0)], "\(subject.name) deposits dropped")
        // A deposit sent by someone other than the L1 attributes depositor.
        var forged = txs
        var f = txs[0].transaction.fields
        f.deposit!.from = Address(bytes: [UInt8](repeating: 0x11, count: 20))!
        let impostor = Transaction.deposit(f)
        forged[0] = RPCTransaction(transaction: impostor, claimedHash: impostor.hash, claimedFrom: f.deposit!.from)
        tally.expect(firstFailure(try consistent(forged), receipts, spec), in: [.transactionType(index: 0)], "\(subject.name) L1 attributes from another sender")
        // A header field an upgrade fixes, on the upgrades the block is under.
        let upgrade = try #require(spec.opFork(number: block.header.number, timestamp: block.header.timestamp))
        if upgrade >= .canyon {
            tally.expect(firstFailure(try consistent(txs) { $0.withdrawalsRoot = Self.flip($0.withdrawalsRoot!) }, receipts, spec), in: [.withdrawalsRoot], "\(subject.name) withdrawalsRoot")
        }
        // Deposit receipts: the nonce and version enter the trie from Canyon; before it a served nonce is no part
        // of the root, so a lie in it changes nothing the node keeps.
        for (i, receipt) in receipts.enumerated() where receipt.type == .deposit {
            var lied = receipts
            lied[i].depositNonce = (receipt.depositNonce ?? 0) + 1
            let failure = firstFailure(block, lied, spec)
            if upgrade >= .canyon {
                tally.expect(failure, in: [.receiptsRoot], "\(subject.name) receipt[\(i)].depositNonce")
                lied = receipts
                lied[i].depositReceiptVersion = nil
                tally.expect(firstFailure(block, lied, spec), in: [.receiptsRoot], "\(subject.name) receipt[\(i)].depositReceiptVersion dropped")
            } else {
                #expect(failure == nil, "\(subject.name): a deposit nonce before Canyon is not committed")
            }
        }
    }
}
