public import EthPrimitives
public import EthTypes
public import EthRPC
public import Foundation

/// A vector's JSON (as `JSONSerialization` gives it) read as the node reads an upstream's answer.
public func readJSON<T: JSONReadable>(_ type: T.Type, from value: Any) throws -> T {
    let bytes = Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
    return try JSONDocumentError.read(bytes) { json throws(JSONReadError) in try T(json: json) }
}

/// A fixture's list of log objects (`address`, `topics`, `data`, hex as JSON-RPC writes them), other members ignored.
public func logs(fromJSON value: Any) throws -> [Log] {
    try (value as! [[String: Any]]).map { log in
        Log(address: try Address(hex: log["address"] as! String), topics: try (log["topics"] as! [String]).map { try Hash32(hex: $0) },
            data: bytes(fromHex: log["data"] as! String))
    }
}
