public import EthRPC
public import Foundation

/// A vector's JSON (as `JSONSerialization` gives it) read as the node reads an upstream's answer.
public func readJSON<T: JSONReadable>(_ type: T.Type, from value: Any) throws -> T {
    let bytes = Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
    return try JSONDocumentError.read(bytes) { json throws(JSONReadError) in try T(json: json) }
}
