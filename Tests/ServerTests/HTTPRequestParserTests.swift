import NIOCore
import Testing
import TestSupport

@testable import HTTPTransport

/// The listener's HTTP/1.1 request parser on bytes alone: what it takes, what it refuses and with which status, and
/// that where the reads split the bytes changes nothing.
@Suite("HTTP request parser")
struct HTTPRequestParserTests {
    /// One parsed request: its head and its body's bytes.
    struct Parsed: Equatable {
        var head: RequestHead
        var body: [UInt8]
    }

    /// Feeds `reads` as a connection would (appended to what is left, parsed as far as it goes) and collects the
    /// requests; a request whose end has not come is not returned.
    static func parse(_ reads: [[UInt8]]) throws(RequestError) -> [Parsed] {
        var parser = RequestParser()
        var input = ByteBuffer()
        var parsed: [Parsed] = []
        var head: RequestHead?
        var body: [UInt8] = []
        for read in reads {
            input.writeBytes(read)
            while let part = try parser.next(&input) {
                switch part {
                case .head(let h):
                    #expect(head == nil, "a head before the last request's end")
                    head = h
                    body = []
                case .body(let piece):
                    #expect(head != nil && piece.readableBytes > 0)
                    body += piece.readableBytesView
                case .end:
                    parsed.append(Parsed(head: head!, body: body))
                    head = nil
                }
            }
            input.discardReadBytes()
        }
        return parsed
    }

    static func parse(_ text: String) throws(RequestError) -> [Parsed] { try parse([Array(text.utf8)]) }

    static func head(_ method: String = "POST", _ target: String = "/", minor: Int = 1, keepAlive: Bool = true, expects: Bool = false,
                     framing: RequestHead.Framing = .length(0), host: String? = nil, contentType: String? = nil, origin: String? = nil) -> RequestHead {
        RequestHead(
            method: method, target: target, minorVersion: minor, keepAlive: keepAlive, expectsContinue: expects, framing: framing, host: host,
            contentType: contentType, origin: origin)
    }

    static let accepted: [(name: String, bytes: String, expected: [Parsed])] = [
        ("a GET", "GET /health?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", [Parsed(head: head("GET", "/health?x=1", host: "a"), body: [])]),
        ("the headers the browser policy reads", "POST / HTTP/1.1\r\nhost: [::1]:8547\r\nContent-Type:  application/json; charset=utf-8 \r\nORIGIN: https://a.example\r\n\r\n",
         [Parsed(head: head(host: "[::1]:8547", contentType: "application/json; charset=utf-8", origin: "https://a.example"), body: [])]),
        ("a body by length", "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", [Parsed(head: head(framing: .length(5)), body: Array("hello".utf8))]),
        ("names in any case, whitespace around values", "POST / HTTP/1.1\r\ncOnTeNt-LeNgTh:\t 2 \t\r\nX-Empty:\r\n\r\nhi",
            [Parsed(head: head(framing: .length(2)), body: Array("hi".utf8))]),
        ("the same length twice", "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", [Parsed(head: head(framing: .length(2)), body: Array("hi".utf8))]),
        ("chunks with extensions and trailers",
            "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5;name=value\r\nhello\r\nA \r\n, world!!!\r\n000\r\nX-Trailer: t\r\n\r\n",
            [Parsed(head: head(framing: .chunked), body: Array("hello, world!!!".utf8))]),
        ("HTTP/1.0 closes", "POST / HTTP/1.0\r\n\r\n", [Parsed(head: head(minor: 0, keepAlive: false), body: [])]),
        ("HTTP/1.0 asking to stay", "POST / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", [Parsed(head: head(minor: 0), body: [])]),
        ("HTTP/1.1 asking to close", "POST / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", [Parsed(head: head(keepAlive: false), body: [])]),
        ("a later minor version is 1.1's", "GET / HTTP/1.9\r\n\r\n", [Parsed(head: head("GET", minor: 9), body: [])]),
        ("100-continue", "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
            [Parsed(head: head(expects: true, framing: .length(1)), body: [UInt8(ascii: "x")])]),
        ("100-continue means nothing in HTTP/1.0", "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", [Parsed(head: head(minor: 0, keepAlive: false), body: [])]),
        ("empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", [Parsed(head: head("GET"), body: [])]),
        ("an empty line after a body", "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\na\r\nGET / HTTP/1.1\r\n\r\n",
            [Parsed(head: head(framing: .length(1)), body: [UInt8(ascii: "a")]), Parsed(head: head("GET"), body: [])]),
        ("pipelined", "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\naGET /b HTTP/1.1\r\n\r\nPOST /c HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\n",
            [Parsed(head: head(framing: .length(1)), body: [UInt8(ascii: "a")]), Parsed(head: head("GET", "/b"), body: []),
             Parsed(head: head("POST", "/c", framing: .chunked), body: [UInt8(ascii: "c")])]),
    ]

    @Test func acceptsWellFormedRequests() throws {
        for (name, bytes, expected) in Self.accepted {
            #expect(try Self.parse(bytes) == expected, "\(name)")
        }
    }

    static let refused: [(name: String, bytes: String, status: Int, reason: String)] = [
        ("not HTTP", "HELLO\r\n\r\n", 400, "request line"),
        ("no version", "GET /\r\n\r\n", 400, "request line"),
        ("two spaces", "GET  / HTTP/1.1\r\n\r\n", 400, "request line"),
        ("a space in the target", "GET /a b HTTP/1.1\r\n\r\n", 400, "request line"),
        ("lowercase version", "GET / http/1.1\r\n\r\n", 400, "request line"),
        ("HTTP/2", "GET / HTTP/2.0\r\n\r\n", 505, "HTTP/2.0 is not supported"),
        ("LF alone", "GET / HTTP/1.1\nHost: a\n\n", 400, "LF without CR"),
        ("CR alone", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "CR without LF"),
        ("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"),
        ("space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "NAME: VALUE"),
        ("a folded line", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400, "NAME: VALUE"),
        ("no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, "NAME: VALUE"),
        ("a control character", "GET / HTTP/1.1\r\nX-A: a\u{1}b\r\n\r\n", 400, "control character in the value of X-A"),
        ("NUL", "GET / HTTP/1.1\r\nX-A: \u{0}\r\n\r\n", 400, "control character"),
        ("a length in words", "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400, "Content-Length must be a decimal number"),
        ("a negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"),
        ("a length list", "POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400, "Content-Length"),
        ("a length past Int", "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789012\r\n\r\n", 400, "Content-Length"),
        ("two lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "two different Content-Length"),
        ("both framings", "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "both Transfer-Encoding and Content-Length"),
        ("gzip", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "\"gzip\" is not supported"),
        ("chunked twice", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "chunked applied twice"),
        ("an empty coding", "POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n", 400, "without a coding"),
        ("chunks in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"),
        ("a chunk size in words", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "chunk size is not hex"),
        ("a chunk size with junk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\n", 400, "chunk size is not hex"),
        ("a chunk size past Int", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400, "chunk size too large"),
        ("a chunk longer than its size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", 400, "chunk data longer"),
        ("a chunk line without end", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "x", count: 2_000), 400, "chunk-size line longer"),
        ("a head without end", "GET / HTTP/1.1\r\nX-A: " + String(repeating: "a", count: 70_000), 431, "request head longer than 65536"),
        ("a head too long", "GET / HTTP/1.1\r\nX-A: " + String(repeating: "a", count: 70_000) + "\r\n\r\n", 431, "request head longer"),
        ("too many fields", "GET / HTTP/1.1\r\n" + String(repeating: "X-A: a\r\n", count: 129) + "\r\n", 431, "more than 128 header fields"),
        ("trailers too long", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "X-A: aaaaaaaaaa\r\n", count: 2_000), 431, "trailer section"),
        ("endless empty lines", String(repeating: "\r\n", count: 40_000), 400, "empty lines"),
    ]

    @Test func refusesMalformedRequests() throws {
        for (name, bytes, status, reason) in Self.refused {
            #expect(throws: RequestError.self, "\(name)") {
                do throws(RequestError) {
                    _ = try Self.parse(bytes)
                } catch {
                    #expect(error.status == status && error.reason.contains(reason), "\(name): \(error)")
                    throw error
                }
            }
        }
        // The good request before a bad one is still parsed whole.
        var parser = RequestParser()
        var input = ByteBuffer(string: "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/9.9\r\n\r\n")
        #expect(try parser.next(&input) == .head(Self.head("GET", "/a")))
        #expect(try parser.next(&input) == .end)
        #expect(throws: RequestError(status: 505, reason: "HTTP/9.9 is not supported; this server speaks HTTP/1.1")) { try parser.next(&input) }
    }

    /// A random well-formed request and the head and body the parser must find in it.
    static func randomRequest(_ rng: inout SplitMix64) -> (bytes: [UInt8], expected: Parsed) {
        let method = ["GET", "POST", "PUT", "OPTIONS", "X-CUSTOM"].randomElement(using: &rng)!
        let target = "/" + String((0..<Int.random(in: 0...20, using: &rng)).map { _ in "abc/?=&%-_.~0123".randomElement(using: &rng)! })
        let minor = Int.random(in: 0...1, using: &rng)
        let body = rng.bytes(Int.random(in: 0...3, using: &rng) == 0 ? Int.random(in: 0...5_000, using: &rng) : Int.random(in: 0...40, using: &rng))
        let chunked = minor == 1 && Bool.random(using: &rng)
        var lines = ["\(method) \(target) HTTP/1.\(minor)", "Host: example"]
        var keepAlive = minor == 1
        switch Int.random(in: 0...3, using: &rng) {
        case 0: lines.append("Connection: close"); keepAlive = false
        case 1: lines.append("connection: keep-alive"); keepAlive = true
        default: break
        }
        for n in 0..<Int.random(in: 0...6, using: &rng) { lines.append("X-Field-\(n):\(String(repeating: " ", count: n % 3))value \(n)") }
        var bytes: [UInt8]
        if chunked {
            lines.append("Transfer-Encoding: chunked")
            bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
            var rest = body[...]
            while !rest.isEmpty {
                let size = min(rest.count, Int.random(in: 1...700, using: &rng))
                bytes += Array((String(size, radix: 16, uppercase: Bool.random(using: &rng)) + (Bool.random(using: &rng) ? ";ext=1" : "") + "\r\n").utf8)
                bytes += rest.prefix(size) + [0x0d, 0x0a]
                rest = rest.dropFirst(size)
            }
            bytes += Array("0\r\n\(Bool.random(using: &rng) ? "Trailer: x\r\n" : "")\r\n".utf8)
        } else {
            if !body.isEmpty || Bool.random(using: &rng) { lines.append("Content-Length: \(body.count)") }
            bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
        }
        let framing: RequestHead.Framing = chunked ? .chunked : .length(body.count)
        return (bytes, Parsed(head: head(method, target, minor: minor, keepAlive: keepAlive, framing: framing, host: "example"), body: body))
    }

    /// Pipelined random requests give the same heads and bodies however the bytes are split into reads: whole,
    /// at random points, and (for a few) a byte at a time.
    @Test func splitsAnywhere() throws {
        for seed in UInt64(1)...300 {
            var rng = SplitMix64(seed: seed)
            let requests = (0..<Int.random(in: 1...4, using: &rng)).map { _ in Self.randomRequest(&rng) }
            let bytes = requests.flatMap(\.bytes), expected = requests.map(\.expected)
            #expect(try Self.parse([bytes]) == expected, "seed \(seed)")
            var reads: [[UInt8]] = [], rest = bytes[...]
            while !rest.isEmpty {
                let n = Int.random(in: 1...max(1, rest.count / 3), using: &rng)
                reads.append(Array(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            #expect(try Self.parse(reads) == expected, "seed \(seed), \(reads.count) reads")
            if seed % 10 == 0 {
                // Some clients send an empty line before a request; it may come a byte at a time too.
                let padded: [UInt8] = requests.flatMap { [0x0d, 0x0a] + $0.bytes }
                #expect(try Self.parse(padded.map { [$0] }) == expected, "seed \(seed), empty lines, a byte at a time")
            }
            if seed % 30 == 0 {
                #expect(try Self.parse(bytes.map { [$0] }) == expected, "seed \(seed), a byte at a time")
            }
        }
    }
}
