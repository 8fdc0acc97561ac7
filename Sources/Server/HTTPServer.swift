public import EthRPC
internal import Foundation
internal import Hummingbird
internal import NIOCore

/// The JSON-RPC server over HTTP: `POST /` takes a JSON-RPC body; `GET /health` answers 200 while serving;
/// `GET /metrics` is Prometheus text.
/// Binds loopback by default (DESIGN.md §5); no method writes anything.
public struct HTTPServer: Sendable {
    public static let defaultAddress = "127.0.0.1"
    public static let defaultPort = 8547

    public let dispatcher: Dispatcher
    public let host: String
    public let port: Int
    public let metrics = ServerMetrics()
    /// Values for `/metrics` read at scrape time (indexed block, events).
    public let gauges: @Sendable () -> [(name: String, help: String, value: Double)]

    public init(dispatcher: Dispatcher, host: String = HTTPServer.defaultAddress, port: Int = HTTPServer.defaultPort,
                gauges: @escaping @Sendable () -> [(name: String, help: String, value: Double)] = { [] }) {
        var observed = dispatcher
        let metrics = self.metrics
        observed.observer = { method, code, duration in metrics.record(method: method, code: code, duration: duration) }
        self.dispatcher = observed
        self.host = host
        self.port = port
        self.gauges = gauges
    }

    /// Serves until the task is cancelled. `onReady` is called once the socket is bound, with its port
    /// (useful with port 0 in tests).
    public func run(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
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
        router.get("/health") { _, _ -> Response in
            Self.json(Data(#"{"status":"ok"}"#.utf8), status: .ok)
        }
        let metrics = self.metrics, gauges = self.gauges
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render(gauges: gauges()))))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "provenant"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) })
        try await app.runService()
    }

    static func json(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
