public import DevNet
public import EthUpstream

/// A dev chain served over real HTTP on a loopback port, for as long as the test needs it.
public final class RunningDevNet: Sendable {
    public let devnet: DevNet
    let task: Task<Void, Error>
    public let port: Int

    public init(_ devnet: DevNet, blockInterval: Duration? = nil) async throws {
        self.devnet = devnet
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        task = Task { try await devnet.run(port: 0, blockInterval: blockInterval) { continuation.yield($0) } }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        self.port = port
    }

    public var url: String { "http://127.0.0.1:\(port)/" }

    public func upstream(policy: RetryPolicy = .fastForTests) throws -> Upstream {
        Upstream(endpoint: try UpstreamEndpoint(url), policy: policy)
    }

    deinit { task.cancel() }
}

extension RetryPolicy {
    /// Short waits, so that fault tests spend their time on faults, not on sleeping.
    public static var fastForTests: RetryPolicy {
        var policy = RetryPolicy()
        policy.baseDelay = .milliseconds(2)
        policy.maxDelay = .milliseconds(50)
        policy.timeout = .seconds(10)
        policy.maxAttempts = 8
        return policy
    }
}
