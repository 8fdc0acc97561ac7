public import AssetIndex
public import EthPrimitives
public import EthTypes
public import Ingest
public import Store
public import TokenEvents

/// A data directory: the LevelDB store, the index over it, and what it was filled with (`WatchRecord`), recorded
/// on first use so that later commands read the same.
public struct DataDirectory: Sendable {
    public let path: String
    public let store: LevelDB
    public let index: AssetIndex

    /// Opens `path`; only a command that fills a directory may `create` one.
    public init(path: String, create: Bool = false, undoWindow: UInt64 = AssetIndex.defaultUndoWindow) throws(NodeError) {
        self.path = path
        do {
            store = try LevelDB(path: path, create: create)
            try Schema.checkVersion(of: store)
        } catch {
            throw .cannotOpen(path: path, cause: error)
        }
        index = AssetIndex(store: store, undoWindow: undoWindow)
    }

    /// What the directory was filled with; `nil` for a directory never filled.
    public func recorded() throws(NodeError) -> WatchRecord? {
        do throws(StoreError) { return try WatchRecord.read(from: store) } catch { throw .store(path: path, error) }
    }

    /// The chainspec the directory was filled with.
    public func chainspec() throws(NodeError) -> Chainspec {
        guard let record = try recorded() else { throw .empty(path: path) }
        return try ChainspecDirectories.load(record.chain)
    }

    /// Records the chain and contracts (with the standards declared for them) in a new directory, or checks that they
    /// are the ones it holds: an index built for other contracts or another chain would answer wrongly without
    /// saying so.
    public func record(chain: String, spec: Chainspec, startBlocks: [Address: UInt64], standards: [Address: Standards] = [:]) throws(NodeError) {
        let declared = standards.filter { !$0.value.isEmpty }.mapValues(\.rawValue)
        if let recorded = try recorded() {
            let recordedSpec = try ChainspecDirectories.load(recorded.chain)
            guard recordedSpec.name == spec.name, recordedSpec.chainId == spec.chainId else {
                throw .otherChain(path: path, holds: recordedSpec.name, asked: spec.name)
            }
            guard recorded.startBlocks == startBlocks, recorded.standards == declared else { throw .otherContracts(path: path) }
            return
        }
        do throws(StoreError) { try WatchRecord(chain: chain, startBlocks: startBlocks, standards: declared).write(to: store) } catch {
            throw .store(path: path, error)
        }
    }

    /// The chainspec and an ingestor for what the directory records.
    public func ingestor() throws(NodeError) -> (Chainspec, Ingestor) {
        guard let record = try recorded() else { throw .empty(path: path) }
        let spec = try ChainspecDirectories.load(record.chain)
        return (spec, Ingestor(index: index, spec: spec, watched: Set(record.startBlocks.keys), startBlocks: record.startBlocks))
    }

    /// The highest indexed block that no reorg can undo: the block a quorum of upstreams reported finalized, or,
    /// where none was (a chain without finality), the indexed tip minus the undo window. Nil when none is yet.
    public func finalBlock() throws(NodeError) -> UInt64? {
        do throws(StoreError) {
            if let finalized = try BlockStore(store: store).finalized() { return finalized.number }
        } catch {
            throw .store(path: path, error)
        }
        let tip: UInt64?
        do throws(IndexError) { tip = try index.cursor()?.number } catch {
            guard case .store(let cause) = error else { throw .store(path: path, .corrupt("\(error)")) }
            throw .store(path: path, cause)
        }
        guard let tip, tip >= index.undoWindow else { return nil }
        return tip - index.undoWindow
    }

    /// Refuses a directory whose reindex was interrupted: its index is incomplete until one runs to the end.
    public func requireNoInterruptedReindex() throws(NodeError) {
        let interrupted: Bool
        do throws(StoreError) { interrupted = try Reindexer.isInterrupted(store) } catch { throw .store(path: path, error) }
        if interrupted { throw .reindexInterrupted(path: path) }
    }
}
