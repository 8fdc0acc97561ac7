public import Store
public import PostgresSink

/// Why a data directory or a node could not be opened or used: what the user can act on, with the cause's type.
public enum NodeError: Error, CustomStringConvertible {
    /// LevelDB could not open the directory, or it was written with another storage layout.
    case cannotOpen(path: String, cause: any Error)
    /// The store failed underneath.
    case store(path: String, StoreError)
    /// The directory holds no chain yet (nothing was imported or synced into it).
    case empty(path: String)
    /// The directory was filled from another chain than the one asked for.
    case otherChain(path: String, holds: String, asked: String)
    /// The directory was indexed for other contracts or start blocks.
    case otherContracts(path: String)
    /// A reindex was interrupted: the index is incomplete until one runs to the end.
    case reindexInterrupted(path: String)
    /// A chainspec that does not load.
    case chainspec(name: String, cause: any Error)
    /// A sink of the config (`sinks[index]`) cannot be set up, or its database refuses it.
    case sink(index: Int, SinkError)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let cause): return "cannot open the data directory \(path): \(cause)"
        case .store(let path, let error): return "\(path): \(error)"
        case .empty(let path): return "\(path) holds no chain data yet"
        case .otherChain(let path, let holds, let asked): return "\(path) holds chain \"\(holds)\", not \"\(asked)\"; use another data directory"
        case .otherContracts(let path):
            return "\(path) was indexed for other contracts, start blocks or declared standards; watching a new contract needs its history, and a changed standard reads its events anew: use a new data directory"
        case .reindexInterrupted(let path): return "a reindex of \(path) was interrupted; run `provenant reindex --data-dir \(path)` first"
        case .chainspec(let name, let cause): return "chainspec \(name): \(cause)"
        case .sink(let index, let error): return "sinks[\(index)]: \(error)"
        }
    }
}
