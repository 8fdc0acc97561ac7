/// A decoded RLP value as a tree: what generic tools (vector tests, debugging) need. Typed decoders should use
/// `RLPReader` directly and skip building the tree.
public enum RLPItem: Equatable, Sendable, RLPEncodable {
    case bytes([UInt8])
    case list([RLPItem])

    /// Decodes exactly one item from `bytes`; trailing bytes are an error.
    public init(decoding bytes: [UInt8]) throws(RLPError) {
        var reader = RLPReader(bytes)
        self = try RLPItem(reading: &reader)
        try reader.finish()
    }

    /// Reads the next item from `reader`.
    public init(reading reader: inout RLPReader) throws(RLPError) {
        if try reader.nextIsList() {
            var inner = try reader.readList()
            self = .list(try inner.readAll { (r: inout RLPReader) throws(RLPError) in try RLPItem(reading: &r) })
        } else {
            self = .bytes(Array(try reader.readBytes()))
        }
    }

    public func encode(to encoder: inout RLPEncoder) {
        switch self {
        case .bytes(let b): encoder.append(bytes: b)
        case .list(let items): encoder.appendList { e in for item in items { e.append(item) } }
        }
    }
}
