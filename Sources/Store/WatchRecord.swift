public import EthPrimitives

/// What a data directory was filled with, recorded on first use so that every later command reads the same:
///
///     meta/chain      UTF-8: the chainspec as given (a name from chainspec/ or a path)
///     meta/watched    (address ‖ be64(startBlock))*, by address
///     meta/standards  (address ‖ standards bitmask)*, by address: the contracts whose standards the config declares
public struct WatchRecord: Equatable, Sendable {
    public var chain: String
    public var startBlocks: [Address: UInt64]
    /// The standards declared for a contract (the `Standards` bitmask of TokenEvents); how its `Transfer` and
    /// `Approval` logs are read depends on them.
    public var standards: [Address: UInt8]

    public init(chain: String, startBlocks: [Address: UInt64], standards: [Address: UInt8] = [:]) {
        (self.chain, self.startBlocks, self.standards) = (chain, startBlocks, standards)
    }

    /// The record of `store`; `nil` for a store never filled.
    public static func read(from store: KeyValueStore) throws(StoreError) -> WatchRecord? {
        guard let chain = try store.get(Schema.Meta.chain.key) else { return nil }
        let bytes = try store.get(Schema.Meta.watched.key) ?? []
        guard bytes.count % 28 == 0 else { throw .corrupt("the watched-contracts record is \(bytes.count) bytes, not a multiple of 28") }
        var starts: [Address: UInt64] = [:]
        for offset in stride(from: 0, to: bytes.count, by: 28) {
            guard let address = Address(bytes: bytes[offset..<offset + 20]) else { throw .corrupt("the watched-contracts record") }
            starts[address] = KeyCoding.readBE64(bytes[(offset + 20)...])
        }
        let declared = try store.get(Schema.Meta.standards.key) ?? []
        guard declared.count % 21 == 0 else { throw .corrupt("the declared-standards record is \(declared.count) bytes, not a multiple of 21") }
        var standards: [Address: UInt8] = [:]
        for offset in stride(from: 0, to: declared.count, by: 21) {
            guard let address = Address(bytes: declared[offset..<offset + 20]), starts[address] != nil, declared[offset + 20] != 0 else {
                throw .corrupt("the declared-standards record names \(Hex.encode(declared[offset..<offset + 20])), which is not watched")
            }
            standards[address] = declared[offset + 20]
        }
        return WatchRecord(chain: String(decoding: chain, as: UTF8.self), startBlocks: starts, standards: standards)
    }

    /// Writes the record, both keys in one batch.
    public func write(to store: KeyValueStore) throws(StoreError) {
        var batch = WriteBatch()
        batch.put(Schema.Meta.chain.key, Array(chain.utf8))
        batch.put(Schema.Meta.watched.key, startBlocks.sorted { $0.key.hex < $1.key.hex }.flatMap { $0.key.bytes + KeyCoding.be64($0.value) })
        batch.put(Schema.Meta.standards.key, standards.sorted { $0.key.hex < $1.key.hex }.flatMap { $0.key.bytes + [$0.value] })
        try store.write(batch)
    }
}
