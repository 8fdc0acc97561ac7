import ArgumentParser
import DevChain

/// `provenant devchain-info`: the dev chain's fixed facts, for writing its chainspec and for scripts.
struct DevChainInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devchain-info", abstract: "Print the dev chain's chain id, genesis hash and contract addresses.")

    func run() {
        print("chainId \(DevChain.chainId)")
        print("genesis \(DevChain.genesis.header.hash)")
        for contract in DevChain.Contract.allCases { print("contract \(contract.name) \(contract.address)") }
    }
}
