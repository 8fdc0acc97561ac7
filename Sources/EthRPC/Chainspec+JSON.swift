public import EthTypes

// A chainspec file (ARCHITECTURE.md §9):
//
//     { "name": STRING, "chainId": INTEGER,
//       "forks": { FORK: { "block": INTEGER } | { "timestamp": INTEGER }, … },
//       "checkpoints": [ { "number": INTEGER, "hash": HASH }, … ] }

extension Chainspec: JSONReadable {
    public init(json c: JSONReader) throws(JSONReadError) {
        var forks: [Fork: Activation] = [:]
        for (name, activation) in try c.field("forks").members() {
            guard let fork = Self.forkNames[name] else {
                throw activation.error("unknown fork \"\(name)\" (known: \(Self.forkNames.keys.sorted().joined(separator: ", ")))")
            }
            switch (try activation.optionalField("block"), try activation.optionalField("timestamp")) {
            case (let block?, nil): forks[fork] = .block(try block.integer())
            case (nil, let timestamp?): forks[fork] = .timestamp(try timestamp.integer())
            default: throw activation.error("a fork activates by exactly one of \"block\" or \"timestamp\"")
            }
        }
        self.init(
            name: try c.field("name").string(), chainId: try c.field("chainId").integer(), forks: forks,
            checkpoints: try c.field("checkpoints").array { p throws(JSONReadError) in
                Checkpoint(number: try p.field("number").integer(), hash: try p.field("hash").hash())
            })
    }

    /// Reads a chainspec file's bytes.
    public static func decode(_ bytes: [UInt8]) throws(JSONDocumentError) -> Chainspec {
        try JSONDocumentError.read(bytes) { json throws(JSONReadError) in try Chainspec(json: json) }
    }
}
