internal import Foundation
internal import NIOCore
internal import NIOExtras
internal import NIOHTTP1
internal import NIOPosix
public import ServiceLifecycle

/// An HTTP/1.1 server on SwiftNIO's HTTP/1 decoder, as a `Service`: it binds, calls `onReady` with the bound port
/// (useful with port 0), and answers each complete request with `respond`, on the connection's event loop. A
/// graceful shutdown (or cancellation) stops accepting, lets each connection finish the answer it is writing, and
/// returns once every connection is closed.
///
/// Answering on the event loop is the point: the node's queries are a few LevelDB reads (`asset_ownerOf` costs
/// about 6 µs in process), so handing each to another thread and back cost more than the query, and under load
/// those hops made the latency tail (Hummingbird's router ran handlers on the concurrency pool; see
/// benchmarks/RESULTS.md). A long answer (a batch of 1,000, a wide `eth_getLogs`) holds up the other connections
/// of its event loop meanwhile, as it held a pool thread before.
public struct HTTPListener: Service {
    /// Connections the kernel queues before the server accepts them.
    static let listenBacklog: Int32 = 256

    public let host: String
    public let port: Int
    /// A connection that sends nothing for this long is closed, whether idle between requests or stalled halfway
    /// through one (a slow client sending its headers a byte at a time gets no more).
    public let idleTimeout: Duration
    /// A body past this is not kept: `respond` gets nil and the length.
    public let maxBodyBytes: Int
    /// A body this far past is not read to its end: the connection gets the answer to a nil body and is closed, so
    /// a client streaming without end holds nothing but a socket.
    public let maxDiscardedBodyBytes: Int
    public let onReady: @Sendable (Int) async -> Void
    public let respond: @Sendable (HTTPRequest) -> HTTPReply

    public init(host: String, port: Int, idleTimeout: Duration, maxBodyBytes: Int, maxDiscardedBodyBytes: Int,
                onReady: @escaping @Sendable (Int) async -> Void = { _ in }, respond: @escaping @Sendable (HTTPRequest) -> HTTPReply) {
        precondition(maxDiscardedBodyBytes >= maxBodyBytes, "the discard limit is past the body limit")
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.maxBodyBytes = maxBodyBytes
        self.maxDiscardedBodyBytes = maxDiscardedBodyBytes
        self.onReady = onReady
        self.respond = respond
    }

    public func run() async throws {
        // Its own event loops, not NIO's shared ones: the node's upstream client (AsyncHTTPClient) runs on those,
        // and a long answer here must not hold up sync's I/O, nor sync's I/O the answers.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async throws {
        let quiescing = ServerQuiescingHelper(group: group)
        let listener = self
        let idle = TimeAmount.nanoseconds(idleTimeout.components.seconds * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.listenBacklog)
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
                    // First, so it sees every byte read: a request trickling in does not count as idle only once
                    // it is whole.
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(ConnectionHandler(listener: listener))
                }
            }
            .bind(host: host, port: port).get()
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

/// One connection's requests, each answered once its body is whole. Answers are written in order as complete
/// HTTP/1.1 messages, one buffer each: requests are answered synchronously (a delayed answer holds back the ones
/// after it), so a pipelining client gets its answers in the order it asked without a pipelining stage, and a
/// fixed set of headers needs no encoder or header validator on the way out.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let listener: HTTPListener
    private var head: HTTPRequestHead?
    /// Nil while no body byte came, and again once the body ran past the limit (only its length is kept then).
    private var body: ByteBuffer?
    private var bodyBytes = 0
    /// Complete requests waiting behind a delayed answer, in order.
    private var waiting: [(head: HTTPRequestHead, request: HTTPRequest, close: Bool)] = []
    private var delaying = false
    /// Set by a graceful shutdown that came while a request was in progress: the connection closes after its answer.
    private var closeAfterAnswer = false
    private var date = HTTPDate()

    init(listener: HTTPListener) {
        self.listener = listener
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
                if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > listener.maxBodyBytes {
                    self.head = nil
                    enqueue(context: context, head: head, request: Self.request(head, body: nil, bodyBytes: declared), close: true)
                    return
                }
                // Not while an earlier answer is delayed: nothing may be written ahead of it. The client sends the
                // body after its own wait.
                guard !delaying else { return }
                var buffer = context.channel.allocator.buffer(capacity: 32)
                buffer.writeString("HTTP/\(head.version.major).\(head.version.minor) 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            }
        case .body(var chunk):
            bodyBytes += chunk.readableBytes
            if bodyBytes > listener.maxBodyBytes {
                body = nil
                if bodyBytes > listener.maxDiscardedBodyBytes, let head {
                    self.head = nil
                    enqueue(context: context, head: head, request: Self.request(head, body: nil, bodyBytes: bodyBytes), close: true)
                }
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }  // answered early, past the discard limit
            self.head = nil
            let bytes: [UInt8]? = bodyBytes > listener.maxBodyBytes ? nil : (body.flatMap { $0.getBytes(at: $0.readerIndex, length: $0.readableBytes) } ?? [])
            body = nil
            enqueue(context: context, head: head, request: Self.request(head, body: bytes, bodyBytes: bodyBytes), close: false)
        }
    }

    static func request(_ head: HTTPRequestHead, body: [UInt8]?, bodyBytes: Int) -> HTTPRequest {
        let uri = head.uri
        return HTTPRequest(method: head.method.rawValue, path: String(uri[..<(uri.firstIndex(of: "?") ?? uri.endIndex)]), body: body, bodyBytes: bodyBytes)
    }

    /// Answers `request` now, or, behind a delayed answer, once its turn comes: answers leave in request order.
    private func enqueue(context: ChannelHandlerContext, head: HTTPRequestHead, request: HTTPRequest, close: Bool) {
        if delaying {
            waiting.append((head, request, close))
        } else {
            answer(context: context, head: head, request: request, close: close)
        }
    }

    /// Answers `request` now, or after its reply's delay (then the requests after it wait).
    private func answer(context: ChannelHandlerContext, head: HTTPRequestHead, request: HTTPRequest, close: Bool) {
        let reply = listener.respond(request)
        guard let delay = reply.delay else {
            write(context: context, head: head, reply: reply, close: close)
            return
        }
        delaying = true
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
            // The client may have gone meanwhile: then there is no one to answer, and the handler is removed.
            guard context.channel.isActive else { return }
            write(context: context, head: head, reply: reply, close: close)
            delaying = false
            while !delaying, !waiting.isEmpty {
                let next = waiting.removeFirst()
                answer(context: context, head: next.head, request: next.request, close: next.close)
            }
        }
    }

    /// Writes one whole response: status line, headers, body.
    private func write(context: ChannelHandlerContext, head: HTTPRequestHead, reply: HTTPReply, close requested: Bool) {
        let close = requested || closeAfterAnswer || !head.isKeepAlive || reply.truncated
        let status = HTTPResponseStatus(statusCode: reply.status)
        var buffer = context.channel.allocator.buffer(capacity: 160 + reply.body.count)
        buffer.writeString("HTTP/\(head.version.major).\(head.version.minor) \(status.code) \(status.reasonPhrase)\r\n")
        buffer.writeString("date: \(date.now())\r\n")
        // RFC 9110 §8.6: no Content-Length (and no content) on a 204.
        if reply.status != 204 {
            buffer.writeString("content-type: \(reply.contentType)\r\ncontent-length: \(reply.body.count)\r\n")
        }
        for (name, value) in reply.headers { buffer.writeString("\(name): \(value)\r\n") }
        if close {
            buffer.writeString("connection: close\r\n")
        } else if head.version == .http1_0 {
            buffer.writeString("connection: keep-alive\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeBytes(reply.truncated ? reply.body.prefix(reply.body.count / 2) : reply.body)
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
            if head == nil && !delaying { context.close(promise: nil) } else { closeAfterAnswer = true }
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
