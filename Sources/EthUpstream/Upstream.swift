public import EthRPC
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

    /// The wait before retry number `attempt` (1-based): a random share of base × 2^(attempt-1), capped ("full
    /// jitter": many clients do not retry in step, and a one-off failure costs half the base wait on average).
    func delay(attempt: Int) -> Duration {
        let ceiling = min(baseDelay * (1 << min(attempt - 1, 20)), maxDelay)
        return ceiling * Double.random(in: 0...1)
    }
}

/// Counters of one upstream's traffic, for status and metrics.
public struct UpstreamCounters: Sendable {
    public var requests = 0
    /// Failures by kind (`timeout`, `connection`, `http_status`, `rate_limited`, `malformed`, `batch_refused`, …).
    public var errors: [String: Int] = [:]
    /// Calls sent in one request to this upstream now (1: single calls, no batch).
    public var batchSize = UpstreamLimits.maxBatchItems
}

/// How many calls an upstream takes in one request, learnt from its answers: halved when it refuses more than a
/// quarter of a batch's items as rate-limited (a few refusals say nothing of the size: they are retried alone),
/// refuses a batch as a whole ("batch too large", "batches not supported"), answers HTTP 413 or times out; grown back
/// by a quarter after `growAfter` good requests in a row, up to `UpstreamLimits.maxBatchItems`.
struct BatchSizing {
    static let growAfter = 16
    var current = UpstreamLimits.maxBatchItems
    var clean = 0

    mutating func shrink() {
        current = max(1, current / 2)
        clean = 0
    }

    /// A batch of which only the first `answered` items fit what the upstream answers at once.
    mutating func limit(to answered: Int) {
        current = max(1, min(current, answered))
        clean = 0
    }

    mutating func succeeded() {
        clean += 1
        guard clean >= Self.growAfter, current < UpstreamLimits.maxBatchItems else { return }
        current = min(UpstreamLimits.maxBatchItems, current + max(1, current / 4))
        clean = 0
    }
}

/// A JSON-RPC client of one upstream: batches sized to what it accepts, request timeouts, retries with jittered
/// backoff, rate-limit patience. It checks the shape of the answers; checking their content is the verifier's job.
public final class Upstream: Sendable {
    public let endpoint: UpstreamEndpoint
    let transport: any RPCTransport
    public let policy: RetryPolicy
    private let counters = Mutex(UpstreamCounters())
    private let sizing = Mutex(BatchSizing())
    /// Methods this upstream answered as unknown: callers that have another way ask it that way instead.
    private let lacking = Mutex<Set<String>>([])

    public init(endpoint: UpstreamEndpoint, transport: (any RPCTransport)? = nil, policy: RetryPolicy = RetryPolicy()) {
        self.endpoint = endpoint
        self.transport = transport ?? HTTPClientTransport(endpoint: endpoint)
        self.policy = policy
    }

    public var label: String { endpoint.label }
    public var stats: UpstreamCounters {
        var stats = counters.withLock { $0 }
        stats.batchSize = sizing.withLock { $0.current }
        return stats
    }

    /// Whether this upstream answered `method` as unknown before.
    public func lacks(_ method: String) -> Bool { lacking.withLock { $0.contains(method) } }

    /// Remembers that this upstream does not know `method`.
    public func noteLacking(_ method: String) { _ = lacking.withLock { $0.insert(method) } }

    /// One call; a JSON-RPC error from the upstream is returned, not thrown (it is an answer).
    public func call<T: JSONReadable>(_ method: String, _ params: [JSONValue] = [], as type: T.Type) async throws(UpstreamError) -> Result<T, RPCError> {
        try await batch([RPCCall(method, params)], as: type)[0]
    }

    /// The calls' answers in the order of `calls`, each result decoded as `T`, sent in requests of at most the
    /// upstream's current batch size (one call alone goes as a single JSON-RPC object, not a batch). Retries on
    /// transport failures and malformed answers (including a result that does not decode as `T`), and after rate
    /// limits: an HTTP 429 or a whole-body -32005 retries what was sent, while items refused with -32005 inside an
    /// otherwise good answer are retried alone, the good answers kept (hosted providers limit per item). A batch
    /// refused as a whole is split, down to single calls.
    public func batch<T: JSONReadable>(_ calls: [RPCCall], as type: T.Type) async throws(UpstreamError) -> [Result<T, RPCError>] {
        precondition(!calls.isEmpty, "an empty batch is not a valid JSON-RPC request")
        var results = [Result<T, RPCError>?](repeating: nil, count: calls.count)
        // Indices into `calls` still without an answer; each request numbers its items from 0.
        var pending = Array(calls.indices)
        var failures = 0, rateLimits = 0
        while !pending.isEmpty {
            let sent = Array(pending.prefix(sizing.withLock { $0.current }))
            let problem: UpstreamError.Kind
            var wait: Duration?
            counters.withLock { $0.requests += 1 }
            do throws(TransportError) {
                let answer = try await transport.post(Self.encode(sent.map { calls[$0] }), timeout: policy.timeout)
                switch Self.decode(answer, count: sent.count, as: T.self) {
                case .success(.refused(let error)) where sent.count > 1 && error.code != RPCError.limitExceededCode:
                    // The batch as a whole is refused (too large, or batches not served): smaller, at once.
                    sizing.withLock { $0.shrink() }
                    count(label: "batch_refused")
                    continue
                case .success(let decoded):
                    let answers = decoded.answers(count: sent.count)
                    var limited: [Int] = []
                    for (slot, answer) in zip(sent, answers) {
                        if case .failure(let e) = answer, e.code == RPCError.limitExceededCode { limited.append(slot) } else { results[slot] = answer }
                    }
                    pending = limited + pending.dropFirst(sent.count)
                    if limited.count >= max(2, sent.count / 4), limited.count < sent.count, limited == Array(sent.suffix(limited.count)) {
                        // The first items answered and a quarter or more after them all refused: the answer's size
                        // budget ran out. (A limiter that refuses items here and there leaves such a tail about once
                        // in a thousand batches; taking its single refusals for a budget shrank batches to a few
                        // items and let transport failures add up within one call.) Smaller batches, at once; a
                        // limiter that refuses them too is waited for below.
                        sizing.withLock { $0.limit(to: sent.count - limited.count) }
                        count(label: "batch_size_limited")
                        continue
                    }
                    if limited.count * 4 > sent.count, limited.count < sent.count {
                        sizing.withLock { $0.shrink() }
                    } else {
                        sizing.withLock { $0.succeeded() }
                    }
                    if limited.isEmpty { continue }
                    // The longest wait the refusals ask for, if any names one.
                    wait = answers.compactMap { answer in
                        if case .failure(let e) = answer { Self.requestedWait(e) } else { nil }
                    }.max()
                    problem = .transport(.rateLimited(retryAfter: wait))
                case .failure(let malformed):
                    problem = .malformed(malformed.why)
                }
            } catch {
                problem = .transport(error)
                switch error {
                case .rateLimited(let after): wait = after
                case .status(413) where sent.count > 1:
                    sizing.withLock { $0.shrink() }
                    count(problem)
                    continue
                case .timeout where sent.count > 1: sizing.withLock { $0.shrink() }
                default: break
                }
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
            do { try await Task.sleep(for: wait ?? .zero) } catch { throw UpstreamError(upstream: label, kind: .transport(.connection("cancelled"))) }
        }
        return results.compactMap { $0 }
    }

    /// The longest a rate-limit answer may make the client wait, whatever it asks for.
    static let maxRequestedWait: Duration = .seconds(60)

    /// The wait a -32005 answer asks for in its `data`: `retryAfterMs`, or `backoff_seconds` (as Infura sends it);
    /// at most `maxRequestedWait`. `nil` when it names none.
    static func requestedWait(_ error: RPCError) -> Duration? {
        guard error.code == RPCError.limitExceededCode, case .object(let data)? = error.data else { return nil }
        func number(_ value: JSONValue?) -> Double? {
            switch value {
            case .int(let i)?: return Double(i)
            case .double(let d)?: return d
            case .string(let s)?: return Double(s)
            default: return nil
            }
        }
        let milliseconds = number(data["retryAfterMs"]) ?? number(data["backoff_seconds"]).map { $0 * 1000 }
        guard let milliseconds, milliseconds.isFinite, milliseconds >= 0 else { return nil }
        return min(.milliseconds(Int64(min(milliseconds, 1e9))), Self.maxRequestedWait)
    }

    private func count(_ kind: UpstreamError.Kind) {
        switch kind {
        case .transport(let error): count(label: error.kind)
        case .malformed: count(label: "malformed")
        }
    }

    private func count(label: String) {
        counters.withLock { $0.errors[label, default: 0] += 1 }
    }

    /// One call as a single JSON-RPC object, several as a batch; ids number the calls from 0.
    static func encode(_ calls: [RPCCall]) -> [UInt8] {
        let requests: [JSONValue] = calls.enumerated().map { i, call in
            ["jsonrpc": "2.0", "id": .int(Int64(i)), "method": .string(call.method), "params": .array(call.params)]
        }
        return (requests.count == 1 ? requests[0] : JSONValue.array(requests)).serialized()
    }

    /// A decoded answer body: an answer per call, or one error object with no id answering the whole body.
    enum Decoded<T: Sendable>: Sendable {
        case each([Result<T, RPCError>])
        case refused(RPCError)

        func answers(count: Int) -> [Result<T, RPCError>] {
            switch self {
            case .each(let answers): return answers
            case .refused(let error): return Array(repeating: .failure(error), count: count)
            }
        }
    }

    struct Malformed: Error { let why: String }

    /// Matches answers to calls by id, each result read as `T`; any answer missing, repeated, foreign or of the
    /// wrong shape makes the whole body malformed. A body is one answer object or a list of them.
    static func decode<T: JSONReadable>(_ body: [UInt8], count: Int, as: T.Type) -> Result<Decoded<T>, Malformed> {
        let document: JSONReader
        do throws(JSONParseError) { document = JSONReader(try JSONTape(parsing: body)) } catch {
            return .failure(Malformed(why: "not JSON (\(body.count) bytes): \(error)"))
        }
        let answers = (try? document.array()) ?? [document]
        var results = [Result<T, RPCError>?](repeating: nil, count: count)
        for answer in answers {
            let errorMember: JSONReader?, idMember: JSONReader?, resultMember: JSONReader?
            do throws(JSONReadError) {
                (errorMember, idMember, resultMember) = (try answer.member("error"), try answer.member("id"), try answer.member("result"))
            } catch {
                return .failure(Malformed(why: "\(error)"))
            }
            // A null error is no error; any other must be an error object.
            let errorValue = errorMember.flatMap { $0.isNull ? nil : $0.value }
            let error = Self.error(errorValue)
            guard let id = idMember?.int64, id >= 0, id < count, results[Int(id)] == nil else {
                // A single error object with a null id answers the whole body (e.g. a batch refused as too large).
                if answers.count == 1, let error { return .success(.refused(error)) }
                return .failure(Malformed(why: "an answer with a missing, repeated or unknown id"))
            }
            if let error {
                results[Int(id)] = .failure(error)
            } else if errorValue == nil, let result = resultMember {
                // A null result is a value (a block the upstream does not have); `T` may be optional to accept it.
                do throws(JSONReadError) { results[Int(id)] = .success(try T(json: result)) } catch {
                    return .failure(Malformed(why: "answer \(id): \(error)"))
                }
            } else {
                return .failure(Malformed(why: "answer \(id) has neither result nor error"))
            }
        }
        guard results.allSatisfy({ $0 != nil }) else { return .failure(Malformed(why: "\(results.filter { $0 == nil }.count) of \(count) answers missing")) }
        return .success(.each(results.compactMap { $0 }))
    }

    static func error(_ value: JSONValue?) -> RPCError? {
        guard case .object(let o)? = value, case .int(let code)? = o["code"] else { return nil }
        if case .string(let message)? = o["message"] { return RPCError(code: Int(code), message: message, data: o["data"]) }
        return RPCError(code: Int(code), message: "", data: o["data"])
    }
}
