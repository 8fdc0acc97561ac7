public import EthPrimitives
public import EthRPC

/// A proof bundle (ARCHITECTURE.md §6, version 1): a claim about one token and everything needed to check it with no
/// network, given one trusted block hash (the anchor).
///
///     {
///       "version": 1, "chainId": QUANTITY,
///       "claim": { "contract": ADDRESS, "tokenId": QUANTITY,
///                  "minter": { "address", "transactionHash", "blockNumber" } | null,
///                  "aigc": [ { "promptHash", "aigcDataHash", "blockNumber" } ],
///                  "owner": { "address": ADDRESS | null (burned), "blockNumber" } | null },
///       "events": [ { "role": "mint" | "aigc" | "ownership", "blockNumber", "transactionIndex", "logPosition",
///                     "receipt": DATA, "receiptProof": [DATA], "transaction": DATA?, "transactionProof": [DATA]? } ],
///       "headers": [DATA],            // RLP, ascending and consecutive, ending at the anchor
///       "anchor": { "number": QUANTITY, "hash": HASH }
///     }
///
/// `logPosition` is the log's place among its receipt's logs (a block-wide log index cannot be checked from one
/// receipt). Mint events carry the transaction, so the verifier recovers the minter itself.
public struct ProofBundle: Equatable, Sendable {
    public static let version: UInt64 = 1

    public var chainId: UInt64
    public var claim: Claim
    public var events: [Event]
    public var headers: [[UInt8]]
    public var anchor: (number: UInt64, hash: Hash32)

    public init(chainId: UInt64, claim: Claim, events: [Event], headers: [[UInt8]], anchor: (number: UInt64, hash: Hash32)) {
        (self.chainId, self.claim, self.events, self.headers, self.anchor) = (chainId, claim, events, headers, anchor)
    }

    /// What the bundle asserts about a token.
    public struct Claim: Equatable, Sendable {
        public var contract: Address
        public var tokenId: UInt256
        public var minter: Minter?
        public var aigc: [Aigc]
        public var owner: Owner?

        public init(contract: Address, tokenId: UInt256, minter: Minter?, aigc: [Aigc], owner: Owner?) {
            (self.contract, self.tokenId, self.minter, self.aigc, self.owner) = (contract, tokenId, minter, aigc, owner)
        }
    }

    /// The recovered sender of the token's first mint transaction.
    public struct Minter: Equatable, Sendable {
        public var address: Address
        public var transactionHash: Hash32
        public var blockNumber: UInt64

        public init(address: Address, transactionHash: Hash32, blockNumber: UInt64) {
            (self.address, self.transactionHash, self.blockNumber) = (address, transactionHash, blockNumber)
        }
    }

    /// An ERC-7007 record of the token.
    public struct Aigc: Equatable, Sendable {
        public var promptHash: Hash32
        public var aigcDataHash: Hash32
        public var blockNumber: UInt64

        public init(promptHash: Hash32, aigcDataHash: Hash32, blockNumber: UInt64) {
            (self.promptHash, self.aigcDataHash, self.blockNumber) = (promptHash, aigcDataHash, blockNumber)
        }
    }

    /// The token's last ERC-721 ownership record up to the anchor; `address` is `nil` when it was a burn.
    public struct Owner: Equatable, Sendable {
        public var address: Address?
        public var blockNumber: UInt64

        public init(address: Address?, blockNumber: UInt64) {
            (self.address, self.blockNumber) = (address, blockNumber)
        }
    }

    /// Which part of the claim an event proves.
    public enum Role: String, Sendable, CaseIterable {
        case mint, aigc, ownership
    }

    /// One log the claim rests on, with the receipt holding it and its proof against the block's `receiptsRoot`.
    public struct Event: Equatable, Sendable {
        public var role: Role
        public var blockNumber: UInt64
        public var transactionIndex: Int
        public var logPosition: Int
        public var receipt: [UInt8]
        public var receiptProof: [[UInt8]]
        /// The emitting transaction and its proof against `transactionsRoot` (mint events).
        public var transaction: [UInt8]?
        public var transactionProof: [[UInt8]]?

        public init(role: Role, blockNumber: UInt64, transactionIndex: Int, logPosition: Int, receipt: [UInt8], receiptProof: [[UInt8]],
                    transaction: [UInt8]? = nil, transactionProof: [[UInt8]]? = nil) {
            (self.role, self.blockNumber, self.transactionIndex, self.logPosition) = (role, blockNumber, transactionIndex, logPosition)
            (self.receipt, self.receiptProof, self.transaction, self.transactionProof) = (receipt, receiptProof, transaction, transactionProof)
        }
    }

    public static func == (a: ProofBundle, b: ProofBundle) -> Bool {
        a.chainId == b.chainId && a.claim == b.claim && a.events == b.events && a.headers == b.headers
            && a.anchor.number == b.anchor.number && a.anchor.hash == b.anchor.hash
    }
}

// MARK: - JSON

extension ProofBundle {
    /// The bundle as JSON (the shape above).
    public var json: JSONValue {
        let claimJSON: JSONValue = [
            "contract": .string(claim.contract.hex), "tokenId": .quantity(claim.tokenId),
            "minter": claim.minter.map { m in
                ["address": .string(m.address.hex), "transactionHash": .string(m.transactionHash.hex), "blockNumber": .quantity(m.blockNumber)]
            } ?? .null,
            "aigc": .array(claim.aigc.map { a in
                ["promptHash": .string(a.promptHash.hex), "aigcDataHash": .string(a.aigcDataHash.hex), "blockNumber": .quantity(a.blockNumber)]
            }),
            "owner": claim.owner.map { o in ["address": o.address.map { .string($0.hex) } ?? .null, "blockNumber": .quantity(o.blockNumber)] } ?? .null,
        ]
        let eventsJSON: [JSONValue] = events.map { e in
            var object: [String: JSONValue] = [
                "role": .string(e.role.rawValue), "blockNumber": .quantity(e.blockNumber),
                "transactionIndex": .quantity(UInt64(e.transactionIndex)), "logPosition": .quantity(UInt64(e.logPosition)),
                "receipt": .data(e.receipt), "receiptProof": .array(e.receiptProof.map(JSONValue.data)),
            ]
            if let transaction = e.transaction { object["transaction"] = .data(transaction) }
            if let proof = e.transactionProof { object["transactionProof"] = .array(proof.map(JSONValue.data)) }
            return .object(object)
        }
        return [
            "version": .int(Int64(Self.version)), "chainId": .quantity(chainId), "claim": claimJSON,
            "events": .array(eventsJSON), "headers": .array(headers.map(JSONValue.data)),
            "anchor": ["number": .quantity(anchor.number), "hash": .string(anchor.hash.hex)],
        ]
    }

    /// Reads a bundle, refusing any field of the wrong type or form by its path.
    public init(json: JSONValue) throws(ProofError) {
        do throws(JSONReadError) { self = try Self(reading: JSONReader(json)) } catch {
            throw .malformed(field: error.path.isEmpty ? "(top level)" : error.path, reason: error.reason)
        }
    }

    private init(reading root: JSONReader) throws(JSONReadError) {
        guard try root.field("version").value == .int(Int64(Self.version)) else {
            throw JSONReadError(path: "version", reason: "this build reads version \(Self.version) (a JSON number)")
        }
        chainId = try root.field("chainId").quantity()
        let c = try root.field("claim")
        claim = Claim(
            contract: try c.field("contract").address(), tokenId: try c.field("tokenId").uint256(),
            minter: try c.optionalField("minter").map { m throws(JSONReadError) in
                Minter(address: try m.field("address").address(), transactionHash: try m.field("transactionHash").hash(),
                       blockNumber: try m.field("blockNumber").quantity())
            },
            aigc: try c.field("aigc").array { a throws(JSONReadError) in
                Aigc(promptHash: try a.field("promptHash").hash(), aigcDataHash: try a.field("aigcDataHash").hash(),
                     blockNumber: try a.field("blockNumber").quantity())
            },
            owner: try c.optionalField("owner").map { o throws(JSONReadError) in
                Owner(address: try o.optionalField("address")?.address(), blockNumber: try o.field("blockNumber").quantity())
            })
        events = try root.field("events").array { e throws(JSONReadError) in
            let roleField = try e.field("role")
            let roleName = try roleField.string()
            guard let role = Role(rawValue: roleName) else { throw roleField.error("\"\(roleName)\" is none of \(Role.allCases.map(\.rawValue))") }
            return Event(
                role: role, blockNumber: try e.field("blockNumber").quantity(),
                transactionIndex: Int(try e.field("transactionIndex").quantity(max: UInt64(Int32.max))),
                logPosition: Int(try e.field("logPosition").quantity(max: UInt64(Int32.max))),
                receipt: try e.field("receipt").data(), receiptProof: try e.field("receiptProof").array { p throws(JSONReadError) in try p.data() },
                transaction: try e.optionalField("transaction")?.data(),
                transactionProof: try e.optionalField("transactionProof")?.array { p throws(JSONReadError) in try p.data() })
        }
        headers = try root.field("headers").array { h throws(JSONReadError) in try h.data() }
        let a = try root.field("anchor")
        anchor = (try a.field("number").quantity(), try a.field("hash").hash())
    }
}
