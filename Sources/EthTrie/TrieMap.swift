public import EthPrimitives
internal import EthRLP
internal import EthCrypto

/// A Merkle-Patricia trie held in memory and changed one key at a time, for a state that changes a little per block
/// (the dev chain's accounts and contract storage). Nodes are immutable and encoded once, when made: a change makes
/// new nodes along one path and shares the rest, so a copy of the map is a snapshot that later changes leave alone.
/// Its root and proofs are those `MerklePatriciaTrie` computes from the same pairs; an empty value is an absent key.
public struct TrieMap: Sendable {
    private var root: Node?

    public init() {}

    /// The trie's root hash.
    public var rootHash: Hash32 { root?.hash ?? MerklePatriciaTrie.emptyRoot }

    /// The value under `key`, or nil.
    public subscript(key: [UInt8]) -> [UInt8]? {
        get {
            var node = root
            var path = Nibbles.from(key)[...]
            while let current = node {
                switch current.kind {
                case .leaf(let rest, let value):
                    return path.elementsEqual(rest) ? value : nil
                case .extension(let rest, let child):
                    guard path.starts(with: rest) else { return nil }
                    path = path.dropFirst(rest.count)
                    node = child
                case .branch(let children, let value):
                    guard let nibble = path.first else { return value.isEmpty ? nil : value }
                    path = path.dropFirst()
                    node = children[Int(nibble)]
                }
            }
            return nil
        }
        set {
            let path = Nibbles.from(key)[...]
            if let value = newValue, !value.isEmpty {
                root = Self.inserting(value, at: path, into: root)
            } else if let root {
                self.root = Self.removing(path, from: root)
            }
        }
    }

    /// The proof of `key`: the encodings of the hashed nodes on its path, root first (as `eth_getProof` and
    /// `MerklePatriciaTrie.proof` give them). It proves the value, or that the key is absent.
    public func proof(of key: [UInt8]) -> [[UInt8]] {
        guard var node = root else { return [[0x80]] }
        var nodes = [node.encoding]
        var path = Nibbles.from(key)[...]
        while true {
            let next: Node?
            switch node.kind {
            case .leaf: return nodes
            case .extension(let rest, let child):
                guard path.starts(with: rest) else { return nodes }
                path = path.dropFirst(rest.count)
                next = child
            case .branch(let children, _):
                guard let nibble = path.first else { return nodes }
                path = path.dropFirst()
                next = children[Int(nibble)]
            }
            guard let next else { return nodes }
            // A child shorter than 32 bytes travels inside its parent's encoding.
            if next.encoding.count >= 32 { nodes.append(next.encoding) }
            node = next
        }
    }

    // MARK: Nodes

    final class Node: Sendable {
        enum Kind: Sendable {
            case leaf(path: [UInt8], value: [UInt8])
            case `extension`(path: [UInt8], child: Node)
            case branch(children: [Node?], value: [UInt8])
        }

        let kind: Kind
        let encoding: [UInt8]
        let hash: Hash32

        init(_ kind: Kind) {
            self.kind = kind
            var encoder = RLPEncoder()
            switch kind {
            case .leaf(let path, let value):
                encoder.appendList { e in
                    e.append(bytes: Nibbles.hexPrefix(path[...], isLeaf: true))
                    e.append(bytes: value)
                }
            case .extension(let path, let child):
                encoder.appendList { e in
                    e.append(bytes: Nibbles.hexPrefix(path[...], isLeaf: false))
                    child.appendReference(to: &e)
                }
            case .branch(let children, let value):
                encoder.appendList { e in
                    for child in children {
                        if let child { child.appendReference(to: &e) } else { e.append(bytes: [] as [UInt8]) }
                    }
                    e.append(bytes: value)
                }
            }
            encoding = encoder.bytes
            hash = keccak256(encoding)
        }

        /// How a parent holds this node: inline when its encoding is shorter than 32 bytes, else by hash.
        func appendReference(to encoder: inout RLPEncoder) {
            if encoding.count < 32 { encoder.append(raw: encoding) } else { encoder.append(hash) }
        }
    }

    private static func commonPrefix(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var n = 0
        while n < a.count, n < b.count, a[a.startIndex + n] == b[b.startIndex + n] { n += 1 }
        return n
    }

    private static func inserting(_ value: [UInt8], at path: ArraySlice<UInt8>, into node: Node?) -> Node {
        guard let node else { return Node(.leaf(path: Array(path), value: value)) }
        switch node.kind {
        case .leaf(let rest, let old):
            if path.elementsEqual(rest) { return Node(.leaf(path: rest, value: value)) }
            // Both keys below a branch where they part.
            let shared = commonPrefix(path, rest[...])
            var branch = Node(.branch(children: Self.noChildren, value: []))
            branch = inserting(old, at: rest.dropFirst(shared), into: branch)
            branch = inserting(value, at: path.dropFirst(shared), into: branch)
            return wrap(Array(path.prefix(shared)), around: branch)
        case .extension(let rest, let child):
            let shared = commonPrefix(path, rest[...])
            if shared == rest.count {
                return Node(.extension(path: rest, child: inserting(value, at: path.dropFirst(shared), into: child)))
            }
            // The extension splits at the first nibble it does not share: its rest and the new key below a branch.
            var children = Self.noChildren
            let below = rest.dropFirst(shared + 1)
            children[Int(rest[shared])] = below.isEmpty ? child : Node(.extension(path: Array(below), child: child))
            let branch = inserting(value, at: path.dropFirst(shared), into: Node(.branch(children: children, value: [])))
            return wrap(Array(rest.prefix(shared)), around: branch)
        case .branch(var children, let old):
            guard let nibble = path.first else { return Node(.branch(children: children, value: value)) }
            children[Int(nibble)] = inserting(value, at: path.dropFirst(), into: children[Int(nibble)])
            return Node(.branch(children: children, value: old))
        }
    }

    private static let noChildren = [Node?](repeating: nil, count: 16)

    /// `node` below an extension of `path`, or itself when the path is empty.
    private static func wrap(_ path: [UInt8], around node: Node) -> Node {
        path.isEmpty ? node : Node(.extension(path: path, child: node))
    }

    /// The subtrie without `path`'s value, kept in the trie's canonical form: no branch with fewer than two
    /// entries, no extension above anything but a branch.
    private static func removing(_ path: ArraySlice<UInt8>, from node: Node) -> Node? {
        switch node.kind {
        case .leaf(let rest, _):
            return path.elementsEqual(rest) ? nil : node
        case .extension(let rest, let child):
            guard path.starts(with: rest) else { return node }
            let below = removing(path.dropFirst(rest.count), from: child)
            if below === child { return node }
            return below.map { prefixed(rest, $0) }
        case .branch(var children, var value):
            if let nibble = path.first {
                guard let child = children[Int(nibble)] else { return node }
                let below = removing(path.dropFirst(), from: child)
                if below === child { return node }
                children[Int(nibble)] = below
            } else {
                guard !value.isEmpty else { return node }
                value = []
            }
            let left = children.indices.filter { children[$0] != nil }
            switch (left.count, value.isEmpty) {
            case (0, true): return nil
            case (0, false): return Node(.leaf(path: [], value: value))
            case (1, true): return prefixed([UInt8(left[0])], children[left[0]]!)
            default: return Node(.branch(children: children, value: value))
            }
        }
    }

    /// `node` reached through `path` more: a leaf or extension absorbs it, a branch gets an extension above.
    private static func prefixed(_ path: [UInt8], _ node: Node) -> Node {
        switch node.kind {
        case .leaf(let rest, let value): return Node(.leaf(path: path + rest, value: value))
        case .extension(let rest, let child): return Node(.extension(path: path + rest, child: child))
        case .branch: return Node(.extension(path: path, child: node))
        }
    }
}
