public import EthPrimitives
public import EthRPC

/// A proof bundle (ARCHITECTURE.md §6, version 3): a claim about one token and everything needed to check it with no
/// network, given one trusted block hash (the anchor).
///
///     {
///       "version": 3, "chainId": QUANTITY,
///       "claim": { "contract": ADDRESS, "tokenId": QUANTITY | null (an ERC-20 balance),
///                  "minter": { "address", "transactionHash", "blockNumber" } | null,
///                  "aigc": [ { "promptHash", "aigcDataHash", "blockNumber", "prompt": DATA?, "aigcData": DATA? } ],
///                  "owner": { "address": ADDRESS | null (burned), "blockNumber" } | null,
///                  "user": { "address": ADDRESS, "expires": QUANTITY, "blockNumber" } | null },
///       "events": [ { "role": "mint" | "aigc" | "ownership" | "user", "blockNumber", "transactionIndex",
///                     "logPosition", "receipt": DATA, "receiptProof": [DATA],
///                     "transaction": DATA?, "transactionProof": [DATA]? } ],
///       "blockReceipts": [ { "blockNumber": QUANTITY, "receipts": [DATA] } ],
///       "headers": [DATA],            // RLP, ascending and consecutive, ending at the anchor
///       "segments": [ [DATA] ],       // more runs like it, each ending at another trusted block, below `headers`
///       "anchor": { "number": QUANTITY, "hash": HASH },
///       "present": { "proof": "receipts" } | PRESENT-STATE (`PresentState`)
///     }
///
/// `logPosition` is the log's place among its receipt's logs (a block-wide log index cannot be checked from one
/// receipt). Mint events carry the transaction, so the verifier recovers the minter itself. `blockReceipts` holds the
/// complete receipts of every block, from a latest record's own to the anchor, whose logs bloom may hold a later
/// record of the token: with them the verifier shows there is none, so the owner, the user and the latest AIGC
/// record are proven as of the anchor. `prompt` and `aigcData`, when given, are checked against their hashes.
/// `segments` keep a bundle bounded by the token's history rather than its age: a past event (the mint, an earlier
/// AIGC record) may sit in a short run of headers ending at a trusted block of its own (an anchors file's, a
/// checkpoint), instead of in one run from it all the way to the anchor.
///
/// `present` says how the present is proven: by `blockReceipts` (the scan above, every header from the earliest latest
/// record to the anchor), or by storage proofs against the anchor's `stateRoot` (`PresentState`), which need only the
/// anchor's header whatever the token's age; then there are no `blockReceipts`, and the latest records, if any, are
/// past events like the others, which the proven state must agree with.
///
/// Version 2 is version 3 with the present proven by receipts. Version 1 (no `user`, no `blockReceipts`, no prompt or output bytes) still reads and verifies; its ownership
/// record is then proven as a past transfer only.
public struct ProofBundle: Equatable, Sendable {
    /// The version this build writes.
    public static let version: UInt64 = 3
    /// The versions this build reads.
    public static let readableVersions: ClosedRange<UInt64> = 1...3

    public var version: UInt64
    public var chainId: UInt64
    public var claim: Claim
    public var events: [Event]
    /// The complete receipts of the blocks a proof of absence needs, ascending by block.
    public var blockReceipts: [BlockReceipts]
    public var headers: [[UInt8]]
    /// Runs of headers below `headers`, ascending, each ending at a trusted block.
    public var segments: [[[UInt8]]]
    public var anchor: (number: UInt64, hash: Hash32)
    /// The state proven at the anchor, when the present is proven by storage proofs rather than by receipts.
    public var state: PresentState?

    public init(version: UInt64 = Self.version, chainId: UInt64, claim: Claim, events: [Event], blockReceipts: [BlockReceipts] = [],
                headers: [[UInt8]], segments: [[[UInt8]]] = [], anchor: (number: UInt64, hash: Hash32), state: PresentState? = nil) {
        (self.version, self.chainId, self.claim, self.events, self.blockReceipts) = (version, chainId, claim, events, blockReceipts)
        (self.headers, self.segments, self.anchor, self.state) = (headers, segments, anchor, state)
    }

    /// What the bundle asserts about a token.
    public struct Claim: Equatable, Sendable {
        public var contract: Address
        /// The token; nil only in a bundle of ERC-20 balances, which has no events.
        public var tokenId: UInt256?
        public var minter: Minter?
        public var aigc: [Aigc]
        public var owner: Owner?
        public var user: User?

        public init(contract: Address, tokenId: UInt256?, minter: Minter?, aigc: [Aigc], owner: Owner?, user: User? = nil) {
            (self.contract, self.tokenId, self.minter, self.aigc, self.owner, self.user) = (contract, tokenId, minter, aigc, owner, user)
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

    /// An ERC-7007 record of the token, with the prompt and output themselves where the bundle carries them.
    public struct Aigc: Equatable, Sendable {
        public var promptHash: Hash32
        public var aigcDataHash: Hash32
        public var blockNumber: UInt64
        public var prompt: [UInt8]?
        public var aigcData: [UInt8]?

        public init(promptHash: Hash32, aigcDataHash: Hash32, blockNumber: UInt64, prompt: [UInt8]? = nil, aigcData: [UInt8]? = nil) {
            (self.promptHash, self.aigcDataHash, self.blockNumber, self.prompt, self.aigcData) = (promptHash, aigcDataHash, blockNumber, prompt, aigcData)
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

    /// The token's last ERC-4907 `UpdateUser` record up to the anchor: the user and the rental's end (unix seconds).
    public struct User: Equatable, Sendable {
        public var address: Address
        public var expires: UInt64
        public var blockNumber: UInt64

        public init(address: Address, expires: UInt64, blockNumber: UInt64) {
            (self.address, self.expires, self.blockNumber) = (address, expires, blockNumber)
        }
    }

    /// Which part of the claim an event proves.
    public enum Role: String, Sendable, CaseIterable {
        case mint, aigc, ownership, user
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

    /// Every receipt of one block, in order: together they must rebuild the header's `receiptsRoot`.
    public struct BlockReceipts: Equatable, Sendable {
        public var blockNumber: UInt64
        public var receipts: [[UInt8]]

        public init(blockNumber: UInt64, receipts: [[UInt8]]) {
            (self.blockNumber, self.receipts) = (blockNumber, receipts)
        }
    }

    public static func == (a: ProofBundle, b: ProofBundle) -> Bool {
        a.version == b.version && a.chainId == b.chainId && a.claim == b.claim && a.events == b.events && a.blockReceipts == b.blockReceipts
            && a.headers == b.headers && a.segments == b.segments && a.anchor.number == b.anchor.number && a.anchor.hash == b.anchor.hash
            && a.state == b.state
    }
}

// MARK: - JSON

extension ProofBundle {
    /// The bundle as JSON (the shape above; a version 1 bundle is written back as version 1).
    public var json: JSONValue {
        var claimObject: [String: JSONValue] = [
            "contract": .string(claim.contract.hex), "tokenId": claim.tokenId.map(JSONValue.quantity) ?? .null,
            "minter": claim.minter.map { m in
                ["address": .string(m.address.hex), "transactionHash": .string(m.transactionHash.hex), "blockNumber": .quantity(m.blockNumber)]
            } ?? .null,
            "aigc": .array(claim.aigc.map { a in
                var object: [String: JSONValue] = [
                    "promptHash": .string(a.promptHash.hex), "aigcDataHash": .string(a.aigcDataHash.hex), "blockNumber": .quantity(a.blockNumber),
                ]
                if let prompt = a.prompt { object["prompt"] = .data(prompt) }
                if let aigcData = a.aigcData { object["aigcData"] = .data(aigcData) }
                return .object(object)
            }),
            "owner": claim.owner.map { o in ["address": o.address.map { .string($0.hex) } ?? .null, "blockNumber": .quantity(o.blockNumber)] } ?? .null,
        ]
        if version >= 2 {
            claimObject["user"] = claim.user.map { u in
                ["address": .string(u.address.hex), "expires": .quantity(u.expires), "blockNumber": .quantity(u.blockNumber)]
            } ?? .null
        }
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
        var root: [String: JSONValue] = [
            "version": .int(Int64(version)), "chainId": .quantity(chainId), "claim": .object(claimObject),
            "events": .array(eventsJSON), "headers": .array(headers.map(JSONValue.data)),
            "anchor": ["number": .quantity(anchor.number), "hash": .string(anchor.hash.hex)],
        ]
        if version >= 2 {
            root["blockReceipts"] = .array(blockReceipts.map { b in
                ["blockNumber": .quantity(b.blockNumber), "receipts": .array(b.receipts.map(JSONValue.data))]
            })
            root["segments"] = .array(segments.map { .array($0.map(JSONValue.data)) })
        }
        if version >= 3 { root["present"] = state?.json ?? ["proof": "receipts"] }
        return .object(root)
    }

    /// Reads a bundle of a readable version, refusing any field of the wrong type or form by its path.
    public init(json: JSONValue) throws(ProofError) {
        do throws(JSONReadError) { self = try Self(reading: JSONReader(json)) } catch {
            throw .malformed(field: error.path.isEmpty ? "(top level)" : error.path, reason: error.reason)
        }
    }

    private init(reading root: JSONReader) throws(JSONReadError) {
        let versionField = try root.field("version")
        guard case .int(let number) = versionField.value, number >= 0, Self.readableVersions.contains(UInt64(number)) else {
            throw versionField.error("this build reads versions \(Self.readableVersions.lowerBound) to \(Self.readableVersions.upperBound) (a JSON number)")
        }
        version = UInt64(number)
        let isVersion2 = version >= 2
        chainId = try root.field("chainId").quantity()
        let c = try root.field("claim")
        // Version 3 has no token id for an ERC-20 contract's balances (null, or left out).
        let tokenIdField = version >= 3 ? try c.optionalField("tokenId") : try c.field("tokenId")
        claim = Claim(
            contract: try c.field("contract").address(), tokenId: try tokenIdField?.uint256(),
            minter: try c.optionalField("minter").map { m throws(JSONReadError) in
                Minter(address: try m.field("address").address(), transactionHash: try m.field("transactionHash").hash(),
                       blockNumber: try m.field("blockNumber").quantity())
            },
            aigc: try c.field("aigc").array { a throws(JSONReadError) in
                Aigc(promptHash: try a.field("promptHash").hash(), aigcDataHash: try a.field("aigcDataHash").hash(),
                     blockNumber: try a.field("blockNumber").quantity(),
                     prompt: isVersion2 ? try a.optionalField("prompt")?.data() : nil,
                     aigcData: isVersion2 ? try a.optionalField("aigcData")?.data() : nil)
            },
            owner: try c.optionalField("owner").map { o throws(JSONReadError) in
                Owner(address: try o.optionalField("address")?.address(), blockNumber: try o.field("blockNumber").quantity())
            },
            user: isVersion2 ? try c.optionalField("user").map { u throws(JSONReadError) in
                User(address: try u.field("address").address(), expires: try u.field("expires").quantity(), blockNumber: try u.field("blockNumber").quantity())
            } : nil)
        let roles = isVersion2 ? Role.allCases : [.mint, .aigc, .ownership]
        events = try root.field("events").array { e throws(JSONReadError) in
            let roleField = try e.field("role")
            let roleName = try roleField.string()
            guard let role = Role(rawValue: roleName), roles.contains(role) else {
                throw roleField.error("\"\(roleName)\" is none of \(roles.map(\.rawValue))")
            }
            return Event(
                role: role, blockNumber: try e.field("blockNumber").quantity(),
                transactionIndex: Int(try e.field("transactionIndex").quantity(max: UInt64(Int32.max))),
                logPosition: Int(try e.field("logPosition").quantity(max: UInt64(Int32.max))),
                receipt: try e.field("receipt").data(), receiptProof: try e.field("receiptProof").array { p throws(JSONReadError) in try p.data() },
                transaction: try e.optionalField("transaction")?.data(),
                transactionProof: try e.optionalField("transactionProof")?.array { p throws(JSONReadError) in try p.data() })
        }
        blockReceipts = isVersion2 ? try root.field("blockReceipts").array { b throws(JSONReadError) in
            BlockReceipts(blockNumber: try b.field("blockNumber").quantity(), receipts: try b.field("receipts").array { r throws(JSONReadError) in try r.data() })
        } : []
        headers = try root.field("headers").array { h throws(JSONReadError) in try h.data() }
        segments = isVersion2 ? try root.field("segments").array { s throws(JSONReadError) in
            try s.array { h throws(JSONReadError) in try h.data() }
        } : []
        let a = try root.field("anchor")
        anchor = (try a.field("number").quantity(), try a.field("hash").hash())
        state = nil
        if version >= 3 {
            let present = try root.field("present")
            let proofField = try present.field("proof")
            switch try proofField.string() {
            case "receipts": break
            case "state": state = try PresentState(json: present)
            case let other: throw proofField.error("\"\(other)\" is neither \"receipts\" nor \"state\"")
            }
        }
    }
}
