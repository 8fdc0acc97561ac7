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
        // Past `Address(hex:)` every character is a hex digit, so a letter is `a-f` (from 0x61) or `A-F` (from 0x41).
        var lower = false, upper = false
        for c in string.utf8.dropFirst(2) {
            if c >= UInt8(ascii: "a") { lower = true } else if c >= UInt8(ascii: "A") { upper = true }
        }
        if lower && upper && !address.checksummed.utf8.dropFirst(2).elementsEqual(string.utf8.dropFirst(2)) { throw .badChecksum }
        self = address
    }
}
