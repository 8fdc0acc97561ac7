internal import EthPrimitives
internal import Store
internal import TokenEvents

/// The exact layout of each state value `Schema` declares, checked wherever one is read from the store (by the
/// indexer before it builds on it, by every query before it answers from it). Every state value has a fixed length
/// (balances too: 32 bytes, so a value cut short cannot read as a smaller balance), so a damaged value (a disk
/// error, a half-copied directory, an edit by hand) is `IndexError.corrupt` naming its table and key: never a trap,
/// never a plausible wrong answer. Records are RLP, whose decoders refuse what does not parse exactly.
enum StoredValues {
    /// The damage of a value, named by its table and key.
    static func damaged(_ key: [UInt8], _ what: String) -> IndexError {
        let table = key.first.flatMap(Schema.init(rawValue:)).map { "\($0)" } ?? "unknown"
        return .corrupt("the \(table) value of key \(Hex.encode(key)) is damaged: \(what)")
    }

    /// Checks a state value's layout by its key's table; throws naming the key when it does not hold.
    static func check(key: [UInt8], value: [UInt8]) throws(IndexError) {
        if let problem = problem(key: key, value: value) { throw damaged(key, problem) }
    }

    private static func problem(key: [UInt8], value: [UInt8]) -> String? {
        func length(_ expected: Int) -> String? {
            value.count == expected ? nil : "\(value.count) bytes, expected \(expected)"
        }
        if key == Schema.Meta.cursor.key { return length(40) }
        if key == Schema.Meta.eventCount.key { return length(8) }
        guard let table = key.first.flatMap(Schema.init(rawValue:)) else { return nil }
        switch table {
        case .owner:
            return length(28)
        case .tokenBalance, .holderBalance, .shareBalance:
            // A zero balance is deleted, never stored.
            return length(32) ?? (value.allSatisfy { $0 == 0 } ? "a zero balance" : nil)
        case .holderToken:
            // holder ‖ contract: an ERC-20 entry; holder ‖ contract ‖ tokenId: an ERC-721 or ERC-1155 one.
            let allowed: [Standards] = key.count == 1 + 20 + 20 ? [.erc20] : [.erc721, .erc1155]
            return length(1) ?? (allowed.contains(Standards(rawValue: value[0])) ? nil : "standard \(value[0]) in a \(key.count)-byte entry")
        case .contractStandards:
            return length(1) ?? (value[0] == 0 || Standards(rawValue: value[0]).subtracting(.all) != [] ? "standards \(value[0])" : nil)
        case .logBlocks:
            return length(2) ?? (value == [0, 0] ? "no events" : nil)
        default:
            return nil
        }
    }

    /// A balance: 32 bytes, not zero.
    static func balance(key: [UInt8], value: [UInt8]) throws(IndexError) -> UInt256 {
        try check(key: key, value: value)
        return UInt256(bigEndian: value)!
    }

    /// An owner and the block since which it holds the token.
    static func owner(key: [UInt8], value: [UInt8]) throws(IndexError) -> (owner: Address, since: UInt64) {
        try check(key: key, value: value)
        return (Address(bytes: value[0..<20])!, KeyCoding.readBE64(value[20...]))
    }

    /// A position in a token's or a contract's history: be64(block) ‖ be32(logIndex), after a prefix of `prefix` bytes.
    static func position(key: [UInt8], prefix: Int) throws(IndexError) -> (block: UInt64, logIndex: UInt32) {
        guard key.count == prefix + 12 else { throw damaged(key, "a key of \(key.count) bytes, expected \(prefix + 12)") }
        return (KeyCoding.readBE64(key[prefix...]), KeyCoding.readBE32(key[(prefix + 8)...]))
    }
}
