public import Foundation

/// JSON-RPC 2.0 over bytes: parses a body (one request or a batch), runs each call through the registered
/// handlers, and encodes the responses. Transport-independent: the HTTP server hands it bodies.
public struct Dispatcher: Sendable {
    public typealias Handler = @Sendable (JSONValue?) throws(RPCError) -> JSONValue

    /// Told of every call: its method (`"unknown"` for an unregistered name, so clients cannot grow label sets),
    /// its outcome (0 or the error code) and how long the handler took.
    public typealias Observer = @Sendable (_ method: String, _ code: Int, _ duration: Duration) -> Void

    /// What a method may cost: a light call is a few index reads, answered where the request was read; a heavy
    /// one (a proof, a log query, a block with its transactions) reads and builds more, and a transport runs it away
    /// from the light ones (`Parsed.isHeavy`).
    public enum Cost: Sendable {
        case light
        case heavy
    }

    private var handlers: [String: (cost: Cost, handler: Handler)] = [:]
    public var observer: Observer?

    public init() {}

    public mutating func register(_ method: String, cost: Cost = .light, _ handler: @escaping Handler) {
        handlers[method] = (cost, handler)
    }

    public var methods: [String] { handlers.keys.sorted() }

    /// Handles a request body. Returns the response body, or nil when nothing is to be sent back (only
    /// notifications). Never throws: every failure is a JSON-RPC error response.
    public func handle(_ body: Data) -> Data? {
        handle(bytes: Array(body))
    }

    /// `handle(_:)` over bytes a transport already holds as an array.
    public func handle(bytes body: [UInt8]) -> Data? {
        run(parse(bytes: body))
    }

    /// A body parsed and ready to run, and whether running it is heavy work.
    public struct Parsed: Sendable {
        enum Content {
            /// The body is answered without running anything (not JSON, an empty or oversized batch).
            case answered(Data)
            case single(JSONValue)
            case batch([JSONValue])
        }

        let content: Content
        /// A call of a heavy method is among its calls, or it is a batch of more than `RPCLimits.lightBatch`.
        public let isHeavy: Bool
    }

    /// Parses a body: the first half of `handle`, so a transport can see what a body asks before choosing where to
    /// run it.
    public func parse(bytes body: [UInt8]) -> Parsed {
        guard body.count <= RPCLimits.maxBodyBytes else { return Parsed(content: .answered(oversizedBody(body.count)), isHeavy: false) }
        let parsed: JSONValue
        do throws(JSONParseError) {
            parsed = try JSONValue(parsing: body)
        } catch {
            return Parsed(content: .answered(Reply(id: .null, error: .parseError("the body is not valid JSON: \(error)")).encoded()), isHeavy: false)
        }
        switch parsed {
        case .array(let batch):
            guard !batch.isEmpty else { return Parsed(content: .answered(Reply(id: .null, error: .invalidRequest("empty batch")).encoded()), isHeavy: false) }
            guard batch.count <= RPCLimits.maxBatch else {
                return Parsed(content: .answered(Reply(id: .null, error: .limitExceededBatch(batch.count)).encoded()), isHeavy: false)
            }
            return Parsed(content: .batch(batch), isHeavy: batch.count > RPCLimits.lightBatch || batch.contains(where: isHeavy))
        default:
            return Parsed(content: .single(parsed), isHeavy: isHeavy(parsed))
        }
    }

    private func isHeavy(_ request: JSONValue) -> Bool {
        guard case .object(let object) = request, case .string(let method)? = object["method"] else { return false }
        return handlers[method]?.cost == .heavy
    }

    /// Runs a parsed body: the response, or nil when nothing is to be sent back (only notifications).
    public func run(_ parsed: Parsed) -> Data? {
        switch parsed.content {
        case .answered(let response):
            return response
        case .batch(let batch):
            // Each reply is written as soon as it is made, so only one is held at a time; past the size limit the
            // rest are refused without running.
            var out: [UInt8] = [UInt8(ascii: "[")]
            var replies = 0
            for request in batch {
                let reply = out.count > RPCLimits.maxResponseBytes ? Self.refusedForSize(request) : call(request)
                guard let reply else { continue }
                if replies > 0 { out.append(UInt8(ascii: ",")) }
                reply.write(to: &out)
                replies += 1
            }
            guard replies > 0 else { return nil }
            out.append(UInt8(ascii: "]"))
            return Data(out)
        case .single(let request):
            guard let reply = call(request) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(256)
            reply.write(to: &out)
            guard out.count <= RPCLimits.maxResponseBytes else {
                return Reply(id: reply.id, error: .limitExceeded(
                    "the answer is \(out.count) bytes, above \(RPCLimits.maxResponseBytes); ask for less (a page, a narrower range, a nearer anchor)")).encoded()
            }
            return Data(out)
        }
    }

    /// The response to a body of `count` bytes, above `RPCLimits.maxBodyBytes`: a transport that stops reading
    /// at the limit answers with this, without holding the body.
    public func oversizedBody(_ count: Int) -> Data {
        Reply(id: .null, error: .invalidRequest("body of \(count) bytes is above \(RPCLimits.maxBodyBytes)")).encoded()
    }

    /// A call of a batch whose answers already passed `RPCLimits.maxResponseBytes`: not run; -32005 for a
    /// request with an id, nothing for a notification.
    static func refusedForSize(_ request: JSONValue) -> Reply? {
        guard case .object(let object) = request else {
            return Reply(id: .null, error: .invalidRequest("expected an object, got \(request.typeName)"))
        }
        guard let id = object["id"] else { return nil }
        let echoed: JSONValue
        switch id {
        case .null, .int, .string, .double: echoed = id
        default: echoed = .null
        }
        return Reply(id: echoed, error: .limitExceeded(
            "the batch's answers passed \(RPCLimits.maxResponseBytes) bytes before this call; send it again alone or in a smaller batch"))
    }

    /// One call: its reply, or nil for a notification.
    func call(_ request: JSONValue) -> Reply? {
        guard case .object(let object) = request else {
            return Reply(id: .null, error: .invalidRequest("expected an object, got \(request.typeName)"))
        }
        let id = object["id"]
        if let id {
            switch id {
            case .null, .int, .string, .double: break
            default: return Reply(id: .null, error: .invalidRequest("id must be a string, a number or null"))
            }
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return Reply(id: id ?? .null, error: .invalidRequest("jsonrpc must be \"2.0\""))
        }
        guard case .string(let method)? = object["method"] else {
            return Reply(id: id ?? .null, error: .invalidRequest("method must be a string"))
        }
        let params = object["params"]
        if let params {
            switch params {
            case .array, .object: break
            default: return Reply(id: id ?? .null, error: .invalidRequest("params must be an array or an object"))
            }
        }
        let result: Result<JSONValue, RPCError>
        let start = ContinuousClock.now
        let handler = handlers[method]?.handler
        if let handler {
            do throws(RPCError) { result = .success(try handler(params)) } catch { result = .failure(error) }
        } else {
            result = .failure(.methodNotFound(method))
        }
        if let observer {
            let code: Int
            if case .failure(let error) = result { code = error.code } else { code = 0 }
            observer(handler == nil ? "unknown" : method, code, ContinuousClock.now - start)
        }
        // A request without an id is a notification: it runs, and gets no response, even on error.
        guard let id else { return nil }
        return Reply(id: id, outcome: result)
    }
}

/// One call's response: the id it echoes and its result or error.
struct Reply {
    var id: JSONValue
    var outcome: Result<JSONValue, RPCError>

    init(id: JSONValue, outcome: Result<JSONValue, RPCError>) {
        self.id = id
        self.outcome = outcome
    }

    init(id: JSONValue, error: RPCError) {
        self.init(id: id, outcome: .failure(error))
    }

    /// The response object with its members in sorted order, as `JSONValue.serialized()` writes every object,
    /// written directly: building a dictionary for three fixed members cost more than the query it answers.
    func write(to out: inout [UInt8]) {
        switch outcome {
        case .success(let result):
            out.append(contentsOf: #"{"id":"#.utf8)
            id.write(to: &out)
            out.append(contentsOf: #","jsonrpc":"2.0","result":"#.utf8)
            result.write(to: &out)
        case .failure(let error):
            out.append(contentsOf: #"{"error":"#.utf8)
            error.json.write(to: &out)
            out.append(contentsOf: #","id":"#.utf8)
            id.write(to: &out)
            out.append(contentsOf: #","jsonrpc":"2.0""#.utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    func encoded() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return Data(out)
    }
}

extension RPCError {
    static func limitExceededBatch(_ count: Int) -> RPCError {
        RPCError(code: invalidRequestCode, message: "invalid request: batch of \(count) requests is above \(RPCLimits.maxBatch)")
    }
}
