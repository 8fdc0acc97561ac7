/// The CID `ipfs add` gives a file: fixed-size chunks, a balanced DAG of UnixFS `File` nodes over them, from
/// https://specs.ipfs.tech/unixfs/. Grammar of the dag-pb node (links before data, as DAG-PB's canonical form has it):
///
///     PBNode  = *(field 2: PBLink) [field 1: bytes Data]
///     PBLink  = field 1: bytes Hash (binary CID), field 2: string Name (""), field 3: varint Tsize
///     Data    = field 1: varint Type (2, File), [field 2: bytes Data], field 3: varint filesize,
///               *(field 4: varint blocksize)          (proto2: repeated, not packed)
///
/// A leaf is a raw block (`rawLeaves`) or a `File` node holding its chunk; an inner node links up to `maxLinks`
/// children, each with its `Tsize` (its block's size plus its children's) and its file bytes in `blocksizes`. The
/// leaves are grouped `maxLinks` at a time, level by level, until one node is left: the left-filled tree of the
/// balanced layout. A file of one chunk is its leaf alone.
public struct UnixFSFile: Sendable {
    /// Chunk size, links per node, leaf kind and CID version of one way of adding a file.
    public struct Profile: Hashable, Sendable {
        public var name: String
        public var chunkSize: Int
        public var maxLinks: Int
        public var rawLeaves: Bool
        public var cidVersion: Int

        public init(name: String, chunkSize: Int, maxLinks: Int, rawLeaves: Bool, cidVersion: Int) {
            precondition(chunkSize > 0 && maxLinks > 1 && (cidVersion == 1 || !rawLeaves))
            (self.name, self.chunkSize, self.maxLinks, self.rawLeaves, self.cidVersion) = (name, chunkSize, maxLinks, rawLeaves, cidVersion)
        }

        /// `ipfs add`'s long-standing default: 256 KiB chunks, 174 links, dag-pb leaves, CIDv0.
        public static let kuboDefault = Profile(name: "dag-pb CIDv0 (ipfs add)", chunkSize: 262_144, maxLinks: 174, rawLeaves: false, cidVersion: 0)
        /// `ipfs add --cid-version=1`: the same chunks and width, raw leaves, CIDv1.
        public static let kuboCIDv1 = Profile(name: "dag-pb CIDv1, raw leaves (ipfs add --cid-version=1)", chunkSize: 262_144, maxLinks: 174, rawLeaves: true, cidVersion: 1)
        /// The 2025 profile of UnixFS (IPIP-499, `unixfs-v1-2025`): 1 MiB chunks, 1024 links, raw leaves, CIDv1.
        public static let unixfs2025 = Profile(name: "dag-pb CIDv1, 1 MiB chunks (unixfs-v1-2025)", chunkSize: 1_048_576, maxLinks: 1024, rawLeaves: true, cidVersion: 1)
    }

    /// The root CID of `content` added with `profile`.
    public static func cid(of content: [UInt8], profile: Profile) -> ContentID {
        var level: [Node] = []
        var offset = 0
        repeat {
            let chunk = Array(content[offset..<min(offset + profile.chunkSize, content.count)])
            level.append(leaf(chunk, profile))
            offset += profile.chunkSize
        } while offset < content.count
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: profile.maxLinks).map { start in
                inner(Array(level[start..<min(start + profile.maxLinks, level.count)]), profile)
            }
        }
        return level[0].cid
    }

    /// A built node: its CID, the file bytes under it, and its `Tsize`.
    struct Node {
        var cid: ContentID
        var fileSize: UInt64
        var totalSize: UInt64
    }

    static func leaf(_ chunk: [UInt8], _ profile: Profile) -> Node {
        if profile.rawLeaves {
            return Node(cid: ContentID(of: chunk, codec: .raw, version: 1), fileSize: UInt64(chunk.count), totalSize: UInt64(chunk.count))
        }
        var data = Protobuf()
        data.varint(field: 1, 2)
        if !chunk.isEmpty { data.bytes(field: 2, chunk) }
        data.varint(field: 3, UInt64(chunk.count))
        var node = Protobuf()
        node.bytes(field: 1, data.bytes)
        return Node(cid: ContentID(of: node.bytes, codec: .dagPB, version: profile.cidVersion), fileSize: UInt64(chunk.count), totalSize: UInt64(node.bytes.count))
    }

    static func inner(_ children: [Node], _ profile: Profile) -> Node {
        var node = Protobuf()
        for child in children {
            var link = Protobuf()
            link.bytes(field: 1, child.cid.bytes)
            link.bytes(field: 2, [])
            link.varint(field: 3, child.totalSize)
            node.bytes(field: 2, link.bytes)
        }
        var data = Protobuf()
        data.varint(field: 1, 2)
        let fileSize = children.reduce(0) { $0 + $1.fileSize }
        data.varint(field: 3, fileSize)
        for child in children { data.varint(field: 4, child.fileSize) }
        node.bytes(field: 1, data.bytes)
        let size = UInt64(node.bytes.count) + children.reduce(0) { $0 + $1.totalSize }
        return Node(cid: ContentID(of: node.bytes, codec: .dagPB, version: profile.cidVersion), fileSize: fileSize, totalSize: size)
    }

    /// The few protobuf wire forms a UnixFS node uses: varints and length-delimited bytes.
    struct Protobuf {
        var bytes: [UInt8] = []

        mutating func varint(field: Int, _ value: UInt64) {
            append(UInt64(field << 3))
            append(value)
        }

        mutating func bytes(field: Int, _ value: [UInt8]) {
            append(UInt64(field << 3 | 2))
            append(UInt64(value.count))
            bytes += value
        }

        private mutating func append(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                bytes.append(UInt8(v & 0x7f) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }
    }
}
