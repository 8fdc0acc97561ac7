public import EthPrimitives

extension UInt64: RLPEncodable {
    public func encode(to encoder: inout RLPEncoder) { encoder.append(self) }
}

extension UInt256: RLPEncodable {
    public func encode(to encoder: inout RLPEncoder) { encoder.append(bytes: minimalBigEndianBytes) }
}

extension Hash32: RLPEncodable {
    public func encode(to encoder: inout RLPEncoder) { withUnsafeBytes { encoder.append(bytes: $0) } }
}

extension Address: RLPEncodable {
    public func encode(to encoder: inout RLPEncoder) { withUnsafeBytes { encoder.append(bytes: $0) } }
}

extension Bloom: RLPEncodable {
    public func encode(to encoder: inout RLPEncoder) { encoder.append(bytes: storage) }
}

extension RLPReader {
    public mutating func readUInt256() throws(RLPError) -> UInt256 {
        UInt256(bigEndian: try readIntegerBytes(maxBytes: 32))!
    }

    public mutating func readHash() throws(RLPError) -> Hash32 {
        Hash32(bytes: try readBytes(count: 32))!
    }

    public mutating func readAddress() throws(RLPError) -> Address {
        Address(bytes: try readBytes(count: 20))!
    }

    public mutating func readBloom() throws(RLPError) -> Bloom {
        Bloom(bytes: try readBytes(count: 256))!
    }
}
