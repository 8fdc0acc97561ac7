public import AssetIndex
public import EthPrimitives
internal import EthCrypto
internal import TokenEvents

/// One row of `token_events`: an indexed event at its place in the chain, with every field its kind has
/// (ARCHITECTURE.md §12). A `TransferBatch` is one row per id (repeated ids merged, as the index moves them), told
/// apart by `batchIndex`; every other event is one row with `batchIndex` 0.
public struct EventRow: Sendable, Equatable {
    /// The `event` column: which event of which standard.
    public enum Kind: String, Sendable, CaseIterable {
        case erc721Transfer = "erc721_transfer", erc721Approval = "erc721_approval"
        case erc20Transfer = "erc20_transfer", erc20Approval = "erc20_approval"
        case transferSingle = "transfer_single", transferBatch = "transfer_batch", approvalForAll = "approval_for_all", uri
        case updateUser = "update_user"
        case aigcData = "aigc_data", aigcUpdate = "aigc_update", aigcMint = "aigc_mint"
        case metadataUpdate = "metadata_update", batchMetadataUpdate = "batch_metadata_update"

        /// The standard an event of this kind shows its contract implements (`TokenEvent.standard`).
        var standard: Standards {
            switch self {
            case .erc721Transfer, .erc721Approval: return .erc721
            case .erc20Transfer, .erc20Approval: return .erc20
            case .transferSingle, .transferBatch, .uri: return .erc1155
            case .approvalForAll: return []
            case .updateUser: return .erc4907
            case .aigcData, .aigcUpdate, .aigcMint: return .erc7007
            case .metadataUpdate, .batchMetadataUpdate: return .erc4906
            }
        }

        /// Whether the row moves a token or a balance (the `change` column says how).
        var moves: Bool { [.erc721Transfer, .erc20Transfer, .transferSingle, .transferBatch].contains(self) }
    }

    public var block: UInt64
    public var blockHash: Hash32
    public var timestamp: UInt64
    public var transactionHash: Hash32
    public var transactionIndex: UInt32
    public var logIndex: UInt32
    public var batchIndex: UInt32
    public var contract: Address
    public var kind: Kind
    /// The token; nil for ERC-20 events and approvals for all.
    public var tokenId: UInt256?
    public var `operator`: Address?
    public var from: Address?
    public var to: Address?
    public var value: UInt256?
    public var user: Address?
    public var expires: UInt64?
    public var promptHash: Hash32?
    public var aigcDataHash: Hash32?
    public var proof: [UInt8]?
    public var prompt: [UInt8]?
    public var aigcData: [UInt8]?
    /// The recovered sender of the emitting transaction.
    public var sender: Address?

    /// `mint`, `transfer` or `burn` for a row that moves a token or balance, by its zero addresses.
    public var change: String? {
        guard kind.moves, let from, let to else { return nil }
        return from == .zero ? "mint" : to == .zero ? "burn" : "transfer"
    }

    /// Where the row sorts in its chain: the index's order of events.
    var position: (UInt64, UInt32, UInt32) { (block, logIndex, batchIndex) }

    init(block: UInt64, blockHash: Hash32, timestamp: UInt64, transactionHash: Hash32, transactionIndex: UInt32, logIndex: UInt32,
         batchIndex: UInt32, contract: Address, kind: Kind) {
        (self.block, self.blockHash, self.timestamp, self.transactionHash) = (block, blockHash, timestamp, transactionHash)
        (self.transactionIndex, self.logIndex, self.batchIndex, self.contract, self.kind) = (transactionIndex, logIndex, batchIndex, contract, kind)
    }

    /// The rows of one event of a block.
    public static func rows(of event: BlockEvent, block: UInt64, hash: Hash32, timestamp: UInt64) -> [EventRow] {
        func row(_ kind: Kind, batchIndex: UInt32 = 0) -> EventRow {
            var row = EventRow(block: block, blockHash: hash, timestamp: timestamp, transactionHash: event.transaction?.hash ?? .zero,
                               transactionIndex: event.transactionIndex, logIndex: event.logIndex, batchIndex: batchIndex,
                               contract: event.contract, kind: kind)
            row.sender = event.transaction?.sender
            return row
        }
        switch event.event {
        case .erc721Transfer(let from, let to, let tokenId):
            var r = row(.erc721Transfer); (r.from, r.to, r.tokenId) = (from, to, tokenId); return [r]
        case .erc721Approval(let owner, let approved, let tokenId):
            var r = row(.erc721Approval); (r.from, r.operator, r.tokenId) = (owner, approved, tokenId); return [r]
        case .erc20Transfer(let from, let to, let value):
            var r = row(.erc20Transfer); (r.from, r.to, r.value) = (from, to, value); return [r]
        case .erc20Approval(let owner, let spender, let value):
            var r = row(.erc20Approval); (r.from, r.operator, r.value) = (owner, spender, value); return [r]
        case .transferSingle(let op, let from, let to, let id, let value):
            var r = row(.transferSingle); (r.operator, r.from, r.to, r.tokenId, r.value) = (op, from, to, id, value); return [r]
        case .transferBatch(let op, let from, let to, let ids, let values):
            return TokenEvent.mergedBatch(ids: ids, values: values).enumerated().map { i, pair in
                var r = row(.transferBatch, batchIndex: UInt32(i)); (r.operator, r.from, r.to, r.tokenId, r.value) = (op, from, to, pair.id, pair.value); return r
            }
        case .approvalForAll(let owner, let op, let approved):
            var r = row(.approvalForAll); (r.from, r.operator, r.value) = (owner, op, UInt256(approved ? 1 : 0)); return [r]
        case .uri(_, let id):
            var r = row(.uri); r.tokenId = id; return [r]
        case .updateUser(let tokenId, let user, let expires):
            var r = row(.updateUser); (r.tokenId, r.user, r.expires) = (tokenId, user, expires); return [r]
        case .aigcData(let tokenId, let promptHash, let aigcDataHash, let proof):
            var r = row(.aigcData); (r.tokenId, r.promptHash, r.aigcDataHash, r.proof) = (tokenId, promptHash, aigcDataHash, proof)
            (r.prompt, r.aigcData) = (event.prompt, event.output); return [r]
        case .aigcUpdate(let tokenId, let promptHash, let aigcDataHash):
            var r = row(.aigcUpdate); (r.tokenId, r.promptHash, r.aigcDataHash) = (tokenId, promptHash, aigcDataHash)
            (r.prompt, r.aigcData) = (event.prompt, event.output); return [r]
        case .aigcDraftMint(let to, let tokenId, let promptHash, let output, _, let proof):
            var r = row(.aigcMint); (r.to, r.tokenId, r.promptHash, r.aigcDataHash, r.proof) = (to, tokenId, promptHash, keccak256(output), proof)
            (r.prompt, r.aigcData) = (event.prompt, event.output); return [r]
        case .metadataUpdate(let tokenId):
            var r = row(.metadataUpdate); r.tokenId = tokenId; return [r]
        case .batchMetadataUpdate(let fromTokenId, let toTokenId):
            var r = row(.batchMetadataUpdate); (r.tokenId, r.value) = (fromTokenId, toTokenId); return [r]
        }
    }
}
