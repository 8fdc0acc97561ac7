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
///
/// It reads a tree (`JSONValue`, what a request's parameters already are) or a document's tape (`JSONTape`), where a
/// member is found by its name's bytes and hex is decoded where it lies, with no value built on the way. On a tape the
/// path is not carried: it is found from the value's place in the document when an error needs it, so reading the
/// fields of a transaction in a block in a batch makes no string.
public struct JSONReader: Sendable {
    enum Node: Sendable {
        case tree(JSONValue, path: String)
        /// A token of the tape; `root` is the path of the tape's own value.
        case tape(JSONTape, Int, root: String)
    }

    let node: Node

    public init(_ value: JSONValue, path: String = "") { node = .tree(value, path: path) }

    /// The root of a parsed document.
    public init(_ tape: JSONTape, path: String = "") { node = .tape(tape, 0, root: path) }

    init(node: Node) { self.node = node }

    /// The value as a tree (built from the tape when the reader reads one).
    public var value: JSONValue {
        switch node {
        case .tree(let value, _): return value
        case .tape(let tape, let i, _): return tape.value(i)
        }
    }

    /// The value's path from the document's root; empty for the root itself.
    public var path: String {
        switch node {
        case .tree(_, let path): return path
        case .tape(let tape, let i, let root): return tape.path(to: i, root: root)
        }
    }

    func join(_ name: String) -> String {
        let path = self.path
        return path.isEmpty ? name : path + "." + name
    }

    /// An error at this value's path.
    public func error(_ reason: String) -> JSONReadError { JSONReadError(path: path, reason: reason) }

    /// The value's JSON type with its article, for errors: "an object", "a number".
    var kind: String {
        let name: String
        switch node {
        case .tree(let value, _): name = value.typeName
        case .tape(let tape, let i, _):
            switch tape.kind(i) {
            case .null: name = "null"
            case .true, .false: name = "boolean"
            case .number: name = "number"
            case .string: name = "string"
            case .array: name = "array"
            case .object: name = "object"
            }
        }
        return ("aeiou".contains(name.first!) ? "an " : "a ") + name
    }

    /// Whether the value is JSON null.
    public var isNull: Bool {
        switch node {
        case .tree(let value, _): return value == .null
        case .tape(let tape, let i, _): return tape.kind(i) == .null
        }
    }

    /// The member `name`, which must be present and not null.
    public func field(_ name: String) throws(JSONReadError) -> JSONReader {
        guard let member = try optionalField(name) else { throw JSONReadError(path: join(name), reason: "missing") }
        return member
    }

    /// The member `name`, or `nil` when it is absent or null. The value itself must be an object.
    public func optionalField(_ name: String) throws(JSONReadError) -> JSONReader? {
        guard let member = try member(name), !member.isNull else { return nil }
        return member
    }

    /// The member `name` as it is, null included; `nil` when absent. The value itself must be an object.
    public func member(_ name: String) throws(JSONReadError) -> JSONReader? {
        switch node {
        case .tree(let value, _):
            guard case .object(let members) = value else { throw error("not an object") }
            return members[name].map { JSONReader(node: .tree($0, path: join(name))) }
        case .tape(let tape, let i, let root):
            guard tape.kind(i) == .object else { throw error("not an object") }
            return tape.member(i, name).map { JSONReader(node: .tape(tape, $0, root: root)) }
        }
    }

    /// Whether the object has a member `name` (null included).
    public func has(_ name: String) -> Bool { (try? member(name)) != nil }

    /// The elements of an array.
    public func array() throws(JSONReadError) -> [JSONReader] {
        switch node {
        case .tree(let value, let path):
            guard case .array(let items) = value else { throw error("not an array") }
            return items.enumerated().map { JSONReader(node: .tree($0.element, path: "\(path)[\($0.offset)]")) }
        case .tape(let tape, let i, let root):
            guard tape.kind(i) == .array else { throw error("not an array") }
            return tape.elements(i).map { JSONReader(node: .tape(tape, $0, root: root)) }
        }
    }

    /// Each element of an array, read by `read`.
    public func array<T>(_ read: (JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> [T] {
        var out: [T] = []
        for item in try array() { out.append(try read(item)) }
        return out
    }

    /// Whether the value is a string.
    public var isString: Bool {
        switch node {
        case .tree(let value, _): if case .string = value { return true } else { return false }
        case .tape(let tape, let i, _): return tape.kind(i) == .string
        }
    }

    public func string() throws(JSONReadError) -> String {
        switch node {
        case .tree(let value, _):
            guard case .string(let s) = value else { throw error("\(kind), not a string") }
            return s
        case .tape(let tape, let i, _):
            guard tape.kind(i) == .string else { throw error("\(kind), not a string") }
            return tape.string(i)
        }
    }

    /// A JSON integer that fits Int64 (a JSON-RPC id), or nil for any other value.
    public var int64: Int64? {
        switch node {
        case .tree(.int(let i), _): return i
        case .tree: return nil
        case .tape(let tape, let i, _):
            guard tape.kind(i) == .number, case .int(let n) = tape.number(i) else { return nil }
            return n
        }
    }

    /// A non-negative JSON integer (chainspecs write numbers, not QUANTITY strings).
    public func integer() throws(JSONReadError) -> UInt64 {
        guard let i = int64, i >= 0 else { throw error("\(kind), not a non-negative integer") }
        return UInt64(i)
    }

    /// The members of an object, by name.
    public func members() throws(JSONReadError) -> [(name: String, value: JSONReader)] {
        switch node {
        case .tree(let value, _):
            guard case .object(let members) = value else { throw error("not an object") }
            return members.sorted { $0.key < $1.key }.map { ($0.key, JSONReader(node: .tree($0.value, path: join($0.key)))) }
        case .tape(let tape, let i, let root):
            guard tape.kind(i) == .object else { throw error("not an object") }
            // A repeated name keeps its last value, as the tree does.
            var last: [String: Int] = [:]
            for (name, value) in tape.members(i) { last[tape.string(name)] = value }
            return last.sorted { $0.key < $1.key }.map { ($0.key, JSONReader(node: .tape(tape, $0.value, root: root))) }
        }
    }

    public func bool() throws(JSONReadError) -> Bool {
        switch node {
        case .tree(.bool(let b), _): return b
        case .tape(let tape, let i, _) where tape.kind(i) == .true: return true
        case .tape(let tape, let i, _) where tape.kind(i) == .false: return false
        default: throw error("\(kind), not a boolean")
        }
    }

    /// A string read by a hex parser; its error names this path.
    public func hex<T>(_ parse: (String) throws(HexError) -> T) throws(JSONReadError) -> T {
        let s = try string()
        do throws(HexError) { return try parse(s) } catch { throw self.error("\(error)") }
    }

    /// A string's UTF-8 bytes read by a hex parser, in place when the reader reads a tape; its error names this path.
    func hexUTF8<T>(_ parse: (UnsafeBufferPointer<UInt8>) throws(HexError) -> T) throws(JSONReadError) -> T {
        let result: Result<T, HexError>
        switch node {
        case .tape(let tape, let i, _):
            guard tape.kind(i) == .string else { throw error("\(kind), not a string") }
            result = tape.withUTF8(i) { utf8 in Result { () throws(HexError) in try parse(utf8) } }
        case .tree:
            var s = try string()
            result = s.withUTF8 { utf8 in Result { () throws(HexError) in try parse(utf8) } }
        }
        do throws(HexError) { return try result.get() } catch { throw self.error("\(error)") }
    }

    /// A QUANTITY of up to 64 bits, at most `max`.
    public func quantity(max: UInt64 = .max) throws(JSONReadError) -> UInt64 {
        let n = try hexUTF8 { utf8 throws(HexError) in try Hex.quantity(utf8: utf8) }
        guard n <= max else { throw error("\(n) is larger than \(max)") }
        return n
    }

    public func uint256() throws(JSONReadError) -> UInt256 { try hexUTF8 { utf8 throws(HexError) in try UInt256(quantityUTF8: utf8) } }
    public func data() throws(JSONReadError) -> [UInt8] { try hexUTF8 { utf8 throws(HexError) in try Hex.decode(utf8: utf8) } }
    public func hash() throws(JSONReadError) -> Hash32 { try hexUTF8 { utf8 throws(HexError) in try Hash32(hexUTF8: utf8) } }
    public func address() throws(JSONReadError) -> Address { try hexUTF8 { utf8 throws(HexError) in try Address(hexUTF8: utf8) } }
    public func bloom() throws(JSONReadError) -> Bloom { try hexUTF8 { utf8 throws(HexError) in try Bloom(hexUTF8: utf8) } }

    // A member read where it lies. On a tape, reading `c.field("x").hash()` made a reader for the member and copied
    // it on each step (each copy a retain of the tape), which was a quarter of reading a block header; these read
    // the member's string in place and make a reader only to name the path of an error.

    /// The member `name` decoded from its string by `parse`: absent or null is `nil` when `optional`, else missing.
    func hexMember<T>(_ name: String, optional: Bool, _ parse: (UnsafeBufferPointer<UInt8>) throws(HexError) -> T) throws(JSONReadError) -> T? {
        guard case .tape(let tape, let i, let root) = node else {
            guard let member = try optional ? optionalField(name) : field(name) else { return nil }
            return try member.hexUTF8(parse)
        }
        guard tape.kind(i) == .object else { throw error("not an object") }
        guard let m = tape.member(i, name), tape.kind(m) != .null else {
            if optional { return nil }
            throw JSONReadError(path: join(name), reason: "missing")
        }
        guard tape.kind(m) == .string else {
            let member = JSONReader(node: .tape(tape, m, root: root))
            throw member.error("\(member.kind), not a string")
        }
        let result = tape.withUTF8(m) { utf8 in Result { () throws(HexError) in try parse(utf8) } }
        do throws(HexError) { return try result.get() } catch { throw JSONReader(node: .tape(tape, m, root: root)).error("\(error)") }
    }

    /// The member `name`, a QUANTITY of up to 64 bits: `field(name).quantity()` without a reader on the way.
    public func quantity(_ name: String) throws(JSONReadError) -> UInt64 {
        try hexMember(name, optional: false) { utf8 throws(HexError) in try Hex.quantity(utf8: utf8) }!
    }
    public func optionalQuantity(_ name: String) throws(JSONReadError) -> UInt64? {
        try hexMember(name, optional: true) { utf8 throws(HexError) in try Hex.quantity(utf8: utf8) }
    }
    public func uint256(_ name: String) throws(JSONReadError) -> UInt256 {
        try hexMember(name, optional: false) { utf8 throws(HexError) in try UInt256(quantityUTF8: utf8) }!
    }
    public func optionalUInt256(_ name: String) throws(JSONReadError) -> UInt256? {
        try hexMember(name, optional: true) { utf8 throws(HexError) in try UInt256(quantityUTF8: utf8) }
    }
    public func data(_ name: String) throws(JSONReadError) -> [UInt8] {
        try hexMember(name, optional: false) { utf8 throws(HexError) in try Hex.decode(utf8: utf8) }!
    }
    public func hash(_ name: String) throws(JSONReadError) -> Hash32 {
        try hexMember(name, optional: false) { utf8 throws(HexError) in try Hash32(hexUTF8: utf8) }!
    }
    public func optionalHash(_ name: String) throws(JSONReadError) -> Hash32? {
        try hexMember(name, optional: true) { utf8 throws(HexError) in try Hash32(hexUTF8: utf8) }
    }
    public func address(_ name: String) throws(JSONReadError) -> Address {
        try hexMember(name, optional: false) { utf8 throws(HexError) in try Address(hexUTF8: utf8) }!
    }
    public func optionalAddress(_ name: String) throws(JSONReadError) -> Address? {
        try hexMember(name, optional: true) { utf8 throws(HexError) in try Address(hexUTF8: utf8) }
    }
    public func bloom(_ name: String) throws(JSONReadError) -> Bloom {
        try hexMember(name, optional: false) { utf8 throws(HexError) in try Bloom(hexUTF8: utf8) }!
    }

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
        let tape: JSONTape
        do throws(JSONParseError) { tape = try JSONTape(parsing: bytes) } catch { throw .notJSON(error) }
        do throws(JSONReadError) { return try read(JSONReader(tape)) } catch { throw .shape(error) }
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
