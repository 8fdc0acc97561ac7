import ArgumentParser

/// The `provenant` command line: one subcommand per job.
@main
struct Provenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenant",
        abstract: "A verifying light Ethereum node and indexer for AI-generated assets.",
        discussion: """
            Provenant trusts no upstream: it recomputes block hashes, Merkle-Patricia roots, blooms and \
            transaction senders before it keeps anything.
            """,
        subcommands: [Demo.self, Run.self, SyncCommand.self, Serve.self, Devnet.self, VerifyBlock.self, Proof.self, Verify.self, Anchors.self, Reindex.self, IndexDigest.self, ImportDevChain.self, DevChainInfo.self])
}
