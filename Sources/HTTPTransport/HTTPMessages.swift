public import Foundation

/// One complete request, as a responder sees it.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The request target without its query string.
    public var path: String
    /// The body; nil when it ran past the listener's body limit (then only `bodyBytes` is known).
    public var body: [UInt8]?
    /// The body's length, counted even past the limit.
    public var bodyBytes: Int
    /// The `Host`, `Content-Type` and `Origin` header values as sent; nil when absent.
    public var host: String?
    public var contentType: String?
    public var origin: String?

    public init(method: String, path: String, body: [UInt8]?, bodyBytes: Int, host: String? = nil, contentType: String? = nil, origin: String? = nil) {
        self.method = method
        self.path = path
        self.body = body
        self.bodyBytes = bodyBytes
        self.host = host
        self.contentType = contentType
        self.origin = origin
    }
}

/// The answer to one request.
public struct HTTPReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data
    /// Headers beyond `content-type`, `content-length`, `date` and `connection` (`allow`, `retry-after`).
    public var headers: [(name: String, value: String)]
    /// Fault injection for test upstreams: answer only after this long (the connection's later requests wait
    /// their turn).
    public var delay: Duration?
    /// Fault injection for test upstreams: send the headers and half the body, then close the connection.
    public var truncated: Bool

    public init(status: Int, contentType: String = "application/json", body: Data = Data(), headers: [(name: String, value: String)] = [],
                delay: Duration? = nil, truncated: Bool = false) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
        self.delay = delay
        self.truncated = truncated
    }

    /// A `text/plain` answer.
    public static func text(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> HTTPReply {
        HTTPReply(status: status, contentType: "text/plain", body: Data(text.utf8), headers: headers)
    }
}

/// How a request is answered: at once, on its connection's event loop (a few index reads), or by work the
/// listener runs on its worker threads (a proof, a wide log query, a long batch), so that it never holds up the
/// requests of other connections. Either way a connection's answers leave in the order it asked.
public enum HTTPAnswer: Sendable {
    case now(HTTPReply)
    case offloaded(@Sendable () -> HTTPReply)
}
