public import EthRPC
internal import Foundation
internal import HTTPTransport
public import Logging
public import ServiceLifecycle

/// The JSON-RPC server over HTTP/1.1: `POST /` takes a JSON-RPC body; `GET /health` answers 200 while serving;
/// `GET /metrics` is Prometheus text; with `pages`, `GET /`, `/token/…` and `/contract/…` are HTML for people.
/// Binds loopback by default (ARCHITECTURE.md §5); no method writes anything. The transport is `HTTPListener`: light
/// requests are answered on their connection's event loop, heavy ones (`Dispatcher.Parsed.isHeavy`) on its workers.
public struct HTTPServer: Sendable {
    public static let defaultAddress = "127.0.0.1"
    public static let defaultPort = 8547
    /// A connection that sends nothing for this long is closed, whether idle between requests or stalled
    /// halfway through one (a slow client sending its headers a byte at a time gets no more).
    public static let defaultIdleTimeout: Duration = .seconds(30)
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
    /// Which hosts, origins and content types are answered.
    public let browsers: BrowserPolicy
    /// The HTML pages (`GET /`, `/token/…`, `/contract/…`), when served.
    public let pages: ProvenancePages?

    public init(dispatcher: Dispatcher, host: String = HTTPServer.defaultAddress, port: Int = HTTPServer.defaultPort,
                idleTimeout: Duration = HTTPServer.defaultIdleTimeout, browsers: BrowserPolicy = BrowserPolicy(),
                metrics families: @escaping @Sendable () -> [MetricFamily] = { [] },
                health: @escaping @Sendable () -> [String: JSONValue] = { [:] }, pages: ProvenancePages? = nil) {
        self.pages = pages
        self.idleTimeout = idleTimeout
        var observed = dispatcher
        let metrics = self.metrics
        observed.observer = { method, code, duration in metrics.record(method: method, code: code, duration: duration) }
        self.dispatcher = observed
        self.host = host
        self.port = port
        self.families = families
        self.health = health
        self.browsers = browsers
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
        let server = self
        return HTTPListener(
            host: host, port: port, idleTimeout: idleTimeout, maxBodyBytes: RPCLimits.maxBodyBytes,
            maxDiscardedBodyBytes: Self.maxDiscardedBodyBytes, onReady: onReady, answer: { server.answer($0) })
    }

    /// Routes a complete request, after the browser policy's checks; answers to a listed origin carry its CORS
    /// headers. A JSON-RPC body that asks for heavy work is answered off the event loop.
    func answer(_ request: HTTPRequest) -> HTTPAnswer {
        if let refusal = browsers.refusal(request) { return .now(refusal) }
        let cors = browsers.corsHeaders(origin: request.origin)
        if request.method == "POST", request.path == "/", let body = request.body {
            let parsed = dispatcher.parse(bytes: body)
            guard parsed.isHeavy else { return .now(Self.rpcReply(dispatcher.run(parsed), cors: cors)) }
            return .offloaded { [dispatcher] in Self.rpcReply(dispatcher.run(parsed), cors: cors) }
        }
        if let pages, request.method == "GET", ProvenancePages.isPage(ProvenancePages.split(request.path).path) {
            // A page reads as much as the JSON-RPC calls it is made of: made on a worker, like a heavy call.
            return .offloaded { pages.reply(request.path) }
        }
        var reply = route(request)
        reply.headers += cors
        return .now(reply)
    }

    static func rpcReply(_ response: Data?, cors: [(name: String, value: String)]) -> HTTPReply {
        guard let response else { return HTTPReply(status: 204, headers: cors) }
        return HTTPReply(status: 200, body: response, headers: cors)
    }

    func route(_ request: HTTPRequest) -> HTTPReply {
        switch (request.method, request.path) {
        case ("POST", "/"):
            // A body within the limit was dispatched by `answer`.
            return HTTPReply(status: 413, body: dispatcher.oversizedBody(request.bodyBytes))
        case ("GET", "/health"):
            var report = health()
            report["status"] = "ok"
            return HTTPReply(status: 200, body: Data(JSONValue.object(report).serialized()))
        case ("GET", "/metrics"):
            return HTTPReply(status: 200, contentType: "text/plain; version=0.0.4", body: Data(metrics.render(families()).utf8))
        case ("OPTIONS", "/"):
            // A listed origin's preflight (an unlisted one was refused above).
            return HTTPReply(status: 204, headers: [
                ("allow", "POST, OPTIONS"), ("access-control-allow-methods", "POST, OPTIONS"), ("access-control-allow-headers", "Content-Type"),
                ("access-control-max-age", "600"),
            ])
        case (_, "/"):
            return .text(405, "POST a JSON-RPC request to /\n", headers: [("allow", "POST")])
        case (_, "/health"), (_, "/metrics"):
            return .text(405, "\(request.path) answers GET\n", headers: [("allow", "GET")])
        default:
            return .text(404, "no such path: \(request.path); JSON-RPC is POST /\n")
        }
    }
}
