public import EthRPC
internal import Foundation
internal import Hummingbird
internal import NIOCore
public import Logging
public import ServiceLifecycle

/// The JSON-RPC server over HTTP: `POST /` takes a JSON-RPC body; `GET /health` answers 200 while serving;
/// `GET /metrics` is Prometheus text.
/// Binds loopback by default (DESIGN.md §5); no method writes anything.
public struct HTTPServer: Sendable {
    public static let defaultAddress = "127.0.0.1"
    public static let defaultPort = 8547
    /// A connection that sends nothing for this long is closed, whether idle between requests or stalled
    /// halfway through one (a slow client sending its headers a byte at a time gets no more).
    public static let defaultIdleTimeout: Duration = .seconds(30)

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

    /// Hummingbird's own lines (start, shutdown) below warnings stay out of the node's output.
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

    /// The server as a service of a `ServiceGroup`: a graceful shutdown stops accepting, lets requests in flight
    /// finish, and returns.
    public func service(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> any Service {
        let router = Router()
        let dispatcher = self.dispatcher
        router.post("/") { request, _ -> Response in
            let body: ByteBuffer
            do {
                // One byte more than the limit, so an oversized body is recognised and answered, not cut.
                body = try await request.body.collect(upTo: RPCLimits.maxBodyBytes + 1)
            } catch {
                return Self.json(dispatcher.handle(Data(count: RPCLimits.maxBodyBytes + 1)) ?? Data(), status: .contentTooLarge)
            }
            guard let response = dispatcher.handle(Data(buffer: body)) else { return Response(status: .noContent) }
            return Self.json(response, status: .ok)
        }
        let health = self.health
        router.get("/health") { _, _ -> Response in
            var body = health()
            body["status"] = "ok"
            return Self.json(Data(JSONValue.object(body).serialized()), status: .ok)
        }
        let metrics = self.metrics, families = self.families
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render(families()))))
        }
        let idle = TimeAmount.nanoseconds(idleTimeout.components.seconds * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000)
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: idle)),
            configuration: .init(address: .hostname(host, port: port), serverName: "provenant"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger("provenant.server"))
    }

    static func json(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
