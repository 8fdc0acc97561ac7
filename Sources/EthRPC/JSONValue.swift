public import EthPrimitives

/// A JSON value, as JSON-RPC carries it. Integers stay exact (a request `id` of 9007199254740993 echoes back as
/// sent); other numbers are doubles.
public enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// A JSON type name for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var members = [String: JSONValue](minimumCapacity: elements.count)
        for (key, value) in elements { members[key] = value }  // a repeated key: the last wins
        self = .object(members)
    }
    public init(nilLiteral: ()) { self = .null }
}

// The writers of the two hex forms of the execution APIs, so an answer is built from values instead of strings.
extension JSONValue {
    /// A QUANTITY: `0x` and the value's hex digits without leading zeros (`0x0` for zero).
    public static func quantity(_ value: UInt64) -> JSONValue { .string(Hex.quantity(value)) }

    /// A QUANTITY of up to 256 bits (token ids, balances).
    public static func quantity(_ value: UInt256) -> JSONValue { .string(value.quantity) }

    /// DATA: `0x` and two hex digits a byte.
    public static func data<S: Sequence>(_ bytes: S) -> JSONValue where S.Element == UInt8 { .string(Hex.encode(bytes)) }

    /// DATA of a fixed size: a hash, an address (lowercase), a bloom.
    public static func data<T: FixedBytes>(_ value: T) -> JSONValue { .string(value.hex) }
}
