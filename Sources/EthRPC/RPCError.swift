/// A JSON-RPC 2.0 error object, with the codes of ARCHITECTURE.md §5 as named constants.
public struct RPCError: Error, Hashable, Sendable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    /// Not found, or not indexed (a token that never existed, a block beyond the indexed head).
    public static let notFoundCode = -32001
    /// A limit was exceeded (page size, batch size).
    public static let limitExceededCode = -32005
    /// EIP-1474's "method not supported", which some providers answer instead of -32601.
    public static let methodNotSupportedCode = -32004

    /// Whether the answering node does not know the method at all (not: the call failed).
    public var isUnknownMethod: Bool { code == Self.methodNotFoundCode || code == Self.methodNotSupportedCode }

    public static func parseError(_ message: String) -> RPCError { RPCError(code: parseErrorCode, message: "parse error: \(message)") }
    public static func invalidRequest(_ message: String) -> RPCError { RPCError(code: invalidRequestCode, message: "invalid request: \(message)") }
    public static func methodNotFound(_ method: String) -> RPCError { RPCError(code: methodNotFoundCode, message: "method not found: \(method)") }
    /// A parameter, by name, and what was wrong with it.
    public static func invalidParams(_ parameter: String, _ problem: String) -> RPCError {
        RPCError(code: invalidParamsCode, message: "invalid params: \(parameter): \(problem)")
    }
    public static func notFound(_ message: String) -> RPCError { RPCError(code: notFoundCode, message: message) }
    public static func limitExceeded(_ message: String) -> RPCError { RPCError(code: limitExceededCode, message: "limit exceeded: \(message)") }

    var json: JSONValue {
        var object: [String: JSONValue] = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}

/// Limits of the JSON-RPC surface, as named constants (ARCHITECTURE.md §5).
public enum RPCLimits {
    /// Largest request body accepted.
    public static let maxBodyBytes = 5 << 20
    /// Most requests in one batch.
    public static let maxBatch = 1000
    /// Most bytes of one answer, or of a batch's answers together (geth's batch default too): once a batch's pass
    /// it, its remaining calls are not run and are answered -32005, so one small request cannot make the server
    /// build gigabytes; a single answer above it is replaced by -32005. The methods' own ceilings (proof headers,
    /// log blocks, history records) keep one call's work well under it.
    public static let maxResponseBytes = 25_000_000
    /// Most calls of a batch of light methods run where the request was read; a longer batch is heavy work.
    public static let lightBatch = 16
    /// Largest page a paged method returns.
    public static let maxPage = 1000
}
