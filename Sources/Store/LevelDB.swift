internal import CLevelDB
internal import Foundation

/// A LevelDB database, through the C API of the Debian library: the `KeyValueStore` on disk. Owns the handle and
/// its options and closes them on deinit. LevelDB is safe for concurrent reads and writes from several threads.
public final class LevelDB: KeyValueStore, @unchecked Sendable {
    private let db: OpaquePointer
    private let options: OpaquePointer
    private let readOptions: OpaquePointer
    private let writeOptions: OpaquePointer
    private let filterPolicy: OpaquePointer
    private let blockCache: OpaquePointer

    /// Bits per key of the bloom filter on each table: most index reads look up keys that do not exist yet
    /// (a token's first owner, a holder's first balance), and the filter answers those without reading a block.
    public static let bloomBitsPerKey: Int32 = 10
    /// The LRU cache of uncompressed blocks.
    public static let blockCacheBytes = 64 << 20
    /// The memtable size (LevelDB's default). Inserts into its skip list are bound by cache misses; at 16 MiB the
    /// index's batch writes took 0.65–0.73 s per 100,000 events, at 4 MiB 0.39–0.48 s (`provenant-bench index`).
    public static let writeBufferBytes = 4 << 20

    /// Opens the database at `path`, creating it (and its parent directories) when `create` is set; otherwise a
    /// missing database is an error rather than a new empty one. `sync` makes every write durable before it returns.
    public init(path: String, create: Bool = true, sync: Bool = false) throws(StoreError) {
        if !create && !FileManager.default.fileExists(atPath: path + "/CURRENT") {
            // Checked here: LevelDB itself would create the directory and its lock file before refusing.
            throw .leveldb("no database at \(path)")
        }
        if create {
            // LevelDB creates the database directory but not its parents.
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw .leveldb("cannot create \(path): \(error.localizedDescription)")
            }
        }
        options = leveldb_options_create()
        leveldb_options_set_create_if_missing(options, create ? 1 : 0)
        filterPolicy = leveldb_filterpolicy_create_bloom(Self.bloomBitsPerKey)
        leveldb_options_set_filter_policy(options, filterPolicy)
        blockCache = leveldb_cache_create_lru(Self.blockCacheBytes)
        leveldb_options_set_cache(options, blockCache)
        leveldb_options_set_write_buffer_size(options, Self.writeBufferBytes)
        readOptions = leveldb_readoptions_create()
        // Each block read from a file is checked against its CRC: a damaged file reads as a corruption error, not as
        // other bytes.
        leveldb_readoptions_set_verify_checksums(readOptions, 1)
        writeOptions = leveldb_writeoptions_create()
        leveldb_writeoptions_set_sync(writeOptions, sync ? 1 : 0)
        var error: UnsafeMutablePointer<CChar>?
        let handle = leveldb_open(options, path, &error)
        if let message = Self.take(error) {
            leveldb_options_destroy(options)
            leveldb_readoptions_destroy(readOptions)
            leveldb_writeoptions_destroy(writeOptions)
            leveldb_filterpolicy_destroy(filterPolicy)
            leveldb_cache_destroy(blockCache)
            throw Self.failure(message)
        }
        db = handle!
    }

    deinit {
        leveldb_close(db)
        leveldb_options_destroy(options)
        leveldb_readoptions_destroy(readOptions)
        leveldb_writeoptions_destroy(writeOptions)
        leveldb_filterpolicy_destroy(filterPolicy)
        leveldb_cache_destroy(blockCache)
    }

    /// Frees a LevelDB error string and returns it.
    private static func take(_ error: UnsafeMutablePointer<CChar>?) -> String? {
        guard let error else { return nil }
        defer { leveldb_free(error) }
        return String(cString: error)
    }

    /// A LevelDB error as a store error: its `Corruption:` ones (a block whose checksum fails, a damaged table) are
    /// damaged data.
    private static func failure(_ message: String) -> StoreError {
        message.hasPrefix("Corruption") ? .corrupt("LevelDB: \(message)") : .leveldb(message)
    }

    public func get(_ key: [UInt8]) throws(StoreError) -> [UInt8]? {
        var error: UnsafeMutablePointer<CChar>?
        var length = 0
        let value = key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { leveldb_get(db, readOptions, $0.baseAddress, k.count, &length, &error) }
        }
        if let message = Self.take(error) { throw Self.failure(message) }
        guard let value else { return nil }
        defer { leveldb_free(value) }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Applies every operation of `batch` atomically: after a crash either all or none are visible.
    public func write(_ batch: WriteBatch) throws(StoreError) {
        let handle = leveldb_writebatch_create()
        defer { leveldb_writebatch_destroy(handle) }
        batch.forEach { key, value in
            let k = key.baseAddress?.assumingMemoryBound(to: CChar.self)
            if let value {
                leveldb_writebatch_put(handle, k, key.count, value.baseAddress?.assumingMemoryBound(to: CChar.self), value.count)
            } else {
                leveldb_writebatch_delete(handle, k, key.count)
            }
        }
        var error: UnsafeMutablePointer<CChar>?
        leveldb_write(db, writeOptions, handle, &error)
        if let message = Self.take(error) { throw Self.failure(message) }
    }

    /// Compacts the whole key range: overwritten and deleted entries are dropped from disk. LevelDB does this
    /// on its own over time; this does it now (measuring the settled size of a store, or after a reindex).
    public func compactAll() {
        leveldb_compact_range(db, nil, 0, nil, 0)
    }

    public func scan(_ range: KeyRange, reverse: Bool, limit: Int) throws(StoreError) -> [(key: [UInt8], value: [UInt8])] {
        let snapshot = leveldb_create_snapshot(db)
        let options = leveldb_readoptions_create()
        leveldb_readoptions_set_verify_checksums(options, 1)
        leveldb_readoptions_set_snapshot(options, snapshot)
        let iterator = leveldb_create_iterator(db, options)!
        defer {
            leveldb_iter_destroy(iterator)
            leveldb_readoptions_destroy(options)
            leveldb_release_snapshot(db, snapshot)
        }
        func seek(_ key: [UInt8]) {
            key.withUnsafeBytes { leveldb_iter_seek(iterator, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        }
        func currentKey() -> [UInt8] {
            var length = 0
            return Array(UnsafeRawBufferPointer(start: leveldb_iter_key(iterator, &length), count: length))
        }
        if reverse {
            // Start at the last key below `upper`.
            if let upper = range.upper {
                seek(upper)
                if leveldb_iter_valid(iterator) != 0 { leveldb_iter_prev(iterator) } else { leveldb_iter_seek_to_last(iterator) }
            } else {
                leveldb_iter_seek_to_last(iterator)
            }
        } else {
            seek(range.lower)
        }
        var out: [(key: [UInt8], value: [UInt8])] = []
        while out.count < limit && leveldb_iter_valid(iterator) != 0 {
            let key = currentKey()
            guard range.contains(key) else { break }
            var valueLength = 0
            let value = Array(UnsafeRawBufferPointer(start: leveldb_iter_value(iterator, &valueLength), count: valueLength))
            out.append((key, value))
            if reverse { leveldb_iter_prev(iterator) } else { leveldb_iter_next(iterator) }
        }
        var error: UnsafeMutablePointer<CChar>?
        leveldb_iter_get_error(iterator, &error)
        if let message = Self.take(error) { throw Self.failure(message) }
        return out
    }
}
