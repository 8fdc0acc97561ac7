import ArgumentParser
import DevChain
import Foundation

/// `provenant devchain-info`: the dev chain's fixed facts, for writing its chainspec and for scripts.
struct DevChainInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devchain-info",
        abstract: "Print the dev chain's chain id, genesis hash and contract addresses (of its OP Stack form too).")

    func run() {
        print("chainId \(DevChain.chainId)")
        print("genesis \(DevChain.genesis.header.hash)")
        print("op-stack chainId \(DevChain.opStackChainId)")
        print("op-stack genesis \(DevChain.opStackGenesis.header.hash)")
        for contract in DevChain.Contract.allCases { print("contract \(contract.name) \(contract.address)") }
    }
}

/// `provenant devchain-outputs`: the image files the dev chain's AIGC records name, for verify-asset.
struct DevChainOutputs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devchain-outputs",
        abstract: "Write the image file of every AIGC output of the dev chain up to a block.",
        discussion: """
            Each minted token of prompted-visions records an output that names a small PNG by its IPFS CID; an \
            ERC-7007 update names another. They are written as token-ID.png (the mint's) and token-ID-update-N.png, \
            ready for provenant verify-asset FILE --bundle B.
            """)

    @Option(help: "Seed of the dev chain.") var seed: UInt64 = 1
    @Option(help: "Up to this block number.") var blocks: UInt64 = 500
    @Option(help: "The folder to write to (created if missing).") var dir: String

    func run() throws {
        var chain = DevChain(seed: seed)
        chain.grow(to: blocks)
        let files = chain.record.outputFiles
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (token, images) in files {
                for (n, image) in images.enumerated() {
                    let name = n == 0 ? "token-\(token).png" : "token-\(token)-update-\(n).png"
                    try Data(image).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
                }
            }
        } catch {
            throw CLIError("cannot write to \(dir): \(error.localizedDescription)")
        }
        print("wrote \(files.values.reduce(0) { $0 + $1.count }) output images of \(files.count) tokens (dev chain seed \(seed), blocks 0…\(blocks)) to \(dir)")
    }
}
