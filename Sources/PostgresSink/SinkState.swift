public import EthPrimitives

/// A token of a contract: the key of `owners`, `rentals` and `provenance`.
public struct TokenKey: Hashable, Sendable {
    public var contract: Address
    public var tokenId: UInt256
}

/// A holder's balance of an ERC-1155 id, or (no id) of an ERC-20: the key of `balances`.
public struct BalanceKey: Hashable, Sendable {
    public var contract: Address
    /// nil for an ERC-20 balance.
    public var tokenId: UInt256?
    public var holder: Address
}

/// The current ERC-721 owner and the block of the transfer that made it so.
public struct OwnerValue: Equatable, Sendable {
    public var owner: Address
    public var block: UInt64
}

/// The latest ERC-4907 `UpdateUser` of a token, as recorded (a zero user: cleared).
public struct RentalValue: Equatable, Sendable {
    public var user: Address
    public var expires: UInt64
    public var block: UInt64
}

/// Who minted a token, and its latest ERC-7007 record.
public struct ProvenanceValue: Equatable, Sendable {
    public var minter: Address?
    public var mintBlock: UInt64?
    public var mintTransaction: Hash32?
    public var aigcRecords: Int = 0
    public var latest: AigcLatest?

    /// A token's latest ERC-7007 record: its hashes, the prompt and output where known, and where it was logged.
    public struct AigcLatest: Equatable, Sendable {
        public var promptHash: Hash32
        public var aigcDataHash: Hash32
        public var prompt: [UInt8]?
        public var aigcData: [UInt8]?
        public var block: UInt64
        public var logIndex: UInt32
        public var transactionHash: Hash32
    }
}

/// The state tables' values for a set of keys, changed event by event with the index's rules (ARCHITECTURE.md §4):
/// the owner is the latest ERC-721 transfer's receiver (none after a burn), a balance moves by each transfer and
/// saturates at zero and at 2^256 - 1 like the index's, a rental is the latest `UpdateUser`, the minter is the
/// recovered sender of the token's first mint. A key present with nil is known to have no row. The live sink starts
/// from the rows of the keys a group of blocks touches, a reorg from nothing over the rows that remain, an export
/// from nothing over every row.
struct SinkState {
    var owners: [TokenKey: OwnerValue?] = [:]
    var balances: [BalanceKey: UInt256] = [:]
    var rentals: [TokenKey: RentalValue?] = [:]
    var provenance: [TokenKey: ProvenanceValue?] = [:]

    /// Applies one event row (rows must come in chain order).
    mutating func apply(_ row: EventRow) {
        switch row.kind {
        case .erc721Transfer:
            guard let tokenId = row.tokenId, let to = row.to else { return }
            let key = TokenKey(contract: row.contract, tokenId: tokenId)
            owners[key] = .some(to == .zero ? nil : OwnerValue(owner: to, block: row.block))
            noteMint(row, key)
        case .erc20Transfer, .transferSingle, .transferBatch:
            guard let from = row.from, let to = row.to, let value = row.value else { return }
            let id = row.kind == .erc20Transfer ? nil : row.tokenId
            // The sender first, then the receiver: a transfer to oneself past one's balance ends at the value, as
            // in the index.
            if from != .zero { move(BalanceKey(contract: row.contract, tokenId: id, holder: from), value, negative: true) }
            if to != .zero { move(BalanceKey(contract: row.contract, tokenId: id, holder: to), value, negative: false) }
            if let id { noteMint(row, TokenKey(contract: row.contract, tokenId: id)) }
        case .updateUser:
            guard let tokenId = row.tokenId else { return }
            rentals[TokenKey(contract: row.contract, tokenId: tokenId)] = .some(RentalValue(user: row.user ?? .zero, expires: row.expires ?? 0, block: row.block))
        case .aigcData, .aigcUpdate, .aigcMint:
            guard let tokenId = row.tokenId else { return }
            let key = TokenKey(contract: row.contract, tokenId: tokenId)
            var value = (provenance[key] ?? nil) ?? ProvenanceValue()
            value.aigcRecords += 1
            value.latest = ProvenanceValue.AigcLatest(
                promptHash: row.promptHash ?? .zero, aigcDataHash: row.aigcDataHash ?? .zero, prompt: row.prompt, aigcData: row.aigcData,
                block: row.block, logIndex: row.logIndex, transactionHash: row.transactionHash)
            provenance[key] = .some(value)
        case .erc721Approval, .erc20Approval, .approvalForAll, .uri, .metadataUpdate, .batchMetadataUpdate:
            return
        }
    }

    /// Records the minter at a token's first mint with a known sender.
    private mutating func noteMint(_ row: EventRow, _ key: TokenKey) {
        guard row.change == "mint", let sender = row.sender else { return }
        var value = (provenance[key] ?? nil) ?? ProvenanceValue()
        guard value.minter == nil else { return }
        (value.minter, value.mintBlock, value.mintTransaction) = (sender, row.block, row.transactionHash)
        provenance[key] = .some(value)
    }

    private mutating func move(_ key: BalanceKey, _ amount: UInt256, negative: Bool) {
        let current = balances[key] ?? .zero
        if negative {
            let (difference, underflow) = current.subtractingReportingOverflow(amount)
            balances[key] = underflow ? .zero : difference
        } else {
            let (sum, overflow) = current.addingReportingOverflow(amount)
            balances[key] = overflow ? .max : sum
        }
    }

    /// The keys `rows` touch, each present with no value: the set a live group loads before folding.
    static func touched(by rows: [EventRow]) -> SinkState {
        var state = SinkState()
        for row in rows {
            switch row.kind {
            case .erc721Transfer:
                guard let tokenId = row.tokenId else { continue }
                let key = TokenKey(contract: row.contract, tokenId: tokenId)
                state.owners[key] = .some(nil)
                if row.change == "mint" { state.provenance[key] = .some(nil) }
            case .erc20Transfer, .transferSingle, .transferBatch:
                let id = row.kind == .erc20Transfer ? nil : row.tokenId
                for holder in [row.from, row.to] {
                    if let holder, holder != .zero { state.balances[BalanceKey(contract: row.contract, tokenId: id, holder: holder)] = .zero }
                }
                if let id, row.change == "mint" { state.provenance[TokenKey(contract: row.contract, tokenId: id)] = .some(nil) }
            case .updateUser:
                if let tokenId = row.tokenId { state.rentals[TokenKey(contract: row.contract, tokenId: tokenId)] = .some(nil) }
            case .aigcData, .aigcUpdate, .aigcMint:
                if let tokenId = row.tokenId { state.provenance[TokenKey(contract: row.contract, tokenId: tokenId)] = .some(nil) }
            case .erc721Approval, .erc20Approval, .approvalForAll, .uri, .metadataUpdate, .batchMetadataUpdate:
                continue
            }
        }
        return state
    }
}
