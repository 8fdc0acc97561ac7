public import EthPrimitives

/// Why a JSON value is not what its reader expects: where (a path such as `result.transactions[3].nonce`) and what.
public struct JSONReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The value's path from the document's root; empty for the root itself.
    public let path: String
    public let reason: String

    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }

    public var description: String { "\(path.isEmpty ? "(top level)" : path): \(reason)" }
}

/// A JSON value with its path in the document: the one way Provenant reads JSON it did not write (upstream answers,
/// proof bundles, anchor files, chainspecs, files given to the CLI). Each accessor checks the value's JSON type and
/// form and throws an error that names the path, so a bad field deep in a block is named, not guessed at.
public struct JSONReader: Sendable {
    public let value: JSONValue
    public let path: String

    public init(_ value: JSONValue, path: String = "") { (self.value, self.path) = (value, path) }

    /// An error at this value's path.
    public func error(_ reason: String) -> JSONReadError { JSONReadError(path: path, reason: reason) }

    /// The value's JSON type with its article, for errors: "an object", "a number".
    var kind: String { (value.typeName.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + value.typeName }

    /// Whether the value is JSON null.
    public var isNull: Bool { value == .null }

    /// The member `name`, which must be present and not null.
    public func field(_ name: String) throws(JSONReadError) -> JSONReader {
        guard let member = try optionalField(name) else { throw JSONReadError(path: join(name), reason: "missing") }
        return member
    }

    /// The member `name`, or `nil` when it is absent or null. The value itself must be an object.
    public func optionalField(_ name: String) throws(JSONReadError) -> JSONReader? {
        guard case .object(let members) = value else { throw error("not an object") }
        guard let member = members[name], member != .null else { return nil }
        return JSONReader(member, path: join(name))
    }

    /// Whether the object has a member `name` (null included).
    public func has(_ name: String) -> Bool { value[name] != nil }

    private func join(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// The elements of an array.
    public func array() throws(JSONReadError) -> [JSONReader] {
        guard case .array(let items) = value else { throw error("not an array") }
        return items.enumerated().map { JSONReader($0.element, path: "\(path)[\($0.offset)]") }
    }

    /// Each element of an array, read by `read`.
    public func array<T>(_ read: (JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> [T] {
        var out: [T] = []
        for item in try array() { out.append(try read(item)) }
        return out
    }

    public func string() throws(JSONReadError) -> String {
        guard case .string(let s) = value else { throw error("\(kind), not a string") }
        return s
    }

    /// A non-negative JSON integer (chainspecs write numbers, not QUANTITY strings).
    public func integer() throws(JSONReadError) -> UInt64 {
        guard case .int(let i) = value, i >= 0 else { throw error("\(kind), not a non-negative integer") }
        return UInt64(i)
    }

    /// The members of an object, by name.
    public func members() throws(JSONReadError) -> [(name: String, value: JSONReader)] {
        guard case .object(let members) = value else { throw error("not an object") }
        return members.sorted { $0.key < $1.key }.map { ($0.key, JSONReader($0.value, path: join($0.key))) }
    }

    public func bool() throws(JSONReadError) -> Bool {
        guard case .bool(let b) = value else { throw error("\(kind), not a boolean") }
        return b
    }

    /// A string read by a hex parser; its error names this path.
    public func hex<T>(_ parse: (String) throws(HexError) -> T) throws(JSONReadError) -> T {
        let s = try string()
        do throws(HexError) { return try parse(s) } catch { throw self.error("\(error)") }
    }

    /// A QUANTITY of up to 64 bits, at most `max`.
    public func quantity(max: UInt64 = .max) throws(JSONReadError) -> UInt64 {
        let n = try hex { s throws(HexError) in try Hex.quantity(s) }
        guard n <= max else { throw error("\(n) is larger than \(max)") }
        return n
    }

    public func uint256() throws(JSONReadError) -> UInt256 { try hex { s throws(HexError) in try UInt256(quantity: s) } }
    public func data() throws(JSONReadError) -> [UInt8] { try hex { s throws(HexError) in try Hex.decode(s) } }
    public func hash() throws(JSONReadError) -> Hash32 { try hex { s throws(HexError) in try Hash32(hex: s) } }
    public func address() throws(JSONReadError) -> Address { try hex { s throws(HexError) in try Address(hex: s) } }
    public func bloom() throws(JSONReadError) -> Bloom { try hex { s throws(HexError) in try Bloom(hex: s) } }

    /// A JSON-RPC result as a file may hold it: the bare result, or a whole response object whose `result` it is.
    public func rpcResult() throws(JSONReadError) -> JSONReader {
        guard has("result") || has("error") else { return self }
        guard let result = try optionalField("result") else {
            throw error("the JSON-RPC response holds an error or a null result, not a value")
        }
        return result
    }
}

/// Why a JSON document could not be read: not JSON at all, or JSON of the wrong shape (with the path).
public enum JSONDocumentError: Error, Equatable, Sendable, CustomStringConvertible {
    case notJSON(JSONParseError)
    case shape(JSONReadError)

    public var description: String {
        switch self {
        case .notJSON(let error): return "not JSON: \(error)"
        case .shape(let error): return "\(error)"
        }
    }

    /// Parses `bytes` and reads the value with `read`.
    public static func read<T>(_ bytes: [UInt8], _ read: (JSONReader) throws(JSONReadError) -> T) throws(JSONDocumentError) -> T {
        let value: JSONValue
        do throws(JSONParseError) { value = try JSONValue(parsing: bytes) } catch { throw .notJSON(error) }
        do throws(JSONReadError) { return try read(JSONReader(value)) } catch { throw .shape(error) }
    }
}

/// A type read from JSON through `JSONReader`: what an upstream's answers decode to.
public protocol JSONReadable: Sendable {
    init(json: JSONReader) throws(JSONReadError)
}

extension String: JSONReadable {
    public init(json: JSONReader) throws(JSONReadError) { self = try json.string() }
}

extension Optional: JSONReadable where Wrapped: JSONReadable {
    /// JSON null is `nil` (a block the upstream does not have); anything else must read as `Wrapped`.
    public init(json: JSONReader) throws(JSONReadError) {
        self = json.isNull ? nil : try Wrapped(json: json)
    }
}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json: JSONReader) throws(JSONReadError) {
        self = try json.array { item throws(JSONReadError) in try Element(json: item) }
    }
}
