internal import EthCrypto
internal import EthPrimitives
internal import Store
internal import TokenEvents

/// Where an event happened, and how it changes the index tables (ARCHITECTURE.md §4).
struct EventContext {
    let contract: Address
    let block: UInt64
    let timestamp: UInt64
    let logIndex: UInt32
    /// The emitting transaction, when the block supplied it.
    let transaction: IndexedTransaction?
    let transactionIndex: UInt32

    /// The key of this event's record in a positional table.
    func position(_ table: Schema, _ tokenId: UInt256) -> IndexKey {
        .position(table, contract, tokenId, block: block, logIndex: logIndex)
    }

    /// The event's history record. A mint's record carries the minter (the transaction's recovered sender), so
    /// the token's first mint record answers who minted it without a table of its own.
    func record(_ kind: EventKind, from: Address? = nil, to: Address? = nil, operator: Address? = nil,
                user: Address? = nil, expires: UInt64? = nil, value: UInt256? = nil) -> HistoryRecord {
        HistoryRecord(kind: kind, from: from, to: to, operator: `operator`, user: user, expires: expires, value: value,
                      timestamp: timestamp, transactionHash: transaction?.hash ?? .zero, transactionIndex: transactionIndex,
                      sender: kind == .mint ? transaction?.sender : nil)
    }

    static func kind(from: Address, to: Address) -> EventKind {
        from == .zero ? .mint : to == .zero ? .burn : .transfer
    }

    mutating func apply(_ event: TokenEvent, writer: inout BlockWriter) throws(IndexError) {
        let c = contract
        let standardsKey = IndexKey.contractStandards(c)
        let known = Standards(rawValue: try writer.get(standardsKey)?.first ?? 0)
        let standards = known.union(event.standard)
        if standards != known { try writer.set(standardsKey, StateValue(byte: standards.rawValue)) }
        // A contract that has shown one holder standard only wrote its holder entries by that standard's rules, so
        // their invariants tell what an entry holds without a read; a mixed contract pays the reads.
        let single = standards.intersection(Standards.holderStandards).rawValue.nonzeroBitCount == 1

        switch event {
        case .erc721Transfer(let from, let to, let tokenId):
            // The token leaves its indexed owner, whoever the log names as `from`: a non-standard contract's
            // inconsistent `from` cannot leave the token listed under two holders or drive a count below zero.
            let id = tokenId, ownerKey = IndexKey.owner(c, tokenId)
            let owner = to == .zero ? nil : StateValue(to, be64: block)
            let previous = try writer.update(ownerKey) { _ in owner }?.address
            writer.insertFresh(position(.ownerHistory, id), record(Self.kind(from: from, to: to), from: from, to: to))
            if previous != to {
                // Single-standard invariant: an ERC-721 holder entry exists exactly for the token's owner.
                if let previous {
                    try setHolderEntry(.holderToken(previous, c, id), nil, known: StateValue(byte: Standards.erc721.rawValue), single: single, writer: &writer)
                    try add(.holderBalance(c, previous), UInt256(1), negative: true, writer: &writer)
                }
                if to != .zero {
                    try setHolderEntry(.holderToken(to, c, id), StateValue(byte: Standards.erc721.rawValue), known: nil, single: single, writer: &writer)
                    try add(.holderBalance(c, to), UInt256(1), negative: false, writer: &writer)
                }
            }

        case .erc20Transfer(let from, let to, let value):
            for (holder, negative) in [(from, true), (to, false)] where holder != .zero {
                let balance = try add(.shareBalance(c, holder), value, negative: negative, writer: &writer)
                try updateHolderEntry(.holderShares(holder, c), .erc20, balance, single: single, writer: &writer)
            }
            writer.insertFresh(.contractHistory(c, block: block, logIndex: logIndex), record(Self.kind(from: from, to: to), from: from, to: to, value: value))

        case .transferSingle(let op, let from, let to, let id, let value):
            try transfer1155(op, from, to, id, value, single: single, writer: &writer)

        case .transferBatch(let op, let from, let to, let ids, let values):
            // An id listed more than once moves the sum of its values, in one history record: the history key is
            // (token, block, log), and two records under it would overwrite each other.
            for (id, value) in TokenEvent.mergedBatch(ids: ids, values: values) {
                try transfer1155(op, from, to, id, value, single: single, writer: &writer)
            }

        case .erc721Approval(let owner, let approved, let tokenId):
            writer.insertFresh(position(.history, tokenId), record(.approval, from: owner, operator: approved))

        case .erc20Approval(let owner, let spender, let value):
            writer.insertFresh(.contractHistory(c, block: block, logIndex: logIndex), record(.approval, from: owner, operator: spender, value: value))

        case .approvalForAll(let owner, let op, let approved):
            writer.insertFresh(.contractHistory(c, block: block, logIndex: logIndex), record(.approval, from: owner, operator: op, value: UInt256(approved ? 1 : 0)))

        case .updateUser(let tokenId, let user, let expires):
            writer.insertFresh(position(.rental, tokenId), record(.rental, user: user, expires: expires))

        case .aigcData(let tokenId, let promptHash, let aigcDataHash, let proof):
            try recordAigc(tokenId, promptHash, aigcDataHash, proof: proof, isUpdate: false, writer: &writer)

        case .aigcUpdate(let tokenId, let promptHash, let aigcDataHash):
            try recordAigc(tokenId, promptHash, aigcDataHash, proof: [], isUpdate: true, writer: &writer)

        case .aigcDraftMint(_, let tokenId, let promptHash, let aigcData, _, let proof):
            // The token itself moves by the ERC-721 Transfer the contract emits beside it.
            try recordAigc(tokenId, promptHash, keccak256(aigcData), proof: proof, isUpdate: false, output: aigcData, writer: &writer)

        case .metadataUpdate(let tokenId):
            writer.insertFresh(position(.history, tokenId), record(.metadata))

        case .uri(_, let id):
            writer.insertFresh(position(.history, id), record(.metadata))

        case .batchMetadataUpdate(let fromTokenId, let toTokenId):
            writer.insertFresh(.contractHistory(c, block: block, logIndex: logIndex), record(.metadata, value: toTokenId &- fromTokenId &+ UInt256(1)))
        }
    }

    private mutating func transfer1155(
        _ op: Address, _ from: Address, _ to: Address, _ tokenId: UInt256, _ value: UInt256, single: Bool, writer: inout BlockWriter
    ) throws(IndexError) {
        let id = tokenId
        for (holder, negative) in [(from, true), (to, false)] where holder != .zero {
            let balance = try add(.tokenBalance(contract, id, holder), value, negative: negative, writer: &writer)
            try updateHolderEntry(.holderToken(holder, contract, id), .erc1155, balance, single: single, writer: &writer)
        }
        writer.insertFresh(position(.history, id), record(Self.kind(from: from, to: to), from: from, to: to, operator: op, value: value))
    }

    /// Adds or subtracts `amount` from a stored balance. Balances only ever come from events, so a non-standard
    /// contract can underflow one (tokens moved that no event gave): it saturates at zero. A zero balance is
    /// deleted, so holder scans see only holders.
    @discardableResult
    private func add(_ key: IndexKey, _ amount: UInt256, negative: Bool, writer: inout BlockWriter) throws(IndexError) -> (before: UInt256, after: UInt256) {
        var balance = (before: UInt256.zero, after: UInt256.zero)
        try writer.update(key) { value in
            let current = value?.bigEndian ?? .zero
            let updated: UInt256
            if negative {
                let (difference, underflow) = current.subtractingReportingOverflow(amount)
                updated = underflow ? .zero : difference
            } else {
                let (sum, overflow) = current.addingReportingOverflow(amount)
                updated = overflow ? .max : sum
            }
            balance = (current, updated)
            if updated == current { return value }
            return updated.isZero ? nil : StateValue(balance: updated)
        }
        return balance
    }

    /// Keeps an ERC-20 or ERC-1155 holder entry in step with its balance: present exactly while the balance is not
    /// zero, which for a single-standard contract also says what the entry held before.
    private func updateHolderEntry(_ key: IndexKey, _ standard: Standards, _ balance: (before: UInt256, after: UInt256), single: Bool,
                                   writer: inout BlockWriter) throws(IndexError) {
        let entry: (UInt256) -> StateValue? = { $0.isZero ? nil : StateValue(byte: standard.rawValue) }
        if single && balance.before.isZero == balance.after.isZero { return }
        try setHolderEntry(key, entry(balance.after), known: entry(balance.before), single: single, writer: &writer)
    }

    /// Sets a holder entry, taking its current value from the invariant when the contract is single-standard.
    private func setHolderEntry(_ key: IndexKey, _ value: StateValue?, known: StateValue?, single: Bool, writer: inout BlockWriter) throws(IndexError) {
        if single { writer.set(key, value, knownCurrent: known) } else { try writer.set(key, value) }
    }

    private func recordAigc(
        _ tokenId: UInt256, _ promptHash: Hash32, _ aigcDataHash: Hash32, proof: [UInt8], isUpdate: Bool, output known: [UInt8]? = nil,
        writer: inout BlockWriter
    ) throws(IndexError) {
        // The log holds hashes (the output itself in the draft's Mint); the raw bytes come from the verified
        // calldata when the transaction called the contract directly with a `bytes` argument of the same hash.
        let (prompt, output) = Self.recoverAigcBytes(transaction: transaction, contract: contract, promptHash: promptHash,
                                                     aigcDataHash: aigcDataHash, output: known)
        let aigc = AigcRecord(promptHash: promptHash, aigcDataHash: aigcDataHash, proof: proof, prompt: prompt, aigcData: output,
                              transactionHash: transaction?.hash ?? .zero, isUpdate: isUpdate)
        writer.insertFresh(position(.aigc, tokenId), aigc)
        writer.insertFresh(position(.history, tokenId), record(.aigc))
    }

    /// The raw prompt and output of an ERC-7007 record: `bytes` arguments of the emitting transaction's verified
    /// calldata whose keccak256 is the logged hash, when the transaction called the contract directly.
    static func recoverAigcBytes(transaction: IndexedTransaction?, contract: Address, promptHash: Hash32, aigcDataHash: Hash32,
                                 output known: [UInt8]?) -> (prompt: [UInt8]?, output: [UInt8]?) {
        var prompt: [UInt8]?, output = known
        if let transaction, transaction.to == contract, transaction.input.count > 4 {
            for candidate in bytesArguments(Array(transaction.input.dropFirst(4))) {
                let hash = keccak256(candidate)
                if prompt == nil && hash == promptHash { prompt = candidate }
                if output == nil && hash == aigcDataHash { output = candidate }
            }
        }
        return (prompt, output)
    }

    /// Every head word of ABI-encoded arguments that points at a well-formed dynamic `bytes` value.
    static let maxArgumentWords = 16

    static func bytesArguments(_ arguments: [UInt8]) -> [[UInt8]] {
        let abi = ABIReader(arguments)
        return (0..<min(maxArgumentWords, arguments.count / 32)).compactMap { try? abi.bytes(at: $0) }
    }
}
