public import EthPrimitives
public import Foundation

/// A network's parameters (ARCHITECTURE.md §9): chain id, fork activation and trusted checkpoints. Fork activation is by
/// block number before the merge and by timestamp after it; a fork missing from the file is not active.
public struct Chainspec: Sendable, Decodable {
    /// When a fork activates.
    public enum Activation: Sendable, Decodable, Equatable {
        case block(UInt64)
        case timestamp(UInt64)

        private enum Keys: String, CodingKey { case block, timestamp }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            switch (try c.decodeIfPresent(UInt64.self, forKey: .block), try c.decodeIfPresent(UInt64.self, forKey: .timestamp)) {
            case (let block?, nil): self = .block(block)
            case (nil, let timestamp?): self = .timestamp(timestamp)
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a fork activates by exactly one of \"block\" or \"timestamp\""))
            }
        }
    }

    /// A block hash trusted without verification: the root every kept block links back to.
    public struct Checkpoint: Sendable, Decodable, Equatable {
        public let number: UInt64
        public let hash: Hash32

        private enum Keys: String, CodingKey { case number, hash }

        public init(number: UInt64, hash: Hash32) {
            self.number = number
            self.hash = hash
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            number = try c.decode(UInt64.self, forKey: .number)
            hash = try c.hash(.hash)
        }
    }

    public let name: String
    public let chainId: UInt64
    public let forks: [Fork: Activation]
    /// Trust roots; a config may replace them with its own checkpoint.
    public var checkpoints: [Checkpoint]

    private enum Keys: String, CodingKey { case name, chainId, forks, checkpoints }

    /// The JSON names of the forks.
    static let forkNames: [String: Fork] = [
        "frontier": .frontier, "homestead": .homestead, "tangerineWhistle": .tangerineWhistle,
        "spuriousDragon": .spuriousDragon, "byzantium": .byzantium, "constantinople": .constantinople,
        "petersburg": .petersburg, "istanbul": .istanbul, "berlin": .berlin, "london": .london, "paris": .paris,
        "shanghai": .shanghai, "cancun": .cancun, "prague": .prague,
    ]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        name = try c.decode(String.self, forKey: .name)
        chainId = try c.decode(UInt64.self, forKey: .chainId)
        var forks: [Fork: Activation] = [:]
        for (key, activation) in try c.decode([String: Activation].self, forKey: .forks) {
            guard let fork = Self.forkNames[key] else {
                throw DecodingError.dataCorruptedError(forKey: .forks, in: c, debugDescription: "forks: unknown fork \"\(key)\" (known: \(Self.forkNames.keys.sorted().joined(separator: ", ")))")
            }
            forks[fork] = activation
        }
        self.forks = forks
        checkpoints = try c.decode([Checkpoint].self, forKey: .checkpoints)
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

    /// Parses a chainspec file's bytes.
    public static func decode(_ data: Data) throws -> Chainspec {
        try JSONDecoder().decode(Chainspec.self, from: data)
    }
}

extension Chainspec {
    /// Why a chainspec could not be loaded.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads a chainspec by name (a file `<name>.json` in the first of `directories` that has it) or by path (an
    /// argument containing `/` or ending in `.json`).
    public static func load(_ nameOrPath: String, directories: [URL]) throws -> Chainspec {
        let candidates: [URL]
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") {
            candidates = [URL(fileURLWithPath: nameOrPath)]
        } else {
            candidates = directories.map { $0.appendingPathComponent("\(nameOrPath).json") }
        }
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw LoadError(description: "no chainspec \"\(nameOrPath)\"; looked for \(candidates.map(\.path).joined(separator: ", "))")
        }
        do {
            return try decode(Data(contentsOf: url))
        } catch let error as DecodingError {
            throw LoadError(description: "\(url.path): \(error.readableDescription)")
        }
    }
}

extension DecodingError {
    /// One line naming the JSON path and what was wrong, instead of Foundation's nested dump.
    public var readableDescription: String {
        func path(_ context: Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : "at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys): "
        }
        switch self {
        case .dataCorrupted(let context): return path(context) + context.debugDescription
        case .keyNotFound(let key, let context): return path(context) + "missing field \"\(key.stringValue)\""
        case .typeMismatch(let type, let context): return path(context) + "expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return path(context) + "expected \(type), found null"
        @unknown default: return "\(self)"
        }
    }
}
