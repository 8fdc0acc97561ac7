public import EthPrimitives
internal import EthTypes
public import TokenEvents
internal import EthCrypto

/// One event of a block as the index reads it (ARCHITECTURE.md §4): what a sink outside the store writes, so that
/// its rows are the index's events, decoded by the same rules.
public struct BlockEvent: Sendable {
    public var contract: Address
    public var transactionIndex: UInt32
    /// Position among all logs of the block.
    public var logIndex: UInt32
    /// The emitting transaction (hash, recovered sender), when the block supplied it.
    public var transaction: IndexedTransaction?
    public var event: TokenEvent
    /// For an ERC-7007 record, the prompt and output recovered from the verified calldata (or carried by the log),
    /// as the index stores them in `AigcRecord`.
    public var prompt: [UInt8]?
    public var output: [UInt8]?
}

/// Reads blocks' events in order, keeping each undeclared contract's standards as its events show them, as the
/// index does while applying: Transfer and Approval are read by what the contract is.
public struct BlockEventReader: Sendable {
    let declared: [Address: Standards]
    /// The standards each contract's events read so far showed (the index's `contractStandards` as of the last
    /// block read).
    public private(set) var known: [Address: Standards]

    /// The events of `block`, which must come after every block this reader read before; logs that break their
    /// event's grammar are counted in `malformed` and skipped, as `apply` skips them.
    public mutating func events(of block: IndexedBlock) -> (events: [BlockEvent], malformed: Int) {
        var events: [BlockEvent] = [], malformed = 0
        let transactions = Dictionary(block.transactions.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        for indexed in block.logs {
            let contract = indexed.log.address
            let decoded = AssetIndex.decode(indexed.log, declared: declared) { known[contract] ?? [] }
            guard case .event(let event) = decoded else {
                if case .malformed = decoded { malformed += 1 }
                continue
            }
            known[contract, default: []].formUnion(event.standard)
            let transaction = transactions[indexed.transactionIndex]
            var item = BlockEvent(contract: contract, transactionIndex: indexed.transactionIndex, logIndex: indexed.logIndex,
                                  transaction: transaction, event: event)
            let hashes: (prompt: Hash32, output: Hash32, carried: [UInt8]?)?
            switch event {
            case .aigcData(_, let prompt, let output, _): hashes = (prompt, output, nil)
            case .aigcUpdate(_, let prompt, let output): hashes = (prompt, output, nil)
            case .aigcDraftMint(_, _, let prompt, let output, _, _): hashes = (prompt, keccak256(output), output)
            default: hashes = nil
            }
            if let hashes {
                (item.prompt, item.output) = EventContext.recoverAigcBytes(
                    transaction: transaction, contract: contract, promptHash: hashes.prompt, aigcDataHash: hashes.output, output: hashes.carried)
            }
            events.append(item)
        }
        return (events, malformed)
    }

}

extension AssetIndex {
    /// What a log is to the index: an event, a log of an indexed topic0 that breaks its grammar, or neither.
    enum Decoded {
        case event(TokenEvent), malformed, none
    }

    /// Decodes a watched contract's log. Transfer and Approval are read by what the contract is: declared, else
    /// `detected` (the standards its earlier events showed).
    static func decode<E: Error>(_ log: Log, declared: [Address: Standards], detected: () throws(E) -> Standards) throws(E) -> Decoded {
        var standards: Standards = []
        if let topic = log.topics.first, topic == TokenEvent.Topic.transfer || topic == TokenEvent.Topic.approval {
            if let declared = declared[log.address] { standards = declared } else { standards = try detected() }
        }
        do throws(EventDecodingError) {
            return try TokenEvent(log: log, standards: standards).map(Decoded.event) ?? .none
        } catch {
            return .malformed
        }
    }

    /// A reader that continues after a block whose contracts had shown `known` (empty: from the first block). The
    /// standards a contract showed by an earlier block decide how its events read, so a reader that started
    /// anywhere else would read a non-standard contract's early logs as the index did not.
    public func eventReader(known: [Address: Standards] = [:]) throws(IndexError) -> BlockEventReader {
        BlockEventReader(declared: try declaredStandards(), known: known)
    }
}
