internal import Foundation
internal import NIOCore
internal import NIOExtras
internal import NIOHTTP1
internal import NIOPosix
public import ServiceLifecycle

/// An HTTP/1.1 server on SwiftNIO sockets and its own request parser (`RequestParser`), as a `Service`: it binds,
/// calls `onReady` with the bound port (useful with port 0), and answers each complete request with `respond`. A
/// graceful shutdown (or cancellation) stops accepting, lets each connection finish the answer it is writing, and
/// returns once every connection is closed.
///
/// Light answers are made on the connection's event loop: the node's cheap queries are a few LevelDB reads
/// (`asset_ownerOf` costs about 6 µs in process), so handing each to another thread and back cost more than the
/// query, and under load those hops made the latency tail (benchmarks/RESULTS.md). Heavy ones (`HTTPAnswer.offloaded`)
/// run on the listener's worker threads, at a lower scheduling priority, so a proof or a batch of a thousand never
/// delays the light answers of other connections.
///
/// Memory per connection is bounded: a connection reads no further request while one of its answers is being made
/// or while its unsent output is above `writeBufferHighWater` (a client that pipelines and never reads stops being
/// read from), so it holds at most one read's bytes (64 KiB), one body (`maxBodyBytes`), the answer being made and
/// the unsent output of the answers before it, which passes the high water mark by at most one answer.
public struct HTTPListener: Service {
    /// Connections the kernel queues before the server accepts them.
    static let listenBacklog: Int32 = 256
    /// Unsent output above which a connection is not read from (and its buffered requests are not answered) until
    /// it drains below `writeBufferLowWater`.
    public static let writeBufferHighWater = 64 * 1024
    public static let writeBufferLowWater = 16 * 1024
    /// Threads that make offloaded answers: one per core. They run at `workerNice` so the event loops, which
    /// answer the light requests, preempt them.
    static let workerThreads = System.coreCount
    static let workerNice: Int32 = 10

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
    public let respond: @Sendable (HTTPRequest) -> HTTPAnswer

    /// A listener that makes every answer on the event loop.
    public init(host: String, port: Int, idleTimeout: Duration, maxBodyBytes: Int, maxDiscardedBodyBytes: Int,
                onReady: @escaping @Sendable (Int) async -> Void = { _ in }, respond: @escaping @Sendable (HTTPRequest) -> HTTPReply) {
        self.init(host: host, port: port, idleTimeout: idleTimeout, maxBodyBytes: maxBodyBytes, maxDiscardedBodyBytes: maxDiscardedBodyBytes,
                  onReady: onReady, answer: { .now(respond($0)) })
    }

    public init(host: String, port: Int, idleTimeout: Duration, maxBodyBytes: Int, maxDiscardedBodyBytes: Int,
                onReady: @escaping @Sendable (Int) async -> Void = { _ in }, answer respond: @escaping @Sendable (HTTPRequest) -> HTTPAnswer) {
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
        let workers = NIOThreadPool(numberOfThreads: Self.workerThreads)
        workers.start()
        do {
            try await serve(on: group, workers: workers)
        } catch {
            try? await workers.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await workers.shutdownGracefully()
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

    private func serve(on group: MultiThreadedEventLoopGroup, workers: NIOThreadPool) async throws {
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
            .childChannelOption(.writeBufferWaterMark, value: .init(low: Self.writeBufferLowWater, high: Self.writeBufferHighWater))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    // First, so it sees every byte read: a request trickling in does not count as idle only once
                    // it is whole.
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(ConnectionHandler(listener: listener, workers: workers))
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
/// HTTP/1.1 messages, one buffer each: while an answer is being made (on a worker, or after a test's delay) the
/// connection parses and reads nothing more, so a pipelining client gets its answers in the order it asked without a
/// pipelining stage, and a fixed set of headers needs no encoder or header validator on the way out. The same pause
/// holds while the client leaves more than the high water mark unread: that is the connection's backpressure.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What answers a request: the responder, or a reply the transport made itself (an error, a body too large).
    enum Work {
        case respond(HTTPRequest)
        case reply(HTTPReply)
    }

    private let listener: HTTPListener
    private let workers: NIOThreadPool
    private var parser = RequestParser()
    /// Bytes read and not parsed yet: a head or a chunk-size line that is not whole, or the requests a paused
    /// connection has not come to.
    private var input: ByteBuffer?
    private var head: RequestHead?
    /// Nil while no body byte came, and again once the body ran past the limit (only its length is kept then).
    private var body: ByteBuffer?
    private var bodyBytes = 0
    /// An answer is being made off the event loop or after a delay: nothing after it is parsed until it is written.
    private var answering = false
    /// A read the channel asked for while the connection was paused; issued once it resumes.
    private var readHeld = false
    /// `process` is running (its loop resumes a connection that becomes writable within it).
    private var processing = false
    /// Set by a graceful shutdown that came while a request was in progress: the connection closes after its answer.
    private var closeAfterAnswer = false
    /// Set once the connection's last request is known (it asked to close, it was refused, its body ran past the
    /// discard limit): bytes after it are not parsed.
    private var finished = false
    private var date = HTTPDate()

    init(listener: HTTPListener, workers: NIOThreadPool) {
        self.listener = listener
        self.workers = workers
    }

    /// Whether requests may be taken now: no answer in progress and the client reading what it was sent.
    private func open(_ context: ChannelHandlerContext) -> Bool {
        !answering && context.channel.isWritable
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        var incoming = unwrapInboundIn(data)
        if input == nil {
            input = incoming
        } else {
            input!.writeBuffer(&incoming)
        }
        process(context: context)
    }

    /// Parses and answers the requests in `input` until it runs out, the connection pauses or its last request came.
    /// Not re-entered: a write inside it can flush, and the channel then tells of writability from within the write.
    private func process(context: ChannelHandlerContext) {
        guard input != nil, !processing else { return }
        processing = true
        defer { processing = false }
        while !finished && open(context) {
            let part: RequestParser.Part?
            do throws(RequestError) {
                part = try parser.next(&input!)
            } catch {
                finished = true
                let refused = RequestHead(method: "", target: "", minorVersion: 1, keepAlive: false, expectsContinue: false, framing: .length(0))
                answer(context: context, head: refused, work: .reply(.text(error.status, "\(error.reason)\n")), close: true)
                break
            }
            guard let part else { break }
            take(part, context: context)
        }
        guard input != nil else { return }
        if input!.readableBytes == 0 || finished {
            input = nil
        } else {
            // What is left is the start of a head or a chunk-size line, or the requests of a paused connection (at
            // most one read): moved to the front so the buffer does not grow with every read of a long-lived one.
            input!.discardReadBytes()
        }
    }

    /// Resumes a paused connection: the requests it already holds first, then reading.
    private func resume(context: ChannelHandlerContext) {
        process(context: context)
        if readHeld && open(context) && !finished {
            readHeld = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if open(context) || finished {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { resume(context: context) }
        context.fireChannelWritabilityChanged()
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
                    answer(context: context, head: head, work: .respond(Self.request(head, body: nil, bodyBytes: declared)), close: true)
                    return
                }
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
                    answer(context: context, head: head, work: .respond(Self.request(head, body: nil, bodyBytes: bodyBytes)), close: true)
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
            answer(context: context, head: head, work: .respond(Self.request(head, body: bytes, bodyBytes: bodyBytes)), close: false)
        }
    }

    static func request(_ head: RequestHead, body: [UInt8]?, bodyBytes: Int) -> HTTPRequest {
        let target = head.target
        return HTTPRequest(
            method: head.method, path: String(target[..<(target.firstIndex(of: "?") ?? target.endIndex)]), body: body, bodyBytes: bodyBytes,
            host: head.host, contentType: head.contentType, origin: head.origin)
    }

    /// Answers now, or once a worker made the answer or the reply's delay passed; meanwhile the connection pauses.
    private func answer(context: ChannelHandlerContext, head: RequestHead, work: Work, close: Bool) {
        let reply: HTTPReply
        switch work {
        case .respond(let request):
            switch listener.respond(request) {
            case .now(let made):
                reply = made
            case .offloaded(let make):
                answering = true
                let loop = context.eventLoop
                workers.runIfActive(eventLoop: loop) {
                    Self.deprioritizeCurrentThread()
                    return make()
                }.assumeIsolated().whenComplete { [self] result in
                    answering = false
                    // The client may have gone meanwhile: then there is no one to answer.
                    guard context.channel.isActive else { return }
                    let made = (try? result.get()) ?? .text(503, "the server is shutting down\n")
                    deliver(context: context, head: head, reply: made, close: close || (try? result.get()) == nil)
                }
                return
            }
        case .reply(let fixed): reply = fixed
        }
        deliver(context: context, head: head, reply: reply, close: close)
    }

    /// Writes the reply, after its delay when it has one.
    private func deliver(context: ChannelHandlerContext, head: RequestHead, reply: HTTPReply, close: Bool) {
        guard let delay = reply.delay else {
            write(context: context, head: head, reply: reply, close: close)
            if !processing { resume(context: context) }
            return
        }
        answering = true
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
            answering = false
            guard context.channel.isActive else { return }
            write(context: context, head: head, reply: reply, close: close)
            resume(context: context)
        }
    }

    /// Lowers the calling worker thread's priority: on Linux the nice value is a thread's, and `who` 0 is the
    /// calling thread (setpriority(2), "Bugs"); elsewhere this does nothing. An event loop woken by a light request
    /// then runs ahead of it.
    private static func deprioritizeCurrentThread() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, HTTPListener.workerNice)
        #endif
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
            if head == nil && !answering { context.close(promise: nil) } else { closeAfterAnswer = true }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A read or write error: the connection is gone or going; nothing to answer.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
