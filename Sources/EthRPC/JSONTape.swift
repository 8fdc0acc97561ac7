/// Why a body is not JSON: the byte offset where parsing stopped, and what was expected there.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}

/// A JSON document (RFC 8259) checked and indexed in one pass over its bytes: one token per value, holding where the
/// value lies, so that `JSONReader` finds a member by comparing its name's bytes and decodes a hex string where it
/// lies. Nothing else is built: no tree, no dictionary, no string for a value that is only decoded (an upstream's
/// block is hundreds of hex strings). The module's one JSON parser: `JSONValue(parsing:)` builds its tree from a
/// tape. Integers that fit Int64 stay exact (JSON-RPC ids); other numbers read as doubles. Nesting deeper than
/// `JSONValue.maxDepth` is refused, and so is anything after the value but whitespace.
///
/// The text and the tokens are held in buffers the tape owns (read without the retains an array's storage costs on
/// every access) and never changed after `init`, hence `@unchecked Sendable`.
public final class JSONTape: @unchecked Sendable {
    private let text: UnsafeMutableBufferPointer<UInt8>
    private let tokens: UnsafeMutableBufferPointer<Token>
    /// The decoded text of strings with escapes, by token index (rare in answers; each escape is checked when parsed).
    private let unescaped: [Int: String]

    struct Token {
        enum Kind: UInt8 { case null, `true`, `false`, number, string, array, object }
        var kind: Kind
        /// A string with escapes: its text is in `unescaped`; any other string's bytes are its text.
        var escaped: Bool
        /// A string's first content byte, a number's first byte.
        var start: UInt32
        /// A string's closing quote, a number's end.
        var end: UInt32
        /// The index of the token after this value and everything in it.
        var next: UInt32
        /// An object's last member name; a member name's previous one in its object; 0 for none (token 0 is the
        /// document's value, never a name). Lookups walk names from the last, so a repeated name finds its last
        /// value first, as the tree keeps it.
        var link: UInt32 = 0
    }

    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        guard bytes.count < Int(UInt32.max) else { throw JSONParseError(offset: 0, reason: "a document over 4 GiB") }
        var parser = Parser(bytes: bytes)
        parser.tokens.reserveCapacity(bytes.count / 24)
        parser.skipWhitespace()
        try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("end of input expected") }
        text = .allocate(capacity: bytes.count)
        _ = text.initialize(from: bytes)
        tokens = .allocate(capacity: parser.tokens.count)
        _ = tokens.initialize(from: parser.tokens)
        unescaped = parser.unescaped
    }

    deinit {
        text.deallocate()
        tokens.deallocate()
    }

    // MARK: Reading tokens

    func kind(_ i: Int) -> Token.Kind { tokens[i].kind }

    /// The index of each element of the array at `i`.
    func elements(_ i: Int) -> [Int] {
        var out: [Int] = []
        var child = i + 1
        let end = Int(tokens[i].next)
        while child < end {
            out.append(child)
            child = Int(tokens[child].next)
        }
        return out
    }

    /// The (name token, value token) of each member of the object at `i`, in document order.
    func members(_ i: Int) -> [(name: Int, value: Int)] {
        var out: [(Int, Int)] = []
        var child = i + 1
        let end = Int(tokens[i].next)
        while child < end {
            out.append((child, child + 1))
            child = Int(tokens[child + 1].next)
        }
        return out
    }

    /// The value token of the member `name` of the object at `i`; the last one when the name repeats (as the tree
    /// keeps it).
    func member(_ i: Int, _ name: String) -> Int? {
        var name = name
        return name.withUTF8 { key in
            var child = Int(tokens[i].link)
            while child != 0 {
                if nameEquals(child, key) { return child + 1 }
                child = Int(tokens[child].link)
            }
            return nil
        }
    }

    /// Where the value at `t` lies in the document: member names and element indices from the root, as
    /// `a.b[2].c`, after `root`.
    func path(to t: Int, root: String) -> String {
        var path = root, at = 0
        while at != t {
            let inside = { (child: Int) in child <= t && t < Int(self.tokens[child].next) }
            if tokens[at].kind == .object, let (name, value) = members(at).first(where: { inside($0.value) }) {
                let key = string(name)
                path += path.isEmpty ? key : "." + key
                at = value
            } else if tokens[at].kind == .array, let (k, element) = elements(at).enumerated().first(where: { inside($0.element) }) {
                path += "[\(k)]"
                at = element
            } else {
                break
            }
        }
        return path
    }

    private func nameEquals(_ i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let t = tokens[i]
        if t.escaped { return unescaped[i].map { $0.utf8.elementsEqual(key) } ?? false }
        let count = Int(t.end - t.start)
        guard count == key.count else { return false }
        var i = 0, at = Int(t.start)
        while i < count, text[at] == key[i] { i += 1; at += 1 }
        return i == count
    }

    /// The text of the string at `i`.
    func string(_ i: Int) -> String {
        let t = tokens[i]
        if let text = unescaped[i] { return text }
        return String(decoding: UnsafeBufferPointer(rebasing: text[Int(t.start)..<Int(t.end)]), as: UTF8.self)
    }

    /// Calls `body` with the UTF-8 text of the string at `i`, in place unless it had escapes.
    func withUTF8<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let t = tokens[i]
        if t.escaped, var text = unescaped[i] { return text.withUTF8(body) }
        return body(UnsafeBufferPointer(rebasing: text[Int(t.start)..<Int(t.end)]))
    }

    /// The number at `i`: an integer when it is one and fits Int64, else a double (checked to parse when read).
    func number(_ i: Int) -> JSONValue {
        let t = tokens[i]
        let number = String(decoding: UnsafeBufferPointer(rebasing: text[Int(t.start)..<Int(t.end)]), as: UTF8.self)
        if let int = Int64(number) { return .int(int) }
        return .double(Double(number)!)
    }

    /// The value at `i` as a tree.
    func value(_ i: Int) -> JSONValue {
        switch tokens[i].kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return number(i)
        case .string: return .string(string(i))
        case .array: return .array(elements(i).map(value))
        case .object:
            let members = members(i)
            var object = [String: JSONValue](minimumCapacity: members.count)
            for (name, value) in members { object[string(name)] = self.value(value) }  // a repeated name: the last wins
            return .object(object)
        }
    }

    // MARK: Parsing

    struct Parser {
        let bytes: [UInt8]
        var offset = 0
        var tokens: [Token] = []
        var unescaped: [Int: String] = [:]

        init(bytes: [UInt8]) { self.bytes = bytes }

        func error(_ reason: String) -> JSONParseError { JSONParseError(offset: offset, reason: reason) }

        var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while let c = current, c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { offset += 1 }
        }

        mutating func append(_ kind: Token.Kind, start: Int, end: Int, escaped: Bool = false) {
            tokens.append(Token(kind: kind, escaped: escaped, start: UInt32(start), end: UInt32(end), next: UInt32(tokens.count + 1)))
        }

        mutating func literal(_ literal: StaticString, _ kind: Token.Kind) throws(JSONParseError) {
            let count = literal.utf8CodeUnitCount
            let matches = offset + count <= bytes.count
                && literal.withUTF8Buffer { bytes[offset..<offset + count].elementsEqual($0) }
            guard matches else { throw error("invalid literal") }
            append(kind, start: offset, end: offset + count)
            offset += count
        }

        mutating func value(depth: Int) throws(JSONParseError) {
            guard let c = current else { throw error("a value expected") }
            switch c {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true", .true)
            case UInt8(ascii: "f"): try literal("false", .false)
            case UInt8(ascii: "n"): try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw error("a value expected")
            }
        }

        /// Opens a container's token; `close` sets where its contents end.
        mutating func open(_ kind: Token.Kind) -> Int {
            append(kind, start: offset, end: offset)
            offset += 1
            return tokens.count - 1
        }

        mutating func close(_ token: Int) {
            offset += 1
            tokens[token].end = UInt32(offset)
            tokens[token].next = UInt32(tokens.count)
        }

        mutating func array(depth: Int) throws(JSONParseError) {
            guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
            let token = open(.array)
            skipWhitespace()
            if current == UInt8(ascii: "]") { return close(token) }
            while true {
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "]"): return close(token)
                default: throw error("',' or ']' expected")
                }
            }
        }

        mutating func object(depth: Int) throws(JSONParseError) {
            guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
            let token = open(.object)
            var last: UInt32 = 0
            skipWhitespace()
            if current == UInt8(ascii: "}") { return close(token) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("a member name expected") }
                let name = UInt32(tokens.count)
                try string()
                tokens[Int(name)].link = last
                last = name
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("':' expected") }
                offset += 1
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"):
                    tokens[token].link = last
                    return close(token)
                default: throw error("',' or '}' expected")
                }
            }
        }

        mutating func string() throws(JSONParseError) {
            offset += 1
            let start = offset
            // Fast path: no escapes. ASCII (every key and hex value) needs no UTF-8 validation.
            let (stop, ascii, control) = bytes.withUnsafeBufferPointer { all -> (Int, Bool, Bool) in
                var i = start, ascii = true
                while i < all.count {
                    let c = all[i]
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { break }
                    if c < 0x20 { return (i, ascii, true) }
                    ascii = ascii && c < 0x80
                    i += 1
                }
                return (i, ascii, false)
            }
            offset = stop
            if control { throw error("a control character in a string") }
            guard let end = current else { throw error("unterminated string") }
            if end == UInt8(ascii: "\"") {
                if !ascii, String(validating: bytes[start..<offset], as: UTF8.self) == nil { throw error("invalid UTF-8 in a string") }
                append(.string, start: start, end: offset)
                offset += 1
                return
            }
            var scalars = Array(bytes[start..<offset])
            while true {
                guard let c = current else { throw error("unterminated string") }
                offset += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: scalars, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                    unescaped[tokens.count] = text
                    append(.string, start: start, end: offset - 1, escaped: true)
                    return
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

        mutating func number() throws(JSONParseError) {
            let start = offset
            if current == UInt8(ascii: "-") { offset += 1 }
            guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw error("a digit expected") }
            offset += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            var integral = true
            if current == UInt8(ascii: ".") {
                integral = false
                offset += 1
                guard digitsFollow() else { throw error("a digit expected after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                guard digitsFollow() else { throw error("a digit expected in the exponent") }
            }
            let text = String(decoding: bytes[start..<offset], as: UTF8.self)
            if !(integral && Int64(text) != nil) {
                guard Double(text) != nil else { throw error("a number out of range") }
            }
            append(.number, start: start, end: offset)
        }

        mutating func skipDigits() {
            while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { offset += 1 }
        }

        mutating func digitsFollow() -> Bool {
            guard let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return false }
            skipDigits()
            return true
        }
    }
}
