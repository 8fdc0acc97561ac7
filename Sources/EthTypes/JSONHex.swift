public import EthPrimitives
public import Foundation

// Decoding of JSON-RPC hex values (QUANTITY and DATA) inside `Decodable` types. A bad value becomes a
// `DecodingError.dataCorrupted` whose description names the field and the `HexError`.

extension KeyedDecodingContainer {
    func hexString(_ key: Key) throws -> String {
        try decode(String.self, forKey: key)
    }

    private func parse<T>(_ key: Key, _ body: (String) throws(HexError) -> T) throws -> T {
        let string = try hexString(key)
        do {
            return try body(string)
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(key.stringValue): \(error) in \"\(string.prefix(80))\"")
        }
    }

    func quantity(_ key: Key) throws -> UInt64 { try parse(key) { s throws(HexError) in try Hex.quantity(s) } }
    func uint256(_ key: Key) throws -> UInt256 { try parse(key) { s throws(HexError) in try UInt256(quantity: s) } }
    func data(_ key: Key) throws -> [UInt8] { try parse(key) { s throws(HexError) in try Hex.decode(s) } }
    func hash(_ key: Key) throws -> Hash32 { try parse(key) { s throws(HexError) in try Hash32(hex: s) } }
    func address(_ key: Key) throws -> Address { try parse(key) { s throws(HexError) in try Address(hex: s) } }
    func bloom(_ key: Key) throws -> Bloom { try parse(key) { s throws(HexError) in try Bloom(hex: s) } }

    /// An EIP-2718 type field; absent means legacy (transactions and receipts from before typed transactions).
    func transactionType(_ key: Key) throws -> TransactionType {
        let number = try quantityIfPresent(key) ?? 0
        guard number <= 0xff, let type = TransactionType(rawValue: UInt8(number)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(key.stringValue): unknown transaction type \(number)")
        }
        return type
    }

    func quantityIfPresent(_ key: Key) throws -> UInt64? { try contains(key) && !decodeNil(forKey: key) ? quantity(key) : nil }
    func uint256IfPresent(_ key: Key) throws -> UInt256? { try contains(key) && !decodeNil(forKey: key) ? uint256(key) : nil }
    func hashIfPresent(_ key: Key) throws -> Hash32? { try contains(key) && !decodeNil(forKey: key) ? hash(key) : nil }
    func addressIfPresent(_ key: Key) throws -> Address? { try contains(key) && !decodeNil(forKey: key) ? address(key) : nil }
}

/// Accepts a bare JSON-RPC result or a whole response object `{"jsonrpc", "id", "result"}`, as the CLI's input
/// files may be either.
public struct RPCResult<T: Decodable>: Decodable {
    public let value: T

    private enum Keys: String, CodingKey { case result, error }

    public init(from decoder: Decoder) throws {
        if let container = try? decoder.container(keyedBy: Keys.self), container.contains(.result) || container.contains(.error) {
            guard container.contains(.result), !(try container.decodeNil(forKey: .result)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the JSON-RPC response holds an error or a null result, not a value"))
            }
            value = try container.decode(T.self, forKey: .result)
        } else {
            value = try T(from: decoder)
        }
    }
}
