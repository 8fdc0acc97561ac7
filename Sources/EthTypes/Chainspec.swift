public import EthPrimitives

/// A network's parameters (ARCHITECTURE.md §9): chain id, fork activation and trusted checkpoints. Fork activation is by
/// block number before the merge and by timestamp after it; a fork missing from the file is not active.
public struct Chainspec: Sendable {
    /// When a fork activates.
    public enum Activation: Sendable, Equatable {
        case block(UInt64)
        case timestamp(UInt64)

        func reached(number: UInt64, timestamp: UInt64) -> Bool {
            switch self {
            case .block(let block): return number >= block
            case .timestamp(let time): return timestamp >= time
            }
        }
    }

    /// A block hash trusted without verification: the root every kept block links back to.
    public struct Checkpoint: Sendable, Equatable {
        public let number: UInt64
        public let hash: Hash32

        public init(number: UInt64, hash: Hash32) { (self.number, self.hash) = (number, hash) }
    }

    /// The rules a chain's blocks follow beyond an L1 fork's.
    public enum Family: String, Sendable, Equatable {
        /// Ethereum and its testnets: the L1 forks alone.
        case ethereum
        /// An OP Stack L2 (OP Mainnet, Base, Zora, …): deposits, OP receipts, the OP upgrades' header rules.
        case opStack = "op-stack"
    }

    public let name: String
    public let chainId: UInt64
    public let family: Family
    /// The L1 forks; on an OP Stack chain, those its upgrades adopt (`OPFork.l1Fork`).
    public let forks: [Fork: Activation]
    /// An OP Stack chain's upgrades (empty on Ethereum).
    public let opForks: [OPFork: Activation]
    /// Trust roots; a config may replace them with its own checkpoint.
    public var checkpoints: [Checkpoint]

    public init(name: String, chainId: UInt64, forks: [Fork: Activation], checkpoints: [Checkpoint]) {
        (self.name, self.chainId, self.forks, self.checkpoints) = (name, chainId, forks, checkpoints)
        (family, opForks) = (.ethereum, [:])
    }

    /// An OP Stack chain: its L1 forks are those its upgrades adopt, each from the first upgrade that adopts it
    /// (Bedrock brings every fork up to Paris).
    public init(name: String, chainId: UInt64, opForks: [OPFork: Activation], checkpoints: [Checkpoint]) {
        (self.name, self.chainId, self.opForks, self.checkpoints) = (name, chainId, opForks, checkpoints)
        family = .opStack
        var forks: [Fork: Activation] = [:]
        for upgrade in OPFork.allCases {
            guard let activation = opForks[upgrade] else { continue }
            let adopted = upgrade == .bedrock ? Fork.allCases.filter { $0 <= .paris } : [upgrade.l1Fork]
            for fork in adopted where forks[fork] == nil { forks[fork] = activation }
        }
        self.forks = forks
    }

    /// The JSON names of the L1 forks (EthRPC reads chainspec files: `Chainspec+JSON.swift`; OP Stack upgrades:
    /// `OPFork.names`).
    public static let forkNames: [String: Fork] = [
        "frontier": .frontier, "homestead": .homestead, "tangerineWhistle": .tangerineWhistle,
        "spuriousDragon": .spuriousDragon, "byzantium": .byzantium, "constantinople": .constantinople,
        "petersburg": .petersburg, "istanbul": .istanbul, "berlin": .berlin, "london": .london, "paris": .paris,
        "shanghai": .shanghai, "cancun": .cancun, "prague": .prague, "osaka": .osaka,
    ]

    /// The checkpoint to sync a contract deployed at `block` from: the highest at or below it (nil when none is).
    public func checkpoint(atOrBelow block: UInt64) -> Checkpoint? {
        checkpoints.filter { $0.number <= block }.max { $0.number < $1.number }
    }

    /// The fork in force for a block with this number and timestamp: the latest fork whose activation it reached.
    public func fork(number: UInt64, timestamp: UInt64) -> Fork {
        var active = Fork.frontier
        for (fork, activation) in forks where fork > active && activation.reached(number: number, timestamp: timestamp) {
            active = fork
        }
        return active
    }

    /// The OP Stack upgrade in force for a block (nil on Ethereum, and before Bedrock).
    public func opFork(number: UInt64, timestamp: UInt64) -> OPFork? {
        // Later upgrades may be dated from genesis (Regolith at time 0 on OP Mainnet, whose Bedrock is a block).
        guard opForks[.bedrock]?.reached(number: number, timestamp: timestamp) == true else { return nil }
        var active = OPFork.bedrock
        for (upgrade, activation) in opForks where upgrade > active && activation.reached(number: number, timestamp: timestamp) {
            active = upgrade
        }
        return active
    }

    /// The rules in force for a block, as reports name them: `cancun`, or `holocene (cancun)` on an OP Stack chain.
    public func forkName(number: UInt64, timestamp: UInt64) -> String {
        let fork = fork(number: number, timestamp: timestamp)
        guard family == .opStack else { return "\(fork)" }
        guard let upgrade = opFork(number: number, timestamp: timestamp) else { return "before bedrock" }
        return "\(upgrade) (\(fork))"
    }
}
