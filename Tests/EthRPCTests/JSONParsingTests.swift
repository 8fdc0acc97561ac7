import Foundation
import Testing
import TestSupport

@testable import EthRPC

@Suite("JSON parsing and serialization")
struct JSONParsingTests {
    static func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: Array(text.utf8)) }

    @Test func valuesParseExactly() throws {
        #expect(try Self.parse(#" {"a" : [1, -2, 9007199254740993, 1.5, -0.25e2, true, false, null, "x"]} "#) == [
            "a": [1, -2, .int(9_007_199_254_740_993), .double(1.5), .double(-25), true, false, nil, "x"],
        ])
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00""#) == .string("\"\\/\u{8}\u{c}\n\r\tAé😀"))
        #expect(try Self.parse("92233720368547758070") == .double(92_233_720_368_547_758_070))  // beyond Int64: a double
        #expect(try Self.parse(#"{"k":1,"k":2}"#) == ["k": 2])
        #expect(try Self.parse("[]") == [] && Self.parse("{}") == [:])
    }

    static let invalid = [
        "", " ", "[1,]", "{\"a\":1,}", "01", "-", "1.", "1e", "+1", ".5", "tru", "nul", "[1 2]", "{\"a\" 1}", "{a:1}",
        "\"abc", "\"\u{01}\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "[1]x", "{}{}", "NaN", "Infinity",
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ]

    @Test func invalidJSONIsRefusedWithAnOffset() {
        for text in Self.invalid {
            #expect(throws: JSONParseError.self, "\(text.debugDescription)") { try Self.parse(text) }
        }
        #expect(throws: JSONParseError(offset: 3, reason: "',' or ']' expected")) { try Self.parse("[1 2]") }
        // The depth cap: 64 levels pass.
        #expect(throws: Never.self) { try Self.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xff, 0x22]) }
    }

    /// Random values: ours serializes, ours and Foundation's decoder parse it back to the same value.
    @Test func randomValuesRoundTripAndAgreeWithFoundation() throws {
        var rng = SplitMix64(seed: 77)
        func random(_ depth: Int) -> JSONValue {
            switch rng.next() % (depth > 3 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(rng.next() % 2 == 0)
            case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 63))
            case 3: return .double(Double(Int64(bitPattern: rng.next()) >> 20) / 1024)
            case 4:
                let alphabet = Array("ab\"\\/\n\t\u{1}é😀 {}[],:".unicodeScalars)
                return .string(String(String.UnicodeScalarView((0..<(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })))
            case 5: return .array((0..<(rng.next() % 5)).map { _ in random(depth + 1) })
            default: return .object(Dictionary((0..<(rng.next() % 5)).map { i in ("k\(i)\(rng.next() % 3)", random(depth + 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        for _ in 0..<2_000 {
            let value = random(0)
            let bytes = value.serialized()
            let ours = try JSONValue(parsing: bytes)
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            #expect(Self.same(ours, value), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(Self.same(ours, foundation), "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    /// Equality where a double with an integral value may come back as an int (JSON does not tell them apart).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.double(let x), .int(let y)), (.int(let y), .double(let x)): return x == Double(y)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)): return x.keys == y.keys && x.keys.allSatisfy { same(x[$0]!, y[$0]!) }
        default: return a == b
        }
    }
}

/// JSON that comes from outside is read in one place: EthRPC's `JSONReader`. A source elsewhere that reaches for
/// Foundation's coders or `Codable`, or a `try!` anywhere in `Sources`, is named here with its line.
@Suite("JSON boundary")
struct JSONBoundaryTests {
    nonisolated(unsafe) static let foundationJSON = #/JSONDecoder|JSONEncoder|JSONSerialization|\bCodable\b|\bDecodable\b|\bEncodable\b/#
    nonisolated(unsafe) static let forcedTry = #/\btry!/#

    @Test func onlyEthRPCReadsJSONAndNothingForcesATry() throws {
        let everywhere = try Repository.sourceLines()
        #expect(Set(everywhere.map(\.file)).count > 50, "the walk found \(Set(everywhere.map(\.file)).count) source files")
        let code = everywhere.filter { !$0.text.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
        let json = code.filter { !$0.file.hasPrefix("EthRPC/") && $0.text.contains(Self.foundationJSON) }
        let forced = code.filter { $0.text.contains(Self.forcedTry) }
        #expect(json.isEmpty, "JSON read outside EthRPC:\n\(json.map { "\($0.file):\($0.number): \($0.text)" }.joined(separator: "\n"))")
        #expect(forced.isEmpty, "try! in Sources:\n\(forced.map { "\($0.file):\($0.number): \($0.text)" }.joined(separator: "\n"))")
    }
}
