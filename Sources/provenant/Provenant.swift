import ArgumentParser

/// The `provenant` command line: thin commands over `ProvenantNode` and the libraries, grouped by what they are for.
@main
struct Provenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenant",
        abstract: "A verifying light Ethereum node and indexer for AI-generated assets.",
        discussion: """
            Provenant trusts no upstream: it recomputes block hashes, Merkle-Patricia roots, blooms and \
            transaction senders before it keeps anything. Try it with `provenant demo`.
            """,
        subcommands: [Demo.self],
        groupedSubcommands: [
            CommandGroup(name: "Node", subcommands: [Run.self, SyncCommand.self, Serve.self, Checkpoints.self]),
            CommandGroup(name: "Data directory", subcommands: [Reindex.self, IndexDigest.self, Export.self]),
            CommandGroup(name: "Proofs (offline)", subcommands: [Proof.self, VerifyBundle.self, VerifyAsset.self, Anchors.self, VerifyBlock.self]),
            CommandGroup(name: "Dev chain", subcommands: [Devnet.self, ImportDevChain.self, DevChainInfo.self, DevChainOutputs.self]),
        ])
}
