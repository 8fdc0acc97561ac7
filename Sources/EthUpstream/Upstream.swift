public import EthRPC
internal import Foundation
internal import EthTypes
internal import Synchronization

/// One JSON-RPC call to make.
public struct RPCCall: Sendable, Hashable {
    public var method: String
    public var params: [JSONValue]

    public init(_ method: String, _ params: [JSONValue] = []) {
        self.method = method
        self.params = params
    }
}

/// Why an upstream could not answer, after its retries.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case transport(TransportError)
        /// The body was not a JSON-RPC answer to what was asked (not JSON, ids missing or repeated, …).
        case malformed(String)
    }

    public let upstream: String
    public let kind: Kind

    public var description: String {
        switch kind {
        case .transport(let error): return "\(upstream): \(error)"
        case .malformed(let why): return "\(upstream): malformed answer: \(why)"
        }
    }
}

/// When to try again: jittered exponential backoff, a bounded number of failures, and a longer patience for rate
/// limits, which slow the client down instead of failing it.
public struct RetryPolicy: Sendable {
    /// Attempts for timeouts, broken connections, server errors and malformed answers.
    public var maxAttempts = 4
    /// Waits granted to rate limits (HTTP 429, JSON-RPC -32005) before giving up on this upstream.
    public var maxRateLimitWaits = 40
    public var baseDelay: Duration = .milliseconds(50)
    public var maxDelay: Duration = .seconds(4)
    public var timeout: Duration = UpstreamLimits.defaultTimeout

    public init() {}

    /// The wait before retry number `attempt` (1-based): base × 2^(attempt-1), capped, then a random half to all
    /// of it, so that many clients do not retry in step.
    func delay(attempt: Int) -> Duration {
        let ceiling = min(baseDelay * (1 << min(attempt - 1, 20)), maxDelay)
        let fraction = Double.random(in: 0.5...1.0)
        return ceiling * fraction
    }
}

/// Counters of one upstream's traffic, for status and metrics.
public struct UpstreamCounters: Sendable {
    public var requests = 0
    /// Failures by kind (`timeout`, `connection`, `http_status`, `rate_limited`, `malformed`, …).
    public var errors: [String: Int] = [:]
}

/// A JSON-RPC client of one upstream: batches, request timeouts, retries with jittered backoff, rate-limit
/// patience. It checks the shape of the answers; checking their content is the verifier's job.
public final class Upstream: Sendable {
    public let endpoint: UpstreamEndpoint
    let transport: any RPCTransport
    public let policy: RetryPolicy
    private let counters = Mutex(UpstreamCounters())

    public init(endpoint: UpstreamEndpoint, transport: (any RPCTransport)? = nil, policy: RetryPolicy = RetryPolicy()) {
        self.endpoint = endpoint
        self.transport = transport ?? HTTPTransport(endpoint: endpoint)
        self.policy = policy
    }

    public var label: String { endpoint.label }
    public var stats: UpstreamCounters { counters.withLock { $0 } }

    /// One call; a JSON-RPC error from the upstream is returned, not thrown (it is an answer).
    public func call<T: Decodable & Sendable>(_ method: String, _ params: [JSONValue] = [], as type: T.Type) async throws(UpstreamError) -> Result<T, RPCError> {
        try await batch([RPCCall(method, params)], as: type)[0]
    }

    /// The calls as one JSON-RPC batch, each result decoded as `T`; the answers in the order of `calls`. Retries the
    /// whole batch on transport failures, malformed answers (including a result that does not decode as `T`) and
    /// rate limits (HTTP 429, or -32005 as any answer's error).
    public func batch<T: Decodable & Sendable>(_ calls: [RPCCall], as type: T.Type) async throws(UpstreamError) -> [Result<T, RPCError>] {
        precondition(!calls.isEmpty, "an empty batch is not a valid JSON-RPC request")
        let body = Self.encode(calls)
        var failures = 0, rateLimits = 0
        while true {
            let problem: UpstreamError.Kind
            var wait: Duration?
            counters.withLock { $0.requests += 1 }
            do throws(TransportError) {
                let answer = try await transport.post(body, timeout: policy.timeout)
                switch Self.decode(answer, count: calls.count, as: T.self) {
                case .success(let results):
                    let limited = results.contains { if case .failure(let e) = $0 { e.code == RPCError.limitExceededCode } else { false } }
                    guard limited else { return results }
                    problem = .transport(.rateLimited(retryAfter: nil))
                case .failure(let malformed):
                    problem = .malformed(malformed.why)
                }
            } catch {
                problem = .transport(error)
                if case .rateLimited(let after) = error { wait = after }
            }
            count(problem)
            if case .transport(.rateLimited) = problem {
                rateLimits += 1
                guard rateLimits <= policy.maxRateLimitWaits else { throw UpstreamError(upstream: label, kind: problem) }
                wait = wait ?? policy.delay(attempt: min(rateLimits, 8))
            } else {
                failures += 1
                guard failures < policy.maxAttempts else { throw UpstreamError(upstream: label, kind: problem) }
                wait = policy.delay(attempt: failures)
            }
            do { try await Task.sleep(for: wait!) } catch { throw UpstreamError(upstream: label, kind: .transport(.connection("cancelled"))) }
        }
    }

    private func count(_ kind: UpstreamError.Kind) {
        let label: String
        switch kind {
        case .transport(let error): label = error.kind
        case .malformed: label = "malformed"
        }
        counters.withLock { $0.errors[label, default: 0] += 1 }
    }

    static func encode(_ calls: [RPCCall]) -> [UInt8] {
        let requests: [JSONValue] = calls.enumerated().map { i, call in
            ["jsonrpc": "2.0", "id": .int(Int64(i)), "method": .string(call.method), "params": .array(call.params)]
        }
        return Array(try! JSONEncoder().encode(JSONValue.array(requests)))
    }

    struct Malformed: Error { let why: String }

    /// One element of a JSON-RPC answer, its result decoded as `T` in the same pass as the envelope.
    struct Envelope<T: Decodable>: Decodable {
        let id: JSONValue?
        let result: T?
        let error: JSONValue?

        private enum Keys: String, CodingKey { case id, result, error }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            id = try c.decodeIfPresent(JSONValue.self, forKey: .id)
            error = try c.decodeIfPresent(JSONValue.self, forKey: .error)
            // A null result is a value (a block the upstream does not have); `T` may be optional to accept it.
            result = c.contains(.result) && error == nil ? try c.decode(T.self, forKey: .result) : nil
        }
    }

    /// A body that is one envelope or a list of them.
    enum Body<T: Decodable>: Decodable {
        case one(Envelope<T>)
        case many([Envelope<T>])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let list = try? c.decode([Envelope<T>].self) { self = .many(list) } else { self = .one(try c.decode(Envelope<T>.self)) }
        }
    }

    /// Matches answers to calls by id; any answer missing, repeated or foreign makes the whole body malformed.
    static func decode<T: Decodable>(_ body: [UInt8], count: Int, as: T.Type) -> Result<[Result<T, RPCError>], Malformed> {
        let answers: [Envelope<T>]
        do {
            switch try JSONDecoder().decode(Body<T>.self, from: Data(body)) {
            case .one(let answer): answers = [answer]
            case .many(let list): answers = list
            }
        } catch let error as DecodingError {
            return .failure(Malformed(why: error.readableDescription))
        } catch {
            return .failure(Malformed(why: "not JSON (\(body.count) bytes)"))
        }
        var results = [Result<T, RPCError>?](repeating: nil, count: count)
        for answer in answers {
            guard case .int(let id)? = answer.id, id >= 0, id < count, results[Int(id)] == nil else {
                // A single error object with a null id answers the whole body (e.g. a batch refused as too large).
                if answers.count == 1, let error = Self.error(answer.error) {
                    return .success(Array(repeating: Result<T, RPCError>.failure(error), count: count))
                }
                return .failure(Malformed(why: "an answer with a missing, repeated or unknown id"))
            }
            if let error = Self.error(answer.error) {
                results[Int(id)] = .failure(error)
            } else if let result = answer.result {
                results[Int(id)] = .success(result)
            } else {
                return .failure(Malformed(why: "answer \(id) has neither result nor error"))
            }
        }
        guard results.allSatisfy({ $0 != nil }) else { return .failure(Malformed(why: "\(results.filter { $0 == nil }.count) of \(count) answers missing")) }
        return .success(results.map { $0! })
    }

    static func error(_ value: JSONValue?) -> RPCError? {
        guard case .object(let o)? = value, case .int(let code)? = o["code"] else { return nil }
        if case .string(let message)? = o["message"] { return RPCError(code: Int(code), message: message, data: o["data"]) }
        return RPCError(code: Int(code), message: "", data: o["data"])
    }
}
