/// Errors of the storage layer, mapped in one place from the C libraries' reports.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LevelDB reported an error (its message, verbatim).
    case leveldb(String)
    /// zstd reported an error (its name for it).
    case zstd(String)
    /// A compressed blob whose frame does not state its decompressed size, or states one above the cap.
    case blobTooLarge(Int)
    /// Stored data that does not decode: the data directory is damaged.
    case corrupt(String)

    public var description: String {
        switch self {
        case .leveldb(let message): return "LevelDB: \(message)"
        case .zstd(let message): return "zstd: \(message)"
        case .blobTooLarge(let size): return "a stored blob claims \(size) bytes, above the \(Zstd.maxDecompressedSize)-byte cap"
        case .corrupt(let message): return "damaged data: \(message)"
        }
    }
}
