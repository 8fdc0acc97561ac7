/// Hex decoding for vector files, which mix `0x`-prefixed and bare hex.
public func bytes(fromHex string: String) -> [UInt8] {
    let digits = string.hasPrefix("0x") || string.hasPrefix("0X") ? Array(string.utf8.dropFirst(2)) : Array(string.utf8)
    precondition(digits.count % 2 == 0, "odd-length hex in a vector: \(string)")
    func value(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: preconditionFailure("bad hex digit in a vector: \(string)")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}
