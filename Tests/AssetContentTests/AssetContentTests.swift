import EthCrypto
import EthPrimitives
import Testing

@testable import AssetContent

/// CIDs against the well-known ones of the UnixFS specification (https://specs.ipfs.tech/unixfs/, test vectors) and
/// of `ipfs add`, and the forms an ERC-7007 output may name a file by.
@Suite("IPFS content identifiers")
struct ContentIDTests {
    static let hello = Array("hello world\n".utf8)

    @Test(arguments: [
        // (content, how it was added, CID)
        ("", "raw", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
        ("", "v0", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        ("", "v0 as v1", "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y"),
        ("hello world\n", "raw", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),
        ("hello world\n", "v0", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
        ("hello world\n", "cid-version 1", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),
        ("Hello from IPFS Gateway Checker\n", "v0 as v1", "bafybeifx7yeb55armcsxwwitkymga5xf53dxiarykms3ygqic223w5sk3m"),
        ("Hello, world!\n", "raw", "bafkreigzafgemjeejks3vqyuo46ww2e22rt7utq5djikdofjtvnjl5zp6u"),
    ])
    func wellKnownCIDs(_ content: String, _ how: String, _ expected: String) {
        let bytes = Array(content.utf8)
        let cid: ContentID
        switch how {
        case "raw": cid = ContentID(of: bytes, codec: .raw, version: 1)
        case "v0": cid = UnixFSFile.cid(of: bytes, profile: .kuboDefault)
        case "v0 as v1": cid = UnixFSFile.cid(of: bytes, profile: .kuboDefault).v1
        default: cid = UnixFSFile.cid(of: bytes, profile: .kuboCIDv1)
        }
        #expect(cid.description == expected, "\(how) of \(content.debugDescription)")
    }

    /// The specification's multi-block file: five raw leaves of 256, 256, 256, 256 and 2 bytes under one dag-pb node
    /// of 245 bytes. Its text is not published, but the root is made from the leaves' CIDs and sizes alone.
    @Test func aMultiBlockRootFromItsLeaves() throws {
        let leaves = [
            ("bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm", 256),
            ("bafkreih4ephajybraj6wnxsbwjwa77fukurtpl7oj7t7pfq545duhot7cq", 256),
            ("bafkreigu7buvm3cfunb35766dn7tmqyh2um62zcio63en2btvxuybgcpue", 256),
            ("bafkreicll3huefkc3qnrzeony7zcfo7cr3nbx64hnxrqzsixpceg332fhe", 256),
            ("bafkreifst3pqztuvj57lycamoi7z34b4emf7gawxs74nwrc2c7jncmpaqm", 2),
        ]
        let children = try leaves.map { text, size in
            let bytes = try #require(Self.base32(text.dropFirst()))
            #expect(Array(bytes.prefix(4)) == [0x01, 0x55, 0x12, 0x20], "a CIDv1 raw sha2-256")
            let cid = ContentID(codec: .raw, digest: Array(bytes.dropFirst(4)))
            #expect(cid.description == text)
            return UnixFSFile.Node(cid: cid, fileSize: UInt64(size), totalSize: UInt64(size))
        }
        let root = UnixFSFile.inner(children, .kuboCIDv1)
        #expect(root.cid.description == "bafybeigcisqd7m5nf3qmuvjdbakl5bdnh4ocrmacaqkpuh77qjvggmt2sa")
        #expect(root.totalSize - 1026 == 245, "the root block's size")
        #expect(root.fileSize == 1026)
    }

    /// A file of many chunks is grouped level by level: with 2 links a node, 5 chunks make a tree of depth 3.
    @Test func chunksAreGroupedLevelByLevel() {
        let profile = UnixFSFile.Profile(name: "test", chunkSize: 4, maxLinks: 2, rawLeaves: true, cidVersion: 1)
        let content = Array("0123456789abcdefghij".utf8)
        let leaves = stride(from: 0, to: 20, by: 4).map { UnixFSFile.leaf(Array(content[$0..<$0 + 4]), profile) }
        let level1 = [UnixFSFile.inner([leaves[0], leaves[1]], profile), UnixFSFile.inner([leaves[2], leaves[3]], profile), UnixFSFile.inner([leaves[4]], profile)]
        let level2 = [UnixFSFile.inner([level1[0], level1[1]], profile), UnixFSFile.inner([level1[2]], profile)]
        #expect(UnixFSFile.cid(of: content, profile: profile) == UnixFSFile.inner(level2, profile).cid)
        // One chunk is its own leaf: no node above it.
        #expect(UnixFSFile.cid(of: Array(content.prefix(4)), profile: profile) == leaves[0].cid)
    }

    static func base32<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out: [UInt8] = [], buffer = 0, bits = 0
        for character in text {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out
    }
}

@Suite("A file against an AIGC record's output")
struct OutputMatchTests {
    static let image = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 3) }

    @Test func everyFormNamesTheFileAndAChangedByteNamesNothing() throws {
        let forms = OutputMatch.forms(of: Self.image)
        // Five hashes and bytes, and four texts of each distinct CID: raw, CIDv0 and CIDv0 as CIDv1 (one chunk: the
        // raw-leaf profiles give the raw CID).
        #expect(forms.count == 5 + 4 * 3)
        for form in forms {
            let record = keccak256(form.bytes)
            #expect(OutputMatch.match(Self.image, aigcDataHash: record)?.bytes == form.bytes, "\(form.name)")
            var changed = Self.image
            changed[1234] ^= 1
            #expect(OutputMatch.match(changed, aigcDataHash: record) == nil, "\(form.name), one byte changed")
        }
        let names = forms.map(\.name)
        #expect(names.contains { $0.hasPrefix("CIDv1 raw as ipfs://bafkrei") })
        #expect(names.contains { $0.hasPrefix("dag-pb CIDv0 (ipfs add) as ipfs://Qm") })
    }

    @Test func anOutputOfAnotherFileIsNoMatch() {
        #expect(OutputMatch.match(Self.image, aigcDataHash: keccak256(Array("ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku".utf8))) == nil)
    }
}
