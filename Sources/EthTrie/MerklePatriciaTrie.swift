public import EthPrimitives
internal import EthRLP
internal import EthCrypto

/// Builds Merkle-Patricia trie roots and proofs from a whole key-value set at once (Yellow Paper appendix D).
///
/// A trie's root depends only on its set of pairs, so instead of inserting one key at a time the builder sorts the
/// keys and encodes each node bottom-up from the range of keys below it: no node objects, every node encoded and
/// hashed once. An empty value is the same as an absent key, as in go-ethereum.
public enum MerklePatriciaTrie {
    /// keccak256(rlp("")): the root of the empty trie.
    public static let emptyRoot = keccak256([0x80] as [UInt8])

    /// The root hash of the trie holding `entries` (a later duplicate key replaces an earlier one).
    public static func root(_ entries: [(key: [UInt8], value: [UInt8])]) -> Hash32 {
        var builder = Builder(entries: entries, targets: [])
        return builder.rootHash()
    }

    /// The proof for `key`: the encodings of the nodes on its path, root first, as `eth_getProof` returns them.
    /// It proves the key's value, or that the key is absent.
    public static func proof(_ entries: [(key: [UInt8], value: [UInt8])], key: [UInt8]) -> [[UInt8]] {
        proof(entries, keys: [key])
    }

    /// The nodes on the paths of all `keys`, each node once, shallower nodes first: what a `TrieNodeSet` needs to
    /// give each key's value and proof. Paths share their upper nodes, so this is smaller than the separate proofs.
    public static func proof(_ entries: [(key: [UInt8], value: [UInt8])], keys: [[UInt8]]) -> [[UInt8]] {
        let targets = keys.map(Nibbles.from).sorted { $0.lexicographicallyPrecedes($1) }
        var builder = Builder(entries: entries, targets: targets)
        _ = builder.rootHash()
        // A stable sort: nodes of one depth stay in key order.
        return builder.proofNodes.enumerated().sorted { ($0.element.depth, $0.offset) < ($1.element.depth, $1.offset) }.map(\.element.encoding)
    }

    /// Checks `proof` against a trusted `root`; returns the key's value, or `nil` when the proof shows the key absent.
    public static func verify(root: Hash32, key: [UInt8], proof: [[UInt8]]) throws(TrieError) -> [UInt8]? {
        var walker = ProofWalker(root: root, key: Nibbles.from(key), proof: proof)
        return try walker.walk()
    }
}

/// The ordered tries of a block (transactions, receipts, withdrawals): item i is stored under rlp(i).
public enum OrderedTrie {
    /// The trie key of item `index`.
    public static func key(_ index: Int) -> [UInt8] { UInt64(index).rlp }

    public static func root(_ values: [[UInt8]]) -> Hash32 {
        MerklePatriciaTrie.root(values.enumerated().map { (key($0.offset), $0.element) })
    }

    public static func proof(_ values: [[UInt8]], index: Int) -> [[UInt8]] {
        MerklePatriciaTrie.proof(values.enumerated().map { (key($0.offset), $0.element) }, key: key(index))
    }

    /// The nodes on the paths of the items at `indices`, each once (see `MerklePatriciaTrie.proof(_:keys:)`).
    public static func proof(_ values: [[UInt8]], indices: [Int]) -> [[UInt8]] {
        MerklePatriciaTrie.proof(values.enumerated().map { (key($0.offset), $0.element) }, keys: indices.map(key))
    }
}

/// Trie nodes looked up by their hash, such as the union of several keys' proofs: from it each of those keys' value
/// and own proof is read against a trusted root, every node on the way checked by the lookup itself.
public struct TrieNodeSet: Sendable {
    let nodes: [Hash32: [UInt8]]

    /// The set of `nodes`; a node that is a duplicate of another is kept once.
    public init(_ nodes: [[UInt8]]) {
        var byHash: [Hash32: [UInt8]] = [:]
        byHash.reserveCapacity(nodes.count)
        for node in nodes { byHash[keccak256(node)] = node }
        self.nodes = byHash
    }

    /// The value stored under `key` in the trie with this `root`, or `nil` when the nodes show it absent; throws
    /// when a node the path needs is missing or malformed.
    public func value(root: Hash32, key: [UInt8]) throws(TrieError) -> [UInt8]? {
        var walker = ProofWalker(root: root, key: Nibbles.from(key), source: .set(nodes))
        return try walker.walk()
    }

    /// The proof of `key` (the nodes on its path, root first), as `MerklePatriciaTrie.proof` gives it.
    public func proof(root: Hash32, key: [UInt8]) throws(TrieError) -> [[UInt8]] {
        var walker = ProofWalker(root: root, key: Nibbles.from(key), source: .set(nodes))
        _ = try walker.walk()
        return walker.visited
    }
}

private struct Builder {
    struct Entry {
        var nibbles: [UInt8]
        var value: [UInt8]
    }

    /// How a parent refers to a child: the child's encoding inline when shorter than 32 bytes, else its hash.
    enum Reference {
        case inline([UInt8])
        case hash(Hash32)
    }

    let entries: [Entry]
    /// The keys whose paths' nodes are recorded, as nibbles, sorted.
    let targets: [[UInt8]]
    var proofNodes: [(depth: Int, encoding: [UInt8])] = []

    init(entries raw: [(key: [UInt8], value: [UInt8])], targets: [[UInt8]]) {
        // Stable sort by key, then keep each key's last value; empty values delete.
        let ordered = raw.enumerated().sorted {
            $0.element.key == $1.element.key
                ? $0.offset < $1.offset : $0.element.key.lexicographicallyPrecedes($1.element.key)
        }
        var unique: [Entry] = []
        unique.reserveCapacity(ordered.count)
        for (_, pair) in ordered {
            let nibbles = Nibbles.from(pair.key)
            if let last = unique.last, last.nibbles == nibbles { unique.removeLast() }
            unique.append(Entry(nibbles: nibbles, value: pair.value))
        }
        entries = unique.filter { !$0.value.isEmpty }
        self.targets = targets
    }

    mutating func rootHash() -> Hash32 {
        guard !entries.isEmpty else {
            if !targets.isEmpty { proofNodes.append((0, [0x80])) }
            return MerklePatriciaTrie.emptyRoot
        }
        let encoding = encodeNode(entries[...], depth: 0)
        return keccak256(encoding)
    }

    /// Whether the node at `depth` over `range` lies on a target key's path: some target starts with the nibbles
    /// the range's keys share. Targets are sorted, so the first one not below that prefix is the only candidate.
    func onTargetPath(_ range: ArraySlice<Entry>, depth: Int) -> Bool {
        guard !targets.isEmpty else { return false }
        let prefix = range.first!.nibbles[0..<depth]
        var low = 0, high = targets.count
        while low < high {
            let mid = (low + high) / 2
            if targets[mid].lexicographicallyPrecedes(prefix) { low = mid + 1 } else { high = mid }
        }
        return low < targets.count && targets[low].starts(with: prefix)
    }

    mutating func reference(_ range: ArraySlice<Entry>, depth: Int) -> Reference {
        let encoding = encodeNode(range, depth: depth)
        if encoding.count < 32 { return .inline(encoding) }
        return .hash(keccak256(encoding))
    }

    /// Encodes the node holding `range` (sorted, sharing their first `depth` nibbles), recording it for the proof
    /// when the target passes through it and it is referenced by hash (inline nodes travel inside their parent).
    mutating func encodeNode(_ range: ArraySlice<Entry>, depth: Int) -> [UInt8] {
        let first = range.first!
        var encoder = RLPEncoder()
        if range.count == 1 {
            encoder.appendList { e in
                e.append(bytes: Nibbles.hexPrefix(first.nibbles[depth...], isLeaf: true))
                e.append(bytes: first.value)
            }
        } else {
            let last = range.last!
            var shared = 0
            while depth + shared < first.nibbles.count, depth + shared < last.nibbles.count,
                first.nibbles[depth + shared] == last.nibbles[depth + shared]
            {
                shared += 1
            }
            if shared > 0 {
                let child = reference(range, depthOfBranch: depth + shared)
                encoder.appendList { e in
                    e.append(bytes: Nibbles.hexPrefix(first.nibbles[depth..<depth + shared], isLeaf: false))
                    Self.append(child, to: &e)
                }
            } else {
                encoder = encodeBranch(range, depth: depth)
            }
        }
        let encoding = encoder.bytes
        if (depth == 0 || encoding.count >= 32) && onTargetPath(range, depth: depth) {
            proofNodes.append((depth, encoding))
        }
        return encoding
    }

    mutating func reference(_ range: ArraySlice<Entry>, depthOfBranch depth: Int) -> Reference {
        let encoder = encodeBranch(range, depth: depth)
        let encoding = encoder.bytes
        if encoding.count >= 32 && onTargetPath(range, depth: depth) { proofNodes.append((depth, encoding)) }
        return encoding.count < 32 ? .inline(encoding) : .hash(keccak256(encoding))
    }

    /// A branch at `depth`: the entry ending here is its value; the rest split by their nibble at `depth`.
    mutating func encodeBranch(_ range: ArraySlice<Entry>, depth: Int) -> RLPEncoder {
        var children: [Reference?] = Array(repeating: nil, count: 16)
        var value: [UInt8] = []
        var start = range.startIndex
        if range[start].nibbles.count == depth {
            value = range[start].value
            start += 1
        }
        while start < range.endIndex {
            let nibble = range[start].nibbles[depth]
            var end = start + 1
            while end < range.endIndex && range[end].nibbles[depth] == nibble { end += 1 }
            children[Int(nibble)] = reference(range[start..<end], depth: depth + 1)
            start = end
        }
        var encoder = RLPEncoder()
        encoder.appendList { e in
            for child in children {
                if let child { Self.append(child, to: &e) } else { e.append(bytes: [] as [UInt8]) }
            }
            e.append(bytes: value)
        }
        return encoder
    }

    static func append(_ reference: Reference, to encoder: inout RLPEncoder) {
        switch reference {
        case .inline(let encoding): encoder.append(raw: encoding)
        case .hash(let hash): encoder.append(hash)
        }
    }
}

/// Follows a key's path through proof nodes, checking each node against the reference its parent holds.
private struct ProofWalker {
    let root: Hash32
    let key: [UInt8]
    /// Where the hashed nodes come from: a proof, exactly the path's nodes in order, or a set looked up by hash.
    enum Source {
        case path([[UInt8]])
        case set([Hash32: [UInt8]])
    }
    let source: Source
    /// The hashed nodes the path went through, in order.
    private(set) var visited: [[UInt8]] = []

    init(root: Hash32, key: [UInt8], proof: [[UInt8]]) { self.init(root: root, key: key, source: .path(proof)) }

    init(root: Hash32, key: [UInt8], source: Source) {
        self.root = root
        self.key = key
        self.source = source
    }

    /// What a node says about the key: its value or absence, or where the path goes on.
    enum Step {
        case done([UInt8]?)
        case hash(Hash32)
        case inline(ArraySlice<UInt8>)
    }

    mutating func walk() throws(TrieError) -> [UInt8]? {
        var used = 0
        var position = 0
        var next = Step.hash(root)
        while true {
            let node: ArraySlice<UInt8>
            switch next {
            case .done(let value):
                if case .path(let proof) = source, used != proof.count { throw .unusedProofNodes(count: proof.count - used) }
                return value
            case .hash(let hash):
                switch source {
                case .path(let proof):
                    guard used < proof.count else { throw .missingNode(depth: position) }
                    guard keccak256(proof[used]) == hash else { throw .hashMismatch(proofIndex: used) }
                    visited.append(proof[used])
                case .set(let nodes):
                    guard let found = nodes[hash] else { throw .missingNode(depth: position) }
                    visited.append(found)
                }
                node = visited[used][...]
                used += 1
            case .inline(let encoding):
                node = encoding
            }
            do throws(RLPError) {
                next = try follow(node, position: &position, isRoot: used == 1 && position == 0)
            } catch {
                throw .malformedNode(proofIndex: used - 1)
            }
        }
    }

    /// Reads one node and moves along the key.
    private func follow(_ node: ArraySlice<UInt8>, position: inout Int, isRoot: Bool) throws(RLPError) -> Step {
        var outer = RLPReader(node)
        if try !outer.nextIsList() {
            // Only the empty trie's root is a bare empty string.
            guard try outer.readBytes().isEmpty, isRoot else { throw .unexpectedString }
            try outer.finish()
            return .done(nil)
        }
        var items = try outer.readList()
        try outer.finish()
        var raw: [ArraySlice<UInt8>] = []
        while !items.isAtEnd { raw.append(try items.readRaw()) }
        switch raw.count {
        case 17:
            if position == key.count {
                let value = try Self.string(raw[16])
                return .done(value.isEmpty ? nil : Array(value))
            }
            let child = raw[Int(key[position])]
            position += 1
            return try Self.child(child)
        case 2:
            guard let (path, isLeaf) = Nibbles.decodeHexPrefix(try Self.string(raw[0])) else {
                throw .unexpectedString
            }
            let rest = key[position...]
            if isLeaf {
                return .done(rest.elementsEqual(path) ? Array(try Self.string(raw[1])) : nil)
            }
            guard !path.isEmpty else { throw .unexpectedString }
            guard rest.starts(with: path) else { return .done(nil) }
            position += path.count
            return try Self.child(raw[1])
        default:
            throw .wrongItemCount(expected: 17, actual: raw.count)
        }
    }

    private static func string(_ encoded: ArraySlice<UInt8>) throws(RLPError) -> ArraySlice<UInt8> {
        var reader = RLPReader(encoded)
        let bytes = try reader.readBytes()
        try reader.finish()
        return bytes
    }

    /// A child slot: empty (key absent), a 32-byte hash, or an inline node shorter than 32 bytes.
    private static func child(_ encoded: ArraySlice<UInt8>) throws(RLPError) -> Step {
        if encoded.first.map({ $0 >= 0xc0 }) == true {
            guard encoded.count < 32 else { throw .wrongLength(expected: 31, actual: encoded.count) }
            return .inline(encoded)
        }
        let bytes = try string(encoded)
        if bytes.isEmpty { return .done(nil) }
        guard bytes.count == 32 else { throw .wrongLength(expected: 32, actual: bytes.count) }
        return .hash(Hash32(bytes: bytes)!)
    }
}
