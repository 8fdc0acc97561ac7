public import EthRPC
internal import Foundation
public import Logging
internal import NIOCore
internal import NIOExtras
internal import NIOHTTP1
internal import NIOPosix
public import ServiceLifecycle

/// The JSON-RPC server over HTTP/1.1: `POST /` takes a JSON-RPC body; `GET /health` answers 200 while serving;
/// `GET /metrics` is Prometheus text.
/// Binds loopback by default (DESIGN.md §5); no method writes anything.
///
/// Built on SwiftNIO's HTTP/1 decoder directly, and each request is answered on its connection's event loop: a
/// query is a few LevelDB reads (`asset_ownerOf` costs about 6 µs in process), so handing it to another thread and
/// back cost more than the query itself, and under load those hops made the latency tail (Hummingbird's router ran
/// handlers on the concurrency pool; see benchmarks/RESULTS.md). A long request (a batch of 1,000, a wide
/// `eth_getLogs`) holds up the other connections of its event loop meanwhile, as it held a pool thread before.
public struct HTTPServer: Sendable {
    public static let defaultAddress = "127.0.0.1"
    public static let defaultPort = 8547
    /// A connection that sends nothing for this long is closed, whether idle between requests or stalled
    /// halfway through one (a slow client sending its headers a byte at a time gets no more).
    public static let defaultIdleTimeout: Duration = .seconds(30)
    /// Connections the kernel queues before the server accepts them.
    static let listenBacklog: Int32 = 256
    /// A body this far past `RPCLimits.maxBodyBytes` is not read to its end: the connection gets its 413 and is
    /// closed, so a client streaming without end holds nothing but a socket.
    static let maxDiscardedBodyBytes = 2 * RPCLimits.maxBodyBytes

    public let dispatcher: Dispatcher
    public let host: String
    public let port: Int
    public let idleTimeout: Duration
    public let metrics = ServerMetrics()
    /// Figures for `/metrics` read at scrape time (indexed block, events, sync, upstreams).
    public let families: @Sendable () -> [MetricFamily]
    /// The body of `/health` beyond `"status": "ok"`: whether sync is current, when the node syncs.
    public let health: @Sendable () -> [String: JSONValue]

    public init(dispatcher: Dispatcher, host: String = HTTPServer.defaultAddress, port: Int = HTTPServer.defaultPort,
                idleTimeout: Duration = HTTPServer.defaultIdleTimeout,
                metrics families: @escaping @Sendable () -> [MetricFamily] = { [] },
                health: @escaping @Sendable () -> [String: JSONValue] = { [:] }) {
        self.idleTimeout = idleTimeout
        var observed = dispatcher
        let metrics = self.metrics
        observed.observer = { method, code, duration in metrics.record(method: method, code: code, duration: duration) }
        self.dispatcher = observed
        self.host = host
        self.port = port
        self.families = families
        self.health = health
    }

    /// The service group's own lines (start, shutdown) below warnings stay out of the node's output.
    public static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// Serves until the task is cancelled. `onReady` is called once the socket is bound, with its port
    /// (useful with port 0 in tests).
    public func run(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await ServiceGroup(configuration: .init(services: [.init(service: service(onReady: onReady))], logger: Self.quietLogger("provenant.server"))).run()
    }

    /// The server as a service of a `ServiceGroup`: a graceful shutdown (or cancellation) stops accepting, lets
    /// each connection finish the response it is writing, and returns once every connection is closed.
    public func service(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> any Service {
        Listener(server: self, onReady: onReady)
    }

    /// What one request is answered with.
    struct Answer {
        var status: HTTPResponseStatus
        var contentType = "application/json"
        var body: Data
        var allow: String?
    }

    /// Routes a complete request. `body` is nil when it ran past the limit; `bodyBytes` counts it anyway.
    func answer(method: HTTPMethod, uri: String, body: [UInt8]?, bodyBytes: Int) -> Answer {
        let path = uri[..<(uri.firstIndex(of: "?") ?? uri.endIndex)]
        switch (method, path) {
        case (.POST, "/"):
            guard let body else { return Answer(status: .payloadTooLarge, body: dispatcher.oversizedBody(bodyBytes)) }
            guard let response = dispatcher.handle(bytes: body) else { return Answer(status: .noContent, body: Data()) }
            return Answer(status: .ok, body: response)
        case (.GET, "/health"):
            var report = health()
            report["status"] = "ok"
            return Answer(status: .ok, body: Data(JSONValue.object(report).serialized()))
        case (.GET, "/metrics"):
            return Answer(status: .ok, contentType: "text/plain; version=0.0.4", body: Data(metrics.render(families()).utf8))
        case (_, "/"):
            return Answer(status: .methodNotAllowed, contentType: "text/plain", body: Data("POST a JSON-RPC request to /\n".utf8), allow: "POST")
        case (_, "/health"), (_, "/metrics"):
            return Answer(status: .methodNotAllowed, contentType: "text/plain", body: Data("\(path) answers GET\n".utf8), allow: "GET")
        default:
            return Answer(status: .notFound, contentType: "text/plain", body: Data("no such path: \(path); JSON-RPC is POST /\n".utf8))
        }
    }
}

/// The listening socket as a `Service`.
struct Listener: Service {
    let server: HTTPServer
    let onReady: @Sendable (Int) async -> Void

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let quiescing = ServerQuiescingHelper(group: group)
        let server = self.server
        let idle = TimeAmount.nanoseconds(
            server.idleTimeout.components.seconds * 1_000_000_000 + server.idleTimeout.components.attoseconds / 1_000_000_000)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: HTTPServer.listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    // First, so it sees every byte read: a request trickling in does not count as idle only
                    // once it is whole.
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(RequestHandler(server: server))
                }
            }
            .bind(host: server.host, port: server.port).get()
        await onReady(channel.localAddress?.port ?? 0)
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                quiescing.initiateShutdown(promise: nil)
            }
        } onCancel: {
            quiescing.initiateShutdown(promise: nil)
        }
        // Also when the socket closed on its own: every connection is told to finish, and waited for.
        let closed = channel.eventLoop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: closed)
        try? await closed.futureResult.get()
    }
}

/// One connection's requests, each answered on the connection's event loop once its body is whole. Answers are
/// written in order as complete HTTP/1.1 messages, one buffer each: requests are answered synchronously, so a
/// pipelining client gets its answers in the order it asked without a pipelining stage, and a fixed set of headers
/// needs no encoder or header validator on the way out.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let server: HTTPServer
    private var head: HTTPRequestHead?
    /// Nil while no body byte came, and again once the body ran past the limit (only its length is kept then).
    private var body: ByteBuffer?
    private var bodyBytes = 0
    /// Set by a graceful shutdown that came while a request was being read: the connection closes after its answer.
    private var closeAfterAnswer = false
    private var date = HTTPDate()

    init(server: HTTPServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            bodyBytes = 0
            // curl sends `Expect: 100-continue` with bodies over 1 KiB and waits a second for this before sending;
            // a body declared too large is refused before it is sent.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > RPCLimits.maxBodyBytes {
                    self.head = nil
                    respond(context: context, to: head, with: server.answer(method: head.method, uri: head.uri, body: nil, bodyBytes: declared), close: true)
                    return
                }
                var buffer = context.channel.allocator.buffer(capacity: 32)
                buffer.writeString("HTTP/\(head.version.major).\(head.version.minor) 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            }
        case .body(var chunk):
            bodyBytes += chunk.readableBytes
            if bodyBytes > RPCLimits.maxBodyBytes {
                body = nil
                if bodyBytes > HTTPServer.maxDiscardedBodyBytes, let head {
                    self.head = nil
                    respond(context: context, to: head, with: server.answer(method: head.method, uri: head.uri, body: nil, bodyBytes: bodyBytes), close: true)
                }
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }  // answered early, past the discard limit
            self.head = nil
            let bytes: [UInt8]? = bodyBytes > RPCLimits.maxBodyBytes ? nil : (body.flatMap { $0.getBytes(at: $0.readerIndex, length: $0.readableBytes) } ?? [])
            body = nil
            let answer = server.answer(method: head.method, uri: head.uri, body: bytes, bodyBytes: bodyBytes)
            respond(context: context, to: head, with: answer, close: closeAfterAnswer || !head.isKeepAlive)
        }
    }

    /// Writes one whole response: status line, headers, body.
    private func respond(context: ChannelHandlerContext, to request: HTTPRequestHead, with answer: HTTPServer.Answer, close: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: 160 + answer.body.count)
        buffer.writeString("HTTP/\(request.version.major).\(request.version.minor) \(answer.status.code) \(answer.status.reasonPhrase)\r\n")
        buffer.writeString("date: \(date.now())\r\n")
        // RFC 9110 §8.6: no Content-Length (and no content) on a 204.
        if answer.status != .noContent {
            buffer.writeString("content-type: \(answer.contentType)\r\ncontent-length: \(answer.body.count)\r\n")
        }
        if let allow = answer.allow { buffer.writeString("allow: \(allow)\r\n") }
        if close {
            buffer.writeString("connection: close\r\n")
        } else if request.version == .http1_0 {
            buffer.writeString("connection: keep-alive\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeBytes(answer.body)
        guard close else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            return
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is IdleStateHandler.IdleStateEvent:
            context.close(promise: nil)
        case is ChannelShouldQuiesceEvent:
            // Between requests the connection closes now; inside one, once it is answered.
            if head == nil { context.close(promise: nil) } else { closeAfterAnswer = true }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A request that is not HTTP gets a 400 and the connection is closed: the parser cannot find where the next
    /// request would start.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 80)
        buffer.writeString("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// The `Date` header's value, IMF-fixdate (RFC 9110 §5.6.7: an origin server with a clock sends it), formatted
/// again only when the second changes. Names are spelled out rather than taken from `strftime`, whose names follow
/// the process locale.
struct HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private var second = -1
    private var text = ""

    mutating func now() -> String {
        let seconds = Int(time(nil))
        if seconds != second {
            second = seconds
            text = Self.format(seconds)
        }
        return text
    }

    static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
