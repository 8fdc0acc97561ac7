import ArgumentParser
import EthTypes
import ProvenantNode

/// `provenant checkpoints`: a chainspec's trusted block hashes, and which one a contract's sync starts from.
struct Checkpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a chainspec's trusted checkpoints, and the one a contract's sync starts from.",
        discussion: """
            Every block the node keeps links, hash by hash, to one of these. Sync starts at the highest checkpoint \
            at or below the lowest startBlock of the watched contracts, so a contract deployed at block \
            19,000,000 on mainnet is synced from checkpoint 17,034,870, not from genesis: give each contract its \
            deployment block as startBlock (the block of its creation transaction, from any explorer; a wrong \
            guess below it only costs headers). The checkpoints of chainspec/mainnet.json and sepolia.json, and \
            those of the OP Stack chainspecs past their L2 genesis (whose hash is the superchain registry's), are \
            real blocks whose hashes the test suite recomputes from the shared vectors. To trust a block of your \
            own instead (one your node or another client you run has verified), set checkpoint: in \
            provenant.yaml; it replaces these.
            """)

    @Option(help: "Chainspec name (from chainspec/) or path.") var chain = "mainnet"
    @Option(help: "A contract's start block: also print the checkpoint its sync starts from.") var startBlock: UInt64?

    func run() throws {
        let spec = try ChainspecDirectories.load(chain)
        print("\(spec.name) (chain id \(spec.chainId)): \(spec.checkpoints.count) checkpoint(s)")
        for checkpoint in spec.checkpoints.sorted(by: { $0.number < $1.number }) {
            print("  \(checkpoint.number) \(checkpoint.hash.hex)")
        }
        if let startBlock {
            guard let start = spec.checkpoint(atOrBelow: startBlock) else {
                throw CLIError("no checkpoint of \(spec.name) at or below block \(startBlock); set checkpoint: in provenant.yaml")
            }
            print("a contract starting at block \(startBlock) syncs from checkpoint \(start.number) (\(startBlock - start.number) headers before it)")
        }
    }
}
