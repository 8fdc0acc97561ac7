internal import CZstd

/// zstd compression of stored blobs, optionally with a trained dictionary (small receipts share most of their
/// bytes, which a dictionary captures).
public enum Zstd {
    /// The largest blob `decompress` will allocate for; a frame claiming more is refused as corrupt or hostile.
    public static let maxDecompressedSize = 256 << 20

    static func check(_ code: Int) throws(StoreError) -> Int {
        if ZSTD_isError(code) != 0 { throw .zstd(String(cString: ZSTD_getErrorName(code))) }
        return code
    }

    /// Compresses `input` at `level` (zstd's default is 3).
    public static func compress(_ input: [UInt8], level: Int32 = 3, dictionary: ZstdDictionary? = nil) throws(StoreError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written: Int
        if let dictionary {
            let compressor = ZstdCompressor(level: level)
            _ = try check(dictionary.bytes.withUnsafeBytes { ZSTD_CCtx_loadDictionary(compressor.context, $0.baseAddress, $0.count) })
            written = try check(output.withUnsafeMutableBytes { o in
                input.withUnsafeBytes { i in ZSTD_compress2(compressor.context, o.baseAddress, o.count, i.baseAddress, i.count) }
            })
        } else {
            return try ZstdCompressor(level: level).compress(input)
        }
        output.removeLast(output.count - written)
        return output
    }

    /// Decompresses one frame; its header must state the size (our `compress` always writes it).
    public static func decompress(_ input: [UInt8], dictionary: ZstdDictionary? = nil) throws(StoreError) -> [UInt8] {
        let size = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard size != ZSTD_CONTENTSIZE_ERROR, size != ZSTD_CONTENTSIZE_UNKNOWN else { throw .zstd("frame without a content size") }
        guard size <= UInt64(maxDecompressedSize) else { throw .blobTooLarge(Int(clamping: size)) }
        var output = [UInt8](repeating: 0, count: Int(size))
        let written: Int
        if let dictionary {
            let context = ZSTD_createDCtx()
            defer { ZSTD_freeDCtx(context) }
            written = try check(output.withUnsafeMutableBytes { o in
                input.withUnsafeBytes { i in
                    dictionary.bytes.withUnsafeBytes { d in
                        ZSTD_decompress_usingDict(context, o.baseAddress, o.count, i.baseAddress, i.count, d.baseAddress, d.count)
                    }
                }
            })
        } else {
            written = try check(output.withUnsafeMutableBytes { o in
                input.withUnsafeBytes { i in ZSTD_decompress(o.baseAddress, o.count, i.baseAddress, i.count) }
            })
        }
        guard written == output.count else { throw .zstd("frame shorter than its stated size") }
        return output
    }
}

/// A zstd compression context kept across calls, for many small blobs (one per indexed block): a fresh context per
/// call, as `ZSTD_compress` makes, costs more than compressing a few KiB. Not `Sendable`: one user at a time, which
/// the compiler holds callers to (the index keeps its compressor in a `Mutex`).
public final class ZstdCompressor {
    fileprivate let context: OpaquePointer
    public let level: Int32

    public init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
        // Every frame ends with a checksum of its content, which decompression verifies: a stored blob damaged on
        // disk is an error, never different data (LevelDB checks its own blocks only when asked to).
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One frame holding `input`, with its size in the header (as `Zstd.decompress` requires) and a checksum.
    public func compress(_ input: [UInt8]) throws(StoreError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = try Zstd.check(output.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in ZSTD_compress2(context, o.baseAddress, o.count, i.baseAddress, i.count) }
        })
        output.removeLast(output.count - written)
        return output
    }
}

/// A zstd dictionary, trained from sample blobs with ZDICT.
public struct ZstdDictionary: Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Trains a dictionary of at most `capacity` bytes from `samples`.
    public static func train(samples: [[UInt8]], capacity: Int = 16 << 10) throws(StoreError) -> ZstdDictionary {
        let joined = samples.flatMap { $0 }
        let sizes = samples.map { $0.count }
        var dictionary = [UInt8](repeating: 0, count: capacity)
        let written = try Zstd.check(dictionary.withUnsafeMutableBytes { d in
            joined.withUnsafeBytes { s in
                ZDICT_trainFromBuffer(d.baseAddress, d.count, s.baseAddress, sizes, UInt32(sizes.count))
            }
        })
        if ZDICT_isError(written) != 0 { throw .zstd(String(cString: ZDICT_getErrorName(written))) }
        return ZstdDictionary(bytes: Array(dictionary[0..<written]))
    }
}
