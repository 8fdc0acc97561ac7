internal import Foundation
internal import NIOCore
internal import NIOExtras
internal import NIOHTTP1
internal import NIOPosix
public import ServiceLifecycle

/// An HTTP/1.1 server on SwiftNIO sockets and its own request parser (`RequestParser`), as a `Service`: it binds,
/// calls `onReady` with the bound port (useful with port 0), and answers each complete request with `respond`, on
/// the connection's event loop. A graceful shutdown (or cancellation) stops accepting, lets each connection finish
/// the answer it is writing, and returns once every connection is closed.
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
        let group = Self.eventLoops()
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    /// One event loop per core, each pinned to its core where the process may run on every core it counts.
    /// Unpinned, the scheduler now and then stacked both loops on one core while the other ran the client: under
    /// a closed-loop load on 2 cores (wrk beside the server) a third of `asset_ownerOf` trials then had a p99 of
    /// 2.3–3.7 ms, against 0.85–1.87 ms in all sixteen pinned trials interleaved with them (benchmarks/RESULTS.md).
    /// A process confined to fewer CPUs than it counts (a cpuset, `taskset`) keeps unpinned loops rather than
    /// pinning to a CPU it may not use.
    static func eventLoops() -> MultiThreadedEventLoopGroup {
        #if os(Linux)
        let cpus = allowedCPUs()
        if cpus.count == System.coreCount {
            return MultiThreadedEventLoopGroup(pinnedCPUIDs: cpus)
        }
        #endif
        return MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    }

    #if os(Linux)
    /// The CPUs in this process's affinity mask, lowest first (the kernel's `Cpus_allowed_list`, `0-3,6,8-9`);
    /// empty if it cannot be read.
    static func allowedCPUs() -> [Int] {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return [] }
        return cpuList(line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces))
    }
    #endif

    /// A kernel CPU list (`0-3,6,8-9`) as CPU numbers; empty if any part of it is not one.
    static func cpuList(_ text: String) -> [Int] {
        var cpus: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            switch bounds.count {
            case 1: guard let cpu = bounds[0] else { return [] }; cpus.append(cpu)
            case 2: guard let low = bounds[0], let high = bounds[1], low <= high else { return [] }; cpus += low...high
            default: return []
            }
        }
        return cpus
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
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What answers a request: the responder, or a reply the transport made itself (an error, a body too large).
    enum Work {
        case respond(HTTPRequest)
        case reply(HTTPReply)
    }

    private let listener: HTTPListener
    private var parser = RequestParser()
    /// Bytes read and not parsed yet: a head or a chunk-size line that is not whole.
    private var input: ByteBuffer?
    private var head: RequestHead?
    /// Nil while no body byte came, and again once the body ran past the limit (only its length is kept then).
    private var body: ByteBuffer?
    private var bodyBytes = 0
    /// Answers waiting behind a delayed one, in order.
    private var waiting: [(head: RequestHead, work: Work, close: Bool)] = []
    private var delaying = false
    /// Set by a graceful shutdown that came while a request was in progress: the connection closes after its answer.
    private var closeAfterAnswer = false
    /// Set once the connection's last request is known (it asked to close, it was refused, its body ran past the
    /// discard limit): bytes after it are not parsed.
    private var finished = false
    private var date = HTTPDate()

    init(listener: HTTPListener) {
        self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        var incoming = unwrapInboundIn(data)
        if input == nil {
            input = incoming
        } else {
            input!.writeBuffer(&incoming)
        }
        while !finished {
            let part: RequestParser.Part?
            do throws(RequestError) {
                part = try parser.next(&input!)
            } catch {
                finished = true
                let refused = RequestHead(method: "", target: "", minorVersion: 1, keepAlive: false, expectsContinue: false, framing: .length(0))
                enqueue(context: context, head: refused, work: .reply(.text(error.status, "\(error.reason)\n")), close: true)
                break
            }
            guard let part else { break }
            take(part, context: context)
        }
        if input!.readableBytes == 0 {
            input = nil
        } else {
            // What is left is the start of a head or a chunk-size line, a few bytes: moved to the front so the
            // buffer does not grow with every read of a long-lived connection.
            input!.discardReadBytes()
        }
    }

    private func take(_ part: RequestParser.Part, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            self.head = head
            body = nil
            bodyBytes = 0
            // curl sends `Expect: 100-continue` with bodies over 1 KiB and waits a second for this before sending;
            // a body declared too large is refused before it is sent.
            if head.expectsContinue {
                if case .length(let declared) = head.framing, declared > listener.maxBodyBytes {
                    self.head = nil
                    finished = true
                    enqueue(context: context, head: head, work: .respond(Self.request(head, body: nil, bodyBytes: declared)), close: true)
                    return
                }
                // Not while an earlier answer is delayed: nothing may be written ahead of it. The client sends the
                // body after its own wait.
                guard !delaying else { return }
                var buffer = context.channel.allocator.buffer(capacity: 32)
                buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            }
        case .body(var chunk):
            bodyBytes += chunk.readableBytes
            if bodyBytes > listener.maxBodyBytes {
                body = nil
                if bodyBytes > listener.maxDiscardedBodyBytes, let head {
                    self.head = nil
                    finished = true
                    enqueue(context: context, head: head, work: .respond(Self.request(head, body: nil, bodyBytes: bodyBytes)), close: true)
                }
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let bytes: [UInt8]? = bodyBytes > listener.maxBodyBytes ? nil : (body.flatMap { $0.getBytes(at: $0.readerIndex, length: $0.readableBytes) } ?? [])
            body = nil
            if !head.keepAlive { finished = true }
            enqueue(context: context, head: head, work: .respond(Self.request(head, body: bytes, bodyBytes: bodyBytes)), close: false)
        }
    }

    static func request(_ head: RequestHead, body: [UInt8]?, bodyBytes: Int) -> HTTPRequest {
        let target = head.target
        return HTTPRequest(
            method: head.method, path: String(target[..<(target.firstIndex(of: "?") ?? target.endIndex)]), body: body, bodyBytes: bodyBytes,
            host: head.host, contentType: head.contentType, origin: head.origin)
    }

    /// Answers now, or, behind a delayed answer, once its turn comes: answers leave in request order.
    private func enqueue(context: ChannelHandlerContext, head: RequestHead, work: Work, close: Bool) {
        if delaying {
            waiting.append((head, work, close))
        } else {
            answer(context: context, head: head, work: work, close: close)
        }
    }

    /// Answers now, or after the reply's delay (then the requests after it wait).
    private func answer(context: ChannelHandlerContext, head: RequestHead, work: Work, close: Bool) {
        let reply: HTTPReply
        switch work {
        case .respond(let request): reply = listener.respond(request)
        case .reply(let fixed): reply = fixed
        }
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
                answer(context: context, head: next.head, work: next.work, close: next.close)
            }
        }
    }

    /// Writes one whole response: status line, headers, body. Always `HTTP/1.1`, the highest version this server
    /// speaks, also to an HTTP/1.0 client (RFC 9110 §2.5).
    private func write(context: ChannelHandlerContext, head: RequestHead, reply: HTTPReply, close requested: Bool) {
        let close = requested || closeAfterAnswer || !head.keepAlive || reply.truncated
        var buffer = context.channel.allocator.buffer(capacity: 160 + reply.body.count)
        if reply.status == 200 {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        } else {
            buffer.writeString("HTTP/1.1 \(reply.status) \(HTTPResponseStatus(statusCode: reply.status).reasonPhrase)\r\n")
        }
        buffer.writeStaticString("date: ")
        buffer.writeString(date.now())
        buffer.writeStaticString("\r\n")
        // RFC 9110 §8.6: no Content-Length (and no content) on a 204.
        if reply.status != 204 {
            buffer.writeStaticString("content-type: ")
            buffer.writeString(reply.contentType)
            buffer.writeStaticString("\r\ncontent-length: ")
            buffer.writeString(String(reply.body.count))
            buffer.writeStaticString("\r\n")
        }
        for (name, value) in reply.headers { buffer.writeString("\(name): \(value)\r\n") }
        if close {
            buffer.writeStaticString("connection: close\r\n")
        } else if head.minorVersion == 0 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        // A HEAD answer is the GET answer's head alone (RFC 9110 §9.3.2).
        if head.method != "HEAD" {
            buffer.writeBytes(reply.truncated ? reply.body.prefix(reply.body.count / 2) : reply.body)
        }
        guard close else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            return
        }
        finished = true
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

    /// A read or write error: the connection is gone or going; nothing to answer.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
