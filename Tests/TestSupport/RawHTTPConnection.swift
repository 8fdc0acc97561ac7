import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client TCP connection speaking HTTP/1.1 byte by byte, for what URLSession hides: exact headers, pipelining,
/// interim `100 Continue` answers, malformed requests, and whether the server closed the connection.
public final class RawHTTPConnection: @unchecked Sendable {
    /// One parsed response.
    public struct Response {
        public var status: Int
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: Data
    }

    private let fd: Int32
    private var buffered = Data()

    /// Connects to 127.0.0.1:`port`; reads give up after `timeout` seconds.
    public init?(port: Int, timeout: Int = 10) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false once the server has closed or reset the connection. MSG_NOSIGNAL: a write to a
    /// closed connection is an error here, not a SIGPIPE that ends the test process.
    @discardableResult
    public func send(_ bytes: Data) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Reads more bytes into the buffer; false on close, reset or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffered.append(contentsOf: chunk[0..<n])
        return true
    }

    /// The next response, headers and a `content-length` body (none when `bodyless`, the answer to a HEAD); nil
    /// if the connection ends first.
    public func readResponse(bodyless: Bool = false) -> Response? {
        let separator = Data("\r\n\r\n".utf8)
        var headEnd = buffered.range(of: separator)
        while headEnd == nil {
            guard fill() else { return nil }
            headEnd = buffered.range(of: separator)
        }
        let head = String(decoding: buffered[buffered.startIndex..<headEnd!.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = bodyless ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headEnd!.upperBound
        while buffered.count - (bodyStart - buffered.startIndex) < length {
            guard fill() else { return nil }
        }
        let body = buffered[bodyStart..<bodyStart + length]
        buffered = Data(buffered[(bodyStart + length)...])
        return Response(status: status, headers: headers, body: Data(body))
    }

    /// True when the server closes (or resets) the connection with nothing more to read, within the read timeout.
    public func closedByServer() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    /// Ends both directions now: a `send` blocked on a server that stopped reading returns false.
    public func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }
}
