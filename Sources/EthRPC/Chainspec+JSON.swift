public import EthTypes

// A chainspec file (ARCHITECTURE.md §9):
//
//     { "name": STRING, "chainId": INTEGER, "family": "ethereum" | "op-stack",   (optional: ethereum)
//       "forks": { FORK: { "block": INTEGER } | { "timestamp": INTEGER }, … },
//       "checkpoints": [ { "number": INTEGER, "hash": HASH }, … ] }
//
// FORK names an L1 fork (`Chainspec.forkNames`) on Ethereum, an OP Stack upgrade (`OPFork.names`) on an OP Stack
// chain, whose L1 forks follow from its upgrades.

extension Chainspec: JSONReadable {
    public init(json c: JSONReader) throws(JSONReadError) {
        var family = Family.ethereum
        if let field = try c.optionalField("family") {
            guard let named = Family(rawValue: try field.string()) else {
                throw field.error("unknown chain family (known: ethereum, op-stack)")
            }
            family = named
        }
        let name = try c.field("name").string()
        let chainId: UInt64 = try c.field("chainId").integer()
        let checkpoints = try c.field("checkpoints").array { p throws(JSONReadError) in
            Checkpoint(number: try p.field("number").integer(), hash: try p.field("hash").hash())
        }
        switch family {
        case .ethereum:
            self.init(name: name, chainId: chainId, forks: try Self.activations(c.field("forks"), names: Self.forkNames), checkpoints: checkpoints)
        case .opStack:
            let upgrades = try Self.activations(c.field("forks"), names: OPFork.names)
            guard upgrades[.bedrock] != nil else { throw try c.field("forks").error("an OP Stack chain needs its \"bedrock\" activation") }
            self.init(name: name, chainId: chainId, opForks: upgrades, checkpoints: checkpoints)
        }
    }

    private static func activations<F: Hashable>(_ forks: JSONReader, names: [String: F]) throws(JSONReadError) -> [F: Activation] {
        var activations: [F: Activation] = [:]
        for (name, activation) in try forks.members() {
            guard let fork = names[name] else {
                throw activation.error("unknown fork \"\(name)\" (known: \(names.keys.sorted().joined(separator: ", ")))")
            }
            switch (try activation.optionalField("block"), try activation.optionalField("timestamp")) {
            case (let block?, nil): activations[fork] = .block(try block.integer())
            case (nil, let timestamp?): activations[fork] = .timestamp(try timestamp.integer())
            default: throw activation.error("a fork activates by exactly one of \"block\" or \"timestamp\"")
            }
        }
        return activations
    }

    /// Reads a chainspec file's bytes.
    public static func decode(_ bytes: [UInt8]) throws(JSONDocumentError) -> Chainspec {
        try JSONDocumentError.read(bytes) { json throws(JSONReadError) in try Chainspec(json: json) }
    }
}
