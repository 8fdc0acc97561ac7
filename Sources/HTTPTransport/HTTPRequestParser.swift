package import NIOCore

/// What the listener needs of a request's head: its route, its version and how its body is framed.
package struct RequestHead: Equatable {
    /// How the body's end is found (RFC 9112 §6.3).
    package enum Framing: Equatable {
        /// `Content-Length`: this many bytes (0 when the head names no framing).
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
    }

    package var method: String
    /// The request target as sent, query string included.
    package var target: String
    /// The `y` of `HTTP/1.y`; only major version 1 is accepted.
    package var minorVersion: Int
    /// Whether the connection stays open after the answer: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive` (RFC 9112 §9.3).
    package var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request: the client waits for an interim answer before its body.
    package var expectsContinue: Bool
    package var framing: Framing
    /// The `Host`, `Content-Type` and `Origin` values as sent (nil when absent), for the application's checks.
    package var host: String? = nil
    package var contentType: String? = nil
    package var origin: String? = nil
}

/// Why bytes are not a request this server takes; the connection answers with `status` and `reason`, then closes,
/// since the next request's start cannot be found.
package struct RequestError: Error, Equatable {
    package var status: Int
    package var reason: String

    static func bad(_ reason: String) -> RequestError { RequestError(status: 400, reason: reason) }
}

/// An HTTP/1.1 request parser (RFC 9112) over the bytes of a connection as they arrive: `next` takes what it can
/// from the front of a buffer and returns the head, each piece of the body (slices of the buffer, not copies), then
/// the end, request after request. A head and a chunk-size line wait until they are whole; a body piece is taken
/// as soon as any of it came.
///
/// Strict where leniency lets two parsers disagree on where a request ends (request smuggling): lines end in CRLF,
/// no whitespace before a field's colon and no line folding, one `Content-Length` value of digits only, `chunked`
/// as the only transfer coding, and never `Content-Length` beside `Transfer-Encoding`. Everything it refuses is
/// refused with the status RFC 9110 gives it (400, 431, 501, 505) and a reason naming what was wrong.
///
/// The listener's own parser rather than SwiftNIO's `HTTPRequestDecoder`: the node answers a JSON-RPC query in a
/// few microseconds, and the decoder's per-request work (a string per header name and value, a head allocation,
/// three messages down the pipeline) cost the server more than the query (benchmarks/RESULTS.md).
package struct RequestParser {
    /// A head (request line and fields) longer than this is refused with 431.
    static let maxHeadBytes = 64 * 1024
    /// More header fields than this are refused with 431.
    static let maxFields = 128
    /// A chunk-size line (with its extensions) longer than this is refused.
    static let maxChunkLineBytes = 1024
    /// Trailer fields after the last chunk, all together, longer than this are refused with 431.
    static let maxTrailerBytes = 16 * 1024

    /// One step's result.
    package enum Part: Equatable {
        case head(RequestHead)
        case body(ByteBuffer)
        case end
    }

    private enum State: Equatable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
    }

    private var state = State.head
    /// How far into the pending bytes the search for the head's end has gone: a head arriving a byte at a time is
    /// not searched from its start again each time.
    private var searched = 0
    /// Empty lines skipped before a request line (RFC 9112 §2.2), counted against the head limit.
    private var skipped = 0

    package init() {}

    /// The next part from the front of `input`, consuming its bytes; nil when more bytes are needed.
    package mutating func next(_ input: inout ByteBuffer) throws(RequestError) -> Part? {
        while true {
            switch state {
            case .head:
                return try head(&input)
            case .body(let remaining):
                guard remaining > 0 else {
                    state = .head
                    return .end
                }
                guard let piece = input.readSlice(length: min(remaining, input.readableBytes)), piece.readableBytes > 0 else { return nil }
                state = .body(remaining: remaining - piece.readableBytes)
                return .body(piece)
            case .chunkSize:
                guard let line = try line(in: input, limit: Self.maxChunkLineBytes, what: "chunk-size line") else { return nil }
                let size = try Self.chunkSize(input.readableBytesView.prefix(line))
                input.moveReaderIndex(forwardBy: line + 2)
                state = size == 0 ? .trailers(bytes: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard let piece = input.readSlice(length: min(remaining, input.readableBytes)), piece.readableBytes > 0 else { return nil }
                state = piece.readableBytes == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - piece.readableBytes)
                return .body(piece)
            case .chunkDataEnd:
                guard input.readableBytes >= 2 else { return nil }
                guard input.readInteger(as: UInt16.self) == 0x0d0a else { throw .bad("chunk data longer than its size") }
                state = .chunkSize
            case .trailers(let bytes):
                // Trailer fields are read past and dropped: nothing the server does depends on them.
                guard let line = try line(in: input, limit: Self.maxTrailerBytes - bytes, what: "trailer section", status: 431) else { return nil }
                input.moveReaderIndex(forwardBy: line + 2)
                if line == 0 {
                    state = .head
                    return .end
                }
                state = .trailers(bytes: bytes + line + 2)
            }
        }
    }

    /// The length of the line at the front of `input`, without its CRLF; nil while the CRLF has not come.
    private func line(in input: ByteBuffer, limit: Int, what: String, status: Int = 400) throws(RequestError) -> Int? {
        let view = input.readableBytesView
        guard let lf = view.prefix(limit + 2).firstIndex(of: 0x0a) else {
            if view.count >= limit + 2 { throw RequestError(status: status, reason: "\(what) longer than \(limit) bytes") }
            return nil
        }
        let length = lf - view.startIndex - 1
        guard length >= 0, view[lf - 1] == 0x0d else { throw .bad("a line ending in LF without CR") }
        guard !view[view.startIndex..<(lf - 1)].contains(where: { $0 == 0x0d || $0 == 0 }) else { throw .bad("a CR or NUL inside a line") }
        return length
    }

    /// `chunk-size [chunk-ext]`: hex digits, then optionally `;` and extensions, which are ignored.
    static func chunkSize(_ line: ByteBufferView) throws(RequestError) -> Int {
        var size = 0, digits = 0
        var rest = line.startIndex
        while rest < line.endIndex, let n = hexValue(line[rest]) {
            guard digits < 15 else { throw .bad("chunk size too large") }
            size = size << 4 | n
            digits += 1
            rest += 1
        }
        guard digits > 0 else { throw .bad("chunk size is not hex") }
        while rest < line.endIndex, line[rest] == 0x20 || line[rest] == 0x09 { rest += 1 }
        guard rest == line.endIndex || line[rest] == UInt8(ascii: ";") else { throw .bad("chunk size is not hex") }
        return size
    }

    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private mutating func head(_ input: inout ByteBuffer) throws(RequestError) -> Part? {
        while input.readableBytes >= 2, input.getInteger(at: input.readerIndex, as: UInt16.self) == 0x0d0a {
            input.moveReaderIndex(forwardBy: 2)
            searched = max(searched - 2, 0)
            skipped += 2
            guard skipped <= Self.maxHeadBytes else { throw .bad("empty lines instead of a request") }
        }
        let view = input.readableBytesView
        // The head ends at the first CRLF CRLF; the search resumes 3 bytes back, in case the last read split it.
        var end: Int?
        var i = view.startIndex + max(searched - 3, 0)
        let limit = min(view.endIndex, view.startIndex + Self.maxHeadBytes - skipped)
        while i + 3 < limit {
            guard let lf = view[(i + 3)..<limit].firstIndex(of: 0x0a) else { break }
            // Refused at once rather than waited on: a client ending lines in LF alone would never send CRLF CRLF.
            guard view[lf - 1] == 0x0d else { throw .bad("a line ending in LF without CR") }
            if view[lf - 2] == 0x0a, view[lf - 3] == 0x0d {
                end = lf + 1 - view.startIndex
                break
            }
            i = lf - 2
        }
        guard let end else {
            if view.count >= Self.maxHeadBytes - skipped { throw RequestError(status: 431, reason: "request head longer than \(Self.maxHeadBytes) bytes") }
            searched = view.count
            return nil
        }
        let head = try input.withUnsafeReadableBytes { bytes throws(RequestError) in
            try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<end]))
        }
        input.moveReaderIndex(forwardBy: end)
        searched = 0
        skipped = 0
        switch head.framing {
        case .length(let length): state = .body(remaining: length)
        case .chunked: state = .chunkSize
        }
        return .head(head)
    }

    /// `tchar` of RFC 9110 §5.6.2: the characters of a method and of a field name.
    static func isToken(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    /// Whether `bytes` equals `lowercase` ignoring ASCII case.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer.SubSequence, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return zip(bytes, expected).allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 == $1 : $0 == $1 }
    }

    /// The comma-separated elements of a field value (RFC 9110 §5.6.1), each without its surrounding whitespace;
    /// empty elements are skipped.
    static func elements(_ value: UnsafeRawBufferPointer.SubSequence) -> [UnsafeRawBufferPointer.SubSequence] {
        value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true).map(trimmed).filter { !$0.isEmpty }
    }

    static func trimmed(_ s: UnsafeRawBufferPointer.SubSequence) -> UnsafeRawBufferPointer.SubSequence {
        var s = s
        while let c = s.first, c == 0x20 || c == 0x09 { s = s.dropFirst() }
        while let c = s.last, c == 0x20 || c == 0x09 { s = s.dropLast() }
        return s
    }

    /// Parses a whole head, `bytes` ending in its CRLF CRLF.
    static func parseHead(_ bytes: UnsafeRawBufferPointer) throws(RequestError) -> RequestHead {
        // request-line = method SP request-target SP HTTP-version CRLF
        var i = 0
        while isToken(bytes[i]) { i += 1 }
        guard i > 0, bytes[i] == 0x20 else { throw .bad("a request line must be METHOD SP TARGET SP HTTP/1.1") }
        let method = String(decoding: bytes[0..<i], as: UTF8.self)
        i += 1
        let targetStart = i
        while (0x21...0x7e).contains(bytes[i]) { i += 1 }
        guard i > targetStart, bytes[i] == 0x20 else { throw .bad("a request line must be METHOD SP TARGET SP HTTP/1.1") }
        let target = String(decoding: bytes[targetStart..<i], as: UTF8.self)
        i += 1
        guard i + 10 <= bytes.count, bytes[i..<(i + 5)].elementsEqual("HTTP/".utf8), bytes[i + 6] == UInt8(ascii: "."),
            let major = digit(bytes[i + 5]), let minor = digit(bytes[i + 7]), bytes[i + 8] == 0x0d, bytes[i + 9] == 0x0a
        else { throw .bad("a request line must be METHOD SP TARGET SP HTTP/1.1") }
        guard major == 1 else { throw RequestError(status: 505, reason: "HTTP/\(major).\(minor) is not supported; this server speaks HTTP/1.1") }
        i += 10

        var contentLength: Int?
        var chunked = false, transferEncoding = false, close = false, keepAlive = false, expectsContinue = false
        var host: String?, contentType: String?, origin: String?
        var fields = 0
        // field-line = field-name ":" OWS field-value OWS CRLF, until the empty line.
        while !(bytes[i] == 0x0d && bytes[i + 1] == 0x0a) {
            fields += 1
            guard fields <= maxFields else { throw RequestError(status: 431, reason: "more than \(maxFields) header fields") }
            let nameStart = i
            while isToken(bytes[i]) { i += 1 }
            guard i > nameStart, bytes[i] == UInt8(ascii: ":") else {
                // Covers whitespace before the colon (RFC 9112 §5.1) and obsolete line folding (§5.2).
                throw .bad("a header line must be NAME: VALUE")
            }
            let name = bytes[nameStart..<i]
            i += 1
            let valueStart = i
            while bytes[i] != 0x0d {
                let c = bytes[i]
                guard c == 0x09 || c >= 0x20, c != 0x7f else { throw .bad("a control character in the value of \(String(decoding: name, as: UTF8.self))") }
                i += 1
            }
            guard bytes[i + 1] == 0x0a else { throw .bad("a CR without LF in a header line") }
            let value = trimmed(bytes[valueStart..<i])
            i += 2

            if equalsIgnoringCase(name, "content-length") {
                guard !value.isEmpty, value.count <= 18, value.allSatisfy({ digit($0) != nil }) else {
                    throw .bad("Content-Length must be a decimal number of bytes, got \(String(decoding: value, as: UTF8.self).debugDescription)")
                }
                let length = value.reduce(0) { $0 * 10 + Int(digit($1)!) }
                guard contentLength == nil || contentLength == length else { throw .bad("two different Content-Length values") }
                contentLength = length
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                transferEncoding = true
                for coding in elements(value) {
                    guard equalsIgnoringCase(coding, "chunked") else {
                        throw RequestError(status: 501, reason: "transfer coding \(String(decoding: coding, as: UTF8.self).debugDescription) is not supported; use chunked or Content-Length")
                    }
                    guard !chunked else { throw .bad("chunked applied twice") }
                    chunked = true
                }
            } else if equalsIgnoringCase(name, "connection") {
                for option in elements(value) {
                    if equalsIgnoringCase(option, "close") { close = true }
                    if equalsIgnoringCase(option, "keep-alive") { keepAlive = true }
                }
            } else if equalsIgnoringCase(name, "expect") {
                expectsContinue = equalsIgnoringCase(value, "100-continue")
            } else if equalsIgnoringCase(name, "host") {
                // Two Host lines leave the target's authority ambiguous (RFC 9112 §3.2).
                guard host == nil else { throw .bad("more than one Host header") }
                host = String(decoding: value, as: UTF8.self)
            } else if equalsIgnoringCase(name, "content-type") {
                contentType = String(decoding: value, as: UTF8.self)
            } else if equalsIgnoringCase(name, "origin") {
                origin = String(decoding: value, as: UTF8.self)
            }
        }
        guard i + 2 == bytes.count else { throw .bad("a request head must end in an empty line") }

        let framing: RequestHead.Framing
        if transferEncoding {
            // Both framings at once is how one request hides another from a proxy in front (RFC 9112 §6.3).
            guard contentLength == nil else { throw .bad("both Transfer-Encoding and Content-Length") }
            guard minor >= 1 else { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            guard chunked else { throw .bad("Transfer-Encoding without a coding") }
            framing = .chunked
        } else {
            framing = .length(contentLength ?? 0)
        }
        return RequestHead(
            method: method, target: target, minorVersion: minor, keepAlive: !close && (minor >= 1 || keepAlive),
            expectsContinue: expectsContinue && minor >= 1, framing: framing, host: host, contentType: contentType, origin: origin)
    }

    static func digit(_ c: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) ? Int(c - UInt8(ascii: "0")) : nil
    }
}
