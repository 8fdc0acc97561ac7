import ArgumentParser
import AssetIndex
import DevChain
import EthCrypto
import EthPrimitives
import EthTrie
import EthTypes
import Foundation
import Ingest
import Store

/// `provenant demo`: the dev chain, verified and indexed into a temporary data directory, then queried.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify and index the built-in dev chain in a temporary directory, then show what it answers.",
        discussion: """
            Generates the dev chain (real secp256k1 signatures, real roots and blooms, AI-asset contracts emitting \
            ERC-721, ERC-1155, ERC-20, ERC-4907 and ERC-7007 events), checks every block as if an untrusted \
            upstream had sent it, writes each one with its index changes in one LevelDB batch, shows that a \
            tampered block is refused, and prints example answers: owner, provenance with the recovered minter and \
            prompt, rental, balances, and a Merkle proof of the mint transaction. Needs no network. The JSON-RPC \
            server and HTTP sync come with the next releases.
            """)

    @Option(help: "Seed of the dev chain.") var seed: UInt64 = 1
    @Option(help: "Number of blocks after genesis.") var blocks: UInt64 = 300

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("provenant-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try LevelDB(path: directory)
        let spec = try Chainspec.load("provenant-dev", directories: ChainspecDirectories.search)
        let watched = Set(DevChain.Contract.allCases.map(\.address))
        let ingestor = Ingestor(index: AssetIndex(store: store), spec: spec, watched: watched)

        print("Provenant demo: dev chain seed \(seed), \(blocks) blocks, verified and indexed into \(directory)")
        var chain = DevChain(seed: seed)
        chain.grow(to: blocks)
        var parent: Header?
        var transactions = 0, events = 0
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for block in chain.blocks {
                events += try ingestor.ingest(block.rpc, receipts: block.receipts, parent: parent).events
                transactions += block.transactions.count
                parent = block.header
            }
        }
        print("  verified \(chain.blocks.count) blocks (hash, parent link to the genesis checkpoint, roots, blooms, \(transactions) senders) and indexed \(events) events in \(elapsed)")

        // A lying upstream sends the next block with one thing changed: a log's data when it has logs, else a
        // sender, else the block hash. It is refused, and nothing of it is written.
        var next = chain
        next.grow(to: blocks + 1)
        let honest = next.blocks.last!
        var receipts = honest.receipts
        var senders = honest.senders
        var claimedHash = honest.header.hash
        let lie: String
        if let r = receipts.firstIndex(where: { !$0.logs.isEmpty }) {
            receipts[r].logs[0].data.append(0x01)
            lie = "one byte added to a log"
        } else if !senders.isEmpty {
            senders[0] = Address(bytes: [UInt8](repeating: 0x11, count: 20))!
            lie = "a transaction's sender replaced"
        } else {
            claimedHash = keccak256(claimedHash.bytes)
            lie = "the block hash replaced"
        }
        let tampered = RPCBlock(
            header: honest.header, claimedHash: claimedHash,
            transactions: .full(zip(honest.transactions, senders).map { RPCTransaction(transaction: $0, claimedHash: $0.hash, claimedFrom: $1) }),
            uncles: [], withdrawals: [])
        do {
            try ingestor.ingest(tampered, receipts: receipts, parent: parent)
            print("  tampered block \(honest.header.number) (\(lie)): ACCEPTED — this is a bug")
            throw ExitCode.failure
        } catch let error as IngestError {
            print("  tampered block \(honest.header.number) (\(lie)): refused, \(error)")
        }

        let index = ingestor.index
        let visions = DevChain.Contract.visions.address
        let tip = parent!
        print("")
        print("Answers (what asset_* JSON-RPC will serve), as of block \(tip.number):")
        let token = UInt256(1)
        switch try index.ownerOf(contract: visions, tokenId: token) {
        case .owned(let owner, let since)?: print("  ownerOf(prompted-visions, 1)      \(owner.checksummed), since block \(since)")
        case .burned(let at)?: print("  ownerOf(prompted-visions, 1)      burned in block \(at)")
        case nil: print("  ownerOf(prompted-visions, 1)      never minted")
        }
        if let provenance = try index.provenance(contract: visions, tokenId: token), let mint = provenance.mint {
            print("  provenance: minted by            \(mint.minter.checksummed) (secp256k1-recovered sender) in block \(mint.block)")
            if let aigc = provenance.aigc.first {
                print("              prompt hash          \(aigc.record.promptHash)")
                if let prompt = aigc.record.prompt {
                    print("              prompt (from calldata) \"\(String(decoding: prompt, as: UTF8.self))\"")
                }
                if let output = aigc.record.aigcData { print("              output               \(String(decoding: output, as: UTF8.self))") }
            }
            print("              transfers            \(provenance.transfers)")

            // The mint transaction's inclusion, proven against the header's transactions root.
            let block = chain.blocks[Int(mint.block)]
            if let i = block.transactions.firstIndex(where: { $0.hash == mint.transactionHash }) {
                let encodings = block.transactions.map(\.encoded)
                let proof = OrderedTrie.proof(encodings, index: i)
                let proven = try MerklePatriciaTrie.verify(root: block.header.transactionsRoot, key: OrderedTrie.key(i), proof: proof)
                print("              inclusion proof      \(proof.count) trie nodes against block \(mint.block)'s transactionsRoot: \(proven == encodings[i] ? "valid" : "INVALID")")
            }
        }
        for id in 1...UInt64(20) {
            if let rental = try index.userOf(contract: visions, tokenId: UInt256(id), timestamp: tip.timestamp) {
                let state = rental.active ? "rented to \(rental.user!.checksummed)" : "rental expired"
                print("  userOf(prompted-visions, \(id))\(String(repeating: " ", count: 7 - String(id).count)) \(state), expires \(rental.expires) (block time \(tip.timestamp))")
                break
            }
        }
        let holder = chain.accounts[0].address
        let shares = try index.balanceOf(contract: DevChain.Contract.shares.address, holder: holder)
        print("  balanceOf(vision-shares, \(holder.hex.prefix(10))…)  \(shares) shares")
        let held = try index.tokensOf(holder: holder, limit: 5)
        print("  tokensOf(\(holder.hex.prefix(10))…)             \(held.items.map { "\($0.standard == .erc721 ? "721" : $0.standard == .erc1155 ? "1155" : "20"):#\($0.tokenId)×\($0.balance)" }.joined(separator: ", "))\(held.next == nil ? "" : ", …")")
        print("")
        print("index digest \(try index.digest()); rerun with --seed to get another chain.")
    }
}
