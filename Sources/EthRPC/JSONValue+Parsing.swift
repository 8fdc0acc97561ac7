/// Why a body is not JSON: the byte offset where parsing stopped, and what was expected there.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}

// JSON (RFC 8259) straight into `JSONValue`, in one pass over the bytes: Foundation's `JSONDecoder` probes each
// value's type by throwing, which made parsing most of a small request's cost. Integers that fit Int64 stay exact
// (JSON-RPC ids); other numbers become doubles. Nesting deeper than `JSONValue.maxDepth` is refused, and so is
// anything after the value but whitespace.
extension JSONValue {
    /// Deepest nesting of arrays and objects accepted: JSON-RPC requests need 4 or 5.
    public static let maxDepth = 64

    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        self = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("end of input expected") }
    }

    struct Parser {
        let bytes: [UInt8]
        var offset = 0

        func error(_ reason: String) -> JSONParseError { JSONParseError(offset: offset, reason: reason) }

        var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while let c = current, c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { offset += 1 }
        }

        mutating func expect(_ literal: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
            let expected = literal.utf8
            guard offset + expected.count <= bytes.count, bytes[offset..<offset + expected.count].elementsEqual(expected) else {
                throw error("invalid literal")
            }
            offset += expected.count
            return value
        }

        mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
            guard let c = current else { throw error("a value expected") }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("a value expected")
            }
        }

        mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
            offset += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                offset += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "]"):
                    offset += 1
                    return .array(items)
                default: throw error("',' or ']' expected")
                }
            }
        }

        mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
            offset += 1
            var members = [String: JSONValue](minimumCapacity: 8)  // a request object has 4 members: no regrowth
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("a member name expected") }
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("':' expected") }
                offset += 1
                skipWhitespace()
                // A repeated name keeps its last value, as Foundation's decoder does.
                members[key] = try value(depth: depth)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"):
                    offset += 1
                    return .object(members)
                default: throw error("',' or '}' expected")
                }
            }
        }

        mutating func string() throws(JSONParseError) -> String {
            offset += 1
            let start = offset
            // Fast path: no escapes. ASCII (every method name, key and hex value) needs no UTF-8 validation.
            var ascii = true
            while let c = current, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
                guard c >= 0x20 else { throw error("a control character in a string") }
                ascii = ascii && c < 0x80
                offset += 1
            }
            guard let end = current else { throw error("unterminated string") }
            if end == UInt8(ascii: "\"") {
                let s: String
                if ascii {
                    s = bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<offset]), as: UTF8.self) }
                } else {
                    guard let valid = String(validating: bytes[start..<offset], as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                    s = valid
                }
                offset += 1
                return s
            }
            var scalars = Array(bytes[start..<offset])
            while true {
                guard let c = current else { throw error("unterminated string") }
                offset += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: scalars, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                    return s
                case UInt8(ascii: "\\"):
                    guard let e = current else { throw error("unterminated escape") }
                    offset += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(e)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0c)
                    case UInt8(ascii: "n"): scalars.append(0x0a)
                    case UInt8(ascii: "r"): scalars.append(0x0d)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code) {
                            guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                                throw error("a lone surrogate")
                            }
                            offset += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(code) {
                            throw error("a lone surrogate")
                        }
                        scalars.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
                    default: throw error("an invalid escape")
                    }
                default:
                    guard c >= 0x20 else { throw error("a control character in a string") }
                    scalars.append(c)
                }
            }
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw error("\\u needs 4 hex digits") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[offset]
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: throw error("\\u needs 4 hex digits")
                }
                code = code << 4 | UInt32(digit)
                offset += 1
            }
            return code
        }

        mutating func number() throws(JSONParseError) -> JSONValue {
            let start = offset
            if current == UInt8(ascii: "-") { offset += 1 }
            guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw error("a digit expected") }
            offset += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            var integral = true
            if current == UInt8(ascii: ".") {
                integral = false
                offset += 1
                guard try digitsFollow() else { throw error("a digit expected after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                guard try digitsFollow() else { throw error("a digit expected in the exponent") }
            }
            let text = String(decoding: bytes[start..<offset], as: UTF8.self)
            if integral, let int = Int64(text) { return .int(int) }
            guard let double = Double(text) else { throw error("a number out of range") }
            return .double(double)
        }

        mutating func skipDigits() {
            while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { offset += 1 }
        }

        mutating func digitsFollow() throws(JSONParseError) -> Bool {
            guard let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return false }
            skipDigits()
            return true
        }
    }

    /// The value as compact JSON with object members in sorted order (stable answers, easy to compare), and
    /// `/` not escaped.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            // JSON has no NaN or infinity; nothing the server builds holds one.
            out.append(contentsOf: (d.isFinite ? "\(d)" : "null").utf8)
        case .string(let s): Self.write(string: s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(string: member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func write(string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Hex strings, the bulk of every answer, need no escaping: scanned and copied whole from the string's storage.
        var string = string
        let plain = string.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: utf8)
            return true
        }
        guard !plain else {
            out.append(UInt8(ascii: "\""))
            return
        }
        for c in string.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0a: out.append(contentsOf: "\\n".utf8)
            case 0x0d: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let digits: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(digits[Int(c >> 4)])
                out.append(digits[Int(c & 0xf)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
