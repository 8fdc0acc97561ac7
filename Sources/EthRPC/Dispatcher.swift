public import Foundation

/// JSON-RPC 2.0 over bytes: parses a body (one request or a batch), runs each call through the registered
/// handlers, and encodes the responses. Transport-independent: the HTTP server hands it bodies.
public struct Dispatcher: Sendable {
    public typealias Handler = @Sendable (JSONValue?) throws(RPCError) -> JSONValue

    /// Told of every call: its method (`"unknown"` for an unregistered name, so clients cannot grow label sets),
    /// its outcome (0 or the error code) and how long the handler took.
    public typealias Observer = @Sendable (_ method: String, _ code: Int, _ duration: Duration) -> Void

    private var handlers: [String: Handler] = [:]
    public var observer: Observer?

    public init() {}

    public mutating func register(_ method: String, _ handler: @escaping Handler) {
        handlers[method] = handler
    }

    public var methods: [String] { handlers.keys.sorted() }

    /// Handles a request body. Returns the response body, or nil when nothing is to be sent back (only
    /// notifications). Never throws: every failure is a JSON-RPC error response.
    public func handle(_ body: Data) -> Data? {
        guard body.count <= RPCLimits.maxBodyBytes else {
            return encode(Self.response(id: .null, error: .invalidRequest("body of \(body.count) bytes is above \(RPCLimits.maxBodyBytes)")))
        }
        let parsed: JSONValue
        do throws(JSONParseError) {
            parsed = try JSONValue(parsing: Array(body))
        } catch {
            return encode(Self.response(id: .null, error: .parseError("the body is not valid JSON: \(error)")))
        }
        switch parsed {
        case .array(let batch):
            guard !batch.isEmpty else { return encode(Self.response(id: .null, error: .invalidRequest("empty batch"))) }
            guard batch.count <= RPCLimits.maxBatch else {
                return encode(Self.response(id: .null, error: .limitExceededBatch(batch.count)))
            }
            let responses = batch.compactMap(call)
            return responses.isEmpty ? nil : encode(.array(responses))
        default:
            return call(parsed).map(encode)
        }
    }

    /// One call: its response, or nil for a notification.
    func call(_ request: JSONValue) -> JSONValue? {
        guard case .object(let object) = request else {
            return Self.response(id: .null, error: .invalidRequest("expected an object, got \(request.typeName)"))
        }
        let id = object["id"]
        if let id {
            switch id {
            case .null, .int, .string, .double: break
            default: return Self.response(id: .null, error: .invalidRequest("id must be a string, a number or null"))
            }
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return Self.response(id: id ?? .null, error: .invalidRequest("jsonrpc must be \"2.0\""))
        }
        guard case .string(let method)? = object["method"] else {
            return Self.response(id: id ?? .null, error: .invalidRequest("method must be a string"))
        }
        if let params = object["params"] {
            switch params {
            case .array, .object: break
            default: return Self.response(id: id ?? .null, error: .invalidRequest("params must be an array or an object"))
            }
        }
        let result: Result<JSONValue, RPCError>
        let start = ContinuousClock.now
        if let handler = handlers[method] {
            do throws(RPCError) { result = .success(try handler(object["params"])) } catch { result = .failure(error) }
        } else {
            result = .failure(.methodNotFound(method))
        }
        if let observer {
            let code: Int
            if case .failure(let error) = result { code = error.code } else { code = 0 }
            observer(handlers[method] == nil ? "unknown" : method, code, ContinuousClock.now - start)
        }
        // A request without an id is a notification: it runs, and gets no response, even on error.
        guard let id else { return nil }
        switch result {
        case .success(let value): return ["jsonrpc": "2.0", "id": id, "result": value]
        case .failure(let error): return Self.response(id: id, error: error)
        }
    }

    static func response(id: JSONValue, error: RPCError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": error.json]
    }

    func encode(_ value: JSONValue) -> Data {
        Data(value.serialized())
    }
}

extension RPCError {
    static func limitExceededBatch(_ count: Int) -> RPCError {
        RPCError(code: invalidRequestCode, message: "invalid request: batch of \(count) requests is above \(RPCLimits.maxBatch)")
    }
}
