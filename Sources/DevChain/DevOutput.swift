public import AssetContent

/// The dev chain's AIGC outputs as real files: a small PNG image per output, drawn from a seed, and the reference
/// to it the contract records (its IPFS CID, as `ipfs add` or `ipfs add --cid-version=1` would give it). With them,
/// `provenant verify-asset` is tried on files, not on strings that name nothing.
///
/// PNG grammar, from https://www.w3.org/TR/png-3/: the 8-byte signature, then chunks `be32(length) type data
/// be32(crc32(type data))`: IHDR (width, height, bit depth 8, colour type 2 RGB, compression 0, filter 0, interlace
/// 0), one IDAT (a zlib stream of the rows, each led by filter byte 0, in stored deflate blocks), and IEND.
public enum DevOutput {
    /// Image side in pixels: a 32x32 RGB image is about 3 KiB, one chunk of every `ipfs add` profile.
    public static let side = 32

    /// The PNG drawn from `seed`: a gradient and a pattern whose colours come from the seed.
    public static func image(seed: UInt64) -> [UInt8] {
        let (a, b, c) = (UInt8(truncatingIfNeeded: seed), UInt8(truncatingIfNeeded: seed >> 8), UInt8(truncatingIfNeeded: seed >> 16) | 1)
        var rows: [UInt8] = []
        rows.reserveCapacity(side * (1 + 3 * side))
        for y in 0..<side {
            rows.append(0)  // filter: none
            for x in 0..<side {
                rows.append(UInt8(truncatingIfNeeded: x * 8) &+ a)
                rows.append(UInt8(truncatingIfNeeded: y * 8) &+ b)
                rows.append(UInt8(truncatingIfNeeded: x ^ y) &* c)
            }
        }
        var header: [UInt8] = []
        header += be32(UInt32(side)) + be32(UInt32(side))
        header += [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", header) + chunk("IDAT", zlibStored(rows)) + chunk("IEND", [])
    }

    /// The output bytes a dev contract records for `image`: its CID in one of three spellings, chosen by `style`
    /// (`ipfs://` and a CIDv1 of the raw bytes, `ipfs://` and the CIDv0 of `ipfs add`, or the bare CIDv1).
    public static func reference(to image: [UInt8], style: UInt64) -> [UInt8] {
        switch style % 3 {
        case 0: return Array("ipfs://\(ContentID(of: image, codec: .raw, version: 1))".utf8)
        case 1: return Array("ipfs://\(UnixFSFile.cid(of: image, profile: .kuboDefault))".utf8)
        default: return Array("\(ContentID(of: image, codec: .raw, version: 1))".utf8)
        }
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, BTYPE 00), with its Adler-32.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65_535, data.count - offset)
            let isLast = offset + count == data.count
            out.append(isLast ? 1 : 0)
            out += [UInt8(count & 0xff), UInt8(count >> 8), UInt8(~count & 0xff), UInt8((~count >> 8) & 0xff)]
            out += data[offset..<offset + count]
            offset += count
        } while offset < data.count
        var s1: UInt32 = 1, s2: UInt32 = 0
        for byte in data {
            s1 = (s1 + UInt32(byte)) % 65_521
            s2 = (s2 + s1) % 65_521
        }
        return out + be32(s2 << 16 | s1)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
}
