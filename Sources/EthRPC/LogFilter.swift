public import EthPrimitives
public import EthTypes

/// The address and topic parts of an `eth_getLogs` filter, as the execution APIs define them: `address` is one
/// address or a list (any of them); `topics` holds up to 4 positions, each null (anything), a hash, or a list of
/// hashes (any of them). The block range is the caller's: it depends on what the caller holds.
public struct LogFilter: Sendable {
    public let addresses: Set<Address>?
    public let topics: [Set<Hash32>?]

    /// Reads `filter.address` and `filter.topics`; errors name the member and position.
    public init(_ filter: [String: JSONValue]) throws(RPCError) {
        switch filter["address"] {
        case nil, .null?: addresses = nil
        case .string(let one)?: addresses = [try Params([.string(one)], names: ["filter.address"], required: 1).address(0)]
        case .array(let list)?:
            var set = Set<Address>()
            for (i, item) in list.enumerated() { set.insert(try Params([item], names: ["filter.address[\(i)]"], required: 1).address(0)) }
            addresses = set
        case let other?: throw .invalidParams("filter.address", "expected an address or a list, got \(other.typeName)")
        }
        var topics: [Set<Hash32>?] = []
        if let value = filter["topics"], value != .null {
            guard case .array(let positions) = value, positions.count <= 4 else { throw .invalidParams("filter.topics", "expected a list of at most 4 entries") }
            for (i, position) in positions.enumerated() {
                func hash(_ v: JSONValue) throws(RPCError) -> Hash32 { try Params([v], names: ["filter.topics[\(i)]"], required: 1).hash(0) }
                switch position {
                case .null: topics.append(nil)
                case .array(let options):
                    var set = Set<Hash32>()
                    for option in options { set.insert(try hash(option)) }
                    topics.append(set)
                default: topics.append([try hash(position)])
                }
            }
        }
        self.topics = topics
    }

    /// Whether `log` passes the address and topic conditions.
    public func matches(_ log: Log) -> Bool {
        guard addresses?.contains(log.address) ?? true, topics.count <= log.topics.count else { return false }
        return zip(topics, log.topics).allSatisfy { wanted, topic in wanted?.contains(topic) ?? true }
    }
}
