public import EthPrimitives
internal import EthCrypto
internal import Crypto

/// The ways an ERC-7007 record's output (`aigcData`) can name a file, and which one names a given file.
///
/// A contract records the output as bytes, and the log carries their keccak-256 (`aigcDataHash`). Those bytes may be
/// the file itself, a hash of it (keccak-256 or SHA-256, raw or as 0x-hex), or an IPFS CID of it, as text (bare,
/// `ipfs://…` or `/ipfs/…`) or binary: CIDv1 of the raw bytes, or the root of `ipfs add` under each common profile
/// (`UnixFSFile.Profile`), as CIDv0 and as CIDv1. A form names the file when its bytes hash to `aigcDataHash`,
/// so the match needs neither the output bytes nor a network.
public enum OutputMatch {
    /// One way of naming a file, with the bytes a record would hold for it.
    public struct Form: Sendable {
        /// What the form is, for people: "the file's bytes", "CIDv1 raw as ipfs://…", and so on.
        public var name: String
        public var bytes: [UInt8]
    }

    /// Every form of `content` this build knows, the file's own bytes first.
    public static func forms(of content: [UInt8]) -> [Form] {
        let keccak = keccak256(content), sha = Array(SHA256.hash(data: content))
        var forms: [Form] = [
            Form(name: "the file's bytes", bytes: content),
            Form(name: "keccak-256 of the file", bytes: keccak.bytes),
            Form(name: "keccak-256 of the file, as hex", bytes: Array(keccak.hex.utf8)),
            Form(name: "SHA-256 of the file", bytes: sha),
            Form(name: "SHA-256 of the file, as hex", bytes: Array(Hex.encode(sha).utf8)),
        ]
        var cids: [(String, ContentID)] = [("CIDv1 raw", ContentID(of: content, codec: .raw, version: 1))]
        for profile in [UnixFSFile.Profile.kuboDefault, .kuboCIDv1, .unixfs2025] {
            let root = UnixFSFile.cid(of: content, profile: profile)
            cids.append((profile.name, root))
            if root.version == 0 { cids.append((profile.name + " as CIDv1", root.v1)) }
        }
        var seen = Set<ContentID>()
        for (name, cid) in cids where seen.insert(cid).inserted {
            let text = cid.description
            forms += [
                Form(name: "\(name) \(text)", bytes: Array(text.utf8)),
                Form(name: "\(name) as ipfs://\(text)", bytes: Array("ipfs://\(text)".utf8)),
                Form(name: "\(name) as /ipfs/\(text)", bytes: Array("/ipfs/\(text)".utf8)),
                Form(name: "\(name) \(text), binary", bytes: cid.bytes),
            ]
        }
        return forms
    }

    /// The first form of `content` whose bytes hash to `aigcDataHash`, if any.
    public static func match(_ content: [UInt8], aigcDataHash: Hash32) -> Form? {
        forms(of: content).first { keccak256($0.bytes) == aigcDataHash }
    }
}
