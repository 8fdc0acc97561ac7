internal import NIOCore

/// Rows in COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html): tab-separated, `\N` for
/// NULL, `bytea` as `\\x` and hex (the backslash doubled, since COPY unescapes it once). Every value the sink writes
/// is a number, a fixed name or bytes, so no text needs escaping.
struct CopyText {
    var buffer: ByteBuffer
    private var atRowStart = true

    init(capacity: Int = 1 << 16) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private mutating func separate() {
        if !atRowStart { buffer.writeInteger(UInt8(ascii: "\t")) }
        atRowStart = false
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("\\N")
    }

    mutating func bytes<S: Sequence>(_ value: S?) where S.Element == UInt8 {
        guard let value else { return null() }
        separate()
        buffer.writeStaticString("\\\\x")
        for byte in value {
            buffer.writeInteger(Self.digits[Int(byte >> 4)])
            buffer.writeInteger(Self.digits[Int(byte & 0x0f)])
        }
    }

    mutating func number(_ value: (some BinaryInteger)?) {
        guard let value else { return null() }
        separate()
        buffer.writeString(String(value))
    }

    /// A decimal (`numeric`), or a plain name: characters COPY takes as they are.
    mutating func plain(_ value: String?) {
        guard let value else { return null() }
        separate()
        buffer.writeString(value)
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        atRowStart = true
    }
}
