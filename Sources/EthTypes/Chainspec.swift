public import EthPrimitives

/// A network's parameters (ARCHITECTURE.md §9): chain id, fork activation and trusted checkpoints. Fork activation is by
/// block number before the merge and by timestamp after it; a fork missing from the file is not active.
public struct Chainspec: Sendable {
    /// When a fork activates.
    public enum Activation: Sendable, Equatable {
        case block(UInt64)
        case timestamp(UInt64)
    }

    /// A block hash trusted without verification: the root every kept block links back to.
    public struct Checkpoint: Sendable, Equatable {
        public let number: UInt64
        public let hash: Hash32

        public init(number: UInt64, hash: Hash32) { (self.number, self.hash) = (number, hash) }
    }

    public let name: String
    public let chainId: UInt64
    public let forks: [Fork: Activation]
    /// Trust roots; a config may replace them with its own checkpoint.
    public var checkpoints: [Checkpoint]

    public init(name: String, chainId: UInt64, forks: [Fork: Activation], checkpoints: [Checkpoint]) {
        (self.name, self.chainId, self.forks, self.checkpoints) = (name, chainId, forks, checkpoints)
    }

    /// The JSON names of the forks (EthRPC reads chainspec files: `Chainspec+JSON.swift`).
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
        for (fork, activation) in forks where fork > active {
            switch activation {
            case .block(let block) where number >= block: active = fork
            case .timestamp(let time) where timestamp >= time: active = fork
            default: break
            }
        }
        return active
    }
}
