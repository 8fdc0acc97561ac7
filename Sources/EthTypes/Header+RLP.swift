public import EthPrimitives
public import EthRLP

// The header's RLP list (Yellow Paper §4.3, with later forks' fields appended):
//   [parentHash, ommersHash, beneficiary, stateRoot, transactionsRoot, receiptsRoot, logsBloom, difficulty,
//    number, gasLimit, gasUsed, timestamp, extraData, mixHash, nonce,
//    baseFeePerGas                  London   https://eips.ethereum.org/EIPS/eip-1559
//    withdrawalsRoot                Shanghai https://eips.ethereum.org/EIPS/eip-4895
//    blobGasUsed, excessBlobGas     Cancun   https://eips.ethereum.org/EIPS/eip-4844
//    parentBeaconBlockRoot          Cancun   https://eips.ethereum.org/EIPS/eip-4788
//    requestsHash                   Prague   https://eips.ethereum.org/EIPS/eip-7685]
// A trailing field is present when it or any later one is.

extension HeaderFields: RLPEncodable {
    public func encode(to e: inout RLPEncoder) {
        e.appendList { e in
            e.append(parentHash)
            e.append(ommersHash)
            e.append(beneficiary)
            e.append(stateRoot)
            e.append(transactionsRoot)
            e.append(receiptsRoot)
            e.append(logsBloom)
            e.append(difficulty)
            e.append(number)
            e.append(gasLimit)
            e.append(gasUsed)
            e.append(timestamp)
            e.append(bytes: extraData)
            e.append(mixHash)
            e.append(bytes: nonce)
            if let baseFeePerGas { e.append(baseFeePerGas) }
            if let withdrawalsRoot { e.append(withdrawalsRoot) }
            if let blobGasUsed { e.append(blobGasUsed) }
            if let excessBlobGas { e.append(excessBlobGas) }
            if let parentBeaconBlockRoot { e.append(parentBeaconBlockRoot) }
            if let requestsHash { e.append(requestsHash) }
        }
    }
}

extension Header {
    /// The number of fields every header has before the optional ones.
    static let baseFieldCount = 15

    /// Decodes a header from its RLP and keeps those bytes as its encoding (they are what gets hashed).
    public init(rlp bytes: [UInt8]) throws(HeaderError) {
        var reader = RLPReader(bytes)
        var f = HeaderFields()
        do throws(RLPError) {
            var list = try reader.readList()
            try reader.finish()
            var count = 0
            var probe = list
            while !probe.isAtEnd {
                _ = try probe.readRaw()
                count += 1
            }
            guard count >= Self.baseFieldCount, count <= Self.baseFieldCount + HeaderFields.OptionalField.allCases.count
            else { throw .wrongItemCount(expected: Self.baseFieldCount, actual: count) }
            f.parentHash = try list.readHash()
            f.ommersHash = try list.readHash()
            f.beneficiary = try list.readAddress()
            f.stateRoot = try list.readHash()
            f.transactionsRoot = try list.readHash()
            f.receiptsRoot = try list.readHash()
            f.logsBloom = try list.readBloom()
            f.difficulty = try list.readUInt256()
            f.number = try list.readUInt64()
            f.gasLimit = try list.readUInt64()
            f.gasUsed = try list.readUInt64()
            f.timestamp = try list.readUInt64()
            f.extraData = Array(try list.readBytes())
            f.mixHash = try list.readHash()
            f.nonce = Array(try list.readBytes(count: 8))
            let optional = count - Self.baseFieldCount
            if optional > 0 { f.baseFeePerGas = try list.readUInt256() }
            if optional > 1 { f.withdrawalsRoot = try list.readHash() }
            if optional > 2 { f.blobGasUsed = try list.readUInt64() }
            if optional > 3 { f.excessBlobGas = try list.readUInt64() }
            if optional > 4 { f.parentBeaconBlockRoot = try list.readHash() }
            if optional > 5 { f.requestsHash = try list.readHash() }
            try list.finish()
        } catch .wrongItemCount(_, let actual) {
            throw .wrongFieldCount(actual)
        } catch {
            throw .rlp(error)
        }
        self.init(fields: f, encoded: bytes)
    }
}
