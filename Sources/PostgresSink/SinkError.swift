public import Ingest
internal import PostgresNIO

/// Why the sink stopped or a step of it failed.
public enum SinkError: Error, CustomStringConvertible, Sendable {
    /// The configured URL or schema cannot be used.
    case settings(String)
    /// PostgreSQL could not be reached or refused a statement (SQLSTATE and its message): the live sink waits and
    /// tries again, `export` stops.
    case database(String)
    /// The database holds something this sink must not write over: another layout, another chain, a sink of the
    /// same name watching other contracts, another writer of the same sink, rows that no stored block explains.
    case conflict(String)
    /// The data directory could not be read.
    case store(IngestError)

    public var description: String {
        switch self {
        case .settings(let message): return "sink settings: \(message)"
        case .database(let message): return "PostgreSQL: \(message)"
        case .conflict(let message): return "PostgreSQL sink: \(message)"
        case .store(let error): return "data directory: \(error)"
        }
    }

    /// Maps PostgresNIO's errors once: a server's SQLSTATE and message, else what failed on the connection
    /// (`PSQLError`'s own description hides both).
    static func database(_ error: any Error) -> SinkError {
        if let error = error as? SinkError { return error }
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError { return database(inner) }
        }
        if let psql = error as? PSQLError {
            if let info = psql.serverInfo {
                return .database("\(info[.sqlState] ?? "?????") \(info[.message] ?? "no message")")
            }
            return .database("\(psql.code)")
        }
        return .database(String(describing: error))
    }
}
