public import EthPrimitives

extension Address {
    /// The EIP-55 mixed-case checksum form (https://eips.ethereum.org/EIPS/eip-55): a hex letter is upper case when
    /// the matching nibble of keccak256(lowercase hex without 0x) is 8 or more.
    public var checksummed: String {
        let lower = Array(hex.utf8.dropFirst(2))
        let digest = keccak256(lower).bytes
        var out = Array("0x".utf8)
        for (i, c) in lower.enumerated() {
            let nibble = i & 1 == 0 ? digest[i / 2] >> 4 : digest[i / 2] & 0x0f
            out.append(c >= UInt8(ascii: "a") && nibble >= 8 ? c - 0x20 : c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses an address and, when it is mixed case, requires a valid EIP-55 checksum. All-lower and all-upper
    /// input carries no checksum and is accepted as is.
    public init(checksummedHex string: String) throws(HexError) {
        let address = try Address(hex: string)
        let letters = string.utf8.dropFirst(2).filter { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "f") }
        let mixed = letters.contains { $0 < UInt8(ascii: "a") } && letters.contains { $0 >= UInt8(ascii: "a") }
        if mixed && address.checksummed.dropFirst(2) != string.dropFirst(2) { throw .badChecksum }
        self = address
    }
}
