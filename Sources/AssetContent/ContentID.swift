internal import Crypto

/// An IPFS content identifier of SHA-256-hashed content: a CIDv0 (a bare multihash, dag-pb only) or a CIDv1 (version,
/// codec, multihash). Grammar, from https://github.com/multiformats/cid:
///
///     multihash  = varint(0x12 sha2-256) varint(32) digest[32]
///     CIDv0      = multihash                                   text: base58btc, "Qm…"
///     CIDv1      = varint(1) varint(codec) multihash           text: multibase "b" + base32 (RFC 4648, lower case,
///                                                              no padding), "bafy…" (dag-pb) or "bafk…" (raw)
///     codec      = 0x55 raw | 0x70 dag-pb
public struct ContentID: Hashable, Sendable, CustomStringConvertible {
    /// How the identified block is encoded.
    public enum Codec: UInt8, Sendable {
        case raw = 0x55
        case dagPB = 0x70
    }

    public let version: Int
    public let codec: Codec
    /// The SHA-256 of the block.
    public let digest: [UInt8]

    /// The CID of `block` under `codec`: version 0 only for dag-pb.
    public init(of block: [UInt8], codec: Codec, version: Int) {
        precondition(version == 1 || (version == 0 && codec == .dagPB), "CIDv0 identifies dag-pb blocks only")
        self.version = version
        self.codec = codec
        digest = Array(SHA256.hash(data: block))
    }

    /// The same content addressed as a CIDv1 (what `ipfs cid base32` prints for a CIDv0).
    public var v1: ContentID { ContentID(codec: codec, digest: digest) }

    init(codec: Codec, digest: [UInt8]) {
        (version, self.codec, self.digest) = (1, codec, digest)
    }

    /// The multihash: sha2-256, 32 bytes.
    public var multihash: [UInt8] { [0x12, 0x20] + digest }

    /// The binary CID, as a dag-pb link holds it.
    public var bytes: [UInt8] { version == 0 ? multihash : [0x01, codec.rawValue] + multihash }

    /// The CID as text: base58btc for version 0, base32 with the "b" multibase prefix for version 1.
    public var description: String { version == 0 ? Self.base58btc(bytes) : "b" + Self.base32(bytes) }

    static func base58btc(_ bytes: [UInt8]) -> String {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        var digits: [UInt8] = []  // base-58 digits, least significant first
        for byte in bytes {
            var carry = Int(byte)
            for i in digits.indices {
                carry += Int(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let zeros = bytes.prefix { $0 == 0 }.count
        return String(repeating: "1", count: zeros) + String(digits.reversed().map { alphabet[Int($0)] })
    }

    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out = "", buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }
}
