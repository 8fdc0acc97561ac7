/// A cursor over canonical RLP. Reading never copies: strings come back as slices of the input, and a list comes
/// back as a new reader over its payload. Call `finish()` when a structure is complete so trailing bytes are refused.
public struct RLPReader: Sendable {
    /// What is left to read.
    public private(set) var remaining: ArraySlice<UInt8>
    /// Nesting level of this reader (0 at the top).
    public let depth: Int

    /// A reader over a whole encoding.
    public init(_ bytes: ArraySlice<UInt8>) {
        remaining = bytes
        depth = 0
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    init(_ bytes: ArraySlice<UInt8>, depth: Int) {
        remaining = bytes
        self.depth = depth
    }

    public var isAtEnd: Bool { remaining.isEmpty }

    /// Refuses anything left unread.
    public func finish() throws(RLPError) {
        guard remaining.isEmpty else { throw .trailingBytes }
    }

    /// Whether the next item is a list, without consuming it.
    public func nextIsList() throws(RLPError) -> Bool {
        guard let first = remaining.first else { throw .truncated }
        return first >= 0xc0
    }

    /// Header of the next item: whether it is a list, and the range of its payload in `remaining`'s indices.
    private func header() throws(RLPError) -> (isList: Bool, payload: Range<Int>) {
        let start = remaining.startIndex
        guard let prefix = remaining.first else { throw .truncated }
        switch prefix {
        case 0x00...0x7f:
            return (false, start..<start + 1)
        case 0x80...0xb7, 0xc0...0xf7:
            let isList = prefix >= 0xc0
            let length = Int(prefix - (isList ? 0xc0 : 0x80))
            guard remaining.count - 1 >= length else { throw .truncated }
            if !isList && length == 1 && remaining[start + 1] < 0x80 { throw .nonCanonicalSingleByte }
            return (isList, start + 1..<start + 1 + length)
        default:
            let isList = prefix >= 0xf8
            let lengthOfLength = Int(prefix - (isList ? 0xf7 : 0xb7))
            guard remaining.count - 1 >= lengthOfLength else { throw .truncated }
            guard remaining[start + 1] != 0 else { throw .nonCanonicalLength }
            guard lengthOfLength <= 8 else { throw .lengthOverflow }
            var length: UInt64 = 0
            for i in 0..<lengthOfLength { length = length << 8 | UInt64(remaining[start + 1 + i]) }
            guard length >= 56 else { throw .nonCanonicalLength }
            let available = UInt64(remaining.count - 1 - lengthOfLength)
            guard length <= available else { throw length > UInt64(Int32.max) ? .lengthOverflow : .truncated }
            let payloadStart = start + 1 + lengthOfLength
            return (isList, payloadStart..<payloadStart + Int(length))
        }
    }

    /// Reads the next item whatever its kind, returning its whole encoding (header and payload).
    public mutating func readRaw() throws(RLPError) -> ArraySlice<UInt8> {
        let (_, payload) = try header()
        let whole = remaining[remaining.startIndex..<payload.upperBound]
        remaining = remaining[payload.upperBound...]
        return whole
    }

    /// Reads a string item's payload.
    public mutating func readBytes() throws(RLPError) -> ArraySlice<UInt8> {
        let (isList, payload) = try header()
        guard !isList else { throw .unexpectedList }
        let bytes = remaining[payload]
        remaining = remaining[payload.upperBound...]
        return bytes
    }

    /// Reads a list item and returns a reader over its payload.
    public mutating func readList() throws(RLPError) -> RLPReader {
        let (isList, payload) = try header()
        guard isList else { throw .unexpectedString }
        guard depth + 1 <= RLP.maxDepth else { throw .depthExceeded }
        let inner = RLPReader(remaining[payload], depth: depth + 1)
        remaining = remaining[payload.upperBound...]
        return inner
    }

    /// Reads a string of exactly `count` bytes.
    public mutating func readBytes(count: Int) throws(RLPError) -> ArraySlice<UInt8> {
        let bytes = try readBytes()
        guard bytes.count == count else { throw .wrongLength(expected: count, actual: bytes.count) }
        return bytes
    }

    /// Reads a minimal big-endian integer of at most `maxBytes` bytes.
    public mutating func readIntegerBytes(maxBytes: Int) throws(RLPError) -> ArraySlice<UInt8> {
        let bytes = try readBytes()
        if bytes.first == 0 { throw .leadingZeros }
        guard bytes.count <= maxBytes else { throw .integerOverflow }
        return bytes
    }

    public mutating func readUInt64() throws(RLPError) -> UInt64 {
        var value: UInt64 = 0
        for b in try readIntegerBytes(maxBytes: 8) { value = value << 8 | UInt64(b) }
        return value
    }

    /// Reads every remaining item of this (list) reader with `body`, then refuses trailing bytes.
    public mutating func readAll<T>(_ body: (inout RLPReader) throws(RLPError) -> T) throws(RLPError) -> [T] {
        var out: [T] = []
        while !isAtEnd { out.append(try body(&self)) }
        return out
    }
}
