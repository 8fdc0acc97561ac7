internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1

/// Why one exchange with an upstream failed below JSON-RPC: what retry and failover decide on.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No complete answer within the request timeout.
    case timeout
    /// The connection could not be made, or broke before the answer was complete.
    case connection(String)
    /// An HTTP status other than 200 (429 is `rateLimited`).
    case status(Int)
    /// HTTP 429: the upstream asks us to slow down; `retryAfter` from its header when it sent one.
    case rateLimited(retryAfter: Duration?)
    /// The answer was larger than `UpstreamLimits.maxResponseBytes`.
    case tooLarge

    public var description: String {
        switch self {
        case .timeout: return "timed out"
        case .connection(let why): return "connection failed: \(why)"
        case .status(let code): return "HTTP status \(code)"
        case .rateLimited: return "rate limited (HTTP 429)"
        case .tooLarge: return "response above \(UpstreamLimits.maxResponseBytes) bytes"
        }
    }

    /// A short label for metrics.
    public var kind: String {
        switch self {
        case .timeout: return "timeout"
        case .connection: return "connection"
        case .status: return "http_status"
        case .rateLimited: return "rate_limited"
        case .tooLarge: return "too_large"
        }
    }
}

/// Carries one JSON-RPC body to an upstream and its answer back. The protocol keeps the client's retry, batching and
/// failover logic apart from HTTP, so unit tests can put a scripted transport under it.
public protocol RPCTransport: Sendable {
    func post(_ body: [UInt8], timeout: Duration) async throws(TransportError) -> [UInt8]
}

/// Limits of talking to upstreams, as named constants.
public enum UpstreamLimits {
    /// Largest answer read from an upstream: a batch of full blocks and receipts of a busy mainnet range fits.
    public static let maxResponseBytes = 128 << 20
    /// Default time for one request to complete.
    public static let defaultTimeout: Duration = .seconds(20)
    /// Most calls sent in one batch request; an upstream that takes fewer gets fewer (`Upstream`).
    public static let maxBatchItems = 100
}

/// JSON-RPC over HTTP(S) POST with AsyncHTTPClient's shared client (connection pooling, keep-alive, TLS).
public struct HTTPClientTransport: RPCTransport {
    let url: String

    public init(endpoint: UpstreamEndpoint) { url = endpoint.url }

    public func post(_ body: [UInt8], timeout: Duration) async throws(TransportError) -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let nanoseconds = Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        do {
            // The deadline covers the whole exchange, body included.
            let response = try await HTTPClient.shared.execute(request, deadline: .now() + .nanoseconds(nanoseconds))
            if response.status == .tooManyRequests {
                let seconds = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                throw TransportError.rateLimited(retryAfter: seconds.map { .seconds(min($0, 60)) })
            }
            guard response.status == .ok else { throw TransportError.status(Int(response.status.code)) }
            let buffer = try await response.body.collect(upTo: UpstreamLimits.maxResponseBytes)
            return Array(buffer.readableBytesView)
        } catch let error as TransportError {
            throw error
        } catch let error as HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout { throw .timeout }
            throw .connection(String(describing: error))
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw .tooLarge
        } catch {
            throw .connection(String(describing: error))
        }
    }
}
