/// Key paths in nibbles (half-bytes, high first) and their hex-prefix ("compact") encoding, Yellow Paper
/// appendix C: the first nibble holds flags (bit 1: leaf, bit 0: odd length), padded with a zero nibble when even.
enum Nibbles {
    static func from<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(b >> 4)
            out.append(b & 0x0f)
        }
        return out
    }

    static func hexPrefix(_ path: ArraySlice<UInt8>, isLeaf: Bool) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(path.count / 2 + 1)
        let flag: UInt8 = (isLeaf ? 2 : 0) + UInt8(path.count & 1)
        var i = path.startIndex
        if path.count & 1 == 1 {
            out.append(flag << 4 | path[i])
            i += 1
        } else {
            out.append(flag << 4)
        }
        while i < path.endIndex {
            out.append(path[i] << 4 | path[i + 1])
            i += 2
        }
        return out
    }

    /// Decodes a hex-prefix path; `nil` for an empty input or invalid flags.
    static func decodeHexPrefix(_ bytes: ArraySlice<UInt8>) -> (path: [UInt8], isLeaf: Bool)? {
        guard let first = bytes.first else { return nil }
        let flag = first >> 4
        guard flag <= 3 else { return nil }
        var path = [UInt8]()
        if flag & 1 == 1 {
            path.append(first & 0x0f)
        } else if first & 0x0f != 0 {
            return nil
        }
        for b in bytes.dropFirst() {
            path.append(b >> 4)
            path.append(b & 0x0f)
        }
        return (path, flag & 2 != 0)
    }
}
