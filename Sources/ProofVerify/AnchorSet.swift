public import EthPrimitives
public import EthRPC

/// Block hashes a node vouches for, one every `every` blocks (ARCHITECTURE.md §6, `provenant anchors export`): a user
/// exports them from a node they run and trusts them when verifying bundles from anywhere, so a bundle can anchor
/// near its events instead of at some node's head.
///
///     { "version": 1, "chainId": QUANTITY, "every": QUANTITY, "anchors": [ { "number": QUANTITY, "hash": HASH } ] }
public struct AnchorSet: Equatable, Sendable {
    public static let version: Int64 = 1
    /// The default spacing: a bundle anchored at the next multiple carries at most this many extra headers.
    public static let defaultEvery: UInt64 = 1024

    public var chainId: UInt64
    public var every: UInt64
    public var anchors: [Anchor]

    /// One vouched-for block.
    public struct Anchor: Equatable, Sendable {
        public var number: UInt64
        public var hash: Hash32

        public init(number: UInt64, hash: Hash32) {
            (self.number, self.hash) = (number, hash)
        }
    }

    public var json: JSONValue {
        [
            "version": .int(Self.version), "chainId": .quantity(chainId), "every": .quantity(every),
            "anchors": .array(anchors.map { ["number": .quantity($0.number), "hash": .string($0.hash.hex)] }),
        ]
    }

    public init(chainId: UInt64, every: UInt64, anchors: [Anchor]) {
        (self.chainId, self.every, self.anchors) = (chainId, every, anchors)
    }

    public init(json: JSONValue) throws(ProofError) {
        do throws(JSONReadError) {
            let root = JSONReader(json)
            guard try root.field("version").value == .int(Self.version) else {
                throw JSONReadError(path: "version", reason: "this build reads anchor files of version \(Self.version)")
            }
            self.init(
                chainId: try root.field("chainId").quantity(), every: try root.field("every").quantity(),
                anchors: try root.field("anchors").array { item throws(JSONReadError) in
                    Anchor(number: try item.field("number").quantity(), hash: try item.field("hash").hash())
                })
        } catch {
            throw .malformed(field: error.path.isEmpty ? "(top level)" : error.path, reason: error.reason)
        }
    }
}
