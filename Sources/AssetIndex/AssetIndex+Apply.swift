internal import EthCrypto
internal import EthPrimitives
internal import Store

/// Where an event happened, and how it changes the index tables (DESIGN.md §4).
struct EventContext {
    let contract: Address
    let block: UInt64
    let timestamp: UInt64
    let logIndex: UInt32
    /// The emitting transaction, when the block supplied it.
    let transaction: IndexedTransaction?
    let transactionIndex: UInt32

    var position: [UInt8] { KeyCoding.be64(block) + KeyCoding.be32(logIndex) }

    func record(_ kind: EventKind, from: Address? = nil, to: Address? = nil, operator: Address? = nil,
                user: Address? = nil, expires: UInt64? = nil, value: UInt256? = nil) -> HistoryRecord {
        HistoryRecord(kind: kind, from: from, to: to, operator: `operator`, user: user, expires: expires, value: value,
                      timestamp: timestamp, transactionHash: transaction?.hash ?? .zero, transactionIndex: transactionIndex)
    }

    static func kind(from: Address, to: Address) -> EventKind {
        from == .zero ? .mint : to == .zero ? .burn : .transfer
    }

    mutating func apply(_ event: TokenEvent, writer: inout BlockWriter) throws(IndexError) {
        let c = contract.bytes
        let standardsKey = Schema.contractStandards.key(c)
        let known = Standards(rawValue: try writer.get(standardsKey)?.first ?? 0)
        if !known.contains(event.standard) { try writer.set(standardsKey, [known.union(event.standard).rawValue]) }

        switch event {
        case .erc721Transfer(let from, let to, let tokenId):
            let id = tokenId.bigEndianBytes
            try writer.set(Schema.owner.key(c, id), to == .zero ? nil : to.bytes + KeyCoding.be64(block))
            writer.insertFresh(Schema.ownerHistory.key(c, id, position), to == .zero ? [] : to.bytes)
            if from != .zero {
                try writer.set(Schema.holderToken.key(from.bytes, c, id), nil)
                try add(Schema.holderBalance.key(c, from.bytes), UInt256(1), negative: true, writer: &writer)
            }
            if to != .zero {
                try writer.set(Schema.holderToken.key(to.bytes, c, id), [Standards.erc721.rawValue])
                try add(Schema.holderBalance.key(c, to.bytes), UInt256(1), negative: false, writer: &writer)
            }
            if from == .zero { try recordMint(id, writer: &writer) }
            writer.insertFresh(Schema.history.key(c, id, position), record(Self.kind(from: from, to: to), from: from, to: to).encoded)

        case .erc20Transfer(let from, let to, let value):
            let zeroId = UInt256.zero.bigEndianBytes
            for (holder, negative) in [(from, true), (to, false)] where holder != .zero {
                let balance = try add(Schema.holderBalance.key(c, holder.bytes), value, negative: negative, writer: &writer)
                try writer.set(Schema.holderToken.key(holder.bytes, c, zeroId), balance.isZero ? nil : [Standards.erc20.rawValue])
            }
            writer.insertFresh(Schema.contractHistory.key(c, position), record(Self.kind(from: from, to: to), from: from, to: to, value: value).encoded)

        case .transferSingle(let op, let from, let to, let id, let value):
            try transfer1155(op, from, to, id, value, writer: &writer)

        case .transferBatch(let op, let from, let to, let ids, let values):
            // An id listed more than once moves the sum of its values, in one history record: the history key is
            // (token, block, log), and two records under it would overwrite each other.
            for (id, value) in TokenEvent.mergedBatch(ids: ids, values: values) { try transfer1155(op, from, to, id, value, writer: &writer) }

        case .erc721Approval(let owner, let approved, let tokenId):
            writer.insertFresh(Schema.history.key(c, tokenId.bigEndianBytes, position), record(.approval, from: owner, operator: approved).encoded)

        case .erc20Approval(let owner, let spender, let value):
            writer.insertFresh(Schema.contractHistory.key(c, position), record(.approval, from: owner, operator: spender, value: value).encoded)

        case .approvalForAll(let owner, let op, let approved):
            writer.insertFresh(Schema.contractHistory.key(c, position), record(.approval, from: owner, operator: op, value: UInt256(approved ? 1 : 0)).encoded)

        case .updateUser(let tokenId, let user, let expires):
            let id = tokenId.bigEndianBytes
            try writer.set(Schema.rental.key(c, id), user.bytes + KeyCoding.be64(expires) + KeyCoding.be64(block))
            writer.insertFresh(Schema.history.key(c, id, position), record(.rental, user: user, expires: expires).encoded)

        case .aigcData(let tokenId, let promptHash, let aigcDataHash, let proof):
            try recordAigc(tokenId, promptHash, aigcDataHash, proof: proof, isUpdate: false, writer: &writer)

        case .aigcUpdate(let tokenId, let promptHash, let aigcDataHash):
            try recordAigc(tokenId, promptHash, aigcDataHash, proof: [], isUpdate: true, writer: &writer)

        case .aigcDraftMint(_, let tokenId, let promptHash, let aigcData, _, let proof):
            // The token itself moves by the ERC-721 Transfer the contract emits beside it.
            try recordAigc(tokenId, promptHash, keccak256(aigcData), proof: proof, isUpdate: false, output: aigcData, writer: &writer)

        case .metadataUpdate(let tokenId):
            writer.insertFresh(Schema.history.key(c, tokenId.bigEndianBytes, position), record(.metadata).encoded)

        case .uri(_, let id):
            writer.insertFresh(Schema.history.key(c, id.bigEndianBytes, position), record(.metadata).encoded)

        case .batchMetadataUpdate(let fromTokenId, let toTokenId):
            writer.insertFresh(Schema.contractHistory.key(c, position), record(.metadata, value: toTokenId &- fromTokenId &+ UInt256(1)).encoded)
        }
    }

    private mutating func transfer1155(_ op: Address, _ from: Address, _ to: Address, _ tokenId: UInt256, _ value: UInt256, writer: inout BlockWriter) throws(IndexError) {
        let c = contract.bytes, id = tokenId.bigEndianBytes
        for (holder, negative) in [(from, true), (to, false)] where holder != .zero {
            let balance = try add(Schema.tokenBalance.key(c, id, holder.bytes), value, negative: negative, writer: &writer)
            try writer.set(Schema.holderToken.key(holder.bytes, c, id), balance.isZero ? nil : [Standards.erc1155.rawValue])
        }
        if from == .zero { try recordMint(id, writer: &writer) }
        writer.insertFresh(Schema.history.key(c, id, position), record(Self.kind(from: from, to: to), from: from, to: to, operator: op, value: value).encoded)
    }

    /// Adds or subtracts `amount` from a stored balance and returns the new one. Balances only ever come from
    /// events, so a non-standard contract can underflow one (tokens moved that no event gave): it saturates at
    /// zero. A zero balance is deleted, so holder scans see only holders.
    @discardableResult
    private func add(_ key: [UInt8], _ amount: UInt256, negative: Bool, writer: inout BlockWriter) throws(IndexError) -> UInt256 {
        let current = try writer.get(key).flatMap { UInt256(bigEndian: $0) } ?? .zero
        let updated: UInt256
        if negative {
            let (difference, underflow) = current.subtractingReportingOverflow(amount)
            updated = underflow ? .zero : difference
        } else {
            let (sum, overflow) = current.addingReportingOverflow(amount)
            updated = overflow ? .max : sum
        }
        try writer.set(key, updated.isZero ? nil : updated.bigEndianBytes)
        return updated
    }

    /// The first mint of a token records its minter: the recovered sender of the minting transaction.
    private func recordMint(_ id: [UInt8], writer: inout BlockWriter) throws(IndexError) {
        let key = Schema.minter.key(contract.bytes, id)
        guard let transaction, try writer.get(key) == nil else { return }
        try writer.set(key, MintRecord(minter: transaction.sender, transactionHash: transaction.hash, block: block, timestamp: timestamp).encoded)
    }

    private func recordAigc(
        _ tokenId: UInt256, _ promptHash: Hash32, _ aigcDataHash: Hash32, proof: [UInt8], isUpdate: Bool, output known: [UInt8]? = nil,
        writer: inout BlockWriter
    ) throws(IndexError) {
        let id = tokenId.bigEndianBytes
        // The log holds hashes (the output itself in the draft's Mint); the raw bytes come from the verified
        // calldata when the transaction called the contract directly with a `bytes` argument of the same hash.
        var prompt: [UInt8]?, output = known
        if let transaction, transaction.to == contract, transaction.input.count > 4 {
            for candidate in Self.bytesArguments(Array(transaction.input.dropFirst(4))) {
                let hash = keccak256(candidate)
                if prompt == nil && hash == promptHash { prompt = candidate }
                if output == nil && hash == aigcDataHash { output = candidate }
            }
        }
        let aigc = AigcRecord(promptHash: promptHash, aigcDataHash: aigcDataHash, proof: proof, prompt: prompt, aigcData: output,
                              transactionHash: transaction?.hash ?? .zero, isUpdate: isUpdate)
        writer.insertFresh(Schema.aigc.key(contract.bytes, id, position), aigc.encoded)
        writer.insertFresh(Schema.history.key(contract.bytes, id, position), record(.aigc).encoded)
    }

    /// Every head word of ABI-encoded arguments that points at a well-formed dynamic `bytes` value.
    static let maxArgumentWords = 16

    static func bytesArguments(_ arguments: [UInt8]) -> [[UInt8]] {
        let abi = ABIReader(arguments)
        return (0..<min(maxArgumentWords, arguments.count / 32)).compactMap { try? abi.bytes(at: $0) }
    }
}
