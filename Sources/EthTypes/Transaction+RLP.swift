public import EthPrimitives
internal import EthRLP

// Canonical encodings (EIP-2718: a typed transaction is `type ‖ rlp(payload)`):
//   legacy     rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s])
//   type 1     [chainId, nonce, gasPrice, gasLimit, to, value, data, accessList, yParity, r, s]
//              https://eips.ethereum.org/EIPS/eip-2930
//   type 2     [chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList,
//               yParity, r, s]   https://eips.ethereum.org/EIPS/eip-1559
//   type 3     [chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList,
//               maxFeePerBlobGas, blobVersionedHashes, yParity, r, s]   https://eips.ethereum.org/EIPS/eip-4844
//   type 4     [chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, destination, value, data,
//               accessList, authorizationList, yParity, r, s]   https://eips.ethereum.org/EIPS/eip-7702
//   deposit    0x7e ‖ rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])   no signature; isSystemTx
//              is 0x80 (false) or 0x01 (true)   https://specs.optimism.io/protocol/deposits.html
//   accessList         [[address, [storageKey, …]], …]
//   authorizationList  [[chainId, address, nonce, yParity, r, s], …]

extension TransactionFields {
    /// Appends the unsigned fields, in the order of the type's list, without a list header.
    func appendItems(to e: inout RLPEncoder) {
        if type == .deposit {
            let d = deposit ?? DepositFields(sourceHash: .zero, from: .zero)
            e.append(d.sourceHash)
            e.append(d.from)
            if let to { e.append(to) } else { e.append(bytes: [] as [UInt8]) }
            e.append(d.mint)
            e.append(value)
            e.append(gasLimit)
            e.append(d.isSystemTransaction ? 1 : 0 as UInt64)
            e.append(bytes: data)
            return
        }
        if type != .legacy { e.append(chainId ?? .zero) }
        e.append(nonce)
        switch type {
        case .legacy, .accessList:
            e.append(gasPrice)
        case .dynamicFee, .blob, .setCode, .deposit:
            e.append(maxPriorityFeePerGas)
            e.append(maxFeePerGas)
        }
        e.append(gasLimit)
        if let to { e.append(to) } else { e.append(bytes: [] as [UInt8]) }
        e.append(value)
        e.append(bytes: data)
        guard type != .legacy else { return }
        e.appendList { e in
            for entry in accessList {
                e.appendList { e in
                    e.append(entry.address)
                    e.appendList { e in for key in entry.storageKeys { e.append(key) } }
                }
            }
        }
        if type == .blob {
            e.append(maxFeePerBlobGas)
            e.appendList { e in for hash in blobVersionedHashes { e.append(hash) } }
        }
        if type == .setCode {
            e.appendList { e in
                for a in authorizationList {
                    e.appendList { e in
                        e.append(a.chainId)
                        e.append(a.address)
                        e.append(a.nonce)
                        e.append(UInt64(a.yParity))
                        e.append(a.r)
                        e.append(a.s)
                    }
                }
            }
        }
    }

    /// The full canonical encoding with the given signature values (`v` is the legacy v or the y parity); a deposit
    /// has none, and ignores them.
    public func encode(v: UInt256, r: UInt256, s: UInt256) -> [UInt8] {
        var e = RLPEncoder()
        if type != .legacy { e.append(raw: [type.rawValue]) }
        e.appendList { e in
            appendItems(to: &e)
            guard type != .deposit else { return }
            e.append(v)
            e.append(r)
            e.append(s)
        }
        return e.bytes
    }
}

extension Transaction {
    /// The transaction with these fields and signature values, encoded once: what `init(encoded:)` gives for
    /// `fields.encode(v:r:s:)`, without reading the encoding back (a JSON-RPC block's transactions are built so,
    /// and decoding was a seventh of reading one). As decoding finds them, a legacy transaction's chain id comes
    /// from `v` (EIP-155) whatever `fields` holds, a typed one's `v` is its y parity (0 or 1), and a deposit's
    /// `v`, `r` and `s` are zero.
    public init(fields given: TransactionFields, v: UInt256, r: UInt256, s: UInt256) throws(TransactionError) {
        var fields = Self.encodedPart(of: given)
        let type = fields.type
        let (v, r, s) = type == .deposit ? (UInt256.zero, UInt256.zero, UInt256.zero) : (v, r, s)
        switch type {
        case .legacy: fields.chainId = try Self.legacyChainId(v: v)
        case .deposit: break
        default: guard v <= UInt256(1) else { throw .invalidV }
        }
        var e = RLPEncoder(capacity: fields.data.count + 200)
        if type != .legacy { e.append(raw: [type.rawValue]) }
        let headerStart = e.bytes.count
        var unsignedLength = 0, payloadLength = 0
        e.appendList { e in
            fields.appendItems(to: &e)
            unsignedLength = e.bytes.count - headerStart - 1
            if type != .deposit {
                e.append(v)
                e.append(r)
                e.append(s)
            }
            payloadLength = e.bytes.count - headerStart - 1
        }
        let encoded = e.bytes
        let start = encoded.count - payloadLength
        self.init(fields: fields, v: v, r: r, s: s, encoded: encoded, unsignedFields: start..<start + unsignedLength)
    }

    /// The fields `type`'s encoding holds, as decoding gives them back (`decodeList`, `decodeDeposit`): any other
    /// field zero or empty.
    static func encodedPart(of given: TransactionFields) -> TransactionFields {
        let type = given.type
        var fields: TransactionFields
        if type == .deposit {
            fields = TransactionFields(deposit: given.deposit ?? DepositFields(sourceHash: .zero, from: .zero))
        } else {
            fields = TransactionFields(type: type, chainId: type == .legacy ? nil : given.chainId ?? .zero)
            fields.nonce = given.nonce
            if type == .legacy || type == .accessList {
                fields.gasPrice = given.gasPrice
            } else {
                fields.maxPriorityFeePerGas = given.maxPriorityFeePerGas
                fields.maxFeePerGas = given.maxFeePerGas
            }
            if type != .legacy { fields.accessList = given.accessList }
            if type == .blob {
                fields.maxFeePerBlobGas = given.maxFeePerBlobGas
                fields.blobVersionedHashes = given.blobVersionedHashes
            }
            if type == .setCode { fields.authorizationList = given.authorizationList }
        }
        fields.gasLimit = given.gasLimit
        fields.to = given.to
        fields.value = given.value
        fields.data = given.data
        return fields
    }

    /// Decodes a canonical transaction encoding: an RLP list (legacy) or `type ‖ rlp(list)`. Non-canonical RLP,
    /// wrong field sizes, unknown types and trailing bytes are refused. Fork rules are checked separately
    /// (`validate(fork:chainId:)`).
    public init(encoded bytes: [UInt8]) throws(TransactionError) {
        guard let first = bytes.first else { throw .empty }
        let type: TransactionType
        let listStart: Int
        if first >= 0xc0 {
            type = .legacy
            listStart = 0
        } else if first >= 1 && first <= 0x7f, let known = TransactionType(rawValue: first) {
            type = known
            listStart = 1
        } else {
            throw .unknownType(first)
        }
        let decoded: (fields: TransactionFields, v: UInt256, r: UInt256, s: UInt256, unsigned: Range<Int>)
        do throws(RLPError) {
            decoded = type == .deposit ? try Self.decodeDeposit(bytes[listStart...]) : try Self.decodeList(bytes[listStart...], type: type)
        } catch {
            throw .rlp(error)
        }
        var fields = decoded.fields
        if type == .legacy {
            fields.chainId = try Self.legacyChainId(v: decoded.v)
        } else if decoded.v > UInt256(1) {
            throw .invalidV
        }
        self.init(
            fields: fields, v: decoded.v, r: decoded.r, s: decoded.s, encoded: bytes, unsignedFields: decoded.unsigned)
    }

    private static func decodeList(_ bytes: ArraySlice<UInt8>, type: TransactionType) throws(RLPError)
        -> (fields: TransactionFields, v: UInt256, r: UInt256, s: UInt256, unsigned: Range<Int>)
    {
            var outer = RLPReader(bytes)
            var list = try outer.readList()
            try outer.finish()
            let unsignedStart = list.remaining.startIndex
            var fields = TransactionFields(type: type, chainId: nil)
            if type != .legacy { fields.chainId = try list.readUInt256() }
            fields.nonce = try list.readUInt64()
            if type == .legacy || type == .accessList {
                fields.gasPrice = try list.readUInt256()
            } else {
                fields.maxPriorityFeePerGas = try list.readUInt256()
                fields.maxFeePerGas = try list.readUInt256()
            }
            fields.gasLimit = try list.readUInt64()
            let to = try list.readBytes()
            if !to.isEmpty {
                guard to.count == 20 else { throw .wrongLength(expected: 20, actual: to.count) }
                fields.to = Address(bytes: to)
            }
            fields.value = try list.readUInt256()
            fields.data = Array(try list.readBytes())
            if type != .legacy {
                var entries = try list.readList()
                fields.accessList = try entries.readAll { (r: inout RLPReader) throws(RLPError) in
                    var entry = try r.readList()
                    let address = try entry.readAddress()
                    var keys = try entry.readList()
                    let storageKeys = try keys.readAll { (k: inout RLPReader) throws(RLPError) in try k.readHash() }
                    try entry.finish()
                    return AccessListEntry(address: address, storageKeys: storageKeys)
                }
            }
            if type == .blob {
                fields.maxFeePerBlobGas = try list.readUInt256()
                var hashes = try list.readList()
                fields.blobVersionedHashes = try hashes.readAll { (r: inout RLPReader) throws(RLPError) in try r.readHash() }
            }
            if type == .setCode {
                var auths = try list.readList()
                fields.authorizationList = try auths.readAll { (r: inout RLPReader) throws(RLPError) in
                    var a = try r.readList()
                    let chainId = try a.readUInt256()
                    let address = try a.readAddress()
                    let nonce = try a.readUInt64()
                    let parity = try a.readUInt64()
                    guard parity <= 0xff else { throw .integerOverflow }
                    let r = try a.readUInt256()
                    let s = try a.readUInt256()
                    try a.finish()
                    return Authorization(chainId: chainId, address: address, nonce: nonce, yParity: UInt8(parity), r: r, s: s)
                }
            }
            let unsignedEnd = list.remaining.startIndex
            let v = try list.readUInt256()
            let r = try list.readUInt256()
            let s = try list.readUInt256()
            try list.finish()
            return (fields, v, r, s, unsignedStart..<unsignedEnd)
    }

    private static func decodeDeposit(_ bytes: ArraySlice<UInt8>) throws(RLPError)
        -> (fields: TransactionFields, v: UInt256, r: UInt256, s: UInt256, unsigned: Range<Int>)
    {
        var outer = RLPReader(bytes)
        var list = try outer.readList()
        try outer.finish()
        let start = list.remaining.startIndex
        let sourceHash = try list.readHash()
        let from = try list.readAddress()
        let to = try list.readBytes()
        guard to.isEmpty || to.count == 20 else { throw .wrongLength(expected: 20, actual: to.count) }
        let mint = try list.readUInt256()
        var fields = TransactionFields(deposit: DepositFields(sourceHash: sourceHash, from: from, mint: mint))
        fields.to = to.isEmpty ? nil : Address(bytes: to)
        fields.value = try list.readUInt256()
        fields.gasLimit = try list.readUInt64()
        let flag = try list.readUInt64()
        // A boolean is one bit wide: any other integer is wider than the field.
        guard flag <= 1 else { throw .integerOverflow }
        fields.deposit?.isSystemTransaction = flag == 1
        fields.data = Array(try list.readBytes())
        let end = list.remaining.startIndex
        try list.finish()
        return (fields, .zero, .zero, .zero, start..<end)
    }

    /// The chain id a legacy `v` commits to: none for 27/28, `(v − 35) / 2` for EIP-155 values.
    static func legacyChainId(v: UInt256) throws(TransactionError) -> UInt256? {
        if v == UInt256(27) || v == UInt256(28) { return nil }
        guard v >= UInt256(35) else { throw .invalidV }
        return (v - UInt256(35)) >> 1
    }
}
