public import EthPrimitives
internal import EthCrypto

/// A request's positional parameters, with typed readers whose errors name the parameter (`-32602`).
public struct Params: Sendable {
    public let values: [JSONValue]
    /// Parameter names in order, for messages and arity checks.
    public let names: [String]

    /// - Throws: `-32602` when `params` is neither absent nor an array, or holds more values than `names`.
    public init(_ params: JSONValue?, names: [String], required: Int) throws(RPCError) {
        switch params {
        case nil, .null?: values = []
        case .array(let array)?: values = array
        case let other?: throw .invalidParams("params", "expected an array, got \(other.typeName)")
        }
        self.names = names
        guard values.count <= names.count else {
            throw .invalidParams("params", "at most \(names.count) (\(names.joined(separator: ", "))), got \(values.count)")
        }
        guard values.count >= required else {
            throw .invalidParams(names[values.count], "missing (required: \(names.prefix(required).joined(separator: ", ")))")
        }
    }

    /// The value at `index`, or nil when absent or JSON null.
    public func optional(_ index: Int) -> JSONValue? {
        guard index < values.count, values[index] != .null else { return nil }
        return values[index]
    }

    func string(_ index: Int) throws(RPCError) -> String {
        try value(index, "a string") { if case .string(let s) = $0 { s } else { nil } }
    }

    /// The value at `index` as `extract` reads it; absent, null or of another JSON type, an error that names the
    /// parameter, what it expected and what it got.
    func value<T>(_ index: Int, _ expected: String, _ extract: (JSONValue) -> T?) throws(RPCError) -> T {
        guard let present = optional(index), let value = extract(present) else {
            throw .invalidParams(names[index], "expected \(expected), got \(optional(index)?.typeName ?? "nothing")")
        }
        return value
    }

    /// A 20-byte address, any case (a mixed-case one must carry a valid EIP-55 checksum).
    public func address(_ index: Int) throws(RPCError) -> Address {
        try hex(index) { s throws(HexError) in try Address(checksummedHex: s) }
    }

    /// A 32-byte hash.
    public func hash(_ index: Int) throws(RPCError) -> Hash32 {
        try hex(index) { s throws(HexError) in try Hash32(hex: s) }
    }

    /// The string at `index` read by a hex parser; its error names the parameter.
    func hex<T>(_ index: Int, _ parse: (String) throws(HexError) -> T) throws(RPCError) -> T {
        let s = try string(index)
        do throws(HexError) { return try parse(s) } catch { throw .invalidParams(names[index], error.description) }
    }

    /// A boolean.
    public func bool(_ index: Int) throws(RPCError) -> Bool {
        try value(index, "a boolean") { if case .bool(let b) = $0 { b } else { nil } }
    }

    /// A QUANTITY of up to 256 bits (token ids).
    public func uint256(_ index: Int) throws(RPCError) -> UInt256 {
        try hex(index) { s throws(HexError) in try UInt256(quantity: s) }
    }

    /// A QUANTITY of up to 64 bits.
    public func uint64(_ index: Int) throws(RPCError) -> UInt64 {
        try hex(index) { s throws(HexError) in try Hex.quantity(s) }
    }

    /// A block parameter: a QUANTITY, `"earliest"` (0) or `"latest"` (nil). `"pending"`, `"safe"` and
    /// `"finalized"` are refused: a verified store has no pending block and does not follow consensus finality.
    public func block(_ index: Int) throws(RPCError) -> UInt64? {
        if optional(index) == nil { return nil }
        if case .string("latest")? = optional(index) { return nil }
        if case .string("earliest")? = optional(index) { return 0 }
        return try uint64(index)
    }

    /// An options object: only the listed keys are allowed.
    public func options(_ index: Int, allowed: [String]) throws(RPCError) -> [String: JSONValue] {
        guard let value = optional(index) else { return [:] }
        guard case .object(let object) = value else { throw .invalidParams(names[index], "expected an object, got \(value.typeName)") }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalidParams("\(names[index]).\(unknown)", "unknown option (allowed: \(allowed.joined(separator: ", ")))")
        }
        return object
    }

    /// The page size of an options object: default 100, at most `RPCLimits.maxPage`.
    public static func limit(_ options: [String: JSONValue], parameter: String) throws(RPCError) -> Int {
        guard let value = options["limit"], value != .null else { return 100 }
        let limit: Int64
        switch value {
        case .int(let i): limit = i
        case .string(let s):
            do throws(HexError) { limit = Int64(clamping: try Hex.quantity(s)) } catch { throw .invalidParams("\(parameter).limit", error.description) }
        default: throw .invalidParams("\(parameter).limit", "expected a number or QUANTITY, got \(value.typeName)")
        }
        guard limit >= 1 else { throw .invalidParams("\(parameter).limit", "must be at least 1") }
        guard limit <= Int64(RPCLimits.maxPage) else { throw .limitExceeded("\(parameter).limit \(limit) is above \(RPCLimits.maxPage)") }
        return Int(limit)
    }

    /// An opaque page cursor: DATA returned as `next` by the previous page.
    public static func cursor(_ options: [String: JSONValue], parameter: String) throws(RPCError) -> [UInt8]? {
        guard let value = options["cursor"], value != .null else { return nil }
        guard case .string(let s) = value else { throw .invalidParams("\(parameter).cursor", "expected a string, got \(value.typeName)") }
        do throws(HexError) { return try Hex.decode(s) } catch { throw .invalidParams("\(parameter).cursor", error.description) }
    }
}
